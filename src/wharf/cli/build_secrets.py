"""``wharf build --secret``: BuildKit's flag syntax, and the secrets' bytes for the context
tar (each under a made-up ``.wharf-secret-<random>`` name, mode 0600; the daemon takes them
out of the context before the build sees it)."""

from __future__ import annotations

import secrets

from wharf.cli.command import CommandFailed

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

SECRET_LIMIT = 4 << 20


class SecretSource:
    """``--secret id=ID,src=PATH`` (or ``env=VAR``): where the bytes come from."""

    __slots__ = ("id", "path", "variable")

    def __init__(self, id_: str, path: str = "", variable: str = "") -> None:
        self.id = id_
        self.path = path
        self.variable = variable


def parse_secret(spec: str) -> SecretSource:
    """BuildKit's ``--secret`` syntax: ``id=x,src=path`` / ``source=``, ``env=VAR``,
    ``type=file|env``; a bare id's value is the env variable of that name (``type=env``)
    or the file ``id`` when no such variable exists."""
    fields: dict[str, str] = {}
    for part in spec.split(","):
        key, sep, value = part.partition("=")
        key = key.strip().lower()
        if not sep or key not in ("id", "src", "source", "env", "type"):
            raise CommandFailed(125, f'invalid argument "{spec}" for "--secret" flag: '
                                     f"unexpected key '{key}' in '{part}'")
        fields["src" if key == "source" else key] = value
    kind = fields.get("type", "")
    if kind not in ("", "file", "env"):
        raise CommandFailed(125, f'invalid argument "{spec}" for "--secret" flag: '
                                 f"unsupported secret type {kind!r}")
    ident = fields.get("id", "") or fields.get("env", "") or fields.get("src", "")
    if not ident:
        raise CommandFailed(125, f'invalid argument "{spec}" for "--secret" flag: '
                                 "secret id is required")
    if kind == "env" or ("env" in fields and "src" not in fields):
        return SecretSource(ident, variable=fields.get("env") or ident)
    return SecretSource(ident, path=fields.get("src") or ident)


def secret_entries(sources: list[SecretSource], env: Mapping[str, str],
                   extra: dict[str, tuple[bytes, int]]) -> list[dict[str, str]]:
    """Add each secret's bytes to ``extra`` (tar name → (data, mode)); the ``secrets`` query
    value (``[{"id", "src"}]``) naming them."""
    carried = []
    for source in sources:
        if source.variable:
            if source.variable not in env:
                raise CommandFailed(1, f"secret {source.id}: environment variable "
                                       f"{source.variable} is not set")
            data = env[source.variable].encode()
        else:
            try:
                with open(source.path, "rb") as handle:
                    data = handle.read(SECRET_LIMIT + 1)
                if len(data) > SECRET_LIMIT:
                    raise CommandFailed(1, f"secret {source.id} is larger than 4 MiB")
            except OSError as exc:
                raise CommandFailed(1, f"failed to read secret {source.id}: {exc}") from exc
        name = ".wharf-secret-" + secrets.token_hex(8)
        extra[name] = (data, 0o600)
        carried.append({"id": source.id, "src": name})
    return carried
