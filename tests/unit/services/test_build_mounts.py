"""RUN mounts: BuildKit's ``--mount`` rules, persistent cache directories with their sharing
modes, binds resolved inside their root, tmpfs, secrets, ``-v`` volumes, the mount points
removed from the layer afterwards, and the cache mounts in ``system df`` and prune."""

from __future__ import annotations

import stat
import threading
from pathlib import Path
from typing import Any

import pytest

from wharf.core.errors import InvalidParameter, Unavailable
from wharf.services.build_mounts import CacheMounts, RunMounts, prepare_run_mounts
from wharf.services.build_mounts_parse import MountSpec, parse_mount, parse_volume, ram_in_bytes
from wharf.services.build_types import BuildOptions


@pytest.fixture()
def build_dir(tmp_path: Path) -> Path:
    (tmp_path / "contexts" / "b1").mkdir(parents=True)
    (tmp_path / "rootfs" / "etc").mkdir(parents=True)
    return tmp_path


@pytest.fixture()
def cache(build_dir: Path) -> CacheMounts:
    return CacheMounts(build_dir / "cache-mounts", wait_timeout=5)


def prepare(build_dir: Path, cache: CacheMounts, specs: list[dict[str, str]], *,
            workdir: str = "/", secrets: dict[str, Path] | None = None,
            volumes: tuple[str, ...] = (), stages: dict[str, Path] | None = None) -> RunMounts:
    return prepare_run_mounts(
        specs, BuildOptions(volumes=volumes), rootfs=build_dir / "rootfs", workdir=workdir,
        context=build_dir / "contexts" / "b1", stage_root=lambda name: (stages or {})[name],
        secrets=secrets or {}, cache=cache)


def scratch_dirs(build_dir: Path) -> list[str]:
    return sorted(p.name for p in (build_dir / "contexts").iterdir() if ".run-" in p.name)


# ---- parsing ------------------------------------------------------------------------------


def test_defaults_of_each_mount_type() -> None:
    assert parse_mount({"type": "cache", "target": "/root/.cache"}, "/") == MountSpec(
        type="cache", target="/root/.cache", id="/root/.cache", read_only=False)
    assert parse_mount({"target": "/src"}, "/") == MountSpec(
        type="bind", target="/src", id="/src", read_only=True)
    assert parse_mount({"type": "tmpfs", "dst": "t", "size": "64m"}, "/work") == MountSpec(
        type="tmpfs", target="/work/t", id="t", read_only=False, size=64 << 20)
    assert parse_mount({"type": "secret", "id": "tok"}, "/") == MountSpec(
        type="secret", target="/run/secrets/tok", id="tok", read_only=True, mode=0o400)
    assert parse_mount({"type": "secret", "target": "/etc/key"}, "/").id == "key"
    assert parse_mount({"type": "secret", "src": "aws", "required": "true", "mode": "0440",
                        "uid": "10"}, "/") == MountSpec(
        type="secret", target="/run/secrets/aws", id="aws", read_only=True, required=True,
        mode=0o440, uid=10)
    spec = parse_mount({"type": "cache", "target": "c", "id": "pip", "sharing": "LOCKED",
                        "mode": "0700", "uid": "1000", "gid": "1000", "ro": "true"}, "/app")
    assert (spec.target, spec.id, spec.sharing, spec.mode, spec.uid, spec.read_only) == (
        "/app/c", "pip", "locked", 0o700, 1000, True)
    assert parse_mount({"target": "/s", "rw": "true", "from": "build"}, "/").read_only is False


@pytest.mark.parametrize(("values", "message"), [
    ({"type": "nfs", "target": "/x"}, 'unsupported mount type "nfs"'),
    ({"type": "ssh"}, "RUN --mount=type=ssh is not supported"),
    ({"target": "/x", "colour": "red"}, "unexpected key 'colour' in 'colour=red'"),
    ({"type": "cache", "target": "/x", "sharing": "odd"}, 'unsupported sharing value "odd"'),
    ({"target": "/x", "sharing": "locked"}, "invalid cache sharing set for bind mount"),
    ({"target": "/x", "mode": "0755"}, 'mode not allowed for "bind" type mounts'),
    ({"type": "tmpfs", "target": "/x", "uid": "1"}, 'uid not allowed for "tmpfs" type mounts'),
    ({"type": "cache", "target": "/x", "size": "1m"},
     "unexpected key 'size' for mount type 'cache'"),
    ({"target": "/x", "required": "true"}, "unexpected key 'required' for mount type 'bind'"),
    ({"type": "cache", "target": "/x", "mode": "9"}, "invalid value 9 for mode"),
    ({"type": "cache", "target": "/x", "uid": "-1"}, "invalid value -1 for uid"),
    ({"target": "/x", "ro": "maybe"}, "invalid value for readonly: maybe"),
    ({"type": "tmpfs", "target": "/x", "size": "lots"}, "invalid value for size: lots"),
    ({"type": "secret"}, "invalid secret mount. one of source, target required"),
    ({"type": "secret", "source": "a", "id": "b"}, "both source and id can't be set"),
    ({"type": "secret", "id": "a", "from": "x"}, "secret mount should not have a from"),
    ({"type": "cache", "target": "/x", "from": "stage"}, "from= or source= is not supported"),
    ({"type": "cache"}, "mount type cache needs a target"),
    ({"target": "/"}, 'invalid mount target "/"'),
    ({"target": "../.."}, 'invalid mount target "../.."'),
])
def test_bad_mount_flags_are_refused(values: dict[str, str], message: str) -> None:
    with pytest.raises(InvalidParameter) as caught:
        parse_mount(values, "/")
    assert message in caught.value.message


def test_sizes_and_volumes() -> None:
    assert ram_in_bytes("512") == 512
    assert ram_in_bytes("1.5GiB") == 3 << 29
    assert parse_volume("/srv/data:/data:ro").read_only is True
    assert parse_volume("/srv/data:/data/").target == "/data"
    for bad, message in (("data:/data", "absolute"), ("/a", "invalid volume specification"),
                         ("/a:/b:z", "invalid mode: z"), ("/a:/", "invalid mount target")):
        with pytest.raises(InvalidParameter, match=message):
            parse_volume(bad)


# ---- cache mounts -------------------------------------------------------------------------


def test_a_cache_mount_persists_between_runs_and_leaves_no_mount_point(
        build_dir: Path, cache: CacheMounts) -> None:
    rootfs = build_dir / "rootfs"
    run = prepare(build_dir, cache, [{"type": "cache", "target": "/var/cache/apt"}])
    [mount] = run.mounts
    assert mount["Type"] == "bind" and mount["Target"] == "/var/cache/apt"
    assert mount["ReadOnly"] is False
    assert run.stubs == ["var", "var/cache", "var/cache/apt"]
    data = Path(mount["Source"])
    assert data.parent.parent == cache.root and stat.S_IMODE(data.stat().st_mode) == 0o755
    (data / "pkg.deb").write_text("cached")
    (rootfs / "var/cache/apt").mkdir(parents=True)   # what the runtime makes to mount on
    run.remove_stubs(rootfs)
    run.release()
    assert not (rootfs / "var").exists()
    again = prepare(build_dir, cache, [{"type": "cache", "target": "/var/cache/apt"}])
    assert Path(again.mounts[0]["Source"], "pkg.deb").read_text() == "cached"
    again.release()
    [entry] = cache.usage()
    assert entry["UsageCount"] == 2 and entry["Size"] == len("cached")
    assert entry["Type"] == "exec.cachemount" and entry["InUse"] is False
    assert entry["Description"] == "cached mount /var/cache/apt from exec"
    assert scratch_dirs(build_dir) == []


def test_stubs_keep_what_the_run_wrote_and_what_existed(build_dir: Path,
                                                        cache: CacheMounts) -> None:
    rootfs = build_dir / "rootfs"
    run = prepare(build_dir, cache, [{"type": "cache", "target": "/etc/app/cache"},
                                     {"type": "tmpfs", "target": "/etc/scratch"}])
    assert sorted(run.stubs) == ["etc/app", "etc/app/cache", "etc/scratch"]
    (rootfs / "etc/app/cache").mkdir(parents=True)
    (rootfs / "etc/app/config").write_text("made by the run")
    (rootfs / "etc/scratch").mkdir()
    run.remove_stubs(rootfs)
    run.release()
    assert (rootfs / "etc/app/config").exists() and not (rootfs / "etc/app/cache").exists()
    assert not (rootfs / "etc/scratch").exists() and (rootfs / "etc").is_dir()


def test_stub_removal_follows_no_symlink_the_run_planted(build_dir: Path,
                                                         cache: CacheMounts) -> None:
    rootfs, outside = build_dir / "rootfs", build_dir / "outside"
    (outside / "secrets").mkdir(parents=True)
    (outside / "secrets" / "tok").write_text("")
    run = prepare(build_dir, cache, [{"type": "secret", "id": "tok"}],
                  secrets={"tok": write(build_dir / "s", "value")})
    assert run.stubs == ["run", "run/secrets", "run/secrets/tok"]
    (rootfs / "run").symlink_to(outside)   # the run swapped /run for a link to the host
    run.remove_stubs(rootfs)
    run.release()
    assert (outside / "secrets" / "tok").exists() and (rootfs / "run").is_symlink()


def test_locked_caches_wait_for_each_other(build_dir: Path, cache: CacheMounts) -> None:
    spec = [{"type": "cache", "target": "/c", "sharing": "locked"}]
    first = prepare(build_dir, cache, spec)
    got_it = threading.Event()

    def second() -> None:
        prepare(build_dir, cache, spec).release()
        got_it.set()

    waiter = threading.Thread(target=second)
    waiter.start()
    try:
        assert not got_it.wait(0.3)          # held: the second run waits
        assert cache.usage()[0]["InUse"] is True
    finally:
        first.release()
    assert got_it.wait(5)
    waiter.join(5)


def test_a_locked_cache_held_too_long_is_an_error(build_dir: Path) -> None:
    cache = CacheMounts(build_dir / "cache-mounts", wait_timeout=0.2)
    held = prepare(build_dir, cache, [{"type": "cache", "target": "/c", "sharing": "shared"}])
    try:
        with pytest.raises(Unavailable, match="waiting for the cache mount"):
            prepare(build_dir, cache, [{"type": "cache", "target": "/c", "sharing": "locked"}])
        assert scratch_dirs(build_dir) == []   # a cache mount needs no per-run files
    finally:
        held.release()


def test_private_gives_a_fresh_directory_to_a_concurrent_user(build_dir: Path,
                                                              cache: CacheMounts) -> None:
    spec = [{"type": "cache", "target": "/c", "sharing": "private"}]
    shared = [{"type": "cache", "target": "/c"}]
    first, second = prepare(build_dir, cache, spec), prepare(build_dir, cache, spec)
    third = prepare(build_dir, cache, shared)
    try:
        paths = [Path(r.mounts[0]["Source"]) for r in (first, second, third)]
        assert paths[0] == paths[2] != paths[1]
        (paths[1] / "only-mine").write_text("x")
    finally:
        for run in (first, second, third):
            run.release()
    assert not paths[1].exists() and paths[0].is_dir()


def test_prune_removes_unused_cache_mounts_only(build_dir: Path, cache: CacheMounts) -> None:
    for target, size in (("/a", 10), ("/b", 20)):
        run = prepare(build_dir, cache, [{"type": "cache", "target": target, "id": target[1:]}])
        Path(run.mounts[0]["Source"], "f").write_bytes(b"x" * size)
        run.release()
    busy = prepare(build_dir, cache, [{"type": "cache", "target": "/b", "id": "b"}])
    try:
        removed, reclaimed = cache.prune(everything=False)
        assert len(removed) == 1 and reclaimed >= 10
        left = cache.usage()
        assert [e["Description"] for e in left] == ['cached mount /b from exec with id "b"']
    finally:
        busy.release()
    removed, _ = cache.prune(everything=True)
    assert len(removed) == 1 and cache.usage() == []


# ---- binds, tmpfs, secrets, volumes -------------------------------------------------------


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_binds_resolve_inside_their_root(build_dir: Path, cache: CacheMounts) -> None:
    context = build_dir / "contexts" / "b1"
    write(context / "src" / "main.c", "int main;")
    (context / "escape").symlink_to("/etc")
    stage = build_dir / "stage"
    write(stage / "out" / "bin", "binary")
    run = prepare(build_dir, cache, [
        {"target": "/src", "source": "src"}, {"target": "/ctx"},
        {"target": "/out", "from": "build", "source": "/out/bin"}], stages={"build": stage})
    try:
        assert [(m["Source"], m["ReadOnly"]) for m in run.mounts] == [
            (str(context / "src"), True), (str(context), True), (str(stage / "out/bin"), True)]
    finally:
        run.release()
    with pytest.raises(InvalidParameter, match='"escape/passwd" not found in the build context'):
        prepare(build_dir, cache, [{"target": "/p", "source": "escape/passwd"}])
    with pytest.raises(InvalidParameter, match="not found in stage or image build"):
        prepare(build_dir, cache, [{"target": "/p", "from": "build", "source": "nope"}],
                stages={"build": stage})
    assert scratch_dirs(build_dir) == []


def test_an_rw_bind_is_a_copy_thrown_away_after_the_run(build_dir: Path,
                                                         cache: CacheMounts) -> None:
    context = build_dir / "contexts" / "b1"
    write(context / "src" / "a.txt", "original")
    run = prepare(build_dir, cache, [{"target": "/src", "source": "src", "rw": "true"}])
    copy = Path(run.mounts[0]["Source"])
    assert run.mounts[0]["ReadOnly"] is False and copy != context / "src"
    (copy / "a.txt").write_text("changed by the run")
    run.release()
    assert (context / "src" / "a.txt").read_text() == "original" and not copy.exists()


def test_tmpfs_mounts_are_executable_with_their_size(build_dir: Path,
                                                     cache: CacheMounts) -> None:
    run = prepare(build_dir, cache, [{"type": "tmpfs", "target": "/tmp", "size": "1g"},
                                     {"type": "tmpfs", "target": "scratch"}], workdir="/w")
    assert run.tmpfs == {"/tmp": f"exec,size={1 << 30}", "/w/scratch": "exec"}
    assert run.mounts == [] and run.stubs == ["tmp", "w", "w/scratch"]
    run.release()


def test_secrets_are_private_copies_bound_read_only(build_dir: Path,
                                                    cache: CacheMounts) -> None:
    secret = write(build_dir / "secrets" / "b1" / "tok", "s3cr3t")
    run = prepare(build_dir, cache, [{"type": "secret", "id": "tok"},
                                     {"type": "secret", "id": "tok", "target": "/k",
                                      "mode": "0444"},
                                     {"type": "secret", "id": "absent"}],
                  secrets={"tok": secret})
    try:
        [default, other] = run.mounts
        assert default["Target"] == "/run/secrets/tok" and default["ReadOnly"] is True
        copy = Path(default["Source"])
        assert copy.read_text() == "s3cr3t" and copy != secret
        assert stat.S_IMODE(copy.stat().st_mode) == 0o400
        assert stat.S_IMODE(Path(other["Source"]).stat().st_mode) == 0o444
    finally:
        run.release()
    assert not copy.exists() and secret.exists()
    with pytest.raises(InvalidParameter, match=r"^secret absent: not found$"):
        prepare(build_dir, cache, [{"type": "secret", "id": "absent", "required": "true"}])
    assert scratch_dirs(build_dir) == []


def test_volumes_bind_host_paths(build_dir: Path, cache: CacheMounts) -> None:
    host = build_dir / "host"
    host.mkdir()
    run = prepare(build_dir, cache, [], volumes=(f"{host}:/data:ro", f"{host}:/rw"))
    assert [(m["Target"], m["ReadOnly"]) for m in run.mounts] == [("/data", True),
                                                                    ("/rw", False)]
    run.release()
    with pytest.raises(InvalidParameter, match="bind source path does not exist"):
        prepare(build_dir, cache, [], volumes=(f"{host}/none:/x",))
    with pytest.raises(InvalidParameter, match="Duplicate mount point: /data"):
        prepare(build_dir, cache, [{"type": "tmpfs", "target": "/data"}],
                volumes=(f"{host}:/data",))


def test_system_df_lists_the_build_cache(build_dir: Path, cache: CacheMounts) -> None:
    import asyncio

    from wharf.services.disk_usage import DiskUsageSources, disk_usage

    async def no_sizes(records: list[Any]) -> list[dict[str, int]]:
        return []

    prepare(build_dir, cache, [{"type": "cache", "target": "/c"}]).release()
    sources = DiskUsageSources(list_images=list, layers_size=lambda: 0, containers=list,
                               container_sizes=no_sizes, volumes=list, build_cache=cache.usage)
    usage = asyncio.run(disk_usage(sources, frozenset({"build-cache"}), lambda r: {}))
    assert [e["Type"] for e in usage["BuildCache"]] == ["exec.cachemount"]
    assert usage["Images"] is None and "LayersSize" not in usage


def test_release_is_safe_twice(build_dir: Path, cache: CacheMounts) -> None:
    run = prepare(build_dir, cache, [{"type": "cache", "target": "/c", "sharing": "locked"}])
    run.release()
    run.release()
    prepare(build_dir, cache, [{"type": "cache", "target": "/c", "sharing": "locked"}]).release()


@pytest.mark.root
def test_owners_given_to_caches_and_secrets(build_dir: Path, cache: CacheMounts) -> None:
    secret = write(build_dir / "s", "v")
    run = prepare(build_dir, cache, [
        {"type": "cache", "target": "/c", "uid": "1000", "gid": "1001", "mode": "0700"},
        {"type": "secret", "id": "tok", "uid": "1000", "gid": "1002"}], secrets={"tok": secret})
    try:
        owners = [(Path(m["Source"]).stat().st_uid, Path(m["Source"]).stat().st_gid,
                   stat.S_IMODE(Path(m["Source"]).stat().st_mode)) for m in run.mounts]
        assert owners == [(1000, 1001, 0o700), (1000, 1002, 0o400)]
    finally:
        run.release()


def test_a_cache_whose_meta_was_lost_still_has_times(build_dir: Path,
                                                     cache: CacheMounts) -> None:
    from wharf.core.timefmt import parse_rfc3339

    prepare(build_dir, cache, [{"type": "cache", "target": "/c"}]).release()
    [key] = [p for p in cache.root.iterdir()]
    (key / "meta.json").unlink()
    [entry] = cache.usage()
    assert parse_rfc3339(entry["CreatedAt"]) > 0 and entry["UsageCount"] == 0


def test_stubs_can_be_found_once_the_container_exists(build_dir: Path,
                                                      cache: CacheMounts) -> None:
    """A builder that creates the RUN container first (its root exists only then) passes no
    rootfs and asks for the stubs before the container starts."""
    run = prepare_run_mounts(
        [{"type": "tmpfs", "target": "/etc/t"}], BuildOptions(), rootfs=None, workdir="/",
        context=build_dir / "contexts" / "b1", stage_root=lambda name: build_dir,
        secrets={}, cache=cache)
    assert run.stubs == []
    run.find_stubs(build_dir / "rootfs")
    assert run.stubs == ["etc/t"]
    run.release()


def test_private_dirs_a_crash_left_are_dropped_by_the_next_user(build_dir: Path,
                                                                 cache: CacheMounts) -> None:
    prepare(build_dir, cache, [{"type": "cache", "target": "/c"}]).release()
    [key] = list(cache.root.iterdir())
    leftover = write(key / "private" / "dead" / "big", "x" * 100)
    assert cache.usage()[0]["Size"] == 100
    prepare(build_dir, cache, [{"type": "cache", "target": "/c"}]).release()
    assert not leftover.exists() and cache.usage()[0]["Size"] == 0
