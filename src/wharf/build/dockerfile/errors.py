"""The error raised for a Dockerfile that cannot be parsed."""

from wharf.core.errors import InvalidParameter


class DockerfileError(InvalidParameter):
    """A parse error, worded as Docker words it."""

    @classmethod
    def at(cls, line: int, message: str) -> "DockerfileError":
        return cls(f"dockerfile parse error on line {line}: {message}")
