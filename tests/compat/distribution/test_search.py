"""``docker search`` through an engine against wharf's registry (its ``/v1/search``): the
CNCF registry has no search API, so wharf's registry is the peer here, and dockerd the
reference client side."""

from __future__ import annotations

import uuid
from pathlib import Path

from tests.compat.distribution.conftest import docker
from tests.support.daemons import Daemon
from tests.support.imagegen import GeneratedImage
from tests.support.registries import Registry, push_with_skopeo


def test_search_finds_pushed_repositories_and_filters(engine: Daemon, docker_config: Path,
                                                      tmp_path: Path, wharf_reg: Registry,
                                                      image: GeneratedImage) -> None:
    word = uuid.uuid4().hex[:8]
    for name in (f"search/alpha{word}", f"search/alpha{word}-two", f"search/beta{word}"):
        push_with_skopeo(tmp_path, wharf_reg, image.oci_ref, name)
    names = docker(engine, docker_config, "search", "--format", "{{.Name}}",
                   f"{wharf_reg.host}/alpha{word}").stdout.decode().split()
    assert sorted(n.rsplit("/", 1)[-1] for n in names) == [f"alpha{word}", f"alpha{word}-two"]
    limited = docker(engine, docker_config, "search", "--limit", "1", "--format", "{{.Name}}",
                     f"{wharf_reg.host}/alpha{word}").stdout.decode().split()
    assert len(limited) == 1
    starred = docker(engine, docker_config, "search", "--filter", "stars=1", "--format",
                     "{{.Name}}", f"{wharf_reg.host}/alpha{word}").stdout.decode().split()
    assert starred == []  # a new repository has no stars
    table = docker(engine, docker_config, "search", f"{wharf_reg.host}/beta{word}")
    header, *rows = table.stdout.decode().splitlines()
    assert header.split()[:3] == ["NAME", "DESCRIPTION", "STARS"]
    assert len(rows) == 1 and f"beta{word}" in rows[0]
