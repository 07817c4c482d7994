"""``POST /containers/create?platform=os/arch[/variant]``: the image must be of that platform
(dockerd's check; wharf stores one platform per image, so a mismatch is not found)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from wharf.core.errors import InvalidParameter, NotFound

_DEFAULT_VARIANT = {"arm64": "v8"}


def _parts(text: str) -> tuple[str, str, str]:
    parts = text.strip().lower().split("/")
    if not 1 <= len(parts) <= 3 or not all(parts):
        raise InvalidParameter(f'"{text}": unknown operating system or architecture: '
                               "invalid argument")
    os_name, arch, variant = [*parts, "", ""][:3]
    return os_name, arch, variant


def check_platform(ref: str, image_config: Mapping[str, Any], wanted: str) -> None:
    """Nothing when ``wanted`` is empty or the image's os/architecture(/variant) match it."""
    if not wanted:
        return
    want_os, want_arch, want_variant = _parts(wanted)
    have_os = str(image_config.get("os") or "linux")
    have_arch = str(image_config.get("architecture") or "")
    have_variant = str(image_config.get("variant") or _DEFAULT_VARIANT.get(have_arch, ""))
    if want_variant == "" and want_arch:
        want_variant = have_variant if want_arch == have_arch else ""
    if (want_os, want_arch or have_arch, want_variant) == (have_os, have_arch, have_variant):
        return
    actual = "/".join(p for p in (have_os, have_arch, have_variant) if p)
    raise NotFound(f"image with reference {ref} was found but does not match the specified "
                   f"platform: wanted {wanted}, actual: {actual}")
