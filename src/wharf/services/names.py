"""Container names and ids: Docker's validation rule and its ``adjective_surname`` style."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable

from wharf.core.errors import InvalidParameter

VALID_NAME = re.compile(r"^/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$")

_ADJECTIVES = (
    "admiring",
    "amazing",
    "awesome",
    "blissful",
    "bold",
    "brave",
    "busy",
    "calm",
    "charming",
    "clever",
    "cool",
    "dazzling",
    "determined",
    "eager",
    "ecstatic",
    "elegant",
    "epic",
    "fervent",
    "festive",
    "focused",
    "friendly",
    "gallant",
    "gifted",
    "goofy",
    "gracious",
    "happy",
    "hopeful",
    "inspiring",
    "jolly",
    "keen",
    "kind",
    "laughing",
    "lucid",
    "magical",
    "modest",
    "musing",
    "nice",
    "nifty",
    "optimistic",
    "peaceful",
    "practical",
    "quirky",
    "relaxed",
    "serene",
    "sharp",
    "stoic",
    "sweet",
    "tender",
    "trusting",
    "upbeat",
    "vibrant",
    "wizardly",
    "youthful",
    "zealous",
    "zen",
)
_SURNAMES = (
    "agnesi",
    "albattani",
    "babbage",
    "bardeen",
    "bell",
    "bohr",
    "cori",
    "curie",
    "darwin",
    "dijkstra",
    "einstein",
    "euclid",
    "euler",
    "faraday",
    "fermi",
    "feynman",
    "franklin",
    "galileo",
    "gauss",
    "goldberg",
    "hamilton",
    "hawking",
    "hopper",
    "hypatia",
    "joliot",
    "kepler",
    "knuth",
    "lamarr",
    "leakey",
    "lovelace",
    "margulis",
    "maxwell",
    "mayer",
    "mcclintock",
    "meitner",
    "mendel",
    "morse",
    "newton",
    "noether",
    "pasteur",
    "perlman",
    "poincare",
    "ritchie",
    "shannon",
    "sinoussi",
    "tesla",
    "thompson",
    "torvalds",
    "turing",
    "villani",
    "wilson",
    "wozniak",
    "yalow",
    "yonath",
)


def new_container_id() -> str:
    """64 lowercase hex digits, never all digits (Docker avoids ids that parse as numbers)."""
    while True:
        candidate = secrets.token_hex(32)
        if not candidate.isdigit():
            return candidate


def validate_name(name: str) -> str:
    """The name without its leading ``/``; 400 with Docker's message when invalid."""
    if not VALID_NAME.match(name):
        raise InvalidParameter(
            f"Invalid container name ({name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed"
        )
    return name.lstrip("/")


def random_name(taken: Callable[[str], bool], attempts: int = 50) -> str:
    """A free ``adjective_surname`` (with a digit suffix after the first collisions)."""
    for attempt in range(attempts):
        name = f"{secrets.choice(_ADJECTIVES)}_{secrets.choice(_SURNAMES)}"
        if name == "boring_wozniak":
            continue
        if attempt > 5:
            name += str(secrets.randbelow(10))
        if not taken(name):
            return name
    return f"wharf_{secrets.token_hex(6)}"
