"""What a RUN step mounts besides its root file system: ``RUN --mount=type=cache|bind|tmpfs|
secret``, and ``wharf build -v`` volumes on every RUN.

- ``cache``: a persistent directory per id (``build_mounts_cache``), bound read-write.
- ``bind``: a path of the context (default), of a stage or of an image (``from=``), resolved
  inside that root, bound read-only; ``rw=true`` binds a copy, thrown away after the run (as
  BuildKit discards the writes).
- ``tmpfs``: a tmpfs (``size=``), executable, as BuildKit's.
- ``secret``: a per-run copy of the ``--secret`` file with the mount's mode/uid/gid (0400
  root's by default), bound read-only at ``/run/secrets/<id>`` unless ``target=`` says
  otherwise; a missing secret is an error only with ``required=true``.
- ``-v /host:/ctr[:ro]``: a bind of a host path.

Per-run files (secret copies, rw copies) live in ``<build dir>/contexts/<build>.run-<hex>/``
beside the build's context (0700), removed by ``RunMounts.release`` (and by the start-up
sweep of ``contexts/`` after a crash).
"""

from __future__ import annotations

import os
import secrets as token
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wharf.core.errors import InvalidParameter, RuntimeFailure
from wharf.lib.securepath import resolve_in_root
from wharf.services.build_mounts_cache import CacheLease, CacheMounts, cache_key, own
from wharf.services.build_mounts_parse import MountSpec, parse_mount, parse_volume
from wharf.services.build_mounts_stubs import missing_components, remove_if_empty
from wharf.services.build_types import BuildOptions

__all__ = ["CacheMounts", "RunMounts", "prepare_run_mounts"]

COPY_TIMEOUT = 900.0  # seconds, at most, to copy the source of an rw bind


@dataclass
class RunMounts:
    """Mounts for one RUN container, in the create body's shapes."""

    mounts: list[dict[str, Any]] = field(default_factory=list)   # HostConfig.Mounts entries
    tmpfs: dict[str, str] = field(default_factory=dict)           # HostConfig.Tmpfs
    stubs: list[str] = field(default_factory=list)   # mount points the run will create
    leases: list[CacheLease] = field(default_factory=list)
    scratch: Path | None = None      # this run's own files (made when needed), removed at release
    cache: CacheMounts | None = None

    def find_stubs(self, rootfs: Path) -> None:
        """Note which mount targets are missing from ``rootfs`` (the run's root as it is
        before the run starts: after its container is created, before it is started, when
        ``prepare_run_mounts`` was not given it)."""
        targets = [m["Target"] for m in self.mounts] + list(self.tmpfs)
        self.stubs = [p for t in targets for p in missing_components(rootfs, t)]

    def remove_stubs(self, rootfs: Path) -> None:
        """After the run, before its layer is taken: delete the (empty) mount points that did
        not exist before it, so no secret/cache/bind target leaks into the layer."""
        remove_if_empty(rootfs, self.stubs)

    def release(self) -> None:
        """Unlock cache mounts (``sharing=locked``) and drop per-run files."""
        leases, self.leases = self.leases, []
        for lease in leases:
            if self.cache is not None:
                self.cache.release(lease)
        if self.scratch is not None:
            shutil.rmtree(self.scratch, ignore_errors=True)
            self.scratch = None

    def scratch_dir(self, kind: str) -> Path:
        """A new directory name of this run's own, under the scratch dir (made 0700 the
        first time one is asked for)."""
        assert self.scratch is not None
        self.scratch.mkdir(mode=0o700, exist_ok=True)
        path = self.scratch / kind / token.token_hex(6)
        path.parent.mkdir(exist_ok=True, mode=0o700)
        return path

    def bind(self, source: Path, target: str, read_only: bool) -> None:
        self.mounts.append({"Type": "bind", "Source": str(source), "Target": target,
                            "ReadOnly": read_only})


@dataclass(frozen=True)
class _Sources:
    context: Path
    stage_root: Callable[[str], Path]
    secrets: dict[str, Path]


def prepare_run_mounts(
    mount_specs: list[dict[str, str]],
    options: BuildOptions,
    *,
    rootfs: Path | None,
    workdir: str,
    context: Path,
    stage_root: Callable[[str], Path],
    secrets: dict[str, Path],
    cache: CacheMounts,
) -> RunMounts:
    """Turn a RUN's ``--mount`` flags (each already split into key/value pairs) and the
    build's ``-v`` volumes into mounts. ``rootfs`` is the run's mounted root (to see which
    targets exist; None: call ``find_stubs`` once the container exists, before it starts),
    ``stage_root(name)`` mounts a stage's or image's file system read-only for
    ``from=``, ``secrets`` maps a secret id to its file. Unknown mount types or options raise
    ``InvalidParameter`` naming them. Blocking (a ``sharing=locked`` cache waits for its
    holder): call it from a worker thread, and ``release()`` the result whatever happens."""
    specs = [parse_mount(values, workdir) for values in mount_specs]
    volumes = [parse_volume(spec) for spec in options.volumes]
    _refuse_shared_targets([s.target for s in specs] + [v.target for v in volumes])
    run = RunMounts(cache=cache)
    run.scratch = context.parent / f"{context.name}.run-{token.token_hex(8)}"
    try:
        leases = _lease_caches(run, specs, cache)
        sources = _Sources(context, stage_root, secrets)
        for spec in specs:
            _add_mount(run, spec, sources, leases)
        for volume in volumes:
            if not os.path.exists(volume.source):
                raise InvalidParameter(f"invalid mount config: bind source path does not "
                                       f"exist: {volume.source}")
            run.bind(Path(volume.source), volume.target, volume.read_only)
        if rootfs is not None:
            run.find_stubs(rootfs)
    except BaseException:
        run.release()
        raise
    return run


def _refuse_shared_targets(targets: list[str]) -> None:
    seen: set[str] = set()
    for target in targets:
        if target in seen:
            raise InvalidParameter(f"Duplicate mount point: {target}")
        seen.add(target)


def _lease_caches(run: RunMounts, specs: list[MountSpec],
                  cache: CacheMounts) -> dict[str, CacheLease]:
    """Every cache of the step (by id), taken in the order of their keys: two steps locking
    the same caches never wait for each other in a circle, and one id mounted twice in a
    step is one lease."""
    leases: dict[str, CacheLease] = {}
    for spec in sorted((s for s in specs if s.type == "cache"), key=lambda s: cache_key(s.id)):
        if spec.id in leases:
            continue
        mode = 0o755 if spec.mode is None else spec.mode
        lease = cache.acquire(spec.id, spec.target, spec.sharing, mode=mode,
                              uid=spec.uid, gid=spec.gid)
        run.leases.append(lease)
        leases[spec.id] = lease
    return leases


def _add_mount(run: RunMounts, spec: MountSpec, sources: _Sources,
               leases: dict[str, CacheLease]) -> None:
    if spec.type == "cache":
        run.bind(leases[spec.id].path, spec.target, spec.read_only)
    elif spec.type == "tmpfs":
        run.tmpfs[spec.target] = ",".join(
            ["exec"] + (["ro"] if spec.read_only else [])
            + ([f"size={spec.size}"] if spec.size else []))
    elif spec.type == "secret":
        _add_secret(run, spec, sources.secrets)
    else:
        _add_bind(run, spec, sources)


def _add_secret(run: RunMounts, spec: MountSpec, secrets: dict[str, Path]) -> None:
    source = secrets.get(spec.id)
    if source is None:
        if spec.required:
            raise InvalidParameter(f"secret {spec.id}: not found")
        return
    copy = run.scratch_dir("secrets")
    copy.mkdir(mode=0o700)
    path = copy / "secret"
    shutil.copyfile(source, path, follow_symlinks=False)
    own(path, 0o400 if spec.mode is None else spec.mode, spec.uid, spec.gid)
    run.bind(path, spec.target, True)


def _add_bind(run: RunMounts, spec: MountSpec, sources: _Sources) -> None:
    """``source`` inside the context or the ``from`` root, every symlink resolved in that
    root; read-only, or a copy for ``rw``."""
    root = sources.stage_root(spec.from_) if spec.from_ else sources.context
    where = f"stage or image {spec.from_}" if spec.from_ else "the build context"
    path = resolve_in_root(root, spec.source or "/")
    if not os.path.lexists(path):
        raise InvalidParameter(f'RUN --mount=type=bind: "{spec.source}" not found in {where}')
    if spec.read_only:
        run.bind(path, spec.target, True)
        return
    copy = run.scratch_dir("binds")
    _copy_tree(path, copy)
    run.bind(copy, spec.target, False)


def _copy_tree(source: Path, dest: Path) -> None:
    """``cp -a`` (owners, modes, links, devices and xattrs as they are; reflinks where the
    file system has them), bounded in time."""
    try:
        subprocess.run(["cp", "-a", "--reflink=auto", "-T", "--", str(source), str(dest)],
                       check=True, capture_output=True, timeout=COPY_TIMEOUT)
    except subprocess.CalledProcessError as err:
        raise RuntimeFailure("RUN --mount=type=bind,rw: copying the source failed: "
                             + err.stderr.decode(errors="replace").strip()) from err
    except subprocess.TimeoutExpired as err:
        raise RuntimeFailure(f"RUN --mount=type=bind,rw: copying the source took more than "
                             f"{COPY_TIMEOUT:.0f}s") from err
