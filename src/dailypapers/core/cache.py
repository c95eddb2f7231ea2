"""The site's cache on Redis (DAILYPAPERS_CACHE_URL), tolerant of Redis being away.

Django's own RedisCache raises when Redis cannot be reached, which would turn every page that
touches the cache into a 500. Here an unreachable Redis is a cache that holds nothing: reads miss,
writes are dropped, the outage is logged once (and its end once). For RETRY_AFTER seconds after a
failure Redis is not even asked, so a request never waits on a dead server more than once per
window. Everything the cache holds can be recomputed from the database, which stays the truth.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache, RedisCacheClient

log = logging.getLogger("dailypapers.cache")
T = TypeVar("T")
_MISSING: Any = object()

RETRY_AFTER = 5.0  # seconds an unreachable Redis is left alone before it is tried again
# Redis answers on a LAN in well under a millisecond; a server that takes this long is treated as down.
SOCKET_TIMEOUT = 0.5


class ReusedClients(RedisCacheClient):
    """Django's client makes a redis.Redis for every operation, and redis-py builds its table of
    response callbacks each time (about 0.3 ms, more than the round trip): one per connection pool
    serves every thread, as redis-py's clients are meant to."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class TolerantRedisCache(RedisCache):
    """RedisCache whose failures are misses (see the module's docstring)."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        params = {**params}
        options = {"socket_connect_timeout": SOCKET_TIMEOUT, "socket_timeout": SOCKET_TIMEOUT}
        params["OPTIONS"] = {**options, **params.get("OPTIONS", {})}
        super().__init__(server, params)
        self._class = ReusedClients
        self._down_until = 0.0
        self._down = False
        self._state = threading.Lock()

    @property
    def available(self) -> bool:
        """False while Redis is taken for down (the last call failed less than RETRY_AFTER ago)."""
        return time.monotonic() >= self._down_until

    def _call(self, operation: Callable[[], T], missed: T) -> T:
        import redis

        if not self.available:
            return missed
        try:
            result = operation()
        except (redis.RedisError, OSError) as exc:
            with self._state:
                self._down_until = time.monotonic() + RETRY_AFTER
                if not self._down:
                    self._down = True
                    log.error(
                        "cache: Redis at %s is unreachable (%s: %s); serving without the cache, "
                        "retrying every %.0f s",
                        self._servers[0],
                        type(exc).__name__,
                        exc,
                        RETRY_AFTER,
                    )
            return missed
        if self._down:
            with self._state:
                if self._down:
                    self._down = False
                    log.warning("cache: Redis at %s answers again", self._servers[0])
        return result

    def run(self, key: str, command: Callable[[Any], T], missed: T) -> T:
        """`command(client)` on the redis.Redis client that holds `key` (a full key: see make_key),
        or `missed` while Redis is away, as for the cache's own operations (core.limits counts so)."""
        return self._call(lambda: command(self._cache.get_client(key, write=True)), missed)

    # The operations of Django's cache API, each with what it answers when Redis is away.

    def add(self, key: str, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        return self._call(lambda: RedisCache.add(self, key, value, timeout, version), False)

    def get(self, key: str, default: Any = None, version: int | None = None) -> Any:
        return self._call(lambda: RedisCache.get(self, key, default, version), default)

    def set(self, key: str, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> None:
        self._call(lambda: RedisCache.set(self, key, value, timeout, version), None)

    def touch(self, key: str, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        return self._call(lambda: RedisCache.touch(self, key, timeout, version), False)

    def delete(self, key: str, version: int | None = None) -> bool:
        return self._call(lambda: RedisCache.delete(self, key, version), False)

    def get_many(self, keys: Iterable[str], version: int | None = None) -> dict[str, Any]:
        return self._call(lambda: RedisCache.get_many(self, keys, version), {})

    def has_key(self, key: str, version: int | None = None) -> bool:
        return self._call(lambda: RedisCache.has_key(self, key, version), False)

    def incr(self, key: str, delta: int = 1, version: int | None = None) -> int:
        # Django's incr of a missing key is a ValueError; while Redis is away every key is missing.
        result = self._call(lambda: RedisCache.incr(self, key, delta, version), _MISSING)
        if result is _MISSING:
            raise ValueError(f"Key '{key}' not found (the cache is unavailable)")
        return result

    def set_many(
        self, data: dict[str, Any], timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> list[str]:
        return self._call(lambda: RedisCache.set_many(self, data, timeout, version), list(data))

    def delete_many(self, keys: Iterable[str], version: int | None = None) -> None:
        self._call(lambda: RedisCache.delete_many(self, keys, version), None)

    def clear(self) -> bool:
        return self._call(lambda: RedisCache.clear(self), False)
