"""wharfd flags + daemon.json merging, listeners, TLS refusal."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from wharf.daemon.config import ConfigError, TcpListener, UnixListener, load_config


def _file(tmp_path: Path, content: dict[str, object]) -> list[str]:
    path = tmp_path / "daemon.json"
    path.write_text(json.dumps(content))
    return ["--config-file", str(path)]


def test_defaults(tmp_path: Path) -> None:
    config = load_config(_file(tmp_path, {}))
    assert config.listeners == [UnixListener(Path("/run/wharf/wharf.sock"))]
    assert config.data_root == Path("/var/lib/wharf")
    assert config.live_restore is False  # Docker's default
    assert config.log_opts == {}
    assert config.default_runtime == "wharf"
    assert set(config.runtimes) >= {"wharf", "runc", "crun"}


def test_flags_and_file_merge(tmp_path: Path) -> None:
    args = _file(tmp_path, {"data-root": "/srv/w", "registry-mirrors": ["https://m"],
                            "runtimes": {"kata": {"path": "/bin/kata"}},
                            "live-restore": True})
    config = load_config([*args, "-H", "unix:///tmp/a.sock", "-H", "tcp://127.0.0.1:2375",
                          "--log-level", "debug"])
    assert config.listeners == [UnixListener(Path("/tmp/a.sock")),
                                TcpListener("127.0.0.1", 2375)]
    assert config.data_root == Path("/srv/w")
    assert config.registry_mirrors == ["https://m"]
    assert config.runtimes["kata"] == "/bin/kata"
    assert config.live_restore is True
    assert config.log_level == "debug"


def test_a_key_in_both_places_is_an_error(tmp_path: Path) -> None:
    args = _file(tmp_path, {"data-root": "/srv/w"})
    with pytest.raises(ConfigError, match="specified both as a flag and in the configuration"):
        load_config([*args, "--data-root", "/other"])


def test_unknown_file_key_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="don't match any configuration option: nope"):
        load_config(_file(tmp_path, {"nope": 1}))


def test_missing_explicit_config_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        load_config(["--config-file", str(tmp_path / "absent.json")])


def test_plain_tcp_off_loopback_needs_tls(tmp_path: Path) -> None:
    args = _file(tmp_path, {})
    with pytest.raises(ConfigError, match="without TLS"):
        load_config([*args, "-H", "tcp://0.0.0.0:2375"])
    with pytest.raises(ConfigError, match="without TLS"):
        load_config([*args, "-H", "tcp://:2375"])
    assert load_config([*args, "-H", "tcp://[::1]:2375"]).listeners == [TcpListener("::1", 2375)]


def test_tlsverify_needs_existing_files_and_allows_any_address(tmp_path: Path) -> None:
    args = _file(tmp_path, {})
    with pytest.raises(ConfigError, match="TLS files"):
        load_config([*args, "-H", "tcp://0.0.0.0:2376", "--tlsverify", "--tlscacert",
                     str(tmp_path / "ca.pem"), "--tlscert", str(tmp_path / "c.pem"),
                     "--tlskey", str(tmp_path / "k.pem")])
    for name in ("ca.pem", "c.pem", "k.pem"):
        (tmp_path / name).write_text("x")
    config = load_config([*args, "-H", "tcp://0.0.0.0:2376", "--tlsverify", "--tlscacert",
                          str(tmp_path / "ca.pem"), "--tlscert", str(tmp_path / "c.pem"),
                          "--tlskey", str(tmp_path / "k.pem")])
    assert config.tls is not None and config.tls.verify


def test_add_runtime_and_unknown_default(tmp_path: Path) -> None:
    args = _file(tmp_path, {})
    config = load_config([*args, "--add-runtime", "youki=/usr/bin/youki",
                          "--default-runtime", "youki"])
    assert config.runtimes["youki"] == "/usr/bin/youki" and config.default_runtime == "youki"
    with pytest.raises(ConfigError, match="not a known runtime"):
        load_config([*args, "--default-runtime", "kata"])
    with pytest.raises(ConfigError, match="expected name=path"):
        load_config([*args, "--add-runtime", "broken"])


def test_invalid_host(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="invalid bind address"):
        load_config([*_file(tmp_path, {}), "-H", "ftp://x"])


def _tls_args(tmp_path: Path, *, verify: bool, ca: bool = True) -> list[str]:
    for name in ("ca.pem", "c.pem", "k.pem"):
        (tmp_path / name).write_text("x")
    args = ["--tlsverify" if verify else "--tls", "--tlscert", str(tmp_path / "c.pem"),
            "--tlskey", str(tmp_path / "k.pem")]
    return [*args, "--tlscacert", str(tmp_path / "ca.pem")] if ca else args


@pytest.mark.parametrize("host", ["tcp://0.0.0.0:2376", "tcp://:2376", "tcp://192.0.2.7:2376",
                                  "tcp://[::]:2376", "tcp://example.org:2376"])
def test_tls_without_client_verification_off_loopback_is_refused(
        tmp_path: Path, host: str) -> None:
    args = _file(tmp_path, {})
    with pytest.raises(ConfigError, match="without --tlsverify"):
        load_config([*args, "-H", host, *_tls_args(tmp_path, verify=False, ca=False)])
    with pytest.raises(ConfigError, match="without --tlsverify"):  # a CA alone verifies nothing
        load_config([*args, "-H", host, *_tls_args(tmp_path, verify=False, ca=True)])


def test_tls_without_client_verification_on_loopback_is_allowed(tmp_path: Path) -> None:
    args = _file(tmp_path, {})
    for host in ("tcp://127.0.0.1:2376", "tcp://localhost:2376", "tcp://[::1]:2376"):
        config = load_config([*args, "-H", host, *_tls_args(tmp_path, verify=False)])
        assert config.tls is not None and not config.tls.verify


def test_tls_settings_from_daemon_json_are_checked_the_same_way(tmp_path: Path) -> None:
    for name in ("ca.pem", "c.pem", "k.pem"):
        (tmp_path / name).write_text("x")
    settings = {"hosts": ["tcp://0.0.0.0:2376"], "tls": True,
                "tlscert": str(tmp_path / "c.pem"), "tlskey": str(tmp_path / "k.pem")}
    with pytest.raises(ConfigError, match="without --tlsverify"):
        load_config(_file(tmp_path, settings))
    settings.update(tlsverify=True, tlscacert=str(tmp_path / "ca.pem"))
    assert load_config(_file(tmp_path, settings)).tls is not None


def test_log_driver_json_file_is_accepted_and_others_refused(tmp_path: Path) -> None:
    config = load_config(_file(tmp_path, {"log-driver": "json-file",
                                          "log-opts": {"max-size": "10m", "max-file": "3"}}))
    assert config.log_opts == {"max-size": "10m", "max-file": "3"}
    assert load_config([*_file(tmp_path, {}), "--log-driver", "json-file"]).log_opts == {}
    with pytest.raises(ConfigError, match="log driver 'journald' is not supported yet"):
        load_config(_file(tmp_path, {"log-driver": "journald"}))


def test_log_opts_from_flags_and_file(tmp_path: Path) -> None:
    config = load_config([*_file(tmp_path, {}), "--log-opt", "max-size=1m",
                          "--log-opt", "max-file=3"])
    assert config.log_opts == {"max-size": "1m", "max-file": "3"}
    config = load_config(_file(tmp_path, {"log-opts": {"max-size": "10k"}}))
    assert config.log_opts == {"max-size": "10k"}


@pytest.mark.parametrize("opt, message", [
    ("max-size=lots", "invalid size"), ("max-file=0", "less than 1"),
    ("max-file=x", "invalid max-file"), ("compress=true", "unknown log opt 'compress'"),
    ("max-size", "expected key=value"),
])
def test_bad_log_opts_are_refused(tmp_path: Path, opt: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config([*_file(tmp_path, {}), "--log-opt", opt])
