"""Registry client: the daemon side of pull, push, search and login."""
