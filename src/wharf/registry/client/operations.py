"""The distribution API calls on one repository at one endpoint."""

from __future__ import annotations

import contextlib
import json
import re
from typing import IO
from urllib.parse import urlencode, urljoin

from wharf.core.digest import Digest
from wharf.core.errors import InvalidParameter, NotFound, RemoteFailure, WharfError
from wharf.core.oci import Descriptor
from wharf.core.reference import DEFAULT_TAG, Reference
from wharf.registry.client.blobs import BlobStream, stream_from_response
from wharf.registry.client.endpoints import Endpoint
from wharf.registry.client.errors import error_details, error_for_response, registry_error_text
from wharf.registry.client.manifests import (
    ACCEPT_MANIFESTS,
    MAX_MANIFEST_SIZE,
    FetchedManifest,
    manifest_media_type,
    verify_manifest,
)
from wharf.registry.client.session import AuthContext, Session
from wharf.registry.client.transport import SMALL_BODY, Response, finish, read_body
from wharf.registry.client.uploads import (
    Progress,
    UploadTarget,
    check,
    location_of,
    upload_chunked,
    upload_monolithic,
)

__all__ = ["RepoOps"]

MAX_TAG_PAGES = 1000
TAGS_PAGE_SIZE = 1000
MAX_TAGS_BODY = 16 * 1024 * 1024
_LINK_NEXT_RE = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')
_DENIED_CODES = {"UNAUTHORIZED", "DENIED", "NAME_UNKNOWN"}


def pull_error(ref: Reference, shown: str, response: Response) -> WharfError:
    """Docker's pull errors: access denied / repository unknown, or manifest not found."""
    body = read_body(response, SMALL_BODY, "error response")
    text = registry_error_text(response.status, response.reason or "", body)
    codes = {detail.code for detail in error_details(body)}
    if response.status in (401, 403) or codes & _DENIED_CODES:
        return NotFound(
            f"pull access denied for {ref.familiar_name}, repository does not exist or may "
            f"require 'docker login': {text}"
        )
    if response.status == 404:
        return NotFound(f"manifest for {shown} not found: {text}")
    return error_for_response(response.status, response.reason or "", body)


def _announced_digest(header: str) -> Digest | None:
    """The ``Docker-Content-Digest`` a registry sent, when it is a sha256 one."""
    if not header.startswith("sha256:"):
        return None
    try:
        return Digest.parse(header)
    except InvalidParameter as error:
        raise RemoteFailure(f"registry sent a malformed digest: {header!r}") from error


def _page_tags(body: bytes) -> list[str]:
    try:
        data = json.loads(body)
    except ValueError as error:
        raise RemoteFailure(f"malformed tag list: {error}") from error
    found = data.get("tags") if isinstance(data, dict) else None
    return [tag for tag in (found or []) if isinstance(tag, str)]


class RepoOps:
    """Calls on ``ref``'s repository through ``endpoint``."""

    def __init__(
        self,
        session: Session,
        endpoint: Endpoint,
        ref: Reference,
        auth: AuthContext,
    ) -> None:
        self.session = session
        self.endpoint = endpoint
        self.ref = ref
        self.auth = auth

    @staticmethod
    def ping(session: Session, endpoint: Endpoint, auth: AuthContext) -> Endpoint:
        response = session.request(endpoint, "GET", endpoint.url("/v2/"), auth)
        body = read_body(response, SMALL_BODY, "ping response")
        if response.status in (200, 401):
            return endpoint
        text = registry_error_text(response.status, response.reason or "", body)
        raise RemoteFailure(f'Get "{endpoint.url("/v2/")}": {text}')

    def _url(self, suffix: str) -> str:
        return self.endpoint.url(f"/v2/{self.ref.path}/{suffix}")

    def _send(self, method: str, url: str, headers: dict[str, str] | None = None) -> Response:
        return self.session.request(self.endpoint, method, url, self.auth, headers=headers)

    def get_manifest(self, digest: Digest | None) -> FetchedManifest:
        wanted = digest or (Digest.parse(self.ref.digest) if self.ref.digest else None)
        target = str(wanted) if wanted else (self.ref.tag or DEFAULT_TAG)
        shown = self.ref.familiar_name + (f"@{target}" if wanted else f":{target}")
        response = self._send("GET", self._url(f"manifests/{target}"), {"Accept": ACCEPT_MANIFESTS})
        if response.status != 200:
            raise pull_error(self.ref, shown, response)
        data = read_body(response, MAX_MANIFEST_SIZE, f"manifest {shown}")
        media_type = manifest_media_type(response.headers.get("Content-Type", ""), data, shown)
        if wanted is None:
            wanted = _announced_digest(response.headers.get("Docker-Content-Digest", ""))
        return FetchedManifest(verify_manifest(data, wanted), media_type, data)

    def head_manifest(self) -> Descriptor | None:
        """``HEAD`` the manifest ``ref`` names: its descriptor, None when it is not there."""
        target = self.ref.digest or self.ref.tag or DEFAULT_TAG
        url = self._url(f"manifests/{target}")
        response = self._send("HEAD", url, {"Accept": ACCEPT_MANIFESTS})
        finish(response)
        if response.status == 404:
            return None
        if response.status != 200:
            raise error_for_response(response.status, response.reason or "", b"")
        digest = _announced_digest(response.headers.get("Docker-Content-Digest", ""))
        length = response.headers.get("Content-Length", "")
        media_type = response.headers.get("Content-Type", "").split(";", 1)[0].strip()
        if digest is None or not length.isdigit():
            fetched = self.get_manifest(None)
            return fetched.descriptor()
        return Descriptor(media_type, digest, int(length))

    def get_small_blob(self, digest: Digest, limit: int) -> bytes:
        response = self._send("GET", self._url(f"blobs/{digest}"))
        if response.status != 200:
            body = read_body(response, SMALL_BODY, "error response")
            raise error_for_response(response.status, response.reason or "", body)
        data = read_body(response, limit, f"blob {digest}")
        if Digest.from_bytes(data) != digest:
            raise RemoteFailure(f"digest mismatch for blob {digest}")
        return data

    def open_blob(self, digest: Digest, offset: int, size: int | None) -> BlobStream:
        url = self._url(f"blobs/{digest}")
        if offset > 0 and (size is None or offset < size):
            response = self._send("GET", url, {"Range": f"bytes={offset}-"})
            if response.status in (200, 206):
                stream = stream_from_response(response, digest, offset, size, url)
                if stream is not None:
                    return stream
            else:
                read_body(response, SMALL_BODY, "error response")
                if response.status != 416:
                    raise error_for_response(response.status, response.reason or "", b"")
        response = self._send("GET", url)
        if response.status != 200:
            body = read_body(response, SMALL_BODY, "error response")
            raise error_for_response(response.status, response.reason or "", body)
        stream = stream_from_response(response, digest, 0, size, url)
        assert stream is not None  # a 200 is always the whole blob
        return stream

    def list_tags(self) -> list[str]:
        url = self._url("tags/list?" + urlencode({"n": TAGS_PAGE_SIZE}))
        tags: list[str] = []
        for _ in range(MAX_TAG_PAGES):
            response = self._send("GET", url)
            if response.status != 200:
                raise pull_error(self.ref, self.ref.familiar_name, response)
            tags += _page_tags(read_body(response, MAX_TAGS_BODY, "tag list"))
            link = _LINK_NEXT_RE.search(response.headers.get("Link", ""))
            if link is None:
                return tags
            url = urljoin(url, link.group(1))
        raise RemoteFailure(
            f"tag list of {self.ref.familiar_name} has more than {MAX_TAG_PAGES} pages"
        )

    def head_blob(self, digest: Digest) -> int | None:
        response = self._send("HEAD", self._url(f"blobs/{digest}"))
        finish(response)
        if response.status == 404:
            return None
        if response.status != 200:
            raise error_for_response(response.status, response.reason or "", b"")
        length = response.headers.get("Content-Length", "")
        return int(length) if length.isdigit() else 0

    def mount_blob(self, digest: Digest, from_path: str) -> bool:
        query = urlencode({"mount": str(digest), "from": from_path})
        url = self._url(f"blobs/uploads/?{query}")
        response = check(
            self.session.request(
                self.endpoint, "POST", url, self.auth, headers={"Content-Length": "0"}, body=b""
            ),
            201,
            202,
        )
        finish(response)
        if response.status == 201:
            return True
        self._cancel(location_of(response, url))
        return False

    def _cancel(self, location: str) -> None:
        # an abandoned upload session expires on the registry by itself
        with contextlib.suppress(WharfError):
            finish(self._send("DELETE", location))

    def upload(
        self,
        digest: Digest,
        size: int,
        source: IO[bytes],
        chunk: int | None,
        progress: Progress | None,
    ) -> None:
        target = UploadTarget(self.session, self.endpoint, self.ref.path, self.auth)
        if chunk is None or size <= chunk:
            upload_monolithic(target, digest, size, source, progress)
        else:
            upload_chunked(target, digest, size, source, chunk, progress)

    def put_manifest(self, target: str, media_type: str, data: bytes) -> Digest:
        digest = Digest.from_bytes(data)
        headers = {"Content-Type": media_type}
        response = self.session.request(
            self.endpoint,
            "PUT",
            self._url(f"manifests/{target}"),
            self.auth,
            headers=headers,
            body=data,
        )
        finish(check(response, 201, 200, 204))
        answered = response.headers.get("Docker-Content-Digest", "")
        if answered and answered != str(digest):
            raise RemoteFailure(f"registry stored manifest as {answered}, expected {digest}")
        return digest
