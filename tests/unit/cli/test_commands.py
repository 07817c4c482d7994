from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from wharf.client.streams import encode_frame

CONTAINER: dict[str, Any] = {"Id": "4f1d2b3c4d5e" + "0" * 52, "Image": "busybox", "Command": "sh",
             "Created": time.time() - 5, "Status": "Up 3 seconds", "State": "running",
             "Names": ["/web"], "Ports": [], "Labels": {}}
INSPECT = {"Id": "4f1d2b3c4d5e" + "0" * 52, "Name": "/web",
           "State": {"Running": True, "Pid": 42, "ExitCode": 0},
           "Config": {"Tty": False, "Env": ["PATH=/bin"], "Labels": {"b": "2", "a": "1"}},
           "NetworkSettings": {"Ports": {"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8080"},
                                                    {"HostIp": "::", "HostPort": "8080"}],
                                         "53/udp": None}}}


def test_ps_sends_filters_and_prints_table(wharf: Any, engine: Any) -> None:
    # created 5 s before this test runs (not before the module was imported)
    engine.route("GET", "/containers/json", [dict(CONTAINER, Created=time.time() - 5)])
    result = wharf("ps", "-a", "--filter", "name=web", "-f", "status=running")
    assert result.status == 0
    request = engine.find("GET", "/containers/json")[0]
    assert request.param("all") == "1"
    assert json.loads(request.param("filters")) == {"name": {"web": True},
                                                    "status": {"running": True}}
    lines = result.stdout.splitlines()
    assert lines[0].startswith("CONTAINER ID   IMAGE     COMMAND   CREATED         STATUS")
    assert lines[1].startswith('4f1d2b3c4d5e   busybox   "sh"      5 seconds ago   Up 3 sec')
    assert lines[1].endswith("web")


def test_ps_quiet_last_and_format(wharf: Any, engine: Any) -> None:
    engine.route("GET", "/containers/json", [CONTAINER])
    assert wharf("ps", "-q").stdout == "4f1d2b3c4d5e\n"
    assert wharf("ps", "-q", "--no-trunc").stdout == CONTAINER["Id"] + "\n"
    wharf("ps", "-l")
    assert engine.find("GET", "/containers/json")[-1].param("limit") == "1"
    assert wharf("ps", "--format", "{{.Names}} {{.State}}").stdout == "web running\n"


def test_stop_many_reports_each_error(wharf: Any, engine: Any, fake: Any) -> None:
    def stop(request: Any) -> Any:
        if "missing" in request.path:
            return fake.Reply(status=404, body={"message": "No such container: missing"})
        return fake.Reply(status=204)

    engine.route("POST", "/containers/[^/]+/stop", stop)
    result = wharf("stop", "-t", "1", "web", "missing", "db")
    assert result.status == 1
    assert result.stdout == "web\ndb\n"
    assert result.stderr == "Error response from daemon: No such container: missing\n"
    assert engine.find("POST", "/containers/web/stop")[0].param("t") == "1"


def test_kill_rm_restart_params(wharf: Any, engine: Any, fake: Any) -> None:
    engine.route("POST", "/containers/[^/]+/(kill|restart)", fake.Reply(status=204))
    engine.route("DELETE", "/containers/[^/]+", fake.Reply(status=204))
    assert wharf("kill", "-s", "HUP", "web").stdout == "web\n"
    assert engine.find("POST", "/containers/web/kill")[0].param("signal") == "HUP"
    assert wharf("rm", "-fv", "web").status == 0
    removed = engine.find("DELETE", "/containers/web")[0]
    assert removed.param("force") == "1" and removed.param("v") == "1"
    assert wharf("container", "restart", "--time", "2", "web").status == 0
    assert engine.find("POST", "/containers/web/restart")[0].param("t") == "2"


def test_inspect_json_and_template(wharf: Any, engine: Any, fake: Any) -> None:
    engine.route("GET", "/containers/[^/]+/json",
                 fake.Reply(status=404, body={"message": "No such container: nope"}))
    engine.route("GET", "/containers/web/json", INSPECT)  # later routes take precedence
    engine.route("GET", "/images/[^/]+/json",
                 fake.Reply(status=404, body={"message": "No such image: nope"}))
    result = wharf("inspect", "web")
    assert result.status == 0
    assert json.loads(result.stdout) == [INSPECT]
    assert result.stdout.startswith('[\n    {\n        "Id": ')
    assert wharf("inspect", "-f", "{{.State.Running}} {{.State.Pid}}", "web").stdout == \
        "true 42\n"
    assert wharf("container", "inspect", "--format", "{{json .Config.Labels}}",
                 "web").stdout == '{"a":"1","b":"2"}\n'
    missing = wharf("inspect", "web", "nope")
    assert missing.status == 1
    assert json.loads(missing.stdout)[0]["Id"] == INSPECT["Id"]
    assert missing.stderr == "Error: No such object: nope\n"


def test_port_lists_bindings(wharf: Any, engine: Any) -> None:
    engine.route("GET", "/containers/web/json", INSPECT)
    assert wharf("port", "web").stdout == "80/tcp -> 0.0.0.0:8080\n80/tcp -> [::]:8080\n"
    assert wharf("port", "web", "80").stdout == "0.0.0.0:8080\n[::]:8080\n"
    missing = wharf("port", "web", "81/tcp")
    assert missing.status == 1
    assert missing.stderr == "Error: No public port '81/tcp' published for web\n"


def test_logs_demultiplexes(wharf: Any, engine: Any, fake: Any) -> None:
    engine.route("GET", "/containers/web/json", INSPECT)
    engine.route("GET", "/containers/web/logs", fake.Reply(
        chunks=[encode_frame(1, b"out\n"), encode_frame(2, b"err\n")],
        content_type="application/vnd.docker.multiplexed-stream"))
    result = wharf("logs", "-n", "5", "-t", "web")
    assert result.stdout == "out\n" and result.stderr == "err\n"
    request = engine.find("GET", "/containers/web/logs")[0]
    assert request.param("tail") == "5" and request.param("timestamps") == "1"
    assert request.param("follow") is None


def test_top_diff_rename_wait(wharf: Any, engine: Any, fake: Any) -> None:
    engine.route("GET", "/containers/web/top", {"Titles": ["UID", "PID", "CMD"],
                                                "Processes": [["root", "42", "sh"]]})
    engine.route("GET", "/containers/web/changes", [{"Path": "/tmp", "Kind": 0},
                                                    {"Path": "/tmp/x", "Kind": 1},
                                                    {"Path": "/etc/y", "Kind": 2}])
    engine.route("POST", "/containers/web/rename", fake.Reply(status=204))
    engine.route("POST", "/containers/web/wait", {"StatusCode": 3, "Error": None})
    top = wharf("top", "web").stdout.splitlines()
    assert top[0] == "UID" + " " * 17 + "PID" + " " * 17 + "CMD"
    assert wharf("diff", "web").stdout == "C /tmp\nA /tmp/x\nD /etc/y\n"
    assert wharf("rename", "web", "api").status == 0
    assert engine.find("POST", "/containers/web/rename")[0].param("name") == "api"
    assert wharf("wait", "web").stdout == "3\n"


def test_images_table_and_quiet(wharf: Any, engine: Any) -> None:
    created = time.time() - 60
    engine.route("GET", "/images/json", [{"Id": "sha256:" + "ab" * 32,
                                          "RepoTags": ["busybox:latest"], "Created": created,
                                          "Size": 4_261_000}])
    result = wharf("images")
    assert result.stdout.splitlines() == [
        "REPOSITORY   TAG       IMAGE ID       CREATED              SIZE",
        "busybox      latest    abababababab   About a minute ago   4.26MB"]
    assert wharf("image", "ls", "-q").stdout == "abababababab\n"
    wharf("images", "busybox")
    filters = json.loads(engine.find("GET", "/images/json")[-1].param("filters"))
    assert filters == {"reference": {"busybox": True}}


def test_rmi_tag_history(wharf: Any, engine: Any) -> None:
    engine.route("DELETE", "/images/.*", [{"Untagged": "busybox:latest"},
                                          {"Deleted": "sha256:abc"}])
    engine.route("POST", "/images/.*/tag", None)
    two_hours_ago = time.time() - 7200
    engine.route("GET", "/images/busybox/history", [
        {"Id": "sha256:" + "ab" * 32, "Created": two_hours_ago, "CreatedBy": "/bin/sh -c #(nop) "
         "CMD [\"sh\"] and a long tail of words", "Size": 0, "Comment": ""},
        {"Id": "<missing>", "Created": two_hours_ago, "CreatedBy": "", "Size": 4_261_000,
         "Comment": "imported"}])
    result = wharf("rmi", "-f", "busybox")
    assert result.stdout == "Untagged: busybox:latest\nDeleted: sha256:abc\n"
    assert engine.find("DELETE", "/images/busybox")[0].param("force") == "1"
    assert wharf("tag", "busybox", "localhost:5000/me/bb").status == 0
    tag = engine.find("POST", "/images/busybox/tag")[0]
    assert (tag.param("repo"), tag.param("tag")) == ("localhost:5000/me/bb", "latest")
    lines = wharf("history", "busybox").stdout.splitlines()
    assert lines[0].split() == ["IMAGE", "CREATED", "CREATED", "BY", "SIZE", "COMMENT"]
    assert lines[1].startswith("abababababab   2 hours ago   /bin/sh -c #(nop) CMD [\"sh\"] and "
                               "a long tail…   0B")
    assert lines[2].startswith("<missing>")


def test_import_from_file_with_changes(wharf: Any, engine: Any, fake: Any,
                                       tmp_path: Path) -> None:
    engine.route("POST", "/images/create", fake.Reply(chunks=[b'{"status":"sha256:feed"}\n']))
    archive = tmp_path / "rootfs.tar"
    archive.write_bytes(b"x" * 200_000)
    result = wharf("import", "-c", "CMD [\"sh\"]", "-m", "hi", str(archive), "mine:1")
    assert result.status == 0 and result.stdout == "sha256:feed\n"
    request = engine.find("POST", "/images/create")[0]
    assert len(request.body) == 200_000
    assert (request.param("repo"), request.param("tag")) == ("mine", "1")
    assert request.query["changes"] == ['CMD ["sh"]'] and request.param("message") == "hi"
    stdin = wharf("import", "-", stdin=b"tar-from-stdin")
    assert stdin.status == 0
    assert engine.find("POST", "/images/create")[-1].body == b"tar-from-stdin"


def test_bootstrap_imports_busybox(wharf: Any, engine: Any, fake: Any) -> None:
    engine.route("POST", "/images/create", fake.Reply(chunks=[b'{"status":"sha256:b0"}\n']))
    result = wharf("image", "bootstrap", "hello-world")
    assert result.status == 0, result.stderr
    request = engine.find("POST", "/images/create")[0]
    assert request.param("repo") == "hello-world" and request.param("tag") == "latest"
    assert request.query["changes"] == ['CMD ["/hello"]']
    assert b"bin/busybox" in request.body and b"hello" in request.body


def test_version_and_info(wharf: Any, engine: Any) -> None:
    engine.route("GET", "/version", {"Version": "0.1.0", "ApiVersion": "1.47",
                                     "MinAPIVersion": "1.24", "Os": "linux", "Arch": "amd64",
                                     "Components": [{"Name": "Engine", "Version": "0.1.0",
                                                     "Details": {"ApiVersion": "1.47",
                                                                 "MinAPIVersion": "1.24"}}]})
    engine.route("GET", "/info", {"Containers": 2, "ContainersRunning": 1, "Images": 3,
                                  "ServerVersion": "0.1.0", "MemTotal": 8 * 1024 ** 3})
    version = wharf("version").stdout
    assert version.startswith("Client:\n Version:           0.1.0\n API version:       1.47\n")
    assert "Server: \n" not in version and " Engine:\n  Version:          0.1.0\n" in version
    assert "  API version:      1.47 (minimum version 1.24)\n" in version
    assert wharf("version", "-f", "{{.Server.Version}}").stdout == "0.1.0\n"
    info = wharf("info").stdout
    assert " Containers: 2\n  Running: 1\n" in info and " Total Memory: 8GiB\n" in info
    assert wharf("info", "--format", "{{.Images}}").stdout == "3\n"


def test_events_default_format(wharf: Any, engine: Any, fake: Any) -> None:
    event = {"Type": "container", "Action": "start", "Actor": {"ID": "abc", "Attributes": {
        "name": "web", "image": "busybox"}}, "time": 1700000000, "timeNano": 1700000000123456789}
    engine.route("GET", "/events", fake.Reply(chunks=[json.dumps(event).encode() + b"\n"]))
    result = wharf("events", "--since", "10m", "--filter", "type=container",
                   env={"TZ": "UTC"})
    line = result.stdout.strip()
    assert line.endswith(".123456789Z container start abc (image=busybox, name=web)") or \
        "container start abc (image=busybox, name=web)" in line
    request = engine.find("GET", "/events")[0]
    assert abs(float(request.param("since")) - (time.time() - 600)) < 5
    assert wharf("events", "--format", "{{.Action}}").stdout == "start\n"


def test_prune_prompts(wharf: Any, engine: Any) -> None:
    engine.route("POST", "/containers/prune", {"ContainersDeleted": ["abc"],
                                               "SpaceReclaimed": 2048})
    declined = wharf("container", "prune", stdin=b"n\n")
    assert declined.status == 0 and engine.find("POST", "/containers/prune") == []
    assert declined.stdout.startswith("WARNING! This will remove all stopped containers.")
    accepted = wharf("container", "prune", "-f")
    assert accepted.stdout == "Deleted Containers:\nabc\n\nTotal reclaimed space: 2.048kB\n"


def test_inspect_template_is_parsed_before_any_request(wharf: Any, engine: Any) -> None:
    result = wharf("inspect", "-f", "{{.State.Running", "web")
    assert result.status == 1
    assert result.stderr == "template parsing error: template: :1: unclosed action\n"
    assert engine.find("GET", "/containers/web/json") == []


def test_inspect_template_with_nothing_found_prints_empty_line(wharf: Any, engine: Any,
                                                               fake: Any) -> None:
    engine.route("GET", "/containers/[^/]+/json",
                 fake.Reply(status=404, body={"message": "No such container: gone"}))
    result = wharf("container", "inspect", "-f", "{{.Id}}", "gone")
    assert (result.status, result.stdout) == (1, "\n")
    assert result.stderr == "Error response from daemon: No such container: gone\n"


def test_rename_failure_adds_docker_summary(wharf: Any, engine: Any, fake: Any) -> None:
    engine.route("POST", "/containers/[^/]+/rename",
                 fake.Reply(status=404, body={"message": "No such container: a"}))
    result = wharf("rename", "a", "b")
    assert result.status == 1
    assert result.stderr == ("Error response from daemon: No such container: a\n"
                             "Error: failed to rename container named a\n")


def test_create_errors_exit_1_without_run_hint(wharf: Any, engine: Any, fake: Any) -> None:
    engine.route("POST", "/containers/create", fake.Reply(
        status=409, body={"message": 'Conflict. The container name "/x" is already in use'}))
    result = wharf("create", "--name", "x", "busybox")
    assert result.status == 1
    assert result.stderr == ('Error response from daemon: Conflict. The container name "/x" '
                             "is already in use\n")


def test_system_df_uses_four_digit_sizes(wharf: Any, engine: Any) -> None:
    engine.route("GET", "/system/df", {"LayersSize": 3_966_000,
                                       "Images": [{"Size": 3_966_000, "Containers": 0}],
                                       "Containers": [], "Volumes": [], "BuildCache": []})
    lines = wharf("system", "df").stdout.splitlines()
    assert lines[0] == "TYPE            TOTAL     ACTIVE    SIZE      RECLAIMABLE"
    assert lines[1] == "Images          1         0         3.966MB   3.966MB (100%)"


def test_rm_of_many_runs_concurrently_and_reports_in_argument_order(wharf: Any, engine: Any,
                                                                     fake: Any) -> None:
    import threading

    in_flight, peak, lock = [0], [0], threading.Lock()

    def slow_delete(request: Any) -> Any:
        with lock:
            in_flight[0] += 1
            peak[0] = max(peak[0], in_flight[0])
        time.sleep(0.05)
        with lock:
            in_flight[0] -= 1
        if request.path.endswith("/missing"):
            return fake.Reply(status=404, body={"message": "No such container: missing"})
        return fake.Reply(status=204)

    engine.route("DELETE", "/containers/[^/]+", slow_delete)
    refs = [f"c{i}" for i in range(6)] + ["missing"]
    result = wharf("rm", "-f", *refs)
    assert result.status == 1
    assert result.stdout.splitlines() == refs[:-1]
    assert "No such container: missing" in result.stderr
    assert peak[0] > 1  # the removals overlapped
