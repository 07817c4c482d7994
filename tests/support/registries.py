"""Real registries for interoperability tests, each on 127.0.0.1 with a random port and a temp root.

- ``cncf_registry(tmp, auth, tls=)``: Debian's ``/usr/bin/docker-registry`` (CNCF
  distribution 2.8) with ``auth`` one of ``"none"``, ``"htpasswd"`` (a bcrypt htpasswd file)
  or ``"token"`` (``auth: token`` against a ``TokenIssuer`` the test runs,
  ``tests/support/token_issuer.py``; ``Registry.issuer``), over HTTPS with ``tls``.
- ``wharf_registry(tmp, htpasswd)``: wharf's own, ``python -m wharf.registry.server --addr
  --root [--htpasswd]`` (the brief's shared decision 6).
- ``skopeo(...)`` and ``skopeo_copy(...)``: skopeo with a private policy and auth file, plain
  HTTP to these registries.

Every process is stopped (SIGTERM, then SIGKILL) and its port freed when the ``with`` ends,
even on failure. ``Registry.request`` talks to a registry directly (basic or bearer as its auth
needs), for tests that look at what a registry holds.
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import json
import os
import shutil
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import bcrypt

from tests.support.net import free_port
from tests.support.token_issuer import ISSUER, SERVICE, TokenIssuer

REGISTRY_BIN = "/usr/bin/docker-registry"
SKOPEO = shutil.which("skopeo") or "/usr/bin/skopeo"
USER, PASSWORD = "wharf-tester", "s3cret-pass"


@dataclass
class Registry:
    kind: str                       # "cncf" or "wharf"
    auth: str                       # "none", "htpasswd" or "token"
    host: str                       # "127.0.0.1:PORT"
    root: Path
    proc: subprocess.Popen[bytes]
    log_path: Path
    issuer: TokenIssuer | None = None
    username: str | None = None
    password: str | None = None
    tokens: dict[str, str] = field(default_factory=dict)
    tls: bool = False               # HTTPS (with a certificate the caller made)

    @property
    def creds(self) -> str | None:
        """``user:password`` for skopeo's ``--creds``, or None without auth."""
        return f"{self.username}:{self.password}" if self.username else None

    def log_tail(self, size: int = 4000) -> str:
        with contextlib.suppress(OSError):
            return self.log_path.read_text(errors="replace")[-size:]
        return ""

    def blob_data_path(self, digest: str) -> Path:
        """Where the CNCF registry's filesystem driver keeps a blob's bytes."""
        assert self.kind == "cncf", "only the CNCF registry's layout is known here"
        hex_ = digest.removeprefix("sha256:")
        return self.root / "docker/registry/v2/blobs/sha256" / hex_[:2] / hex_ / "data"

    def _auth_header(self, scope: str | None) -> dict[str, str]:
        if self.auth == "htpasswd":
            pair = base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
            return {"Authorization": f"Basic {pair}"}
        if self.auth == "token" and scope is not None and self.issuer is not None:
            if scope not in self.tokens:
                self.tokens[scope] = str(self.issuer.issue("test", self.username, [scope],
                                                           False)["token"])
            return {"Authorization": f"Bearer {self.tokens[scope]}"}
        return {}

    def request(self, method: str, path: str, *, headers: dict[str, str] | None = None,
                body: bytes | None = None, scope: str | None = None, anonymous: bool = False,
                ) -> tuple[int, dict[str, str], bytes]:
        """One HTTP request to the registry, authenticated (``scope`` for token auth) unless
        ``anonymous``."""
        conn = http.client.HTTPSConnection(self.host, timeout=30, context=unverified_tls()) \
            if self.tls else http.client.HTTPConnection(self.host, timeout=30)
        try:
            auth = {} if anonymous else self._auth_header(scope)
            conn.request(method, path, body=body, headers={**auth, **(headers or {})})
            resp = conn.getresponse()
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
        finally:
            conn.close()

    def manifest(self, repo: str, ref: str) -> tuple[str, bytes]:
        """(Docker-Content-Digest, bytes) of a manifest, as the registry serves it."""
        accept = ", ".join(["application/vnd.oci.image.manifest.v1+json",
                            "application/vnd.oci.image.index.v1+json",
                            "application/vnd.docker.distribution.manifest.v2+json",
                            "application/vnd.docker.distribution.manifest.list.v2+json"])
        status, headers, body = self.request("GET", f"/v2/{repo}/manifests/{ref}",
                                             headers={"Accept": accept},
                                             scope=f"repository:{repo}:pull")
        assert status == 200, (status, body[:300])
        return headers.get("docker-content-digest", ""), body

    def tags(self, repo: str) -> list[str]:
        status, _, body = self.request("GET", f"/v2/{repo}/tags/list",
                                       scope=f"repository:{repo}:pull")
        if status == 404:
            return []
        assert status == 200, (status, body[:300])
        return list(json.loads(body).get("tags") or [])


def unverified_tls() -> ssl.SSLContext:
    """For the harness's own requests to a TLS registry (the tests verify what they test)."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def write_htpasswd(path: Path, users: dict[str, str]) -> Path:
    lines = [f"{user}:{bcrypt.hashpw(pw.encode(), bcrypt.gensalt(rounds=5)).decode()}"
             for user, pw in users.items()]
    path.write_text("\n".join(lines) + "\n")
    path.chmod(0o600)
    return path


def cncf_config(root: Path, host: str, auth: dict[str, object],
                tls: tuple[Path, Path] | None = None) -> str:
    http_section: dict[str, object] = {"addr": host, "secret": os.urandom(16).hex()}
    if tls is not None:
        http_section["tls"] = {"certificate": str(tls[1]), "key": str(tls[0])}
    config: dict[str, object] = {
        "version": 0.1,
        "log": {"level": "info", "accesslog": {"disabled": False}},
        "storage": {"filesystem": {"rootdirectory": str(root / "data")},
                    "delete": {"enabled": True},
                    "maintenance": {"uploadpurging": {"enabled": False}}},
        "http": http_section,
    }
    if auth:
        config["auth"] = auth
    return json.dumps(config, indent=1)  # JSON is YAML


def wait_until_serving(registry: Registry, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if registry.proc.poll() is not None:
            raise RuntimeError(f"registry exited early:\n{registry.log_tail()}")
        with contextlib.suppress(OSError):
            if registry.request("GET", "/v2/")[0] in (200, 401):
                return
        time.sleep(0.05)
    raise RuntimeError(f"registry did not answer in {timeout}s:\n{registry.log_tail()}")


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextlib.contextmanager
def running(registry: Registry) -> Iterator[Registry]:
    try:
        wait_until_serving(registry)
        yield registry
    finally:
        stop(registry.proc)


@contextlib.contextmanager
def cncf_registry(tmp: Path, auth: str = "none", *, tls: tuple[Path, Path] | None = None,
                  ) -> Iterator[Registry]:
    """The CNCF registry on ``tmp`` (created), with ``auth`` none, htpasswd or token, over
    HTTPS when ``tls`` (its key and certificate) is given."""
    if not os.access(REGISTRY_BIN, os.X_OK):
        raise RuntimeError(f"{REGISTRY_BIN} is missing (apt-get install docker-registry)")
    tmp.mkdir(parents=True, exist_ok=True)
    host = f"127.0.0.1:{free_port()}"
    with contextlib.ExitStack() as stack:
        issuer: TokenIssuer | None = None
        auth_config: dict[str, object] = {}
        creds: tuple[str | None, str | None] = (None, None)
        if auth == "htpasswd":
            path = write_htpasswd(tmp / "htpasswd", {USER: PASSWORD})
            auth_config = {"htpasswd": {"realm": "wharf-test", "path": str(path)}}
            creds = (USER, PASSWORD)
        elif auth == "token":
            issuer = TokenIssuer(tmp, {USER: PASSWORD})
            issuer.start()
            stack.callback(issuer.stop)
            auth_config = {"token": {"realm": issuer.realm, "service": SERVICE,
                                     "issuer": ISSUER, "rootcertbundle": str(issuer.cert)}}
            creds = (USER, PASSWORD)
        elif auth != "none":
            raise ValueError(f"unknown auth mode {auth!r}")
        (tmp / "config.yml").write_text(cncf_config(tmp, host, auth_config, tls))
        log = tmp / "registry.log"
        with log.open("wb") as out:
            proc = subprocess.Popen([REGISTRY_BIN, "serve", str(tmp / "config.yml")],
                                    stdout=out, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL)
        registry = Registry("cncf", auth, host, tmp / "data", proc, log, issuer, *creds,
                            tls=tls is not None)
        yield stack.enter_context(running(registry))


@contextlib.contextmanager
def wharf_registry(tmp: Path, htpasswd: bool = False) -> Iterator[Registry]:
    """wharf's registry (``python -m wharf.registry.server``) on ``tmp``."""
    tmp.mkdir(parents=True, exist_ok=True)
    host = f"127.0.0.1:{free_port()}"
    args = [sys.executable, "-m", "wharf.registry.server", "--addr", host,
            "--root", str(tmp / "data")]
    creds: tuple[str | None, str | None] = (None, None)
    if htpasswd:
        args += ["--htpasswd", str(write_htpasswd(tmp / "htpasswd", {USER: PASSWORD}))]
        creds = (USER, PASSWORD)
    log = tmp / "registry.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)
    registry = Registry("wharf", "htpasswd" if htpasswd else "none", host, tmp / "data", proc,
                        log, None, *creds)
    with running(registry):
        yield registry


def skopeo(tmp: Path, *args: str, timeout: float = 300,
           check: bool = True) -> subprocess.CompletedProcess[bytes]:
    """skopeo with a policy that accepts anything and a private, empty auth file."""
    policy = tmp / "skopeo-policy.json"
    if not policy.exists():
        tmp.mkdir(parents=True, exist_ok=True)
        policy.write_text('{"default": [{"type": "insecureAcceptAnything"}]}')
        (tmp / "skopeo-auth.json").write_text('{"auths": {}}')
    env = dict(os.environ, REGISTRY_AUTH_FILE=str(tmp / "skopeo-auth.json"))
    res = subprocess.run([SKOPEO, "--policy", str(policy), *args], env=env,
                         capture_output=True, timeout=timeout)
    if check and res.returncode != 0:
        raise AssertionError(f"skopeo {' '.join(args)} -> {res.returncode}: "
                             f"{res.stderr.decode(errors='replace')[-2000:]}")
    return res


def skopeo_copy(tmp: Path, src: str, dest: str, *, src_creds: str | None = None,
                dest_creds: str | None = None, extra: tuple[str, ...] = ()) -> None:
    """``skopeo copy`` between transports; registries are reached over plain HTTP."""
    args = ["copy", "--src-tls-verify=false", "--dest-tls-verify=false", *extra]
    if src_creds:
        args += ["--src-creds", src_creds]
    if dest_creds:
        args += ["--dest-creds", dest_creds]
    skopeo(tmp, *args, src, dest)


def skopeo_inspect(tmp: Path, name: str, *, creds: str | None = None,
                   raw: bool = False) -> bytes:
    args = ["inspect", "--tls-verify=false"]
    if creds:
        args += ["--creds", creds]
    if raw:
        args.append("--raw")
    return skopeo(tmp, *args, name).stdout


def registry_ref(registry: Registry, repo: str, tag: str = "latest") -> str:
    return f"{registry.host}/{repo}:{tag}"


def push_with_skopeo(tmp: Path, registry: Registry, source: str, repo: str,
                     tag: str = "latest") -> str:
    """Copy ``source`` (e.g. ``GeneratedImage.oci_ref``) to ``repo:tag`` on ``registry``;
    returns the pushed reference (``host/repo:tag``)."""
    ref = registry_ref(registry, repo, tag)
    skopeo_copy(tmp, source, f"docker://{ref}", dest_creds=registry.creds)
    return ref
