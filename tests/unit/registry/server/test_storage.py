"""Storage details: abandoned uploads are purged, temp files never show as tags or names."""

from __future__ import annotations

import os
import time
from pathlib import Path

from wharf.core.digest import Digest
from wharf.registry.server.storage import RepositoryStore, UploadStore


def test_uploads_untouched_for_long_are_purged_and_recent_ones_kept(tmp_path: Path) -> None:
    uploads = UploadStore(tmp_path)
    old, recent = uploads.start("r"), uploads.start("r")
    week_ago = time.time() - 8 * 24 * 3600
    for path in (old.directory, old.data):
        os.utime(path, (week_ago, week_ago))
    assert uploads.purge_older_than(7 * 24 * 3600) == 1
    assert not old.directory.exists()
    assert recent.directory.exists()
    assert uploads.get("r", recent.id).id == recent.id


def test_temp_files_and_underscore_directories_are_not_tags_or_repositories(
    tmp_path: Path,
) -> None:
    repositories = RepositoryStore(tmp_path)
    digest = Digest.from_bytes(b"m")
    repositories.put_manifest("team/app", digest, "application/vnd.oci.image.manifest.v1+json")
    repositories.set_tag("team/app", "v1", digest)
    tags = tmp_path / "repositories" / "team" / "app" / "_manifests" / "tags"
    (tags / ".v2.tmp-1-abcd").write_text("half")
    assert repositories.tags("team/app") == ["v1"]
    assert repositories.names() == ["team/app"]
    assert repositories.exists("team/app") and not repositories.exists("team")
