"""Variable substitution as Docker's shell lexer performs it on one word."""

from collections.abc import Mapping

from wharf.build.dockerfile.errors import DockerfileError

_UNMATCHED = "unexpected end of statement while looking for matching {}-quote"
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


class _Lexer:
    def __init__(self, text: str, env: Mapping[str, str], escape: str) -> None:
        self.text = text
        self.pos = 0
        self.env = env
        self.escape = escape

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def take(self) -> str:
        ch = self.peek()
        self.pos += 1
        return ch

    def word(self, stop: str = "") -> str:
        out: list[str] = []
        while self.pos < len(self.text) and self.peek() not in stop:
            ch = self.take()
            if ch == "'":
                out.append(self.single_quoted())
            elif ch == '"':
                out.append(self.double_quoted())
            elif ch == "$":
                out.append(self.dollar())
            elif ch == self.escape:
                out.append(self.take() or ch)
            else:
                out.append(ch)
        return "".join(out)

    def single_quoted(self) -> str:
        end = self.text.find("'", self.pos)
        if end < 0:
            raise DockerfileError(_UNMATCHED.format("single"))
        value = self.text[self.pos : end]
        self.pos = end + 1
        return value

    def double_quoted(self) -> str:
        out: list[str] = []
        while True:
            ch = self.take()
            if ch == "":
                raise DockerfileError(_UNMATCHED.format("double"))
            if ch == '"':
                return "".join(out)
            if ch == "$":
                out.append(self.dollar())
            elif ch == self.escape and self.peek() in ('"', "$", self.escape) and self.peek():
                out.append(self.take())
            else:
                out.append(ch)

    def name(self) -> str:
        start = self.pos
        if self.peek().isdigit():  # positional: one digit only, as Docker
            self.pos += 1
            return self.text[start : self.pos]
        while self.peek() and self.peek() in _NAME_CHARS:
            self.pos += 1
        return self.text[start : self.pos]

    def dollar(self) -> str:
        if self.peek() == "{":
            self.pos += 1
            return self.braced()
        name = self.name()
        if not name:
            return "$"
        return self.env.get(name, "")

    def braced(self) -> str:
        name = self.name()
        if not name:
            raise DockerfileError(f"bad substitution: missing name in ${{{self.text[self.pos:]}")
        if self.peek() == "}":
            self.pos += 1
            return self.env.get(name, "")
        colon = self.peek() == ":"
        if colon:
            self.pos += 1
        op = self.take()
        if op not in ("-", "+", "?"):
            raise DockerfileError(f"unsupported modifier ({op}) in substitution")
        word = self.word(stop="}")
        if self.take() != "}":
            raise DockerfileError("syntax error: missing '}'")
        return self.modify(name, colon, op, word)

    def modify(self, name: str, colon: str | bool, op: str, word: str) -> str:
        value = self.env.get(name)
        present = value is not None and (not colon or value != "")
        if op == "-":
            return value if present and value is not None else word
        if op == "+":
            return word if present else ""
        if not present:
            raise DockerfileError(f"{name}: {word or 'is not allowed to be unset'}")
        return value or ""


def expand_word(word: str, env: Mapping[str, str], escape: str = "\\") -> str:
    """Expand ``$v``/``${v...}`` in *word* and remove its quoting, as Docker does."""
    return _Lexer(word, env, escape).word()
