"""``COPY --chown=user:group``: names looked up in the destination's /etc/passwd and /etc/group
as the classic builder looks them up (a bare user means the group of the same name or id)."""

from __future__ import annotations

from wharf.core.errors import InvalidParameter

__all__ = ["parse_chown", "resolve_chown"]


def parse_chown(spec: str) -> tuple[str, str]:
    if spec.count(":") > 1:
        raise InvalidParameter(f"invalid chown string format: {spec}")
    user, sep, group = spec.partition(":")
    if not user:
        raise InvalidParameter(f"invalid chown {spec!r}: no user")
    return user, group if sep and group else user


def _lookup(name: str, text: str | None, kind: str, file: str) -> int:
    if name.isdigit():
        return int(name)
    if text is None:
        raise InvalidParameter(f"unable to find {kind} {name}: no {kind} file {file}")
    for line in text.splitlines():
        fields = line.split(":")
        if len(fields) >= 3 and fields[0] == name and fields[2].isdigit():
            return int(fields[2])
    noun = "passwd" if kind == "user" else "group"
    raise InvalidParameter(f"unable to find {kind} {name}: no matching entries in {noun} file")


def resolve_chown(spec: str, passwd: str | None, group: str | None) -> tuple[int, int]:
    """(uid, gid) for ``--chown=spec``; ``passwd``/``group`` are the files' text (None when the
    destination has none: only numeric ids work then)."""
    user, grp = parse_chown(spec)
    return (_lookup(user, passwd, "user", "/etc/passwd"),
            _lookup(grp, group, "group", "/etc/group"))
