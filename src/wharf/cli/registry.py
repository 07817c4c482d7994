"""Which module implements which command, so that only that module is imported.

Commands are named by a key (``"container.run"``); ``TOP_LEVEL`` and ``MANAGEMENT`` map what the
user types to those keys, and ``IMPLEMENTATIONS`` maps keys to ``(module, attribute)`` in
``wharf.cli.commands``. Summaries live here so ``wharf --help`` imports no command module.
"""

from __future__ import annotations


class Entry:
    """Where a command lives: ``wharf.cli.commands.<module>.<attribute>``."""

    __slots__ = ("attribute", "module", "summary")

    def __init__(self, module: str, attribute: str, summary: str) -> None:
        self.module = module
        self.attribute = attribute
        self.summary = summary


IMPLEMENTATIONS: dict[str, Entry] = {
    "container.attach": Entry("run", "ATTACH", "Attach local standard input, output, and "
                                               "error streams to a running container"),
    "container.commit": Entry("commit", "COMMIT", "Create a new image from a container's "
                                                  "changes"),
    "container.cp": Entry("cp", "CP", "Copy files/folders between a container and the local "
                                      "filesystem"),
    "container.create": Entry("run", "CREATE", "Create a new container"),
    "container.diff": Entry("containers", "DIFF", "Inspect changes to files or directories on "
                                                  "a container's filesystem"),
    "container.exec": Entry("exec", "EXEC", "Execute a command in a running container"),
    "container.export": Entry("containers", "EXPORT",
                              "Export a container's filesystem as a tar archive"),
    "container.inspect": Entry("inspect", "CONTAINER_INSPECT",
                               "Display detailed information on one or more containers"),
    "container.kill": Entry("lifecycle", "KILL", "Kill one or more running containers"),
    "container.logs": Entry("containers", "LOGS", "Fetch the logs of a container"),
    "container.ls": Entry("ps", "PS", "List containers"),
    "container.pause": Entry("lifecycle", "PAUSE",
                             "Pause all processes within one or more containers"),
    "container.port": Entry("containers", "PORT", "List port mappings or a specific mapping "
                                                  "for the container"),
    "container.prune": Entry("containers", "PRUNE", "Remove all stopped containers"),
    "container.rename": Entry("lifecycle", "RENAME", "Rename a container"),
    "container.restart": Entry("lifecycle", "RESTART", "Restart one or more containers"),
    "container.rm": Entry("lifecycle", "RM", "Remove one or more containers"),
    "container.run": Entry("run", "RUN", "Create and run a new container from an image"),
    "container.start": Entry("run", "START", "Start one or more stopped containers"),
    "container.stats": Entry("stats", "STATS", "Display a live stream of container(s) "
                                               "resource usage statistics"),
    "container.stop": Entry("lifecycle", "STOP", "Stop one or more running containers"),
    "container.top": Entry("containers", "TOP", "Display the running processes of a container"),
    "container.unpause": Entry("lifecycle", "UNPAUSE",
                               "Unpause all processes within one or more containers"),
    "container.update": Entry("update", "UPDATE",
                              "Update configuration of one or more containers"),
    "container.wait": Entry("lifecycle", "WAIT", "Block until one or more containers stop, "
                                                 "then print their exit codes"),
    "builder.prune": Entry("builder", "PRUNE", "Remove build cache"),
    "compose.build": Entry("compose_build", "BUILD", "Build or rebuild services"),
    "compose.config": Entry("compose_config", "CONFIG", "Parse, resolve and render compose "
                                                        "file in canonical format"),
    "compose.create": Entry("compose_up", "CREATE", "Creates containers for a service"),
    "compose.down": Entry("compose_down", "DOWN", "Stop and remove containers, networks"),
    "compose.pull": Entry("compose_build", "PULL", "Pull service images"),
    "compose.push": Entry("compose_build", "PUSH", "Push service images"),
    "compose.run": Entry("compose_run", "RUN", "Run a one-off command on a service"),
    "compose.up": Entry("compose_up", "UP", "Create and start containers"),
    "compose": Entry("compose", "COMPOSE", "Define and run multi-container applications"),
    "compose.exec": Entry("compose_ops_exec", "EXEC",
                          "Execute a command in a running container"),
    "compose.images": Entry("compose_ops_info", "IMAGES",
                            "List images used by the created containers"),
    "compose.kill": Entry("compose_ops", "KILL", "Force stop service containers"),
    "compose.logs": Entry("compose_logs", "LOGS", "View output from containers"),
    "compose.ls": Entry("compose_ps", "LS", "List running compose projects"),
    "compose.pause": Entry("compose_ops", "PAUSE", "Pause services"),
    "compose.port": Entry("compose_ops_info", "PORT",
                          "Print the public port for a port binding"),
    "compose.ps": Entry("compose_ps", "PS", "List containers"),
    "compose.restart": Entry("compose_ops", "RESTART", "Restart service containers"),
    "compose.rm": Entry("compose_ops", "RM", "Removes stopped service containers"),
    "compose.start": Entry("compose_ops", "START", "Start services"),
    "compose.stop": Entry("compose_ops", "STOP", "Stop services"),
    "compose.top": Entry("compose_ops_info", "TOP", "Display the running processes"),
    "compose.unpause": Entry("compose_ops", "UNPAUSE", "Unpause services"),
    "compose.version": Entry("compose_ops_info", "VERSION_COMMAND",
                             "Show the wharf compose version information"),
    "image.build": Entry("build", "BUILD", "Build an image from a Dockerfile"),
    "image.bootstrap": Entry("images", "BOOTSTRAP",
                             "Build a base image (busybox, hello-world) offline"),
    "image.history": Entry("images", "HISTORY", "Show the history of an image"),
    "image.import": Entry("images", "IMPORT", "Import the contents from a tarball to create "
                                              "a filesystem image"),
    "image.inspect": Entry("inspect", "IMAGE_INSPECT",
                           "Display detailed information on one or more images"),
    "image.load": Entry("archive", "LOAD", "Load an image from a tar archive or STDIN"),
    "image.ls": Entry("images", "IMAGES", "List images"),
    "image.prune": Entry("images", "PRUNE", "Remove unused images"),
    "image.pull": Entry("distribution", "PULL", "Download an image from a registry"),
    "image.push": Entry("distribution", "PUSH", "Upload an image to a registry"),
    "image.rm": Entry("images", "RMI", "Remove one or more images"),
    "image.save": Entry("archive", "SAVE", "Save one or more images to a tar archive "
                                           "(streamed to STDOUT by default)"),
    "image.tag": Entry("images", "TAG", "Create a tag TARGET_IMAGE that refers to "
                                        "SOURCE_IMAGE"),
    "network.connect": Entry("network", "CONNECT", "Connect a container to a network"),
    "network.create": Entry("network", "CREATE", "Create a network"),
    "network.disconnect": Entry("network", "DISCONNECT",
                                "Disconnect a container from a network"),
    "network.inspect": Entry("network", "INSPECT",
                             "Display detailed information on one or more networks"),
    "network.ls": Entry("network", "LS", "List networks"),
    "network.prune": Entry("network", "PRUNE", "Remove all unused networks"),
    "network.rm": Entry("network", "RM", "Remove one or more networks"),
    "login": Entry("login", "LOGIN", "Authenticate to a registry"),
    "logout": Entry("login", "LOGOUT", "Log out from a registry"),
    "registry.serve": Entry("registry_serve", "SERVE", "Run an OCI distribution registry"),
    "search": Entry("search", "SEARCH", "Search registries for images"),
    "system.df": Entry("system_df", "DF", "Show wharf disk usage"),
    "system.events": Entry("system", "EVENTS", "Get real time events from the server"),
    "system.info": Entry("system", "INFO", "Display system-wide information"),
    "system.prune": Entry("system_prune", "PRUNE", "Remove unused data"),
    "inspect": Entry("inspect", "INSPECT", "Return low-level information on wharf objects"),
    "version": Entry("system", "VERSION", "Show the wharf version information"),
    "volume.create": Entry("volume", "CREATE", "Create a volume"),
    "volume.inspect": Entry("volume", "INSPECT",
                            "Display detailed information on one or more volumes"),
    "volume.ls": Entry("volume", "LS", "List volumes"),
    "volume.prune": Entry("volume", "PRUNE", "Remove unused local volumes"),
    "volume.rm": Entry("volume", "RM", "Remove one or more volumes"),
}

COMMON = ("run", "exec", "ps", "build", "pull", "push", "images", "login", "logout",
          "search", "version", "info")

TOP_LEVEL: dict[str, str] = {
    "attach": "container.attach", "build": "image.build", "compose": "compose",
    "create": "container.create",
    "commit": "container.commit", "cp": "container.cp",
    "diff": "container.diff",
    "events": "system.events", "exec": "container.exec", "export": "container.export",
    "history": "image.history", "images": "image.ls", "import": "image.import",
    "info": "system.info", "inspect": "inspect", "kill": "container.kill",
    "load": "image.load", "login": "login", "logout": "logout",
    "logs": "container.logs", "pause": "container.pause", "port": "container.port",
    "ps": "container.ls", "pull": "image.pull", "push": "image.push",
    "rename": "container.rename", "restart": "container.restart",
    "rm": "container.rm", "rmi": "image.rm", "run": "container.run", "save": "image.save",
    "search": "search",
    "start": "container.start", "stats": "container.stats", "stop": "container.stop",
    "tag": "image.tag", "top": "container.top", "unpause": "container.unpause",
    "update": "container.update", "version": "version",
    "wait": "container.wait",
}

MANAGEMENT: dict[str, tuple[str, dict[str, str]]] = {
    "builder": ("Manage builds", {"build": "image.build", "prune": "builder.prune"}),
    "container": ("Manage containers", {
        **{key.split(".", 1)[1]: key for key in IMPLEMENTATIONS if key.startswith("container.")},
        "list": "container.ls", "ps": "container.ls", "remove": "container.rm",
    }),
    "image": ("Manage images", {
        **{key.split(".", 1)[1]: key for key in IMPLEMENTATIONS if key.startswith("image.")},
        "list": "image.ls", "remove": "image.rm",
    }),
    "network": ("Manage networks", {
        **{key.split(".", 1)[1]: key for key in IMPLEMENTATIONS if key.startswith("network.")},
        "list": "network.ls", "remove": "network.rm",
    }),
    "registry": ("Run a registry", {"serve": "registry.serve"}),
    "system": ("Manage wharf", {
        **{key.split(".", 1)[1]: key for key in IMPLEMENTATIONS if key.startswith("system.")},
    }),
    "volume": ("Manage volumes", {
        **{key.split(".", 1)[1]: key for key in IMPLEMENTATIONS if key.startswith("volume.")},
        "list": "volume.ls", "remove": "volume.rm",
    }),
}

HIDDEN_ALIASES = {"list", "remove", "ps"}  # management aliases not listed in help


def aliases(key: str) -> list[str]:
    """Every way to invoke ``key`` (for the ``Aliases:`` section of ``--help``), docker's order."""
    found = []
    for group, (_, table) in MANAGEMENT.items():
        found += [f"{group} {name}" for name, target in table.items() if target == key]
    found += [name for name, target in TOP_LEVEL.items() if target == key]
    return found
