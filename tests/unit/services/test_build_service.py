"""BuildService in process on real stores (native snapshots, no runtime): metadata steps,
COPY, WORKDIR, the cache, --cache-from, --squash, labels, tags and refusals."""

from __future__ import annotations

import asyncio
import io
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from wharf.core.digest import Digest
from wharf.core.errors import InvalidParameter, NotFound
from wharf.lib.archive.compression import decompressed
from wharf.services.build import BuildDeps, BuildService
from wharf.services.build_types import BuildOptions
from wharf.services.images import Image, ImageService
from wharf.services.rootfs import RootfsService
from wharf.store.content import ContentStore
from wharf.store.metadata import MetadataStore
from wharf.store.snapshots import NativeSnapshotter

pytestmark = pytest.mark.root  # layers keep their files' owners (chown)


class NoRegistry:
    """A pull service that finds nothing (these tests never reach a registry)."""

    def pull(self, ref: object, options: object, sink: object, cancelled: object) -> None:
        raise NotFound(f"pull access denied for {ref}")


class Env:
    def __init__(self, root: Path) -> None:
        (root / "tmp").mkdir(parents=True)
        self.db = MetadataStore(root / "metadata.db")
        snapshots = NativeSnapshotter(root / "native")
        self.images = ImageService(ContentStore(root / "content"), self.db, snapshots,
                                   scratch_dir=root / "tmp")
        rootfs = RootfsService(snapshots, root / "tmp")
        deps = BuildDeps(root / "build", self.images, None, rootfs, NoRegistry(),
                         cache_records=self.db)
        self.build_root = deps.build_root
        self.service = BuildService(deps)
        self.base = self.images.import_tar(tar_of({"etc/passwd": b"root:x:0:0::/:/bin/sh\n"
                                                                 b"app:x:1000:1000::/:\n",
                                                   "etc/group": b"root:x:0:\napp:x:1000:\n"}),
                                           repo="base", tag="1")

    def build(self, files: dict[str, bytes], **options: Any) -> tuple[Image, str]:
        messages: list[dict[str, Any]] = []
        image_id = asyncio.run(self.service.build(tar_of(files), BuildOptions(**options),
                                                  messages.append))
        text = "".join(str(m.get("stream", "")) for m in messages)
        assert {"aux": {"ID": image_id}} in messages
        return self.images.resolve(image_id), text


def tar_of(files: dict[str, bytes]) -> io.BytesIO:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return io.BytesIO(buf.getvalue())


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    made = Env(tmp_path)
    yield made
    made.db.close()


def layer_files(env: Env, image: Image) -> dict[str, tuple[int, int, bytes]]:
    """What the image's top layer holds: path → (uid, gid, bytes)."""
    record = env.images.store.require_layer(image.chain_ids[-1])
    with env.images.store.content.open(Digest.parse(record.blob_digest)) as blob, \
            tarfile.open(fileobj=decompressed(blob), mode="r|") as tar:
        return {m.name: (m.uid, m.gid, tar.extractfile(m).read() if m.isreg() else b"")  # type: ignore[union-attr]
                for m in tar}


def test_metadata_and_copy_steps(env: Env) -> None:
    dockerfile = (b"FROM base:1\nENV A=1\nWORKDIR /srv\nCOPY --chown=app:app a.txt ./\n"
                  b"LABEL x=y\nCMD [\"run\"]\n")
    image, text = env.build({"Dockerfile": dockerfile, "a.txt": b"hello"}, tags=("out:1",),
                            labels={"built": "yes"})
    assert "Step 1/7 : FROM base:1\n" in text and "Step 7/7 : LABEL built=yes\n" in text
    config = image.config["config"]
    assert config["Labels"] == {"x": "y", "built": "yes"}
    assert config["Cmd"] == ["run"] and config["WorkingDir"] == "/srv"
    assert "A=1" in config["Env"]
    copy_image = env.images.resolve(env.images.parents.parent(
        env.images.parents.parent(env.images.parents.parent(image.id))))
    assert layer_files(env, copy_image)["srv/a.txt"] == (1000, 1000, b"hello")
    history = image.config["history"]
    assert [h.get("empty_layer", False) for h in history[1:]] == \
        [True, False, False, True, True, True]
    assert env.images.resolve("out:1").id == image.id
    assert "Successfully tagged out:1\n" in text


def test_second_build_is_all_cache(env: Env) -> None:
    files = {"Dockerfile": b"FROM base:1\nENV A=1\nCOPY a /a\n", "a": b"x"}
    first, _ = env.build(files)
    again, text = env.build(files)
    assert again.id == first.id and text.count(" ---> Using cache\n") == 2
    changed, text = env.build({**files, "a": b"y"})
    assert text.count(" ---> Using cache\n") == 1 and changed.id != first.id
    fresh, text = env.build(files, no_cache=True)
    assert "Using cache" not in text and fresh.id != first.id


def test_squash_and_cache_from(env: Env) -> None:
    files = {"Dockerfile": b"FROM base:1\nCOPY a /a\nCOPY b /b\nENV Z=1\n", "a": b"1", "b": b"2"}
    squashed, _ = env.build(files, squash=True)
    assert len(squashed.chain_ids) == len(env.base.chain_ids) + 1
    assert set(layer_files(env, squashed)) == {"a", "b"}
    assert squashed.config["history"][-1]["comment"].startswith("merge sha256:")
    plain, _ = env.build(files, tags=("plain:1",))
    env.service.prune(True, {})
    restored, text = env.build(files, cache_from=("plain:1",))
    assert text.count(" ---> Using cache\n") == 3 and restored.id == plain.id


def test_refusals_raise_before_any_message(env: Env) -> None:
    with pytest.raises(InvalidParameter, match="unknown instruction: NOPE"):
        env.build({"Dockerfile": b"FROM base:1\nNOPE\n"})
    with pytest.raises(InvalidParameter, match="failed to reach build target x"):
        env.build({"Dockerfile": b"FROM base:1\n"}, target="x")
    with pytest.raises(NotFound, match=r"pull access denied for docker\.io/library/missing:1"):
        env.build({"Dockerfile": b"FROM base:1 AS a\nFROM a\nCOPY --from=missing:1 / /\n"})
    assert list((env.build_root / "contexts").iterdir()) == []


def test_unused_build_args_and_arg_history(env: Env) -> None:
    image, text = env.build({"Dockerfile": b"FROM base:1\nARG V=1\nENV W=$V\n"},
                            build_args={"V": "2", "EXTRA": "3"})
    assert "[Warning] One or more build-args [EXTRA] were not consumed\n" in text
    assert "W=2" in image.config["config"]["Env"]
    assert image.config["history"][-1]["created_by"] == "/bin/sh -c #(nop)  ENV W=2"


def test_prune_forgets_step_records_with_until_and_label_filters(env: Env) -> None:
    files = {"Dockerfile": b"FROM base:1\nENV P=1\n"}
    env.build(files)
    assert [e["Type"] for e in env.service.usage()] == ["regular"]
    with pytest.raises(InvalidParameter, match="prune filters are not supported yet: id"):
        env.service.prune(False, {"id": ["x"]})
    assert env.service.prune(False, {"until": ["24h"]})["CachesDeleted"] is None  # just used
    assert env.service.prune(False, {"label": ["a=b"]})["CachesDeleted"] is None  # no labels
    report = env.service.prune(False, {"label!": ["a=b"]})
    assert len(report["CachesDeleted"]) == 1 and env.service.usage() == []
    _, text = env.build(files)
    assert "Using cache" not in text
