"""Port long syntax (mode kept, metadata refused), volumes merged by target across files,
nested defaults in interpolation."""

from pathlib import Path

import pytest

from wharf.compose.errors import ComposeError
from wharf.compose.interpolate import interpolate
from wharf.compose.loader import load
from wharf.compose.model import build_project, from_loaded
from wharf.compose.model_ports import PortSpec
from wharf.compose.yamlload import load_yaml


def _service_ports(text: str) -> list[PortSpec]:
    return build_project("p", load_yaml(text)).services["a"].ports


def test_port_mode_kept() -> None:
    ports = _service_ports("services: {a: {image: x, ports: [{target: 80, mode: host}, 81]}}")
    assert ports == [PortSpec(80, "tcp", "", "", "host"), PortSpec(81, "tcp", "", "", "ingress")]


@pytest.mark.parametrize("key", ["name", "app_protocol"])
def test_port_metadata_refused_by_name(key: str) -> None:
    with pytest.raises(ComposeError, match=rf"services\.a\.ports\.0\.{key}: not supported"):
        _service_ports(f"services: {{a: {{image: x, ports: [{{target: 80, {key}: web}}]}}}}")


def test_volumes_replaced_by_target_across_files(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(
        "services: {s: {image: x, volumes: ['one:/data', '/keep', './a:/b:ro']}}\n"
        "volumes: {one: {}, two: {}}\n")
    (tmp_path / "b.yaml").write_text(
        "services: {s: {volumes: ['two:/data', {type: bind, source: /c, target: /b}]}}\n")
    project = from_loaded(load([tmp_path / "a.yaml", tmp_path / "b.yaml"], "p", {}))
    mounts = {m.target: (m.type, m.source) for m in project.services["s"].volumes}
    assert mounts == {"/keep": ("volume", ""), "/data": ("volume", "two"),
                      "/b": ("bind", "/c")}
    assert len(project.services["s"].volumes) == 3


def test_nested_default_braces() -> None:
    # as compose-go: only "${" opens a nesting level, so the first "}" closes the variable
    assert interpolate("${A:-{x}}", {}) == "{x}"
    assert interpolate("${A:-{x}}", {"A": "v"}) == "v}"
    assert interpolate("${A:-${B:-y}}", {}) == "y"
    assert interpolate("${A:-${B}}", {"B": "b"}) == "b"


def test_ipam_and_pids_in_model() -> None:
    project = build_project("p", load_yaml(
        "services: {a: {image: x, deploy: {resources: {limits: {pids: 5}}}}}\n"
        "networks: {n: {ipam: {driver: default, config: [{subnet: 10.1.0.0/24}]}}}\n"))
    assert project.services["a"].limits.pids == 5
    ipam = project.networks["n"].ipam
    assert ipam is not None and ipam.config[0].subnet == "10.1.0.0/24"
    with pytest.raises(ComposeError, match=r"networks\.n\.ipam\.config\.0\.nope: not supported"):
        build_project("p", load_yaml("networks: {n: {ipam: {config: [{nope: 1}]}}}"))


def test_scale_field() -> None:
    assert build_project("p", load_yaml("services: {a: {image: x, scale: 2}}")).services[
        "a"].scale == 2
    with pytest.raises(ComposeError, match=r"services\.a\.scale: must be at least 0"):
        build_project("p", load_yaml("services: {a: {image: x, scale: -1}}"))


def test_deploy_replicas_and_pull_policy() -> None:
    svc = build_project("p", load_yaml(
        "services: {a: {image: x, deploy: {replicas: 3}, pull_policy: if_not_present}}"
    )).services["a"]
    assert (svc.scale, svc.pull_policy) == (3, "missing")
    with pytest.raises(ComposeError, match=r"can't set distinct values on 'scale' and "
                                           r"'deploy\.replicas'"):
        build_project("p", load_yaml("services: {a: {image: x, scale: 1, "
                                     "deploy: {replicas: 2}}}"))
    with pytest.raises(ComposeError, match=r"services\.a\.pull_policy: pull_policy 'daily' is "
                                           "not supported"):
        build_project("p", load_yaml("services: {a: {image: x, pull_policy: daily}}"))
