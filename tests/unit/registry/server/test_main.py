"""The command line: address parsing and refusals at start."""

from __future__ import annotations

from pathlib import Path

import pytest

from wharf.registry.server.main import main, parse_addr


def test_parse_addr() -> None:
    assert parse_addr("127.0.0.1:5000") == ("127.0.0.1", 5000)
    assert parse_addr("[::1]:0") == ("::1", 0)
    for bad in ("127.0.0.1", ":5000", "host:port", "h:70000", ""):
        with pytest.raises(ValueError):
            parse_addr(bad)


def test_bad_arguments_exit_2_with_a_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--addr", "nowhere", "--root", str(tmp_path)]) == 2
    assert "invalid address" in capsys.readouterr().err
    (tmp_path / "pw").write_text("u:plain\n")
    assert (
        main(["--addr", "127.0.0.1:0", "--root", str(tmp_path), "--htpasswd", str(tmp_path / "pw")])
        == 2
    )
    assert "bcrypt" in capsys.readouterr().err
