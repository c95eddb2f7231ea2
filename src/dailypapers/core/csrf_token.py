"""A reader's CSRF token, made as django.middleware.csrf.get_token makes it (the same secret, cookie
and masked 64-character token, which Django's CsrfViewMiddleware checks as its own), from two reads of
the system's randomness where Django's makes one per character: 64 for every page an anonymous
reader is served, about a third of the cost of serving a stored page."""

from __future__ import annotations

import secrets

from django.http import HttpRequest
from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH

_COUNT = len(CSRF_ALLOWED_CHARS)
_INDEX = {char: i for i, char in enumerate(CSRF_ALLOWED_CHARS)}
# Bytes from here up are dropped, so that every character is equally likely.
_BELOW = 256 - 256 % _COUNT


def _random_string(length: int = CSRF_SECRET_LENGTH) -> str:
    chars: list[str] = []
    while len(chars) < length:
        chars += [CSRF_ALLOWED_CHARS[b % _COUNT] for b in secrets.token_bytes(length + 8) if b < _BELOW]
    return "".join(chars[:length])


def get_token(request: HttpRequest) -> str:
    """What Django's get_token does: the reader's secret (a new one, and its cookie, if the request
    brought none that CsrfViewMiddleware accepted), masked afresh for this response."""
    secret = request.META.get("CSRF_COOKIE")
    if secret is None:
        secret = request.META["CSRF_COOKIE"] = _random_string()
    request.META["CSRF_COOKIE_NEEDS_UPDATE"] = True  # (re)sends the cookie, renewing its expiry
    mask = _random_string()
    pairs = zip(secret, mask, strict=True)
    return mask + "".join(CSRF_ALLOWED_CHARS[(_INDEX[s] + _INDEX[m]) % _COUNT] for s, m in pairs)
