"""``docker rmi``: Docker's rules for untagging and deleting an image (moby's classic store).

- By name (``busybox``, ``busybox:1``, ``busybox@sha256:…``): that reference is removed. Without
  ``force`` it is refused when it is the image's only reference and a container uses the image.
  When no reference remains, the image itself is deleted unless a container still needs it:
  a running one always keeps it (the image stays, dangling); a stopped one only without
  ``force``. With ``force`` the image is deleted under its stopped containers.
- By id (full, ``sha256:``-prefixed, or a unique prefix): every reference is removed and the image
  deleted. Refused without ``force`` when several repositories refer to it or a stopped
  container uses it; refused even with ``force`` while a running container uses it or while
  it is the parent of another image (``image has dependent child images``).
- Deleting an image also deletes its parent when that is left untagged and unused (``prune``,
  Docker's default; ``noprune`` keeps it), and so on up the chain, quietly stopping at the
  first that must stay.

An image deleted under a container keeps its layers (the container's filesystem stands on them)
until the container is gone: see :meth:`ImageStore.release_layers`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from wharf.core.errors import Conflict
from wharf.core.metadata import ReferenceStore
from wharf.core.reference import parse_reference
from wharf.services.image_parents import ImageParents
from wharf.services.image_store import ImageStore
from wharf.services.image_views import Image

__all__ = ["ImageDeleter", "single_reference"]

Records = list[dict[str, str]]


@dataclass(frozen=True)
class _DeleteConflict:
    hard: bool  # cannot be forced
    used: bool  # a container uses the image
    message: str

    def error(self, image_id: str) -> Conflict:
        how = "cannot be forced" if self.hard else "must be forced"
        short = image_id.removeprefix("sha256:")[:12]
        return Conflict(f"conflict: unable to delete {short} ({how}) - {self.message}")


def single_reference(refs: list[str]) -> bool:
    """moby's ``isSingleReference``: at most one tag, and every digest reference in the tag's
    repository (or one repository's digests only). False for no references."""
    if len(refs) <= 1:
        return len(refs) == 1
    tags = [r for r in refs if "@" not in r]
    digest_repos = {r.split("@", 1)[0] for r in refs if "@" in r}
    if len(tags) > 1:
        return False
    repo = parse_reference(tags[0]).name if tags else refs[0].split("@", 1)[0]
    return digest_repos == {repo}


@dataclass
class ImageDeleter:
    """One removal policy over the store; ``emit(action, image, name)`` reports ``untag`` and
    ``delete`` events (``image`` is None once it is deleted; ``name`` is its id)."""

    store: ImageStore
    db: ReferenceStore
    in_use: Callable[[str], list[str]]
    running: Callable[[str], bool]
    emit: Callable[[str, Image | None, str], None]
    parents: ImageParents
    resolve: Callable[[str], Image]

    def by_name(self, img: Image, ref: str, force: bool, prune: bool = True) -> Records:
        parsed = parse_reference(ref)
        key = str(parsed if parsed.digest else parsed.with_default_tag())
        refs = self._refs(img.id)
        users = self.in_use(img.id)
        if not force and single_reference(refs) and users:
            short = img.id.removeprefix("sha256:")[:12]
            raise Conflict(
                f'conflict: unable to remove repository reference "{ref}" (must force) - '
                f"container {users[0][:12]} is using its referenced image {short}"
            )
        out = self._untag(img, key)
        if not parsed.digest:
            out += self._untag_orphan_digests(img, parsed.name)
        if self._refs(img.id):
            return out  # other references remain: the untag was the whole removal
        return out + self._delete(img, force, quiet=True, prune=prune)

    def by_id(self, img: Image, force: bool, prune: bool = True) -> Records:
        refs = self._refs(img.id)
        out: Records = []
        if single_reference(refs):
            conflict = self._conflict(img.id, force=force, check_references=False)
            if conflict is not None:
                raise conflict.error(img.id)
            for key in refs:
                out += self._untag(img, key)
        return out + self._delete(img, force, quiet=False, prune=prune)

    def untag_all(self, img: Image) -> Records:
        out: Records = []
        for key in self._refs(img.id):
            out += self._untag(img, key)
        return out

    def _delete(self, img: Image, force: bool, quiet: bool, prune: bool = True) -> Records:
        """moby's ``imageDeleteHelper``: the image, then its parents left dangling."""
        conflict = self._conflict(img.id, force=force, check_references=True)
        if conflict is not None:
            if quiet and (not self._dangling(img.id) or conflict.used):
                return []  # the untag stands; the image stays for its container
            raise conflict.error(img.id)
        out = self.untag_all(img)
        users = self.in_use(img.id)
        parent = self.parents.parent(img.id)
        deleted, _ = self.store.delete_image(img.id, img.chain_ids, hold_layers=bool(users))
        self.parents.forget(img.id)
        self.emit("delete", None, img.id)
        return out + deleted + (self._prune_parent(parent) if prune else [])

    def _prune_parent(self, parent_id: str) -> Records:
        """Parents go while they are dangling, unused and childless (no error otherwise)."""
        out: Records = []
        for _ in range(1000):  # a chain is finite; the bound guards against a corrupt cycle
            if not parent_id or self.store.db.get_image(parent_id) is None:
                break
            parent = self.resolve(parent_id)
            if self._refs(parent_id) or self._conflict(parent_id, force=False,
                                                       check_references=True):
                break
            next_parent = self.parents.parent(parent_id)
            deleted, _ = self.store.delete_image(parent_id, parent.chain_ids)
            self.parents.forget(parent_id)
            self.emit("delete", None, parent_id)
            out += deleted
            parent_id = next_parent
        return out

    def _conflict(
        self, image_id: str, *, force: bool, check_references: bool
    ) -> _DeleteConflict | None:
        if self.parents.children(image_id):
            return _DeleteConflict(True, False, "image has dependent child images")
        users = self.in_use(image_id)
        running = [c for c in users if self.running(c)]
        if running:
            message = f"image is being used by running container {running[0][:12]}"
            return _DeleteConflict(True, True, message)
        if force:
            return None
        if check_references and self._refs(image_id):
            return _DeleteConflict(False, False, "image is referenced in multiple repositories")
        if users:
            message = f"image is being used by stopped container {users[0][:12]}"
            return _DeleteConflict(False, True, message)
        return None

    def _refs(self, image_id: str) -> list[str]:
        return self.db.tags_of(image_id) + self.db.digests_of(image_id)

    def _dangling(self, image_id: str) -> bool:
        """moby's ``imageIsDangling``: no references and no children."""
        return not self._refs(image_id) and not self.parents.children(image_id)

    def _untag(self, img: Image, key: str) -> Records:
        removed = self.db.remove_digest(key) if "@" in key else self.db.remove_tag(key)
        if not removed:
            return []
        self.emit("untag", img, img.id)
        return [{"Untagged": parse_reference(key).familiar()}]

    def _untag_orphan_digests(self, img: Image, repo: str) -> Records:
        """A repository's digest references go with its last tag (as in moby)."""
        refs = self._refs(img.id)
        if any("@" not in r and parse_reference(r).name == repo for r in refs):
            return []
        out: Records = []
        for key in refs:
            if "@" in key and key.split("@", 1)[0] == repo:
                out += self._untag(img, key)
        return out
