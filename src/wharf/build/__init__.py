"""Builds: Dockerfiles to images. ``dockerfile/`` is the parser (pure: directives, lines,
heredocs, forms, flags, stages, variable substitution); the builder comes with it.
Imports only ``core`` and ``lib``."""
