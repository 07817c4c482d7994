"""One module per resource of the distribution API; each handler is
``async (registry, request, route) -> response`` and raises RegistryError for a refusal."""
