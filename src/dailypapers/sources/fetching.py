"""Polite HTTP for every remote source: one client, a User-Agent with a contact, a pause between
requests, Retry-After honoured, and retries with exponential backoff on transient failures."""

from __future__ import annotations

import email.utils
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import httpx
from django.conf import settings

from dailypapers import __version__

log = logging.getLogger("dailypapers.sources")

# Answers worth waiting for: arXiv says 503 + Retry-After when it wants harvesters to slow down.
TRANSIENT = {408, 425, 429, 500, 502, 503, 504}


class SourceError(Exception):
    """A remote source failed in a way the caller should report: the message names the URL."""


def user_agent() -> str:
    return f"dailypapers/{__version__} (+{settings.SITE_URL}; mailto:{settings.CONTACT_EMAIL})"


def _retry_after(value: str | None, now: float) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - now)


@dataclass
class Fetcher:
    """GETs with a minimum pause between requests and bounded, logged retries."""

    delay: float = field(default_factory=lambda: settings.ARXIV_DELAY)
    retries: int = field(default_factory=lambda: settings.SOURCE_RETRIES)
    backoff: float = field(default_factory=lambda: settings.SOURCE_BACKOFF)
    max_wait: float = 600.0
    timeout: float = 60.0
    sleep: Callable[[float], None] = time.sleep
    _last_request: float = field(default=0.0, init=False)
    _client: httpx.Client | None = field(default=None, init=False)

    @property
    def client(self) -> httpx.Client:
        if self._client is None:
            self._client = httpx.Client(
                headers={"User-Agent": user_agent()}, timeout=self.timeout, follow_redirects=True
            )
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def get(self, url: str, params: Mapping[str, str] | None = None) -> httpx.Response:
        """The response to a GET (any 2xx or 4xx that is not transient); SourceError when it cannot be had."""
        attempt = 0
        while True:
            self._pause()
            try:
                response = self.client.get(url, params=params)
            except httpx.HTTPError as exc:
                wait, reason = None, f"{type(exc).__name__}: {exc}"
            else:
                if response.status_code not in TRANSIENT:
                    return response
                wait = _retry_after(response.headers.get("Retry-After"), time.time())
                reason = f"HTTP {response.status_code}"
            attempt += 1
            shown = httpx.URL(url, params=params)
            if attempt > self.retries:
                raise SourceError(f"{shown}: {reason}; gave up after {attempt} attempts")
            wait = min(self.max_wait, wait if wait is not None else self.backoff * 2 ** (attempt - 1))
            log.warning(
                "%s: %s; retrying in %.0f s (attempt %d of %d)", shown, reason, wait, attempt, self.retries
            )
            self.sleep(wait)

    def download(self, url: str, max_bytes: int) -> bytes:
        """The body of a 200 answer to a GET, read as it streams in and given up past `max_bytes`
        (a huge or endless file never fills the memory); SourceError otherwise. Transient answers
        are retried as `get` retries them."""
        attempt = 0
        while True:
            self._pause()
            try:
                with self.client.stream("GET", url) as response:
                    if response.status_code not in TRANSIENT:
                        if response.status_code != 200:
                            raise SourceError(f"{url}: HTTP {response.status_code}")
                        declared = response.headers.get("Content-Length", "")
                        if declared.isdigit() and int(declared) > max_bytes:
                            raise SourceError(f"{url}: {declared} bytes, more than the {max_bytes} allowed")
                        body = bytearray()
                        for chunk in response.iter_bytes():
                            body += chunk
                            if len(body) > max_bytes:
                                raise SourceError(f"{url}: more than the {max_bytes} bytes allowed")
                        return bytes(body)
                    wait = _retry_after(response.headers.get("Retry-After"), time.time())
                    reason = f"HTTP {response.status_code}"
            except httpx.HTTPError as exc:
                wait, reason = None, f"{type(exc).__name__}: {exc}"
            attempt += 1
            if attempt > self.retries:
                raise SourceError(f"{url}: {reason}; gave up after {attempt} attempts")
            wait = min(self.max_wait, wait if wait is not None else self.backoff * 2 ** (attempt - 1))
            log.warning(
                "%s: %s; retrying in %.0f s (attempt %d of %d)", url, reason, wait, attempt, self.retries
            )
            self.sleep(wait)

    def _pause(self) -> None:
        if self.delay and self._last_request:
            remaining = self._last_request + self.delay - time.monotonic()
            if remaining > 0:
                self.sleep(remaining)
        self._last_request = time.monotonic()
