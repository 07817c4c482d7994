"""Builds: Dockerfiles to images (``dockerfile/``: the parser; the builder comes with it).
Imports only ``core`` and ``lib``."""
