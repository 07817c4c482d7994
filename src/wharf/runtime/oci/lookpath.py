"""Find the executable for ``args[0]`` the way runc (Go's exec.LookPath) does, with its
error wording (Docker maps "not found" to exit 127 and "permission denied" to 126)."""

from __future__ import annotations

import os
import stat

from wharf.runtime.oci.errors import RuntimeCreateError


def _is_executable(path: str) -> bool:
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return stat.S_ISREG(mode) and os.access(path, os.X_OK)


def look_path(name: str, path_env: str) -> str:
    """The path to execute for ``name``: searched in ``path_env`` unless it has a slash."""
    if "/" in name:
        try:
            os.stat(name)
        except FileNotFoundError as exc:
            raise RuntimeCreateError(
                f'exec: "{name}": stat {name}: no such file or directory') from exc
        except OSError as exc:
            raise RuntimeCreateError(f'exec: "{name}": stat {name}: {exc.strerror}') from exc
        if not _is_executable(name):
            raise RuntimeCreateError(f'exec: "{name}": permission denied')
        return name
    for directory in path_env.split(":"):
        candidate = os.path.join(directory or ".", name)
        if _is_executable(candidate):
            return candidate
    raise RuntimeCreateError(f'exec: "{name}": executable file not found in $PATH')
