"""Image building: the Dockerfile front end and, later, the builder."""
