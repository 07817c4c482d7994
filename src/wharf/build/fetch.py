"""ADD <url>: one HTTP(S) download into a build's own directory, bounded in size and time,
with Docker's errors (``failed to GET <url> with status 404 Not Found: <body>``)."""

from __future__ import annotations

import contextlib
import email.utils
import ipaddress
import os
import posixpath
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import IO

from wharf.core.errors import (
    Forbidden,
    InvalidParameter,
    NotFound,
    RemoteFailure,
    Unauthorized,
    WharfError,
)

__all__ = ["Progress", "download", "url_file_name"]

Progress = Callable[[int, int | None], None]

UNNAMED = "__unnamed__"
_CHUNK = 1 << 16
_ERROR_BODY = 64 << 10
_BY_STATUS: dict[int, type[WharfError]] = {400: InvalidParameter, 401: Unauthorized,
                                           403: Forbidden, 404: NotFound}


class _HttpOnlyRedirects(urllib.request.HTTPRedirectHandler):
    max_redirections = 10  # Go's http.Client

    def redirect_request(self, req: urllib.request.Request, fp: IO[bytes], code: int, msg: str,
                         headers: object, newurl: str) -> urllib.request.Request | None:
        if urllib.parse.urlsplit(newurl).scheme not in ("http", "https"):
            raise RemoteFailure(f"Get \"{req.full_url}\": redirect to {newurl} refused")
        return super().redirect_request(req, fp, code, msg, headers, newurl)  # type: ignore[arg-type]


def url_file_name(url: str) -> str:
    """The last element of the URL's path (Docker's), or ``__unnamed__``."""
    path = urllib.parse.urlsplit(url).path.rstrip("/")
    name = posixpath.basename(path)
    return name if name not in ("", ".", "..") else UNNAMED


def download(url: str, dest_dir: Path, *, max_bytes: int, total_timeout: float,
             socket_timeout: float, progress: Progress | None = None) -> str:
    """Fetch ``url`` into ``dest_dir`` (0600, mtime from Last-Modified or the epoch);
    returns the file's name there."""
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise InvalidParameter(f"unsupported URL scheme: {url}")
    name = url_file_name(url)
    deadline = time.monotonic() + total_timeout
    try:
        response = _opener(url).open(url, timeout=socket_timeout)
    except urllib.error.HTTPError as exc:
        raise _status_error(url, exc) from exc
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise RemoteFailure(f'Get "{url}": {reason}') from exc
    with response:
        length = response.headers.get("Content-Length")
        if length is not None and length.isdigit() and int(length) > max_bytes:
            raise InvalidParameter(f"{url}: {length} bytes is more than the limit of {max_bytes}")
        target = dest_dir / name
        total = int(length) if length is not None and length.isdigit() else None
        _save(response, target, url, max_bytes, deadline,
              (lambda done: progress(done, total)) if progress else None)
        mtime = _last_modified(response.headers.get("Last-Modified"))
    os.utime(target, (mtime, mtime))
    return name


def _opener(url: str) -> urllib.request.OpenerDirector:
    host = urllib.parse.urlsplit(url).hostname or ""
    proxies = {} if _is_loopback(host) else urllib.request.getproxies()
    opener = urllib.request.OpenerDirector()
    for handler in (urllib.request.ProxyHandler(proxies), urllib.request.HTTPHandler(),
                    urllib.request.HTTPSHandler(), _HttpOnlyRedirects(),
                    urllib.request.HTTPDefaultErrorHandler(),
                    urllib.request.HTTPErrorProcessor()):
        opener.add_handler(handler)
    opener.addheaders = [("User-Agent", "wharf")]
    return opener


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    with contextlib.suppress(ValueError):
        return ipaddress.ip_address(host).is_loopback
    return False


def _status_error(url: str, exc: urllib.error.HTTPError) -> WharfError:
    try:
        body = exc.read(_ERROR_BODY).strip().decode("utf-8", "replace")
    except OSError:
        body = ""
    message = f"failed to GET {url} with status {exc.code} {exc.reason}: {body}"
    return _BY_STATUS.get(exc.code, RemoteFailure)(message)


def _save(response: IO[bytes], target: Path, url: str, max_bytes: int, deadline: float,
          report: Callable[[int], None] | None) -> None:
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
                 0o600)
    with os.fdopen(fd, "wb") as out:
        total = 0
        while chunk := response.read(_CHUNK):
            total += len(chunk)
            if total > max_bytes:
                raise InvalidParameter(f"{url}: more than the limit of {max_bytes} bytes")
            if time.monotonic() > deadline:
                raise RemoteFailure(f'Get "{url}": download timed out')
            out.write(chunk)
            if report is not None:
                report(total)
    os.chmod(target, 0o600)


def _last_modified(value: str | None) -> float:
    if not value:
        return 0.0
    try:
        return email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError):
        return 0.0
