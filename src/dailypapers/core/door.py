"""The WSGI door: a fresh shared copy served again before Django's handler runs.

The answers that are the same for every reader (the API's reads, the RSS feeds: core.pagecache's
copies with `per_member=False`) are what many clients ask for again and again. SharedPageMiddleware
already serves them from a copy, but each answer still builds Django's request and response objects
and passes through the outer middleware, and under load that costs most of the answer's CPU: the
API's 346 kB feed, counted against the client's limit, went from about 1,750 to about 2,500 answers
a second on 2 cores at the door, its workers' CPU per answer from about 690 µs to about 370 µs
(README, "Many readers").

So the door learns from Django. When SharedPageMiddleware answers a request with a fresh shared
copy, whole (a 200, not a 304), `record` keeps that answer's final headers, as every middleware left
them, under the request's *signature*: its address and the few request headers that can change the
answer's headers or the copy's key (host, scheme, Accept-Encoding). A later request with the same
signature is served by `serve`: the copy's stamps are read as SharedPageMiddleware reads them (with
the gate's count in the same round trip), and while the copy is the same one (its ETag) and fresh,
the answer is the recorded headers with this request's own values (`X-Cache`, and the headers the
gate adds, such as the API's remaining allowance) and the copy's body. Django's request signals run
around it, as around any request (its database connections are checked and recycled the same way).

Anything else goes on to Django, which answers as it always did: a copy renewed or stale, a
conditional request (If-None-Match), a HEAD, a session or flash-message cookie, a gate that refuses
(the API's 429), a database that fails. A read the door already counted is not counted again there
(the gate keeps its count in the request's environ, which Django's request shares).

The recorded headers hold whatever the middleware above SharedPageMiddleware added (security
headers, the content security policy): those depend on the request only through the signature.
tests/core/test_door.py keeps that list of middleware, and compares the door's answers with Django's.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any, NamedTuple

from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler, WSGIRequest
from django.core.signals import request_finished, request_started
from django.db import DatabaseError
from django.http import HttpResponse

from dailypapers.core import pagecache

log = logging.getLogger(__name__)

# Requests Django answers otherwise than with the whole copy, or whose reader is not anonymous.
_TO_DJANGO = ("HTTP_IF_NONE_MATCH", "HTTP_IF_MATCH", "HTTP_IF_MODIFIED_SINCE", "HTTP_IF_UNMODIFIED_SINCE")
# The request headers (besides the address) that may change the answer's headers or the copy's key:
# the host as Django reads it, the scheme (SecurityMiddleware's HSTS), the codings the client takes.
_SIGNED = (
    "HTTP_HOST",
    "HTTP_X_FORWARDED_HOST",
    "SERVER_NAME",
    "SERVER_PORT",
    "SCRIPT_NAME",
    "PATH_INFO",
    "QUERY_STRING",
    "wsgi.url_scheme",
    "HTTP_X_FORWARDED_PROTO",
    "HTTP_ACCEPT_ENCODING",
)
MAX_RECORDED = 4096  # signatures kept per process; the oldest recorded goes first


class _Recorded(NamedTuple):
    key: str  # the copy's cache key
    gate: str  # the copy's gate, or ""
    etag: str  # the copy's Stored.etag: a renewed copy is another, and goes to Django
    gzipped: bool  # the answer was the copy's gzipped body
    headers: tuple[tuple[str, str], ...]  # the answer's final headers


_recorded: dict[tuple, _Recorded] = {}
_recording = threading.Lock()


def _at_the_door(environ: dict[str, Any]) -> bool:
    """Whether the door may serve this request (given a recorded answer for it)."""
    if environ.get("REQUEST_METHOD") != "GET" or settings.PAGE_CACHE_SECONDS <= 0:
        return False
    if any(name in environ for name in _TO_DJANGO):
        return False
    # As SharedPageMiddleware: a session or a flash message is a reader's own. Read from the raw
    # header: a cookie whose name merely contains one of these goes to Django too.
    cookies = environ.get("HTTP_COOKIE")
    return not cookies or (
        settings.SESSION_COOKIE_NAME not in cookies and pagecache.MESSAGES_COOKIE not in cookies
    )


def signature(environ: dict[str, Any]) -> tuple | None:
    """What names a request's answer at the door, or None: the door may not serve it. Taken before
    Django sees the request (its handler fills in some of the environ)."""
    if not _at_the_door(environ):
        return None
    proxy = settings.SECURE_PROXY_SSL_HEADER
    extra = environ.get(proxy[0]) if proxy else None
    return (*(environ.get(name) for name in _SIGNED), extra)


def record(signature: tuple, response: HttpResponse) -> None:
    """After Django answered the request of `signature`: keep the answer for the door if it was a
    shared copy, whole."""
    copy = getattr(response, "shared_copy", None)
    if copy is None or response.status_code != 200 or response.cookies:
        return
    if copy.gate and pagecache.gate_door(copy.gate) is None:
        return  # a gate the door cannot count through
    gzipped = response.get("Content-Encoding") == "gzip"
    recorded = _Recorded(copy.key, copy.gate, copy.etag, gzipped, tuple(response.items()))
    with _recording:
        _recorded.pop(signature, None)  # recorded again: the newest, the last to go
        _recorded[signature] = recorded
        while len(_recorded) > MAX_RECORDED:
            del _recorded[next(iter(_recorded))]


def forget() -> None:
    """Forget every recorded answer (the tests start each from none)."""
    with _recording:
        _recorded.clear()


def serve(signature: tuple, environ: dict[str, Any], start_response: Callable) -> list[bytes] | None:
    """The WSGI answer to `environ` (whose `signature` this is) from a recorded one, or None: Django
    answers."""
    recorded = _recorded.get(signature)
    if recorded is None:
        return None
    door = pagecache.gate_door(recorded.gate) if recorded.gate else None
    if recorded.gate and door is None:
        return None
    request_started.send(sender=WSGIHandler, environ=environ)
    try:
        answer = _answer(environ, recorded, door)
    finally:
        request_finished.send(sender=WSGIHandler)
    if answer is None:
        return None
    headers, body = answer
    start_response("200 OK", headers)
    return [body]


def _answer(
    environ: dict[str, Any], recorded: _Recorded, door: pagecache.Door | None
) -> tuple[list[tuple[str, str]], bytes] | None:
    request = WSGIRequest(environ)
    try:
        entry, fresh = pagecache.shared_copy(request, recorded.key)
        # Counted as the gate counts (or as its statement, run with the stamps, did), whether the door
        # answers or Django does: Django's gate then finds the count and makes no other.
        added = door(request) if door is not None and entry is not None else {}
    except DatabaseError:
        return None  # Django meets it too, and answers its 503 page
    except Exception:
        log.exception("the WSGI door failed; Django answers %s", request.path)
        return None
    if added is None or entry is None or not fresh or entry[1].etag != recorded.etag:
        return None
    body = entry[1].packed if recorded.gzipped else entry[1].body
    if body is None:
        return None
    own = {"x-cache", *(name.lower() for name in added)}
    headers = [(name, value) for name, value in recorded.headers if name.lower() not in own]
    headers += [("X-Cache", "hit"), *added.items()]
    return headers, body
