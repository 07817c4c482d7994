"""Trying a registry's endpoints in order (mirrors, then https, then plain http).

A mirror's failure of any kind moves on to the next endpoint; so does a TLS failure of an
insecure registry's https endpoint (it may speak plain http — remembered, so the next call
starts there). Any other failure of the upstream is the answer.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from wharf.core.errors import WharfError
from wharf.registry.client.endpoints import Endpoint, RegistryConfig, endpoints_for
from wharf.registry.client.transport import TlsFailure

__all__ = ["EndpointFallback"]

T = TypeVar("T")


class EndpointFallback:
    """Thread-safe; remembers which upstreams answered over plain http."""

    def __init__(self, config: RegistryConfig) -> None:
        self._config = config
        self._plain_http: set[str] = set()
        self._lock = threading.Lock()

    def endpoints(self, domain: str, *, pull: bool) -> list[Endpoint]:
        return self.ordered(endpoints_for(domain, self._config, pull=pull))

    def ordered(self, found: list[Endpoint]) -> list[Endpoint]:
        """Mirrors first; an upstream known to speak plain http before its https."""
        with self._lock:
            plain = set(self._plain_http)

        def rank(endpoint: Endpoint) -> int:
            if endpoint.is_mirror:
                return 0
            return 1 if endpoint.scheme == "http" and endpoint.host in plain else 2

        return sorted(found, key=rank)

    def run(self, endpoints: list[Endpoint], action: Callable[[Endpoint], T]) -> T:
        """``action`` on each endpoint in turn until one gives an answer."""
        error: WharfError | None = None
        for position, endpoint in enumerate(endpoints):
            last = position == len(endpoints) - 1
            try:
                result = action(endpoint)
            except TlsFailure as failure:
                if last:
                    raise
                error = failure
                continue
            except WharfError as failure:
                if not endpoint.is_mirror or last:
                    raise
                error = failure
                continue
            if endpoint.scheme == "http" and not endpoint.is_mirror:
                with self._lock:
                    self._plain_http.add(endpoint.host)
            return result
        if error is None:
            raise WharfError("no endpoint to try")
        raise error
