"""CVE-2018-15664: a container swapping a path between a symlink to ``/`` and a directory while
``cp`` runs never makes the copy read or write the host's files (each copy resolves the path
inside the container's root, whatever it is at that moment)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.integration.archive.helpers import containers, unique, wharf
from tests.support.daemons import Daemon
from tests.support.scratch import scratch_dir

ROUNDS = 40


@pytest.fixture
def host_dir() -> Iterator[Path]:
    with scratch_dir("wharf-swap-") as path:
        (path / "secret").write_text("HOST")
        yield path


def test_copies_during_a_symlink_swap_stay_in_the_container(wharfd: Daemon,
                                                             host_dir: Path) -> None:
    swap = (f"mkdir -p {host_dir} && echo CONTAINER > {host_dir}/secret && mkdir /w && "
            f"i=0; while [ $i -lt 100000 ]; do i=$((i+1)); rm -rf /w/link; ln -s / /w/link; "
            f"rm -f /w/link; mkdir -p /w/link{host_dir}; echo DIR > /w/link{host_dir}/secret; "
            f"done")
    payload = host_dir.parent / f"{host_dir.name}-payload"
    payload.write_text("PAYLOAD")
    try:
        with containers(wharfd) as made:
            name = unique("cp-swap")
            made.append(name)
            wharf(wharfd, "run", "-d", "--name", name, "busybox", "sh", "-c", swap)
            seen = set()
            for attempt in range(ROUNDS):
                out = host_dir.parent / f"{host_dir.name}-out-{attempt}"
                res = wharf(wharfd, "cp", f"{name}:/w/link{host_dir}/secret", str(out),
                            check=False)
                if res.returncode == 0:
                    seen.add(out.read_text().strip())
                    out.unlink()
                wharf(wharfd, "cp", str(payload), f"{name}:/w/link{host_dir}/", check=False)
            assert seen <= {"CONTAINER", "DIR", ""}, seen  # never "HOST" ("": mid-write)
            assert seen, "no copy succeeded: the swap test proved nothing"
            assert sorted(p.name for p in host_dir.iterdir()) == ["secret"]
            assert (host_dir / "secret").read_text() == "HOST"
    finally:
        payload.unlink(missing_ok=True)
