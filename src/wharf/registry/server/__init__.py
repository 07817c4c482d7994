"""Registry server: an OCI distribution registry (``wharf registry serve``)."""
