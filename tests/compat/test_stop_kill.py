"""kill and stop answer only once the container has exited and its state is saved, as on
dockerd: ``kill`` then ``rm``, ``stop`` then ``inspect`` and ``docker stop X && docker rm X``
never race (each loop is bounded: 20 rounds)."""

from __future__ import annotations

import subprocess
import uuid

import docker
import pytest

from tests.support.daemons import DOCKER_CLI, Daemon

ROUNDS = 20


def started(api: docker.APIClient, command: list[str]) -> str:
    container_id = str(api.create_container("busybox", command)["Id"])
    api.start(container_id)
    return container_id


def test_kill_then_remove_never_conflicts(api: docker.APIClient) -> None:
    for _ in range(ROUNDS):
        container_id = started(api, ["sleep", "60"])
        try:
            api.kill(container_id)
            api.remove_container(container_id)  # 409 if the exit were not recorded yet
        except BaseException:
            api.remove_container(container_id, force=True)
            raise


def test_stop_then_inspect_is_never_running(api: docker.APIClient) -> None:
    for _ in range(ROUNDS):
        container_id = started(api, ["sleep", "60"])  # pid 1 ignores SIGTERM: SIGKILL after 0s
        try:
            api.stop(container_id, timeout=0)
            state = api.inspect_container(container_id)["State"]
            assert (state["Running"], state["Status"], state["ExitCode"]) == (False, "exited", 137)
        finally:
            api.remove_container(container_id, force=True)


def test_kill_with_a_signal_returns_once_delivered(api: docker.APIClient) -> None:
    container_id = started(api, ["sh", "-c", "trap 'echo got-usr1' USR1; "
                                             "while true; do sleep 0.1; done"])
    try:
        api.kill(container_id, "SIGUSR1")
        assert api.inspect_container(container_id)["State"]["Running"] is True
    finally:
        api.remove_container(container_id, force=True)


@pytest.mark.parametrize("verb", ["stop -t 0", "kill"])
def test_cli_stop_or_kill_and_rm_in_a_script_never_race(wharfd: Daemon, verb: str) -> None:
    name = f"stoprm-{uuid.uuid4().hex[:8]}"
    script = (f'for i in $(seq {ROUNDS}); do '
              f'{DOCKER_CLI} run -d --name {name} busybox sleep 60 >/dev/null || exit 1; '
              f'{DOCKER_CLI} {verb} {name} >/dev/null && {DOCKER_CLI} rm {name} >/dev/null '
              f'|| exit 2; done')
    try:
        res = subprocess.run(["sh", "-c", script], env=wharfd.docker_env(), capture_output=True,
                             timeout=300)
        assert res.returncode == 0, res.stderr
    finally:
        wharfd.docker("rm", "-f", name, check=False)
