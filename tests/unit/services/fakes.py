"""Fakes of the lower layers for service and API tests: images, rootfs, a shim that "runs" a
few commands in memory, a container store, cgroups and the spec builder."""

from __future__ import annotations

import asyncio
import json
import struct
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec

from wharf.core.errors import NotFound, RuntimeFailure
from wharf.core.shimconfig import ShimConfig
from wharf.core.timefmt import now_rfc3339
from wharf.runtime import spec as runtime_spec
from wharf.services.container_record import ContainerRecord
from wharf.services.containers import ContainerDeps, ContainerPaths, ContainerService
from wharf.services.engine_types import ContainerCreateBody
from wharf.services.events import EventBus

BUSYBOX_ID = "sha256:" + "b" * 64


@dataclass(frozen=True)
class FakeImage:
    id: str
    config: dict[str, Any]
    repo_tags: list[str]
    size: int = 4_000_000


class FakeImages:
    def __init__(self) -> None:
        self.images = {
            "busybox": FakeImage(BUSYBOX_ID, {"config": {"Cmd": ["sh"], "Env": [
                "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]}},
                ["busybox:latest"]),
        }
        self.used: list[str] = []  # mark_used calls, in order

    def release_layers(self) -> list[str]:
        return []

    def mark_used(self, image_id: str) -> None:
        self.used.append(image_id)

    def resolve(self, ref_or_id: str) -> FakeImage:
        name = ref_or_id.removesuffix(":latest")
        if name in self.images:
            return self.images[name]
        for image in self.images.values():
            if image.id == ref_or_id:
                return image
        raise NotFound(f"No such image: {ref_or_id}")

    def list(self) -> list[dict[str, Any]]:
        return [{"Id": i.id, "Size": 1} for i in self.images.values()]


class FakeRootfs:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.mounted: set[str] = set()
        self.created: set[str] = set()

    def create(self, container_id: str, image: Any) -> None:
        (self.root / container_id / "merged").mkdir(parents=True)
        self.created.add(container_id)

    def mount(self, container_id: str) -> Path:
        self.mounted.add(container_id)
        return self.root / container_id / "merged"

    def unmount(self, container_id: str) -> None:
        self.mounted.discard(container_id)

    def remove(self, container_id: str) -> None:
        self.created.discard(container_id)

    def changes(self, container_id: str) -> list[dict[str, Any]]:
        return [{"Path": "/tmp", "Kind": 0}]

    def export(self, container_id: str) -> Iterator[bytes]:
        yield b"tar-bytes"

    def graph_driver(self, container_id: str) -> dict[str, Any]:
        return {"Name": "overlay2", "Data": {"MergedDir": str(self.root / container_id)}}

    def remove_orphans(self, known_ids: set[str]) -> list[str]:
        orphans = sorted(self.created - known_ids)
        self.created -= set(orphans)
        return orphans

    def size(self, container_id: str) -> int:
        if container_id not in self.created:
            raise NotFound(f"no filesystem for container {container_id}")
        merged = self.root / container_id / "merged"
        return sum(p.stat().st_size for p in merged.rglob("*") if p.is_file())


@dataclass
class FakeExit:
    exit_code: int
    started_at: str = ""
    finished_at: str = ""
    oom_killed: bool = False
    pid: int = 4242


class FakeStream:
    def __init__(self) -> None:
        self.frames: asyncio.Queue[tuple[int, bytes] | None] = asyncio.Queue()
        self.stdin = bytearray()
        self.stdin_closed = asyncio.Event()

    async def read_frame(self) -> tuple[int, bytes] | None:
        return await self.frames.get()

    async def write(self, data: bytes) -> None:
        self.stdin += data

    async def close_stdin(self) -> None:
        self.stdin_closed.set()

    def close(self) -> None:
        pass


class FakeShim:
    """Runs ``echo``, ``cat`` (stdin → stdout), ``sh -c 'exit N'``, ``sleep``; kill ends it
    (``stubborn`` ignores SIGTERM, ``unkillable`` every signal)."""

    def __init__(self, request: ShimConfig, spec: dict[str, Any]) -> None:
        self.request = request
        self.args: list[str] = spec["process"]["args"]
        self.exited: asyncio.Future[FakeExit] = asyncio.get_running_loop().create_future()
        self.streams: list[FakeStream] = []
        self.signals: list[int] = []
        self.resized: list[tuple[int, int, str]] = []
        self.execs: list[dict[str, Any]] = []
        self.ignore_term = False
        self.started = False
        self.ignore_kill = False

    async def start(self) -> int:
        self.started = True
        argv = self.args
        if argv[0] == "nosuchcommand":
            self._exit(127)
            raise RuntimeFailure(f'exec: "{argv[0]}": executable file not found in $PATH')
        if argv[0] == "echo":
            self._output(1, (" ".join(argv[1:]) + "\n").encode())
            self._exit(0)
        elif argv[:2] == ["sh", "-c"] and argv[2].startswith("exit "):
            self._exit(int(argv[2].split()[1]))
        elif argv[0] == "cat":
            asyncio.get_running_loop().create_task(self._cat())
        elif argv[0] == "stubborn":
            self.ignore_term = True
        elif argv[0] == "unkillable":  # in uninterruptible sleep: even SIGKILL waits
            self.ignore_kill = True
        return 4242

    async def _cat(self) -> None:
        while not self.streams:
            await asyncio.sleep(0.01)
        stream = self.streams[0]
        await stream.stdin_closed.wait()
        self._output(1, bytes(stream.stdin))
        self._exit(0)

    def _output(self, kind: int, data: bytes) -> None:
        for stream in self.streams:
            stream.frames.put_nowait((kind, data))

    def _exit(self, code: int) -> None:
        if self.exited.done():
            return
        for stream in self.streams:
            stream.frames.put_nowait((3, json.dumps({"exit_code": code}).encode()))
        self.exited.set_result(FakeExit(code, now_rfc3339(), now_rfc3339()))

    async def attach(self, stdin: bool, stdout: bool, stderr: bool) -> FakeStream:
        stream = FakeStream()
        self.streams.append(stream)
        return stream

    async def exec(self, exec_id: str, process: dict[str, Any], tty: bool,
                   stdin: bool) -> FakeStream:
        self.execs.append(process)
        stream = FakeStream()
        stream.frames.put_nowait((1, ("exec:" + " ".join(process["args"]) + "\n").encode()))
        stream.frames.put_nowait((3, b'{"exit_code": 5}'))
        return stream

    async def wait(self) -> FakeExit:
        return await asyncio.shield(self.exited)

    async def state(self) -> dict[str, Any]:
        if not self.started:
            return {"status": "created", "pid": 0}
        return {"status": "exited" if self.exited.done() else "running", "pid": 4242,
                "started_at": "2024-01-01T00:00:00.000000000Z"}

    async def kill(self, signal: int, all_processes: bool = False) -> None:
        self.signals.append(signal)
        if (signal == 15 and self.ignore_term) or self.ignore_kill:
            return
        if signal in (9, 15, 2):
            self._exit(128 + signal)

    async def resize(self, height: int, width: int, exec_id: str = "") -> None:
        self.resized.append((height, width, exec_id))


class FakeLauncher:
    def __init__(self) -> None:
        self.shims: dict[str, FakeShim] = {}
        self.alive: dict[Path, FakeShim] = {}
        self.exit_files: dict[Path, FakeExit] = {}
        self.destroyed: list[Path] = []

    async def launch(self, request: ShimConfig) -> FakeShim:
        spec = json.loads((request.bundle / "config.json").read_text())
        shim = FakeShim(request, spec)
        self.shims[request.id] = shim
        self.alive[request.bundle] = shim
        return shim

    async def connect(self, container_dir: Path) -> FakeShim | None:
        return self.alive.get(container_dir)

    def read_exit_status(self, container_dir: Path) -> FakeExit | None:
        return self.exit_files.get(container_dir)

    async def destroy(self, container_dir: Path) -> None:
        self.destroyed.append(container_dir)
        self.alive.pop(container_dir, None)


class FakeSpec:
    def __init__(self) -> None:
        self.built: list[dict[str, Any]] = []  # the fields of each build

    def build(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        self.built.append(dict(fields))
        return {"root": {"path": str(fields["rootfs"])},
                "process": {"args": list(fields["args"]), "env": list(fields["env"]),
                            "cwd": fields["cwd"], "terminal": fields["tty"],
                            "user": {"uid": 0, "gid": 0}}}

    def resolve_user(self, rootfs: Path, user: str) -> tuple[int, int, list[int]]:
        return (1000, 1000, []) if user == "nobody" else (0, 0, [])

    def privileged_capabilities(self) -> list[str]:
        return ["CAP_SYS_ADMIN", "CAP_CHOWN"]

    def check_security(self, privileged: bool, cap_add: list[str], cap_drop: list[str],
                       security_opt: list[str]) -> None:
        runtime_spec.check_security(privileged, cap_add, cap_drop, security_opt)


class FakeCgroups:
    def __init__(self) -> None:
        self.frozen: set[str] = set()
        self.destroyed: list[str] = []
        self.existing: set[str] = set()

    def freeze(self, cgroups_path: str) -> None:
        self.frozen.add(cgroups_path)

    def thaw(self, cgroups_path: str) -> None:
        self.frozen.discard(cgroups_path)

    def pids(self, cgroups_path: str) -> list[int]:
        return [1]

    def destroy(self, cgroups_path: str) -> None:
        self.destroyed.append(cgroups_path)
        self.existing.discard(cgroups_path)

    def exists(self, cgroups_path: str) -> bool:
        return cgroups_path in self.existing


class FakeStore:
    def __init__(self) -> None:
        self.rows: dict[str, str] = {}

    def save(self, record: ContainerRecord) -> None:
        self.rows[record.id] = record.to_json()

    def delete(self, container_id: str) -> None:
        self.rows.pop(container_id, None)

    def load_all(self) -> list[str]:
        return list(self.rows.values())


@dataclass
class World:
    root: Path
    images: FakeImages = field(default_factory=FakeImages)
    launcher: FakeLauncher = field(default_factory=FakeLauncher)
    spec: FakeSpec = field(default_factory=FakeSpec)
    cgroups: FakeCgroups = field(default_factory=FakeCgroups)
    store: FakeStore = field(default_factory=FakeStore)
    events: EventBus = field(default_factory=EventBus)
    log_opts: dict[str, str] = field(default_factory=dict)
    networking: Any = None  # network_fakes.networking(root)[0] for the network tests
    rootfs: FakeRootfs = field(init=False)

    def __post_init__(self) -> None:
        self.rootfs = FakeRootfs(self.root / "overlay")
        resolv = self.root / "resolv.conf"
        resolv.write_text("nameserver 127.0.0.53\nnameserver 10.0.0.2\nsearch lan\n")

    def deps(self) -> ContainerDeps:
        return ContainerDeps(
            paths=ContainerPaths(self.root / "data"), images=self.images, rootfs=self.rootfs,
            shims=self.launcher, spec=self.spec, cgroups=self.cgroups, store=self.store,
            events=self.events, runtimes={"wharf": "wharf", "runc": "/usr/sbin/runc"},
            host_resolv_conf=self.root / "resolv.conf", log_opts=self.log_opts,
            networking=self.networking,
        )

    def containers(self) -> ContainerService:
        return ContainerService(self.deps())


def frame(kind: int, payload: bytes) -> bytes:
    return struct.pack(">BxxxL", kind, len(payload)) + payload


def body(fields: dict[str, object]) -> ContainerCreateBody:
    """A create request as the API hands it to the service (decoded, typed)."""
    return msgspec.convert(fields, ContainerCreateBody)
