"""A subset of Go's ``text/template``, enough for docker's ``--format`` strings.

Supported: text and ``{{ }}`` actions with ``{{-``/``-}}`` trimming, ``.``, field chains
(``.State.Running``, on dicts and on objects), ``$`` and ``$var`` (declared by ``:=`` and by
``range $i, $v :=``), string/number/bool literals, parentheses, pipelines (``.Names | upper``),
``if``/``else if``/``else``/``end``, ``range ... else ... end``, ``with ... else ... end``, and
docker's functions (``json``, ``join``, ``split``, ``title``, ``lower``, ``upper``, ``pad``,
``truncate``, ``println``) plus Go's (``index``, ``len``, ``print``, ``printf``, ``eq``, ``ne``,
``lt``, ``le``, ``gt``, ``ge``, ``and``, ``or``, ``not``). Values print the way Go prints them
(``true``, ``map[a:1 b:2]``, ``[x y]``, ``<no value>``).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from wharf.cli.gofmt import MISSING as _MISSING
from wharf.cli.gofmt import go_sprint, truthy
from wharf.cli.templatefuncs import FUNCTIONS, TemplateError

__all__ = ["Template", "TemplateError", "parse"]

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_ACTION = re.compile(r"\{\{(-\s)?(.*?)(\s-)?\}\}", re.S)
_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<string>"(?:[^"\\]|\\.)*")
  | (?P<raw>`[^`]*`)
  | (?P<number>-?\d+(?:\.\d+)?)
  | (?P<declare>:=)
  | (?P<assign>=)
  | (?P<var>\$[A-Za-z0-9_]*)
  | (?P<field>(?:\.[A-Za-z_][A-Za-z0-9_]*)+|\.)
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<punct>[()|,])
""", re.X)


# -- AST ----------------------------------------------------------------------------------------
# (AST records are slotted classes, not dataclasses: ``dataclasses`` imports ``inspect`` and
# ``typing``, ~15 ms of start-up for every ``ps``/``images``.)
class Operand:
    __slots__ = ("chain", "kind", "value")

    def __init__(self, kind: str, value: Any = None, chain: tuple[str, ...] = ()) -> None:
        self.kind = kind      # field, var, literal, ident, pipe
        self.value = value    # field chain / var name / literal / function name / Pipeline
        self.chain = chain    # field chain after a var or a parenthesized pipeline


class Pipeline:
    __slots__ = ("commands", "declare")

    def __init__(self, commands: list[list[Operand]], declare: list[str] | None = None):
        self.commands = commands
        self.declare = declare or []


class Text:
    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


class Action:
    __slots__ = ("pipe",)

    def __init__(self, pipe: Pipeline) -> None:
        self.pipe = pipe


class Branch:
    __slots__ = ("body", "keyword", "otherwise", "pipe")

    def __init__(self, keyword: str, pipe: Pipeline, body: list[Node],
                 otherwise: list[Node]) -> None:
        self.keyword = keyword  # if, range, with
        self.pipe = pipe
        self.body = body
        self.otherwise = otherwise


if TYPE_CHECKING:
    Node = Text | Action | Branch


# -- parsing ------------------------------------------------------------------------------------
def _split(source: str) -> list[tuple[str, str]]:
    """``("text", ...)`` and ``("action", ...)`` pieces, with trim markers applied."""
    pieces: list[tuple[str, str]] = []
    position = 0
    trim_next = False
    for match in _ACTION.finditer(source):
        text = source[position:match.start()]
        if trim_next:
            text = text.lstrip()
        if match.group(1):
            text = text.rstrip()
        if text:
            pieces.append(("text", text))
        pieces.append(("action", match.group(2).strip()))
        trim_next = bool(match.group(3))
        position = match.end()
    tail = source[position:]
    if trim_next:
        tail = tail.lstrip()
    if "{{" in tail:
        raise TemplateError("template: :1: unclosed action")
    if tail:
        pieces.append(("text", tail))
    return pieces


def _tokens(action: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    position = 0
    while position < len(action):
        match = _TOKEN.match(action, position)
        if match is None:
            raise TemplateError(f"template: :1: unexpected {action[position]!r} in command")
        kind = match.lastgroup or ""
        if kind != "ws":
            tokens.append((kind, match.group()))
        position = match.end()
    return tokens


class _TokenStream:
    __slots__ = ("position", "tokens")

    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens = tokens
        self.position = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.tokens[self.position]
        self.position += 1
        return token


def _parse_pipeline(stream: _TokenStream, closing: str | None = None) -> Pipeline:
    pipe = Pipeline([])
    _parse_declaration(stream, pipe)
    command: list[Operand] = []
    while True:
        token = stream.peek()
        if token is None or (token == ("punct", ")") and closing == ")"):
            break
        if token == ("punct", "|"):
            stream.take()
            if not command:
                raise TemplateError("template: :1: missing command before '|'")
            pipe.commands.append(command)
            command = []
            continue
        command.append(_parse_operand(stream))
    if command:
        pipe.commands.append(command)
    if not pipe.commands:
        raise TemplateError("template: :1: missing value for command")
    return pipe


def _parse_declaration(stream: _TokenStream, pipe: Pipeline) -> None:
    tokens = stream.tokens[stream.position:]
    names: list[str] = []
    index = 0
    while index < len(tokens) and tokens[index][0] == "var":
        names.append(tokens[index][1])
        index += 1
        if index < len(tokens) and tokens[index] == ("punct", ","):
            index += 1
            continue
        break
    if names and index < len(tokens) and tokens[index][0] in ("declare", "assign"):
        pipe.declare = names
        stream.position += index + 1


def _parse_operand(stream: _TokenStream) -> Operand:
    kind, text = stream.take()
    if kind == "field":
        return Operand("field", tuple(part for part in text.split(".") if part))
    if kind == "var":
        return Operand("var", text, _chain_after(stream))
    if kind == "string":
        return Operand("literal", _unquote(text))
    if kind == "raw":
        return Operand("literal", text[1:-1])
    if kind == "number":
        return Operand("literal", float(text) if "." in text else int(text))
    if kind == "ident":
        if text in ("true", "false"):
            return Operand("literal", text == "true")
        if text == "nil":
            return Operand("literal", None)
        return Operand("ident", text)
    if (kind, text) == ("punct", "("):
        inner = _parse_pipeline(stream, ")")
        if stream.peek() != ("punct", ")"):
            raise TemplateError("template: :1: unclosed left paren")
        stream.take()
        return Operand("pipe", inner, _chain_after(stream))
    raise TemplateError(f"template: :1: unexpected {text!r} in command")


def _chain_after(stream: _TokenStream) -> tuple[str, ...]:
    token = stream.peek()
    if token is not None and token[0] == "field" and token[1] != ".":
        stream.take()
        return tuple(part for part in token[1].split(".") if part)
    return ()


def _unquote(text: str) -> str:
    escapes = {"n": "\n", "t": "\t", "\\": "\\", '"': '"', "r": "\r", "'": "'", "0": "\0"}
    return re.sub(r"\\(.)", lambda m: escapes.get(m.group(1), m.group(1)), text[1:-1])


def parse(source: str) -> list[Node]:
    pieces = _split(source)
    nodes, end, _ = _parse_list(pieces, 0)
    if end is not None:
        raise TemplateError(f"template: :1: unexpected {{{{{end}}}}}")
    return nodes


def _parse_list(pieces: list[tuple[str, str]], position: int,
                ) -> tuple[list[Node], str | None, int]:
    """Nodes until ``end``/``else``; returns (nodes, the keyword that stopped it, next index)."""
    nodes: list[Node] = []
    while position < len(pieces):
        kind, text = pieces[position]
        position += 1
        if kind == "text":
            nodes.append(Text(text))
            continue
        keyword, _, rest = text.partition(" ")
        if text.startswith("/*"):
            continue
        if keyword in ("end", "else"):
            return nodes, text, position
        if keyword in ("if", "range", "with"):
            branch, position = _parse_branch(pieces, position, keyword, rest)
            nodes.append(branch)
            continue
        nodes.append(Action(_parse_pipeline(_TokenStream(_tokens(text)))))
    return nodes, None, position


def _parse_branch(pieces: list[tuple[str, str]], position: int, keyword: str,
                  rest: str) -> tuple[Branch, int]:
    pipe = _parse_pipeline(_TokenStream(_tokens(rest)))
    body, stop, position = _parse_list(pieces, position)
    otherwise: list[Node] = []
    if stop is not None and stop.startswith("else"):
        chained = stop[4:].strip()
        if chained.startswith("if ") and keyword == "if":
            nested, position = _parse_branch(pieces, position, "if", chained[3:])
            return Branch(keyword, pipe, body, [nested]), position
        otherwise, stop, position = _parse_list(pieces, position)
    if stop != "end":
        raise TemplateError(f"template: :1: unexpected EOF in {keyword}")
    return Branch(keyword, pipe, body, otherwise), position


# -- execution ----------------------------------------------------------------------------------
class _Scope:
    __slots__ = ("dot", "variables")

    def __init__(self, dot: Any, variables: dict[str, Any]) -> None:
        self.dot = dot
        self.variables = variables


def _lookup(value: Any, name: str) -> Any:
    if isinstance(value, dict):
        return value.get(name, _MISSING)
    if value is None or value is _MISSING:
        raise TemplateError(f"template: :1: nil pointer evaluating interface {{}}.{name}")
    attribute = getattr(value, name, _MISSING)
    if attribute is _MISSING:
        raise TemplateError(f"template: :1: can't evaluate field {name} in type "
                            f"{type(value).__name__}")
    return attribute() if callable(attribute) else attribute


def _walk(value: Any, chain: tuple[str, ...]) -> Any:
    for name in chain:
        value = _lookup(value, name)
    return value


class Template:
    """A parsed template; ``execute(data)`` renders it."""

    def __init__(self, source: str, functions: dict[str, Callable[..., Any]] | None = None):
        self.source = source
        self.nodes = parse(source)
        self.functions = {**FUNCTIONS, **(functions or {})}

    def execute(self, data: Any) -> str:
        out: list[str] = []
        self._run(self.nodes, _Scope(data, {"$": data}), out)
        return "".join(out)

    def _run(self, nodes: list[Node], scope: _Scope, out: list[str]) -> None:
        for node in nodes:
            if isinstance(node, Text):
                out.append(node.text)
            elif isinstance(node, Action):
                value = self._pipeline(node.pipe, scope)
                if not node.pipe.declare:
                    out.append(go_sprint(value))
            else:
                self._branch(node, scope, out)

    def _branch(self, node: Branch, scope: _Scope, out: list[str]) -> None:
        if node.keyword == "range":
            self._range(node, scope, out)
            return
        value = self._pipeline(node.pipe, scope, declare=node.keyword == "if")
        if not truthy(value):
            self._run(node.otherwise, scope, out)
        elif node.keyword == "with":
            self._run(node.body, _Scope(value, dict(scope.variables)), out)
        else:
            self._run(node.body, scope, out)

    def _range(self, node: Branch, scope: _Scope, out: list[str]) -> None:
        pipe = Pipeline(node.pipe.commands)
        value = self._pipeline(pipe, scope)
        items: list[tuple[Any, Any]]
        if isinstance(value, dict):
            items = [(key, value[key]) for key in sorted(value)]
        elif isinstance(value, list | tuple):
            items = list(enumerate(value))
        elif isinstance(value, int) and not isinstance(value, bool):
            items = [(index, index) for index in range(value)]
        elif value is None or value is _MISSING:
            items = []
        else:
            raise TemplateError(f"template: :1: range can't iterate over {go_sprint(value)}")
        if not items:
            self._run(node.otherwise, scope, out)
            return
        names = node.pipe.declare
        for key, element in items:
            variables = dict(scope.variables)
            if len(names) == 1:
                variables[names[0]] = element
            elif len(names) == 2:
                variables[names[0]], variables[names[1]] = key, element
            self._run(node.body, _Scope(element, variables), out)

    def _pipeline(self, pipe: Pipeline, scope: _Scope, declare: bool = True) -> Any:
        value: Any = _MISSING
        for index, command in enumerate(pipe.commands):
            value = self._command(command, scope, value if index else _MISSING)
        if pipe.declare and declare:
            scope.variables[pipe.declare[0]] = value
        return value

    def _command(self, command: list[Operand], scope: _Scope, piped: Any) -> Any:
        head = command[0]
        if head.kind == "ident":
            function = self.functions.get(head.value)
            if function is None:
                raise TemplateError(f'template: :1: function "{head.value}" not defined')
            args = [self._operand(operand, scope) for operand in command[1:]]
            if piped is not _MISSING:
                args.append(piped)
            try:
                return function(*args)
            except TemplateError:
                raise
            except (TypeError, ValueError, IndexError, KeyError) as exc:
                raise TemplateError(f"template: :1: error calling {head.value}: {exc}") from exc
        if len(command) == 1 and piped is _MISSING:
            return self._operand(head, scope)
        method = self._method(head, scope)
        if method is None:
            raise TemplateError(f"template: :1: can't give argument to non-function "
                                f"{_describe(head)}")
        args = [self._operand(operand, scope) for operand in command[1:]]
        if piped is not _MISSING:
            args.append(piped)
        return method(*args)

    def _method(self, operand: Operand, scope: _Scope) -> Callable[..., Any] | None:
        """A method named by a field chain (``{{.Label "x"}}``), for calls with arguments."""
        if operand.kind != "field" or not operand.value:
            return None
        owner = _walk(scope.dot, operand.value[:-1])
        if isinstance(owner, dict):
            return None
        method = getattr(owner, operand.value[-1], None)
        return method if callable(method) else None

    def _operand(self, operand: Operand, scope: _Scope) -> Any:
        if operand.kind == "literal":
            return operand.value
        if operand.kind == "field":
            return _walk(scope.dot, operand.value)
        if operand.kind == "var":
            if operand.value not in scope.variables:
                raise TemplateError(f"template: :1: undefined variable: {operand.value}")
            return _walk(scope.variables[operand.value], operand.chain)
        if operand.kind == "pipe":
            return _walk(self._pipeline(operand.value, scope), operand.chain)
        function = self.functions.get(operand.value)
        if function is None:
            raise TemplateError(f'template: :1: function "{operand.value}" not defined')
        return function()


def _describe(operand: Operand) -> str:
    if operand.kind == "field":
        return "." + ".".join(operand.value)
    return str(operand.value)
