"""Docker's credential helper protocol: ``docker-credential-<name> get|store|erase``.

``get`` reads the server address on stdin and answers ``{"Username", "Secret"}`` (``Username``
``<token>`` means the secret is an identity token); ``store`` reads
``{"ServerURL", "Username", "Secret"}``; ``erase`` reads the address. A helper that does not
know the server says ``credentials not found in native keychain``.
"""

from __future__ import annotations

import json

from wharf.cli.command import CommandFailed
from wharf.cli.credentials import Credentials

NOT_FOUND = "credentials not found in native keychain"
TOKEN_USER = "<token>"
HELPER_TIMEOUT = 60.0


def _run(helper: str, action: str, payload: str) -> str:
    import subprocess

    program = f"docker-credential-{helper}"
    try:
        done = subprocess.run([program, action], input=payload.encode(), capture_output=True,
                              timeout=HELPER_TIMEOUT, check=False)
    except FileNotFoundError as exc:
        raise CommandFailed(1, f'error getting credentials - err: exec: "{program}": '
                               "executable file not found in $PATH") from exc
    except subprocess.TimeoutExpired as exc:
        raise CommandFailed(1, f"{program} {action}: timed out") from exc
    output = done.stdout.decode("utf-8", "replace").strip()
    if done.returncode != 0:
        raise _HelperError(output or done.stderr.decode("utf-8", "replace").strip())
    return output


class _HelperError(CommandFailed):
    def __init__(self, message: str) -> None:
        super().__init__(1, message)


def helper_get(helper: str, server: str) -> Credentials:
    try:
        output = _run(helper, "get", server)
    except _HelperError as exc:
        if NOT_FOUND in exc.message:
            return Credentials(server)
        raise CommandFailed(1, f"error getting credentials - err: {exc.message}") from exc
    try:
        answer = json.loads(output)
    except ValueError as exc:
        raise CommandFailed(1, f"error getting credentials - err: {exc}") from exc
    username, secret = str(answer.get("Username") or ""), str(answer.get("Secret") or "")
    if username == TOKEN_USER:
        return Credentials(server, "", "", secret)
    return Credentials(server, username, secret)


def helper_store(helper: str, credentials: Credentials) -> None:
    token = credentials.identity_token
    payload = {"ServerURL": credentials.server,
               "Username": TOKEN_USER if token else credentials.username,
               "Secret": token or credentials.password}
    try:
        _run(helper, "store", json.dumps(payload))
    except _HelperError as exc:
        raise CommandFailed(1, f"Error saving credentials: error storing credentials - "
                               f"err: {exc.message}") from exc


def helper_erase(helper: str, server: str) -> None:
    try:
        _run(helper, "erase", server)
    except _HelperError as exc:
        if NOT_FOUND not in exc.message:
            raise CommandFailed(1, exc.message) from exc
