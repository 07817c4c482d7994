"""The metadata database's schema: drawn here once, built by the migrations below.

Schema (version 5)::

    images      id TEXT PK ("sha256:<config hex>")   config_digest   manifest_digest
                created TEXT (RFC 3339)   size INTEGER (bytes of all layers, unpacked)
                chain_ids TEXT (JSON list, bottom first)   last_tag_time TEXT
                last_used TEXT (RFC 3339: a container was last created from it; "" never)
    tags        reference TEXT PK ("docker.io/library/busybox:latest")  image_id → images.id
    digests     reference TEXT PK ("docker.io/library/busybox@sha256:…") image_id → images.id
    layers      chain_id TEXT PK   diff_id   parent (chain id or "")   size INTEGER (unpacked)
                blob_digest (compressed blob in the content store)   media_type   created
    containers  id TEXT PK (64 hex)   name TEXT UNIQUE ("/name")   image_id   created
                record TEXT (JSON owned by the container service)
    kv          namespace, key (PK together)   value TEXT   — small facts: the daemon's id,
                layers held for containers ("held-layers": image id → JSON chain ids)
    build_cache key TEXT PK (sha256 of parent image + step + inputs)   image_id → images.id
                created TEXT   last_used TEXT   description TEXT (the step, for ``df``)
    networks    id TEXT PK (64 hex)   name TEXT UNIQUE   driver   scope   created
                internal attachable ingress enable_ipv6 INTEGER (0/1)   ipam TEXT (JSON, Docker's
                IPAM object)   options labels TEXT (JSON maps)   bridge (interface name)
                pool_subnets TEXT (JSON list: subnets taken from the address pools)
    volumes     name TEXT PK   driver ("local")   created TEXT   labels TEXT (JSON object)
                options TEXT (JSON object: the driver's ``--opt``s)

Each table is reached through one Protocol of ``wharf.core.metadata`` and implemented by one
module of this package (``images``, ``references``, ``layers``, ``containers``, ``keyvalues``,
``build_cache``, ``networks``, ``volumes``).

Migrations are an ordered list of SQL scripts; ``PRAGMA user_version`` counts how many ran, and
each runs in its own transaction with the version bump. To add a resource: append a script
(never edit one that shipped), redraw the schema above with the new version, and add its
Protocol and table module. A database newer than this code refuses to open rather than being
misread.
"""

from __future__ import annotations

__all__ = ["MIGRATIONS", "SCHEMA_VERSION"]

MIGRATIONS: tuple[str, ...] = (
    # 1: images, their references and layers; containers; kv
    """
    CREATE TABLE images (
        id TEXT PRIMARY KEY,
        config_digest TEXT NOT NULL,
        manifest_digest TEXT NOT NULL DEFAULT '',
        created TEXT NOT NULL,
        size INTEGER NOT NULL DEFAULT 0,
        chain_ids TEXT NOT NULL DEFAULT '[]',
        last_tag_time TEXT NOT NULL DEFAULT ''
    );
    CREATE TABLE tags (
        reference TEXT PRIMARY KEY,
        image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE
    );
    CREATE INDEX tags_by_image ON tags(image_id);
    CREATE TABLE digests (
        reference TEXT PRIMARY KEY,
        image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE
    );
    CREATE INDEX digests_by_image ON digests(image_id);
    CREATE TABLE layers (
        chain_id TEXT PRIMARY KEY,
        diff_id TEXT NOT NULL,
        parent TEXT NOT NULL DEFAULT '',
        size INTEGER NOT NULL DEFAULT 0,
        blob_digest TEXT NOT NULL DEFAULT '',
        media_type TEXT NOT NULL DEFAULT '',
        created TEXT NOT NULL DEFAULT ''
    );
    CREATE TABLE containers (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        image_id TEXT NOT NULL DEFAULT '',
        created TEXT NOT NULL DEFAULT '',
        record TEXT NOT NULL DEFAULT '{}'
    );
    CREATE INDEX containers_by_image ON containers(image_id);
    CREATE TABLE kv (
        namespace TEXT NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (namespace, key)
    );
    """,
    # 2: the classic builder's step cache
    """
    CREATE TABLE build_cache (
        key TEXT PRIMARY KEY,
        image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,
        created TEXT NOT NULL DEFAULT '',
        last_used TEXT NOT NULL DEFAULT '',
        description TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX build_cache_by_image ON build_cache(image_id);
    """,
    # 3: networks
    """
    CREATE TABLE networks (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        driver TEXT NOT NULL,
        scope TEXT NOT NULL DEFAULT 'local',
        created TEXT NOT NULL DEFAULT '',
        internal INTEGER NOT NULL DEFAULT 0,
        attachable INTEGER NOT NULL DEFAULT 0,
        ingress INTEGER NOT NULL DEFAULT 0,
        enable_ipv6 INTEGER NOT NULL DEFAULT 0,
        ipam TEXT NOT NULL DEFAULT '{}',
        options TEXT NOT NULL DEFAULT '{}',
        labels TEXT NOT NULL DEFAULT '{}',
        bridge TEXT NOT NULL DEFAULT '',
        pool_subnets TEXT NOT NULL DEFAULT '[]'
    );
    """,
    # 4: volumes
    """
    CREATE TABLE volumes (
        name TEXT PRIMARY KEY,
        driver TEXT NOT NULL DEFAULT 'local',
        created TEXT NOT NULL DEFAULT '',
        labels TEXT NOT NULL DEFAULT '{}',
        options TEXT NOT NULL DEFAULT '{}'
    );
    """,
    # 5: when a container was last created from each image (``Metadata.LastUsed``)
    """
    ALTER TABLE images ADD COLUMN last_used TEXT NOT NULL DEFAULT '';
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)
