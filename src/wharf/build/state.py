"""One build stage's state as the classic builder keeps it: the image config being made (Docker's
``Config`` shape), the ARGs in scope, and what variable substitution and RUN see of them."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["DEFAULT_PATH", "DEFAULT_SHELL", "PROXY_ARGS", "StageState", "env_list_to_dict",
           "set_env"]

DEFAULT_SHELL = ("/bin/sh", "-c")
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# Usable without an ARG line; kept out of the history unless declared (moby's builtin args).
PROXY_ARGS = frozenset({
    "HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY", "ftp_proxy",
    "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy",
})


def env_list_to_dict(env: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for entry in env:
        key, _, value = entry.partition("=")
        out[key] = value
    return out


def set_env(env: list[str], key: str, value: str) -> list[str]:
    """``env`` with ``key`` set (in place of an earlier value, else appended)."""
    entry = f"{key}={value}"
    out = list(env)
    for index, existing in enumerate(out):
        if existing.partition("=")[0] == key:
            out[index] = entry
            return out
    out.append(entry)
    return out


@dataclass
class StageState:
    """What a stage has built so far; ``image_id`` is "" until the first image (scratch)."""

    config: dict[str, Any]
    image_id: str = ""
    build_args: Mapping[str, str | None] = field(default_factory=dict)
    meta_args: Mapping[str, str] = field(default_factory=dict)
    args: dict[str, str | None] = field(default_factory=dict)   # declared here: value or None
    cmd_set: bool = False          # a CMD in this stage (an ENTRYPOINT then keeps it)
    author: str = ""
    history: list[dict[str, Any]] = field(default_factory=list)
    diff_ids: list[str] = field(default_factory=list)

    @classmethod
    def from_image(cls, image_id: str, image_config: Mapping[str, Any],
                   build_args: Mapping[str, str | None],
                   meta_args: Mapping[str, str]) -> StageState:
        config = copy.deepcopy(dict(image_config.get("config") or {}))
        if "PATH" not in env_list_to_dict(list(config.get("Env") or [])):
            # as moby's stage start: a base without PATH gets the default one
            config["Env"] = [*(config.get("Env") or []), f"PATH={DEFAULT_PATH}"]
        rootfs = image_config.get("rootfs") or {}
        return cls(config=config, image_id=image_id, build_args=build_args,
                   meta_args=meta_args, author=str(image_config.get("author") or ""),
                   history=list(image_config.get("history") or []),
                   diff_ids=list(rootfs.get("diff_ids") or []))

    # ---- views -----------------------------------------------------------------------------
    def env(self) -> dict[str, str]:
        return env_list_to_dict(list(self.config.get("Env") or []))

    def shell(self) -> list[str]:
        return list(self.config.get("Shell") or DEFAULT_SHELL)

    def workdir(self) -> str:
        return str(self.config.get("WorkingDir") or "")

    def user(self) -> str:
        return str(self.config.get("User") or "")

    def arg_values(self) -> dict[str, str]:
        """Declared ARGs that have a value (ENV of the same name hides them)."""
        env = self.env()
        return {k: v for k, v in self.args.items() if v is not None and k not in env}

    def substitution_env(self) -> dict[str, str]:
        """What ``$VAR`` means in an instruction: ENV over ARG."""
        return {**self.arg_values(), **self.env()}

    def run_env(self) -> list[str]:
        """A RUN container's environment: ENV, then the ARGs in scope and the proxy build args
        given (never overriding ENV)."""
        env = list(self.config.get("Env") or [])
        names = self.env()
        extra = dict(self.arg_values())
        for name in PROXY_ARGS:
            value = self.build_args.get(name)
            if value is not None and name not in extra:
                extra[name] = value
        return env + [f"{k}={v}" for k, v in sorted(extra.items()) if k not in names]

    def history_args(self) -> list[str]:
        """``K=V`` of the ARGs a RUN's history and cache key carry (declared, not hidden by
        ENV; undeclared proxy args never), sorted as moby sorts them."""
        return sorted(f"{k}={v}" for k, v in self.arg_values().items())

    # ---- ARG -------------------------------------------------------------------------------
    def declare_arg(self, word: str) -> tuple[str, str | None]:
        """``ARG name[=default]`` (already substituted): the build arg, else the default, else
        the meta ARG's value; returns (name, the default as written for the history)."""
        name, eq, default = word.partition("=")
        given = self.build_args.get(name)
        if given is not None:
            self.args[name] = given
        elif eq:
            self.args[name] = default
        elif name in self.meta_args:
            self.args[name] = self.meta_args[name]
        else:
            self.args[name] = None
        return name, (default if eq else None)

    def set_env(self, key: str, value: str) -> None:
        self.config["Env"] = set_env(list(self.config.get("Env") or []), key, value)
