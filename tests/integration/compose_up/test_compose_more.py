"""More of ``wharf compose`` against a real wharfd: build, dependency conditions, attached
``up``, ``--no-start``/``create``, external resources. Two tests need health checks and restart
policies wired in wharfd (issue 9's lane A): they are written to pass once that is merged."""

from __future__ import annotations

from tests.integration.compose_up.conftest import ComposeProject


def _state(project: ComposeProject, name: str) -> dict[str, object]:
    found: dict[str, object] = project.daemon.json("GET", f"/containers/{name}/json")  # type: ignore[assignment]
    return found


def test_build_up_and_rmi_local(project: ComposeProject) -> None:
    (project.directory / "app").mkdir()
    (project.directory / "app" / "Dockerfile.x").write_text(
        "FROM busybox:latest\nARG WORD\nRUN echo built-$WORD > /built\n")
    project.write("services:\n  app:\n    build: {context: ./app, dockerfile: Dockerfile.x, "
                  "args: {WORD: yes}}\n    command: [sleep, '3600']\n    stop_grace_period: 1s\n")
    project.compose("build")
    image = f"{project.name}-app"
    assert project.daemon.request("GET", f"/images/{image}/json")[0] == 200
    project.compose("up", "-d")
    shown = project.daemon.docker("exec", f"{project.name}-app-1", "cat", "/built")
    assert shown.stdout.decode().strip() == "built-yes"
    down = project.compose("down", "--rmi", "local", "-t", "1")
    assert f"Image {image}  Removed" in down.stderr
    assert project.daemon.request("GET", f"/images/{image}/json")[0] == 404


def test_service_completed_successfully(project: ComposeProject) -> None:
    project.write("""
services:
  init:
    image: busybox:latest
    command: [sh, -c, "echo ready > /shared/flag"]
    volumes: ["shared:/shared"]
  app:
    image: busybox:latest
    command: [sh, -c, "cat /shared/flag && sleep 3600"]
    volumes: ["shared:/shared"]
    stop_grace_period: 1s
    depends_on: {init: {condition: service_completed_successfully}}
volumes: {shared: {}}
""")
    project.compose("up", "-d")
    logs = project.daemon.docker("logs", f"{project.name}-app-1")
    assert logs.stdout.decode().strip() == "ready"
    project.compose("down", "-v", "-t", "1")
    project.write("""
services:
  init: {image: busybox:latest, command: [sh, -c, "exit 3"]}
  app:
    image: busybox:latest
    depends_on: {init: {condition: service_completed_successfully}}
""")
    failed = project.compose("up", "-d", check=False)
    assert failed.returncode == 1
    assert 'service "init" didn\'t complete successfully: exit 3' in failed.stderr
    assert _state(project, f"{project.name}-app-1")["State"]["Status"] == "created"  # type: ignore[index]


def test_attached_up_prefixes_output(project: ComposeProject) -> None:
    project.write("services: {hello: {image: busybox:latest, command: [echo, hi there]}}\n")
    res = project.compose("up")
    assert "hello-1  | hi there" in res.stdout
    assert "hello-1 exited with code 0" in res.stdout
    assert res.stdout.splitlines()[0] == "Attaching to hello-1"
    bare = project.compose("up", "--no-log-prefix")
    assert "\nhi there\n" in bare.stdout


def test_no_start_and_create(project: ComposeProject) -> None:
    project.write("services: {a: {image: busybox:latest, command: [sleep, '3600']}}\n")
    project.compose("up", "--no-start")
    assert _state(project, f"{project.name}-a-1")["State"]["Status"] == "created"  # type: ignore[index]
    project.compose("create", "--scale", "a=2")
    assert _state(project, f"{project.name}-a-2")["State"]["Status"] == "created"  # type: ignore[index]


def test_missing_external_network_is_named(project: ComposeProject) -> None:
    project.write("services: {a: {image: busybox:latest, networks: [outside]}}\n"
                  "networks: {outside: {external: true, name: wharf-no-such-net}}\n")
    res = project.compose("up", "-d", check=False)
    assert res.returncode == 1
    assert "network wharf-no-such-net declared as external, but could not be found" in res.stderr


def test_depends_on_service_healthy_and_wait(project: ComposeProject) -> None:
    """Needs health checks in wharfd (lane A of issue 9)."""
    project.write("""
services:
  db:
    image: busybox:latest
    command: [sh, -c, "sleep 1 && touch /ok && sleep 3600"]
    healthcheck: {test: [CMD, test, -f, /ok], interval: 500ms, retries: 20}
    stop_grace_period: 1s
  web:
    image: busybox:latest
    command: [sleep, "3600"]
    depends_on: {db: {condition: service_healthy}}
    stop_grace_period: 1s
""")
    project.compose("up", "-d", "--wait")
    db = _state(project, f"{project.name}-db-1")
    assert db["State"]["Health"]["Status"] == "healthy"  # type: ignore[index]
    assert db["Config"]["Healthcheck"]["Interval"] == 500_000_000  # type: ignore[index]
    assert _state(project, f"{project.name}-web-1")["State"]["Running"] is True  # type: ignore[index]


def test_restart_policy_applied(project: ComposeProject) -> None:
    """Needs restart policies in wharfd (lane A of issue 9)."""
    project.write("services: {a: {image: busybox:latest, command: [sleep, '3600'], "
                  "restart: on-failure:2, stop_grace_period: 1s}}\n")
    project.compose("up", "-d")
    policy = _state(project, f"{project.name}-a-1")["HostConfig"]["RestartPolicy"]  # type: ignore[index]
    assert policy == {"Name": "on-failure", "MaximumRetryCount": 2}


def test_run_on_a_terminal_gets_a_tty(project: ComposeProject) -> None:
    from tests.integration.compose_up.conftest import WHARF
    from tests.support.ptyrun import Typed, run_on_pty

    project.write("services: {tool: {image: busybox:latest}}\n")
    argv = [WHARF, "compose", "-p", project.name, "-f", str(project.directory / "compose.yaml"),
            "run", "--rm", "tool"]
    res = run_on_pty(argv, [Typed(2.0, b"tty; exit 7\r")], project.daemon.docker_env(),
                     timeout=30)
    assert res.returncode == 7, res.output
    assert b"/dev/pts/" in res.output
    assert project.labelled("containers") == []


def test_build_push_pull_through_a_registry(project: ComposeProject) -> None:
    from tests.support.registries import wharf_registry

    (project.directory / "Dockerfile").write_text("FROM busybox:latest\nRUN echo v1 > /v\n")
    with wharf_registry(project.directory / "registry") as registry:
        image = f"{registry.host}/compose-app:1"
        project.write(f"services: {{app: {{build: ., image: '{image}'}}, "
                      "base: {image: 'busybox:latest'}}\n")
        project.compose("build")
        pushed = project.compose("push")
        assert f"Image {image}  Pushed" in pushed.stderr
        assert project.daemon.request("DELETE", f"/images/{image}")[0] == 200
        project.compose("pull", "app")
        assert project.daemon.request("GET", f"/images/{image}/json")[0] == 200


def test_attached_up_stops_the_project_on_ctrl_c(project: ComposeProject) -> None:
    import os
    import select
    import signal
    import subprocess
    import time

    from tests.integration.compose_up.conftest import WHARF

    project.write("services: {a: {image: busybox:latest, command: [sh, -c, "
                  "'echo started; exec sleep 3600'], stop_grace_period: 1s}}\n")
    argv = [WHARF, "compose", "-p", project.name, "-f", str(project.directory / "compose.yaml"),
            "up"]
    proc = subprocess.Popen(argv, env=project.daemon.docker_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    try:
        assert proc.stdout is not None
        seen = b""
        deadline = time.monotonic() + 30
        while b"started" not in seen and time.monotonic() < deadline:
            if select.select([proc.stdout], [], [], 0.5)[0]:
                seen += os.read(proc.stdout.fileno(), 4096)
        assert b"a-1  | started" in seen
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 130
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert b"Gracefully stopping..." in (proc.stderr.read() if proc.stderr else b"")
    assert _state(project, f"{project.name}-a-1")["State"]["Running"] is False  # type: ignore[index]


def test_exit_code_from_aborts_the_others(project: ComposeProject) -> None:
    project.write("""
services:
  server: {image: busybox:latest, command: [sleep, "3600"], stop_grace_period: 1s}
  check:
    image: busybox:latest
    command: [sh, -c, "echo checking; exit 4"]
    depends_on: [server]
""")
    res = project.compose("up", "--exit-code-from", "check", check=False)
    assert res.returncode == 4, res.stderr
    assert "check-1   | checking" in res.stdout
    assert "Aborting on container exit..." in res.stderr
    server = _state(project, f"{project.name}-server-1")
    assert server["State"]["Running"] is False  # type: ignore[index]
    refused = project.compose("up", "-d", "--abort-on-container-exit", check=False)
    assert refused.returncode == 1 and "need attached mode" in refused.stderr


def test_changed_network_is_refused_not_ignored(project: ComposeProject) -> None:
    text = ("services: {a: {image: busybox:latest, command: [sleep, '3600'], "
            "stop_grace_period: 1s, networks: [n]}}\n"
            "networks: {n: {driver_opts: {com.docker.network.driver.mtu: 'MTU'}}}\n")
    project.write(text.replace("MTU", "1400"))
    project.compose("up", "-d")
    project.write(text.replace("MTU", "1450"))
    res = project.compose("up", "-d", check=False)
    assert res.returncode == 1
    assert f"network {project.name}_n has changed in the compose file" in res.stderr
    project.compose("down", "-t", "1")
    project.compose("up", "-d")
