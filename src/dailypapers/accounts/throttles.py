"""Sign-in and sign-up throttles: counts of attempts per account name or client address, kept in the
file cache, which every server process shares."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache


class Throttle:
    """A count of events per key within a window, in the shared cache."""

    def __init__(self, scope: str, limit: int, window: int) -> None:
        self.scope, self.limit, self.window = scope, limit, window

    def _key(self, key: str) -> str:
        # Hashed: names and addresses do not end up as file names in the cache.
        return f"throttle:{self.scope}:{hashlib.sha256(key.lower().encode()).hexdigest()}"

    def blocked(self, *keys: str) -> bool:
        return bool(self.limit) and any(cache.get(self._key(k), 0) >= self.limit for k in keys if k)

    def hit(self, *keys: str) -> None:
        for k in keys:
            if not k:
                continue
            if not cache.add(self._key(k), 1, self.window):
                try:
                    cache.incr(self._key(k))
                except ValueError:  # expired between add and incr
                    cache.add(self._key(k), 1, self.window)

    def reset(self, *keys: str) -> None:
        for k in keys:
            cache.delete(self._key(k))


def login_throttles() -> tuple[Throttle, Throttle]:
    """(per account name, per client address) counters of failed sign-ins."""
    window = settings.ACCOUNTS_LOGIN_WINDOW_SECONDS
    return (
        Throttle("login-name", settings.ACCOUNTS_LOGIN_ATTEMPTS, window),
        Throttle("login-address", settings.ACCOUNTS_LOGIN_ATTEMPTS_PER_ADDRESS, window),
    )


def signup_throttle() -> Throttle:
    return Throttle("signup", settings.ACCOUNTS_SIGNUPS_PER_HOUR, 3600)
