"""skopeo (containers/image's registry client) copies images into wharf's registry and out
again, byte for byte, over plain HTTP on 127.0.0.1."""

from __future__ import annotations

import hashlib
import json
import signal
import subprocess
from pathlib import Path

from tests.integration.registry_server.served import Served, serve, skopeo
from tests.support.oci_layout import oci_layout, seeded_layers
from tests.support.registries import write_htpasswd

MIB = 1 << 20


def _ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def _push(tmp: Path, served: Served, layout: Path, target: str, *creds: str) -> None:
    _ok(
        skopeo(
            tmp,
            "copy",
            "--dest-tls-verify=false",
            *creds,
            f"oci:{layout}:latest",
            f"docker://{served.addr}/{target}",
        )
    )


def _inspect_result(
    tmp: Path, served: Served, target: str, *extra: str
) -> subprocess.CompletedProcess[str]:
    return skopeo(tmp, "inspect", "--tls-verify=false", *extra, f"docker://{served.addr}/{target}")


def _inspect(tmp: Path, served: Served, target: str, *extra: str) -> dict[str, object]:
    return dict(json.loads(_ok(_inspect_result(tmp, served, target, *extra))))


def _fetch(tmp: Path, served: Served, source: str, dest: Path) -> None:
    """Copy ``source`` from the registry into the OCI layout ``dest``."""
    _ok(
        skopeo(
            tmp,
            "copy",
            "--src-tls-verify=false",
            f"docker://{served.addr}/{source}",
            f"oci:{dest}:latest",
        )
    )


def _manifest_digest(layout_dir: Path) -> str:
    return str(json.loads((layout_dir / "index.json").read_text())["manifests"][0]["digest"])


def _blob_hashes(layout_dir: Path) -> set[str]:
    return {
        "sha256:" + hashlib.sha256(p.read_bytes()).hexdigest()
        for p in (layout_dir / "blobs" / "sha256").iterdir()
    }


def test_skopeo_round_trip_is_byte_identical(tmp_path: Path) -> None:
    layout = oci_layout(tmp_path / "src", seeded_layers(11, [3 * MIB, 64 * 1024, 12 * MIB]))
    manifest_digest = _manifest_digest(layout)
    with serve(tmp_path / "root", tmp_path / "registry.log") as served:
        _push(tmp_path, served, layout, "team/app:v1")
        inspected = _inspect(tmp_path, served, "team/app:v1")
        assert inspected["Digest"] == manifest_digest
        assert inspected["RepoTags"] == ["v1"]
        raw = _ok(_inspect_result(tmp_path, served, f"team/app@{manifest_digest}", "--raw"))
        assert hashlib.sha256(raw.encode()).hexdigest() == manifest_digest.split(":")[1]
        _fetch(tmp_path, served, "team/app:v1", tmp_path / "back")
        served.process.send_signal(signal.SIGINT)
        assert served.process.wait(15) == 0
    assert _manifest_digest(tmp_path / "back") == manifest_digest
    assert _blob_hashes(tmp_path / "back") == _blob_hashes(layout)
    # every stored blob is what its name says
    for blob in (tmp_path / "root" / "blobs" / "sha256").iterdir():
        assert hashlib.sha256(blob.read_bytes()).hexdigest() == blob.name


def test_skopeo_copy_between_repositories_and_list_tags(tmp_path: Path) -> None:
    layout = oci_layout(tmp_path / "src", seeded_layers(12, [256 * 1024, 1024]))
    manifest_digest = _manifest_digest(layout)
    with serve(tmp_path / "root", tmp_path / "registry.log") as served:
        _push(tmp_path, served, layout, "first/app:one")
        _ok(
            skopeo(
                tmp_path,
                "copy",
                "--src-tls-verify=false",
                "--dest-tls-verify=false",
                f"docker://{served.addr}/first/app:one",
                f"docker://{served.addr}/second/app:two",
            )
        )
        _push(tmp_path, served, layout, "first/app:three")
        tags = json.loads(
            _ok(
                skopeo(
                    tmp_path, "list-tags", "--tls-verify=false", f"docker://{served.addr}/first/app"
                )
            )
        )
        assert tags["Tags"] == ["one", "three"]
        inspected = _inspect(tmp_path, served, "second/app:two")
        assert inspected["Digest"] == manifest_digest
        log = served.log_text()
        mounts = [
            line for line in log.splitlines() if "POST /v2/second/app/blobs/uploads/?" in line
        ]
        assert mounts, log
        assert all("from=first%2Fapp" in line and '" 201 ' in line for line in mounts)
        _ok(
            skopeo(
                tmp_path,
                "delete",
                "--tls-verify=false",
                f"docker://{served.addr}/second/app@{manifest_digest}",
            )
        )
        gone = _inspect_result(tmp_path, served, "second/app:two")
        assert gone.returncode != 0
        assert "manifest unknown" in gone.stderr


def test_skopeo_with_htpasswd_credentials(tmp_path: Path) -> None:
    write_htpasswd(tmp_path / "htpasswd", {"tester": "pa55word"})
    layout = oci_layout(tmp_path / "src", seeded_layers(13, [4096]))
    manifest_digest = _manifest_digest(layout)
    with serve(tmp_path / "root", tmp_path / "log", htpasswd=tmp_path / "htpasswd") as served:
        refused = skopeo(
            tmp_path,
            "copy",
            "--dest-tls-verify=false",
            f"oci:{layout}:latest",
            f"docker://{served.addr}/private/app:v1",
        )
        assert refused.returncode != 0
        assert "authentication required" in refused.stderr or "unauthorized" in refused.stderr
        wrong = _inspect_result(tmp_path, served, "private/app:v1", "--creds", "tester:nope")
        assert wrong.returncode != 0
        _push(tmp_path, served, layout, "private/app:v1", "--dest-creds", "tester:pa55word")
        inspected = _inspect(tmp_path, served, "private/app:v1", "--creds", "tester:pa55word")
        assert inspected["Digest"] == manifest_digest


def test_content_survives_a_restart_and_sigterm_ends_the_server_cleanly(tmp_path: Path) -> None:
    layout = oci_layout(tmp_path / "src", seeded_layers(14, [100_000]))
    manifest_digest = _manifest_digest(layout)
    with serve(tmp_path / "root", tmp_path / "log1") as served:
        _push(tmp_path, served, layout, "keep/app:v1")
        assert served.stop() == 0
        assert "shutting down" in served.log_text()
        assert '"PUT /v2/keep/app/manifests/v1 HTTP/1.1" 201' in served.log_text()
    with serve(tmp_path / "root", tmp_path / "log2") as served:
        _fetch(tmp_path, served, "keep/app:v1", tmp_path / "back")
        served.process.send_signal(signal.SIGINT)
        assert served.process.wait(15) == 0
    assert _manifest_digest(tmp_path / "back") == manifest_digest
