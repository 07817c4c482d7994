"""State a hostile registry could grow without end stays bounded: cached tokens (a new realm
or service in every challenge) and connection pools (a new host in every Link, Location or
redirect)."""

from __future__ import annotations

from wharf.registry.client import ANONYMOUS, Endpoint, RegistryConfig
from wharf.registry.client.auth import MAX_CACHED_TOKENS, Challenge, Token, TokenCache
from wharf.registry.client.transport import MAX_POOLS, Transport


def test_the_token_cache_keeps_at_most_its_limit_newest_first() -> None:
    now = [1000.0]
    cache = TokenCache(clock=lambda: now[0])
    for number in range(MAX_CACHED_TOKENS * 3):
        challenge = Challenge("bearer", {"realm": f"http://h/{number}", "service": "s"})
        cache.put(TokenCache.key(challenge, ["repository:a:pull"], ANONYMOUS), _token(now[0]))
    assert len(cache) == MAX_CACHED_TOKENS
    newest = Challenge("bearer", {"realm": f"http://h/{MAX_CACHED_TOKENS * 3 - 1}", "service": "s"})
    assert cache.get(TokenCache.key(newest, ["repository:a:pull"], ANONYMOUS)) is not None
    oldest = Challenge("bearer", {"realm": "http://h/0", "service": "s"})
    assert cache.get(TokenCache.key(oldest, ["repository:a:pull"], ANONYMOUS)) is None


def test_connection_pools_are_bounded() -> None:
    transport = Transport(RegistryConfig())
    try:
        for port in range(1, MAX_POOLS * 2 + 1):
            transport._pool(Endpoint("http", f"127.0.0.1:{port}"))  # no connection is made
        assert transport.pool_count == MAX_POOLS
    finally:
        transport.close()


def _token(now: float) -> Token:
    return Token("t", now + 300)
