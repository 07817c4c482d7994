"""The OCI distribution protocol: ``client/`` (what wharfd uses to pull and push) and
``server/`` (``wharf registry serve``). Both import only ``core`` and ``lib``."""
