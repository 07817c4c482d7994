"""``login`` and ``logout``: credentials checked by the daemon (``POST /auth``), kept in
docker's config.json (or the configured credential helper), with docker's messages.

Without a username and password, ``login`` first tries the stored credentials, then asks on
the terminal (``Username:``, ``Password:`` without echo); stdin that is not a terminal gets
docker's "Cannot perform an interactive login from a non TTY device".
"""

from __future__ import annotations

from wharf.cli.command import Command, CommandFailed, Context
from wharf.cli.credentials import INDEX_SERVER, ConfigFile, Credentials, hostname_of, server_key
from wharf.cli.flags import BOOL, STRING, Flag, Parsed

PASSWORD_WARNING = "WARNING! Using --password via the CLI is insecure. Use --password-stdin."
UNENCRYPTED_WARNING = ("\nWARNING! Your credentials are stored unencrypted in '{path}'.\n"
                       "Configure a credential helper to remove this warning. See\n"
                       "https://docs.docker.com/go/credential-store/\n")
NON_TTY = "Error: Cannot perform an interactive login from a non TTY device"
STORED_INFO = ("\n Info -> To login with a different account, run 'wharf logout' followed by "
               "'wharf login'\n\n\n")


def _read_password_stdin(ctx: Context) -> str:
    data = ctx.stdin.read().decode("utf-8", "surrogateescape")
    return data.rstrip("\n").rstrip("\r")


def _prompt(ctx: Context, text: str, echo: bool) -> str:
    from wharf.cli.session import is_terminal

    if not is_terminal(ctx.stdin):
        raise CommandFailed(1, NON_TTY)
    ctx.out(text, end="")
    ctx.stdout.flush()
    if echo:
        return ctx.stdin.readline().decode("utf-8", "surrogateescape").strip()
    import termios

    fd = ctx.stdin.fileno()
    saved = termios.tcgetattr(fd)
    quiet = list(saved)
    quiet[3] &= ~termios.ECHO
    try:
        termios.tcsetattr(fd, termios.TCSADRAIN, quiet)
        line = ctx.stdin.readline().decode("utf-8", "surrogateescape")
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)
        ctx.out()
    return line.rstrip("\n").rstrip("\r")


def ask_credentials(ctx: Context, username: str, stored: Credentials) -> Credentials:
    """Ask at the terminal for what was not given (docker's prompts)."""
    if not username:
        shown = f"Username ({stored.username}): " if stored.username else "Username: "
        username = _prompt(ctx, shown, echo=True) or stored.username
    if not username:
        raise CommandFailed(1, "Error: Non-null Username Required")
    password = _prompt(ctx, "Password: ", echo=False)
    if not password:
        raise CommandFailed(1, "Error: Password Required")
    return Credentials(stored.server, username, password)


def _authenticate(ctx: Context, credentials: Credentials) -> Credentials:
    answer = ctx.client().system.auth({"username": credentials.username,
                                       "password": credentials.password,
                                       "serveraddress": credentials.server})
    token = str(answer.get("IdentityToken") or "")
    if token:
        return Credentials(credentials.server, credentials.username, "", token)
    return credentials


def _with_stored(ctx: Context, stored: Credentials) -> Credentials | None:
    """Log in again with what is stored (None when that fails or nothing is)."""
    from wharf.core.errors import WharfError

    if stored.empty():
        return None
    ctx.err(f"Authenticating with existing credentials... [Username: {stored.username}]")
    ctx.err(STORED_INFO, end="")
    try:
        ctx.client().system.auth(stored.auth_config())
    except WharfError as exc:
        ctx.err(f"Login did not succeed, error: {exc}")
        return None
    return stored


def login(ctx: Context, opts: Parsed) -> int:
    username, password = str(opts["username"]).strip(), str(opts["password"])
    if opts["password-stdin"]:
        if password:
            raise CommandFailed(1, "conflicting options: cannot specify both --password "
                                   "and --password-stdin")
        if not username:
            raise CommandFailed(1, "the --password-stdin option requires --username to be set")
        password = _read_password_stdin(ctx)
    elif password:
        ctx.err(PASSWORD_WARNING)
    key = server_key(opts.args[0] if opts.args else "")
    config = ConfigFile.load(ctx.env)
    stored = config.get(key)
    if not username and not password and _with_stored(ctx, stored) is not None:
        ctx.out("Login Succeeded")
        return 0
    if not username or not password:
        credentials = ask_credentials(ctx, username, stored)
    else:
        credentials = Credentials(key, username, password)
    credentials = _authenticate(ctx, credentials)
    config.store(credentials)
    if not config.uses_helper(key):
        ctx.err(UNENCRYPTED_WARNING.format(path=config.path))
    ctx.out("Login Succeeded")
    return 0


def logout(ctx: Context, opts: Parsed) -> int:
    address = opts.args[0] if opts.args else ""
    key = server_key(address)
    keys = [key]
    if key != INDEX_SERVER:
        host = hostname_of(address)
        keys += [address, f"http://{host}", f"https://{host}"]
    ctx.out(f"Removing login credentials for {key}")
    config = ConfigFile.load(ctx.env)
    failures: list[str] = []
    for name in dict.fromkeys(keys):
        try:
            config.erase(name)
        except CommandFailed as exc:
            failures.append(f"{name}: {exc.message}")
    if failures and len(failures) == len(dict.fromkeys(keys)):
        ctx.err("WARNING: could not erase credentials:")
        for failure in failures:
            ctx.out(failure)
    return 0


LOGIN = Command(
    "[OPTIONS] [SERVER]", "Authenticate to a registry", login,
    (Flag("password", "p", STRING, "Password"),
     Flag("password-stdin", "", BOOL, "Take the password from stdin"),
     Flag("username", "u", STRING, "Username")),
    max_args=1,
    description="Authenticate to a registry.\nDefaults to Docker Hub if no server is specified.")
LOGOUT = Command(
    "[SERVER]", "Log out from a registry", logout, max_args=1,
    description="Log out from a registry.\nIf no server is specified, the default is defined "
                "by the daemon.")
