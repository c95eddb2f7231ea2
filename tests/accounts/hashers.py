"""A password hasher that counts how often it hashes, for tests that bound the work per request."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.contrib.auth.hashers import MD5PasswordHasher


class CountingHasher(MD5PasswordHasher):
    """MD5 (fast), counting each hash computed: every check and every new hash runs encode() once."""

    algorithm = "counting_md5"
    calls = 0
    _lock = threading.Lock()

    def encode(self, password: str, salt: str) -> str:
        with CountingHasher._lock:
            CountingHasher.calls += 1
        return super().encode(password, salt)

    @classmethod
    def count_during(cls, action: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[int, Any]:
        """(how many hashes `action(*args, **kwargs)` computed, what it returned)."""
        before = cls.calls
        result = action(*args, **kwargs)
        return cls.calls - before, result
