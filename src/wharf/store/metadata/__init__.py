"""wharf's metadata database: one SQLite file in WAL mode, versioned with ``PRAGMA user_version``.

:class:`MetadataStore` implements every Protocol of ``wharf.core.metadata`` over that one file,
one table module each (``images``, ``references``, ``layers``, ``containers``, ``keyvalues``)
on the shared connection of ``database``. The schema is drawn once, in ``schema``'s docstring,
next to the migrations that build it.
"""

from __future__ import annotations

from wharf.store.metadata.build_cache import BuildCacheTable
from wharf.store.metadata.containers import ContainerTable
from wharf.store.metadata.images import ImageTable
from wharf.store.metadata.keyvalues import KeyValueTable
from wharf.store.metadata.layers import LayerTable
from wharf.store.metadata.networks import NetworkTable
from wharf.store.metadata.references import ReferenceTable
from wharf.store.metadata.schema import SCHEMA_VERSION
from wharf.store.metadata.volumes import VolumeTable

__all__ = ["SCHEMA_VERSION", "MetadataStore"]


class MetadataStore(ImageTable, ReferenceTable, LayerTable, ContainerTable, KeyValueTable,
                    BuildCacheTable, NetworkTable, VolumeTable):
    """The metadata database at ``path`` (``<data-root>/metadata.db``): images, references,
    layers, containers, small facts, the build cache, networks and volumes, each behind its
    own Protocol."""
