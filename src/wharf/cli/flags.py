"""Command-line flags the way docker parses them (spf13/pflag semantics and messages).

``--name value``, ``--name=value``, ``-n value``, ``-nvalue``, ``-n=value``, grouped short bools
(``-it``), ``--flag=false`` for booleans, repeatable list flags, ``--`` ending the flags, and for
commands like ``run``/``exec`` flags stop at the first positional argument (the image or container
is followed by the command and its own flags).
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

BOOL, STRING, LIST, INT, MAP = "bool", "string", "list", "int", "map"
_TYPE_SHOWN = {BOOL: "", STRING: "string", LIST: "list", INT: "int", MAP: "map"}


class UsageError(Exception):
    """Bad flags (docker exits 125) or a wrong number of arguments (exit 1)."""

    def __init__(self, message: str, *, flag_error: bool = True) -> None:
        super().__init__(message)
        self.message = message
        self.flag_error = flag_error


class Flag:
    """One flag of a command (a slotted class: ``dataclasses`` costs ~10 ms at start-up)."""

    __slots__ = ("default", "help", "hidden", "kind", "name", "short", "type_name")

    def __init__(self, name: str, short: str = "", kind: str = BOOL, help: str = "",
                 default: Any = None, type_name: str = "", hidden: bool = False) -> None:
        self.name = name
        self.short = short
        self.kind = kind
        self.help = help
        self.default = default
        self.type_name = type_name  # what help shows after the name ("bytes", "filter")
        self.hidden = hidden

    def __repr__(self) -> str:
        return f"Flag({self.name!r})"

    @property
    def initial(self) -> Any:
        if self.default is not None:
            return self.default
        return {BOOL: False, LIST: [], MAP: [], INT: 0}.get(self.kind, "")

    def label(self) -> str:
        names = f"-{self.short}, --{self.name}" if self.short else f"    --{self.name}"
        shown = self.type_name or _TYPE_SHOWN[self.kind]
        return f"{names} {shown}" if shown else names

    def help_text(self) -> str:
        default = self.default
        if default is None or default is False or default in ("", [], 0):
            return self.help
        if self.kind == STRING:
            return f'{self.help} (default "{default}")'
        if self.kind == BOOL:
            return f"{self.help} (default true)"  # Go's spelling
        return f"{self.help} (default {default})"


class Parsed:
    """Flag values by long name (``values["detach"]``) and the positional arguments."""

    __slots__ = ("args", "set_flags", "values")

    def __init__(self, values: dict[str, Any], args: list[str]) -> None:
        self.values = values
        self.args = args
        self.set_flags: set[str] = set()

    def __getitem__(self, name: str) -> Any:
        return self.values[name]

    def changed(self, name: str) -> bool:
        return name in self.set_flags


HELP_FLAG = Flag("help", "", BOOL, "Print usage", hidden=True)


class FlagParser:
    def __init__(self, flags: tuple[Flag, ...], interspersed: bool = True) -> None:
        self.flags = flags
        self.interspersed = interspersed
        self._by_long: dict[str, Flag] = {}
        self._by_short: dict[str, Flag] = {}
        for flag in (*self.flags, HELP_FLAG):
            self._by_long[flag.name] = flag
            if flag.short:
                self._by_short[flag.short] = flag

    def parse(self, argv: list[str]) -> Parsed:
        parsed = Parsed({f.name: _copy(f.initial) for f in self.flags}, [])
        parsed.values["help"] = False
        index = 0
        while index < len(argv):
            arg = argv[index]
            index += 1
            if arg == "--":
                parsed.args.extend(argv[index:])
                break
            if arg.startswith("--") and len(arg) > 2:
                index = self._long(arg[2:], argv, index, parsed)
            elif arg.startswith("-") and len(arg) > 1:
                index = self._shorts(arg[1:], argv, index, parsed)
            else:
                parsed.args.append(arg)
                if not self.interspersed:
                    parsed.args.extend(argv[index:])
                    break
        return parsed

    def _long(self, body: str, argv: list[str], index: int, parsed: Parsed) -> int:
        name, has_value, value = body.partition("=")
        flag = self._by_long.get(name)
        if flag is None:
            raise UsageError(f"unknown flag: --{name}")
        if flag.kind == BOOL:
            _store(flag, value if has_value else "true", parsed, f"--{name}")
            return index
        if not has_value:
            if index >= len(argv):
                raise UsageError(f"flag needs an argument: --{name}")
            value = argv[index]
            index += 1
        _store(flag, value, parsed, f"--{name}")
        return index

    def _shorts(self, group: str, argv: list[str], index: int, parsed: Parsed) -> int:
        position = 0
        while position < len(group):
            letter = group[position]
            flag = self._by_short.get(letter)
            if flag is None:
                if letter == "h":
                    parsed.values["help"] = True
                    position += 1
                    continue
                raise UsageError(f"unknown shorthand flag: '{letter}' in -{group}")
            rest = group[position + 1:]
            if flag.kind == BOOL:
                if rest.startswith("="):
                    _store(flag, rest[1:], parsed, f"-{letter}")
                    return index
                _store(flag, "true", parsed, f"-{letter}")
                position += 1
                continue
            if rest:
                _store(flag, rest[1:] if rest.startswith("=") else rest, parsed, f"-{letter}")
                return index
            if index >= len(argv):
                raise UsageError(f"flag needs an argument: '{letter}' in -{letter}")
            _store(flag, argv[index], parsed, f"-{letter}")
            return index + 1
        return index


def _copy(value: Any) -> Any:
    return list(value) if isinstance(value, list) else value


def _store(flag: Flag, text: str, parsed: Parsed, spelled: str) -> None:
    parsed.set_flags.add(flag.name)
    shown = f"-{flag.short}, --{flag.name}" if flag.short else f"--{flag.name}"
    if flag.kind == BOOL:
        lowered = text.lower()
        if lowered in ("1", "t", "true"):
            parsed.values[flag.name] = True
        elif lowered in ("0", "f", "false"):
            parsed.values[flag.name] = False
        else:
            raise UsageError(f'invalid argument "{text}" for "{shown}" flag: '
                             f'strconv.ParseBool: parsing "{text}": invalid syntax')
    elif flag.kind == INT:
        try:
            parsed.values[flag.name] = int(text)
        except ValueError:
            raise UsageError(f'invalid argument "{text}" for "{shown}" flag: '
                             f'strconv.ParseInt: parsing "{text}": invalid syntax') from None
    elif flag.kind in (LIST, MAP):
        parsed.values[flag.name].append(text)
    else:
        parsed.values[flag.name] = text


def format_options(flags: tuple[Flag, ...], width: int = 80) -> str:
    """The ``Options:`` block of ``--help``, laid out like cobra's flag usages."""
    shown = [flag for flag in flags if not flag.hidden]
    if not shown:
        return ""
    labels = [flag.label() for flag in shown]
    column = max(len(label) for label in labels) + 5
    lines = []
    for flag, label in zip(shown, labels, strict=True):
        text_width = max(width - column, 30)
        wrapped = _wrap(flag.help_text(), text_width)
        lines.append(f"  {label:<{column - 2}}{wrapped[0]}".rstrip())
        lines.extend(" " * column + piece for piece in wrapped[1:])
    return "\n".join(lines)


def _wrap(text: str, width: int) -> list[str]:
    words = text.split(" ")
    lines = [""]
    for word in words:
        candidate = f"{lines[-1]} {word}" if lines[-1] else word
        if len(candidate) > width and lines[-1]:
            lines.append(word)
        else:
            lines[-1] = candidate
    return lines
