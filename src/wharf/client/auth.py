"""The ``X-Registry-Auth`` header: an auth config as base64url JSON, as docker's client sends it.

Fields are Docker's ``AuthConfig`` names in Docker's order, empty ones left out, so no
credentials encode as ``{}`` (``e30=``), which docker sends too.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping

FIELDS = ("username", "password", "auth", "email", "serveraddress", "identitytoken",
          "registrytoken")


def encode_registry_auth(config: Mapping[str, str]) -> str:
    """base64url (padded, like Go's ``base64.URLEncoding``) of the config's JSON."""
    shown = {name: config[name] for name in FIELDS if config.get(name)}
    text = json.dumps(shown, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode("ascii")
