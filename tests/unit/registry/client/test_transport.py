"""Transport details: failure texts as Docker's, TLS trust from a certs.d directory."""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any, cast

from tests.support.tls import make_tls_files
from urllib3.exceptions import NameResolutionError, NewConnectionError, ReadTimeoutError

from wharf.registry.client.endpoints import Endpoint
from wharf.registry.client.transport import _ssl_context, describe_failure


def test_failure_texts() -> None:
    url = "http://127.0.0.1:1/v2/"
    refused = NewConnectionError(
        cast(Any, None), "Failed to establish a new connection: [Errno 111] Connection refused"
    )
    assert describe_failure("GET", url, refused) == (
        'Get "http://127.0.0.1:1/v2/": dial tcp 127.0.0.1:1: connect: connection refused'
    )
    unknown = NameResolutionError("nowhere.invalid", None, OSError("no"))  # type: ignore[arg-type]
    assert describe_failure("HEAD", "https://nowhere.invalid/v2/", unknown) == (
        'Head "https://nowhere.invalid/v2/": dial tcp: lookup nowhere.invalid: no such host'
    )
    slow = ReadTimeoutError(None, url, "read timed out")  # type: ignore[arg-type]
    assert "timeout" in describe_failure("GET", url, slow)


def test_certs_d_ca_and_client_certificate_are_loaded(tmp_path: Path) -> None:
    host_dir = tmp_path / "reg.example:5000"
    host_dir.mkdir()
    tls = make_tls_files(tmp_path / "tls")
    (host_dir / "client.cert").write_bytes(tls.client_cert.read_bytes())
    (host_dir / "client.key").write_bytes(tls.client_key.read_bytes())
    (host_dir / "ca.crt").write_bytes(tls.ca.read_bytes())
    endpoint = Endpoint("https", "reg.example:5000")
    plain = _ssl_context(endpoint, tmp_path / "missing")
    loaded = _ssl_context(endpoint, tmp_path)
    assert loaded.verify_mode == ssl.CERT_REQUIRED
    assert loaded.cert_store_stats()["x509_ca"] == plain.cert_store_stats()["x509_ca"] + 1
    insecure = _ssl_context(Endpoint("https", "reg.example:5000", verify_tls=False), tmp_path)
    assert insecure.verify_mode == ssl.CERT_NONE
