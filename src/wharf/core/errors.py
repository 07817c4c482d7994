"""Typed errors shared by every layer.

Library code raises these; only ``wharf.api.errors`` turns them into HTTP responses
(``{"message": ...}`` with Docker's status codes) and only ``wharf.client`` turns HTTP
responses back into them.

    WharfError (500)
    ├── InvalidParameter (400)   bad name, malformed body, unknown option
    ├── Unauthorized (401)
    ├── Forbidden (403)
    ├── NotFound (404)           no such container / image / exec / network / volume
    ├── Conflict (409)           name in use, container running, image in use
    ├── NotModified (304)        already started / already stopped
    ├── NotImplementedByWharf (501)
    ├── Unavailable (503)
    ├── RuntimeFailure (500)     the OCI runtime or shim failed to run a process
    └── RemoteFailure (500)      a registry was unreachable, timed out or answered wrongly
"""

from __future__ import annotations


class WharfError(Exception):
    """Base of every wharf error; ``status`` is the HTTP status the API answers with."""

    status: int = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class InvalidParameter(WharfError):
    status = 400


class Unauthorized(WharfError):
    status = 401


class Forbidden(WharfError):
    status = 403


class NotFound(WharfError):
    status = 404


class Conflict(WharfError):
    status = 409


class NotModified(WharfError):
    status = 304


class NotImplementedByWharf(WharfError):
    status = 501


class Unavailable(WharfError):
    status = 503


class RuntimeFailure(WharfError):
    status = 500


class RemoteFailure(WharfError):
    """A remote peer (a registry) could not be reached, timed out, or sent bad data."""

    status = 500


_BY_STATUS: dict[int, type[WharfError]] = {
    cls.status: cls
    for cls in (
        InvalidParameter,
        Unauthorized,
        Forbidden,
        NotFound,
        Conflict,
        NotModified,
        NotImplementedByWharf,
        Unavailable,
    )
}


def error_for_status(status: int, message: str) -> WharfError:
    """The typed error for an HTTP status (used by the client side)."""
    return _BY_STATUS.get(status, WharfError)(message)
