"""The registry's storage under ``--root``: content-addressed blobs, upload sessions and
per-repository links. One layout, drawn here once:

    <root>/blobs/sha256/<hex>                         blob bytes (layers, configs, manifests)
    <root>/uploads/<id>/data                          an upload in progress
    <root>/uploads/<id>/repository                    the repository it was started in
    <root>/repositories/<name>/_layers/sha256/<hex>   empty: the blob is visible in <name>
    <root>/repositories/<name>/_manifests/revisions/sha256/<hex>   the manifest's media type
    <root>/repositories/<name>/_manifests/tags/<tag>  the digest the tag points to
    <root>/repositories/<name>/_meta.json             {"stars": N}

A blob is published by renaming its fsynced upload file into place after its digest was
verified, so a blob path never holds wrong or half-written bytes; links, tags and metadata are
small files replaced atomically. Deleting a blob or manifest removes the repository's link only:
the bytes stay until a garbage collection (not implemented), as in CNCF distribution.
"""

from wharf.registry.server.storage.blobs import BlobStore
from wharf.registry.server.storage.repositories import RepositoryStore
from wharf.registry.server.storage.uploads import Upload, UploadStore

__all__ = ["BlobStore", "RepositoryStore", "Upload", "UploadStore"]
