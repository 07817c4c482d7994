"""The per-container shim: owns a container's stdio, log and exit status (docs/contracts.md).

``python -m wharf.runtime.shim <container-dir>`` runs one; ``wharf.runtime.shim_forkserver`` forks
them; the daemon talks to them through ``wharf.runtime.shim_client``. Submodules:

- ``protocol``: shim.json, file names, the frame format, timestamps (shared with the client)
- ``main``: process set-up (subreaper, session, signals) and the entry point
- ``server``: the shim itself: requests, output, stdin, exits
- ``eventloop``: a level-triggered ``selectors`` loop with SIGCHLD as an event
- ``runtimes``: the OCI runtime behind the shim (a runc-compatible CLI, or wharf's in process)
- ``stdio``: pipes, PTYs and console sockets of the container's processes
- ``jsonlog``: Docker's json-file log writer
- ``exits``: exit codes, the OOM verdict, exit.json
- ``bundle``: what the shim reads from config.json
- ``records``: the shim's client and process records
"""
