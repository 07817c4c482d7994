"""Splitting instruction text into words and flags without expanding anything."""

import json

from wharf.build.dockerfile.errors import DockerfileError


def split_words(text: str, escape: str) -> list[str]:
    """Split on unquoted whitespace, keeping quotes and escapes in the words."""
    words: list[str] = []
    current: list[str] = []
    quote = ""
    chars = iter(text)
    for ch in chars:
        if ch == escape and quote != "'":
            current.append(ch + next(chars, ""))
        elif quote:
            quote = "" if ch == quote else quote
            current.append(ch)
        elif ch in "'\"":
            quote = ch
            current.append(ch)
        elif ch in " \t":
            if current:
                words.append("".join(current))
            current = []
        else:
            current.append(ch)
    if current:
        words.append("".join(current))
    return words


def split_flags(text: str) -> tuple[list[tuple[str, str]], str]:
    """Peel leading ``--name[=value]`` words off *text*."""
    flags: list[tuple[str, str]] = []
    rest = text.lstrip()
    while rest.startswith("--"):
        head, _, tail = rest.partition(" ")
        if head == "--":
            break
        name, eq, value = head[2:].partition("=")
        flags.append((name, value if eq else "true"))
        rest = tail.lstrip()
    return flags, rest


def parse_json(text: str) -> tuple[str, ...] | None:
    """The strings of a JSON array, or None when *text* is not one."""
    if not text.startswith("["):
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return None
    return tuple(value)


def key_values(text: str, escape: str, keyword: str, line: int) -> tuple[str, ...]:
    """ENV/LABEL arguments as a flat (key, value, key, value ...) tuple."""
    words = split_words(text, escape)
    if not words:
        raise DockerfileError.at(line, f"{keyword} requires at least one argument")
    if "=" not in words[0]:
        if len(words) < 2 and keyword == "env":
            raise DockerfileError.at(line, "ENV must have two arguments")
        return (words[0], text.strip()[len(words[0]) :].strip())
    out: list[str] = []
    for word in words:
        key, eq, value = word.partition("=")
        if not key:
            raise DockerfileError.at(line, f"{keyword.upper()} names can not be blank")
        if not eq:
            message = f"Syntax error - can't find = in {word!r}. Must be of the form: name=value"
            raise DockerfileError.at(line, message)
        out += [key, value]
    return tuple(out)


def flag_options(value: str) -> dict[str, str]:
    """A ``--mount``-style value ``type=cache,target=/c,ro`` as a dict (bare keys: "true")."""
    options: dict[str, str] = {}
    for part in value.split(","):
        key, eq, val = part.partition("=")
        if key.strip():
            options[key.strip().lower()] = val if eq else "true"
    return options
