"""The labels and names Docker Compose gives what it creates, so that every compose tool sees
the same project (``docker compose ps`` lists what ``wharf compose up`` started, and back)."""

from __future__ import annotations

PROJECT = "com.docker.compose.project"
SERVICE = "com.docker.compose.service"
NUMBER = "com.docker.compose.container-number"
ONEOFF = "com.docker.compose.oneoff"
CONFIG_HASH = "com.docker.compose.config-hash"
NETWORK = "com.docker.compose.network"
VOLUME = "com.docker.compose.volume"
VERSION = "com.docker.compose.version"
WORKING_DIR = "com.docker.compose.project.working_dir"
CONFIG_FILES = "com.docker.compose.project.config_files"
ENVIRONMENT_FILE = "com.docker.compose.project.environment_file"
DEPENDS_ON = "com.docker.compose.depends_on"
IMAGE = "com.docker.compose.image"

COMPOSE_VERSION = "2.29.0"  # the compose file format level wharf follows, written in VERSION


def container_name(project: str, service: str, number: int, oneoff: bool = False) -> str:
    """``project-service-1``; a ``run`` container is ``project-service-run-<suffix>``."""
    if oneoff:
        return f"{project}-{service}-run-{number:012x}"[:63]
    return f"{project}-{service}-{number}"


def resource_name(project: str, key: str, explicit: str | None = None) -> str:
    """A top-level network or volume: ``name:`` as given, else ``project_key``."""
    return explicit or f"{project}_{key}"


def project_filters(project: str, service: str | None = None,
                    oneoff: bool | None = False) -> dict[str, list[str]]:
    """Engine ``filters`` selecting the project's containers (``oneoff=None``: both kinds)."""
    labels = [f"{PROJECT}={project}"]
    if service is not None:
        labels.append(f"{SERVICE}={service}")
    if oneoff is not None:
        labels.append(f"{ONEOFF}={'True' if oneoff else 'False'}")
    return {"label": labels}
