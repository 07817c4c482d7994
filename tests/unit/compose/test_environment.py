from pathlib import Path

import pytest

from wharf.compose.environment import as_env_list, resolve_environment
from wharf.compose.errors import ComposeError
from wharf.compose.model_service import EnvFile, Service


def test_env_files_then_environment_and_lookups(tmp_path: Path) -> None:
    (tmp_path / "a.env").write_text("A=file\nB=file\nC=${HOST_VAR}\n")
    svc = Service(
        "web",
        image="x",
        env_file=[EnvFile(str(tmp_path / "a.env")), EnvFile(str(tmp_path / "no.env"), False)],
        environment={"B": "env", "D": None, "E": None},
    )
    got = resolve_environment(svc, {"HOST_VAR": "h", "D": "fromhost"})
    assert got == {"A": "file", "B": "env", "C": "h", "D": "fromhost"}
    assert as_env_list(got) == ["A=file", "B=env", "C=h", "D=fromhost"]


def test_missing_required_env_file_names_service(tmp_path: Path) -> None:
    svc = Service("web", image="x", env_file=[EnvFile(str(tmp_path / "gone.env"))])
    with pytest.raises(ComposeError, match=r"services\.web\.env_file: env file .*gone\.env"):
        resolve_environment(svc, {})
