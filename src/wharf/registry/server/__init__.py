"""Registry server: an OCI distribution registry (``wharf registry serve``).

Run it as ``python -m wharf.registry.server --addr 127.0.0.1:5000 --root DIR [--htpasswd FILE]``
(:mod:`.main`). It speaks the OCI distribution spec over plain HTTP (put TLS in front of it to
serve beyond loopback) and answers what ``docker``, ``skopeo`` and wharf's own client send:

==========================================  ==================================================
``GET /v2/``                                version check (``Docker-Distribution-API-Version``)
``GET|HEAD|DELETE /v2/<name>/blobs/<d>``    a blob (GET honours ``Range``: 206/416); DELETE
                                            unlinks it from that repository
``POST /v2/<name>/blobs/uploads/``          start an upload (202), monolithic with
                                            ``?digest=`` (201), mount ``?mount=<d>&from=<repo>``
                                            (201, or 202 when the source lacks the blob)
``PATCH|PUT|GET|DELETE <upload location>``  a chunk (``Content-Range`` in order, else 416),
                                            finish with ``?digest=`` (verified), status, cancel
``GET|HEAD|PUT|DELETE /v2/<name>/manifests/<tag|d>``  manifests: PUT validates the JSON, the
                                            media type and that every blob / child manifest is
                                            in the repository, and stores the bytes unchanged;
                                            ``?tag=`` on a PUT by digest tags it too
``GET /v2/<name>/tags/list``, ``/v2/_catalog``  sorted, ``?n=&last=`` pages with ``Link``
``GET /v1/search?q=&n=&page=``              Docker's v1 search shape (stars, is_official for
                                            ``library/*``); ``GET /v1/_ping`` for dockerd
``GET|PUT /wharf/v1/repositories/<name>/stars``  wharf's admin extension: body ``{"stars": N}``
==========================================  ==================================================

Errors are the spec's JSON (``{"errors": [{"code": "MANIFEST_UNKNOWN", ...}]}``,
:mod:`.errors`). With ``--htpasswd`` (bcrypt entries only) every endpoint, the admin one
included, needs HTTP basic credentials (401 with ``WWW-Authenticate: Basic``). Storage is
content-addressed and verified before anything is published (:mod:`.storage`). Bodies are
bounded: 4 MiB for a manifest, 64 GiB for a blob, 60 s without data aborts a request; a
connection that does not finish its headers in 60 s is closed; at most 4096 uploads are open.
Each protection and its test: the Registry section of ``docs/SECURITY.md``.

Not implemented: the referrers API (``/v2/<name>/referrers/<d>``: 404, so clients fall back to
the tag scheme), token authentication, garbage collection of unlinked blobs, schema1 manifests
and converting a manifest to a type the client's ``Accept`` lacks (the stored bytes are served).
"""
