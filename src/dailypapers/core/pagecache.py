"""Shared pages: rendered responses kept in Django's cache, keyed by what the site shows.

A page that many readers ask for (a feed, a paper page, the API's feed, an RSS feed) is rendered once
and kept in `settings.CACHES["default"]` (local memory in each server process unless the operator
points it elsewhere) under a key holding the *content stamp*: one row (core.ContentVersion) that
moves whenever what such pages show changes. Each request reads that row (one primary-key read) and
so finds the copy made since the last change, or renders a new one: a vote, a comment, a listing, a
paper edited or hidden shows on the next request, in every process and on every node sharing the
database, with no message between them.

The stamp moves once the writing transaction commits (`bump`): the apps call `watch(...)` for the
models whose rows pages show, and call `bump()` themselves after writes that send no model signals
(bulk imports). Copies also expire after `settings.PAGE_CACHE_SECONDS`, so what changes with the clock
alone (trending scores) is at most that old.

What differs between readers never enters a shared copy: a page is stored with a placeholder where
the reader's CSRF token goes, filled for each request; pages of signed-in members are kept per member
(their vote marks, their name); anonymous readers share one copy. Requests that carry something to
show once (a flash message, a comment draft) are rendered afresh. A member's copies are also keyed
by a stamp of their own (`bump_reader`), which moves when something only they see changes (a paper
they saved or hid from their feeds), so their next page shows it and nobody else's copy is retired.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.locmem import LocMemCache
from django.db import DatabaseError, connection, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers

from dailypapers.core.models import ContentVersion

log = logging.getLogger(__name__)

STAMP = "pages"
_MESSAGES_COOKIE = "messages"  # django.contrib.messages' cookie storage (its default name)
# Stands for the reader's CSRF token in a stored page (the csrf_placeholder context processor).
PLACEHOLDER = "csrf-placeholder-6f1d0c2a9b7e4e83"
_PLACEHOLDER_BYTES = PLACEHOLDER.encode()
# Headers that belong to one request, never to a stored copy.
_NOT_STORED = {
    "content-length",
    "set-cookie",
    "vary",
    "cache-control",
    "etag",
    "x-ratelimit-limit",
    "x-ratelimit-remaining",
    "retry-after",
}


def _table() -> str:
    return connection.ops.quote_name(ContentVersion._meta.db_table)


def _reader_stamp(reader: int) -> str:
    return f"reader:{reader}"


def content_version(reader: int = 0) -> str:
    """The current stamp, "<epoch>.<value>", with the member's own stamp after it for a member's
    copies: one indexed read (a first read creates the shared row)."""
    if reader:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT name, epoch, value FROM {_table()} WHERE name IN (%s, %s)",
                [STAMP, _reader_stamp(reader)],
            )
            rows = {name: (epoch, value) for name, epoch, value in cursor.fetchall()}
        if STAMP in rows:
            own = rows.get(_reader_stamp(reader), ("", 0))
            return f"{rows[STAMP][0]}.{rows[STAMP][1]}.{own[1]}"
        return f"{content_version()}.0"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT epoch, value FROM {_table()} WHERE name = %s", [STAMP])
        row = cursor.fetchone()
        if row is None:
            q = connection.ops.quote_name
            cursor.execute(
                f"INSERT INTO {_table()} ({q('name')}, {q('epoch')}, {q('value')}) VALUES (%s, %s, 0) "
                f"ON CONFLICT ({q('name')}) DO NOTHING",
                [STAMP, secrets.token_hex(8)],
            )
            cursor.execute(f"SELECT epoch, value FROM {_table()} WHERE name = %s", [STAMP])
            row = cursor.fetchone()
    return f"{row[0]}.{row[1]}"


def _bump_now() -> None:
    q = connection.ops.quote_name
    table = _table()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({q('name')}, {q('epoch')}, {q('value')}) VALUES (%s, %s, 1) "
            f"ON CONFLICT ({q('name')}) DO UPDATE SET {q('value')} = {table}.{q('value')} + 1",
            [STAMP, secrets.token_hex(8)],
        )


def bump() -> None:
    """Move the stamp once the current transaction commits (at once outside a transaction).

    After the commit, not inside the transaction: the row is then never locked across another
    write's statements (no lock-order deadlock on PostgreSQL), and a reader that still sees the old
    stamp after the commit can only store a page rendered from newer data under the old key, which
    the bump retires a moment later. One bump per transaction is enough: later ones are skipped
    unless the first one sits in a savepoint that may still be rolled back alone."""
    conn = transaction.get_connection()
    if conn.in_atomic_block:
        current = set(conn.savepoint_ids)
        for sids, func, _robust in conn.run_on_commit:
            if func is _bump_now and set(sids) <= current:
                return
    transaction.on_commit(_bump_now, robust=True)


def _bump_reader_now(reader: int) -> None:
    q = connection.ops.quote_name
    table = _table()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({q('name')}, {q('epoch')}, {q('value')}) VALUES (%s, '', 1) "
            f"ON CONFLICT ({q('name')}) DO UPDATE SET {q('value')} = {table}.{q('value')} + 1",
            [_reader_stamp(reader)],
        )


def bump_reader(reader: int) -> None:
    """Retire one member's own copies of pages, once the current transaction commits: for changes
    only they see (their saved and dismissed papers). The shared copies stay."""
    transaction.on_commit(functools.partial(_bump_reader_now, reader), robust=True)


def _changed(sender: type, **kwargs: Any) -> None:
    bump()


def watch(*models: type) -> None:
    """Bump the stamp whenever a row of these models is saved or deleted (or its many-to-many
    relations change)."""
    for model in models:
        post_save.connect(_changed, sender=model, weak=False, dispatch_uid=f"pagecache-save-{model._meta}")
        post_delete.connect(_changed, sender=model, weak=False, dispatch_uid=f"pagecache-del-{model._meta}")
    for model in models:
        for field in model._meta.local_many_to_many:
            through = field.remote_field.through
            m2m_changed.connect(_changed, sender=through, weak=False, dispatch_uid=f"pagecache-m2m-{through}")


def csrf_placeholder(request: HttpRequest) -> dict[str, str]:
    """Context processor: while a page is rendered to be stored, `{% csrf_token %}` writes the
    placeholder (no token is made, no cookie set); each response then gets its reader's token."""
    if getattr(request, "_page_cache_render", False):
        return {"csrf_token": PLACEHOLDER}
    return {}


def _reader(request: HttpRequest, per_member: bool) -> int | None:
    """0 for an anonymous reader, the member's id, or None: render this request afresh."""
    if not per_member:
        return 0
    from django.contrib.messages import get_messages

    if len(get_messages(request)):  # counting them does not mark them shown
        return None
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return 0
    if request.session.get("comment_draft"):
        return None
    return user.pk


def _key(request: HttpRequest, stamp: str, reader: int) -> str:
    return f"page:{stamp}:{reader}:{hashlib.sha256(_where(request).encode()).hexdigest()}"


def _stored(response: HttpResponse, reader: int, per_member: bool, shortcut: bool) -> tuple | None:
    """What a response keeps in the cache, or None when it is not one to share."""
    if response.status_code != 200 or response.streaming or response.cookies:
        return None
    body = response.content
    headers = tuple((k, v) for k, v in response.items() if k.lower() not in _NOT_STORED)
    # The reader is in the tag: two members' pages never answer each other's If-None-Match.
    etag = '"' + hashlib.sha256(body + b"\n" + str(reader).encode()).hexdigest()[:32] + '"'
    return (response.status_code, headers, body, etag, per_member, shortcut)


_render_locks: dict[str, threading.Lock] = {}
_render_locks_guard = threading.Lock()


@contextmanager
def _render_lock(key: str) -> Iterator[None]:
    with _render_locks_guard:
        lock = _render_locks.get(key)
        if lock is None:
            if len(_render_locks) >= 1000:  # keys die with their stamp; a lock lost costs a render
                _render_locks.clear()
            lock = _render_locks[key] = threading.Lock()
    # Never wait for ever behind a render that hangs: render alongside it after a while.
    acquired = lock.acquire(timeout=10)
    try:
        yield
    finally:
        if acquired:
            lock.release()


# With a cache every process shares (Redis), each process also keeps the copies it last used, for a
# few seconds: a copy's key holds the content stamp, so a vote or a listing still shows at once, and
# only what changes with the clock alone may show up to NEAR_SECONDS past PAGE_CACHE_SECONDS. Fetching
# the API's 355 kB feed from Redis for every read cost more than the rest of the request.
NEAR_SECONDS = 5.0
_NEAR_ENTRIES = 64
_near: dict[str, tuple[float, tuple]] = {}


def _keep_near(key: str, stored: tuple) -> None:
    if NEAR_SECONDS <= 0 or isinstance(caches["default"], LocMemCache):  # that is this process's memory
        return
    if len(_near) >= _NEAR_ENTRIES:  # keys die with their stamp; a copy forgotten costs one fetch
        _near.clear()
    _near[key] = (time.monotonic() + min(NEAR_SECONDS, settings.PAGE_CACHE_SECONDS), stored)


def _cache_get(key: str) -> tuple | None:
    near = _near.get(key)
    if near is not None and near[0] > time.monotonic():
        return near[1]
    # A cache that cannot be reached (a Redis down) costs renders, never an error page.
    try:
        stored = cache.get(key)
    except Exception:
        log.warning("page cache unreachable; rendering afresh", exc_info=True)
        return None
    if stored is not None:
        _keep_near(key, stored)
    return stored


def _cache_set(key: str, stored: tuple) -> None:
    _keep_near(key, stored)
    try:
        cache.set(key, stored, settings.PAGE_CACHE_SECONDS)
    except Exception:
        log.warning("page cache unreachable; the page is not kept", exc_info=True)


def _fill(request: HttpRequest, body: bytes) -> bytes:
    if _PLACEHOLDER_BYTES in body:
        body = body.replace(_PLACEHOLDER_BYTES, get_token(request).encode())
    return body


def _answer(request: HttpRequest, stored: tuple) -> HttpResponse:
    status, headers, body, etag, per_member, _shortcut = stored
    response = HttpResponse(_fill(request, body), status=status)
    for name, value in headers:
        response[name] = value
    response["ETag"] = etag
    _mark(response, per_member)
    return get_conditional_response(request, etag=etag, response=response) or response


def _mark(response: HttpResponse, per_member: bool) -> None:
    # Pages carry the reader's CSRF token (and a member's name): no shared cache may keep them, and a
    # browser asks again each time (a 304 when nothing changed). API and feed answers are the same
    # for everyone.
    if per_member:
        patch_cache_control(response, private=True, no_cache=True)
        patch_vary_headers(response, ["Cookie"])
    else:
        patch_cache_control(response, public=True, no_cache=True)


def cached_page(view: Callable | None = None, *, per_member: bool = True, shortcut: bool = True) -> Callable:
    """Serve the view's GET answers from the cache while the content stamp stands.

    per_member: the page shows who reads it (sign-in state, vote marks, CSRF tokens), so members get
    copies of their own and anonymous readers share one; False: the answer is the same for everyone
    (the API's reads, RSS), and the reader is never looked at.
    shortcut: anonymous readers may get the stored copy from SharedPageMiddleware, before the rest of
    the middleware and the view run; False where the view must run each time (the API counts every
    read against its rate limit before this decorator is reached)."""

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if settings.PAGE_CACHE_SECONDS <= 0 or request.method not in ("GET", "HEAD"):
                return view(request, *args, **kwargs)
            reader = _reader(request, per_member)
            if reader is None:
                return view(request, *args, **kwargs)
            key = _key(request, content_version(reader), reader)
            stored = _cache_get(key)
            if stored is None:
                # One render per copy and process: the other threads asking for it wait for that
                # one (after a vote every reader misses at once, and renders cost ~25x a copy).
                with _render_lock(key):
                    stored = _cache_get(key)
                    if stored is None:
                        request._page_cache_render = True
                        try:
                            response = view(request, *args, **kwargs)
                        finally:
                            request._page_cache_render = False
                        stored = _stored(response, reader, per_member, shortcut)
                        if stored is None:  # not one to share: this reader's own answer, token filled in
                            if not response.streaming:
                                response.content = _fill(request, response.content)
                            return response
                        _cache_set(key, stored)
                        if shortcut and reader == 0:
                            _remember_shortcut(request)
            return _answer(request, stored)

        return wrapper

    return decorate(view) if view is not None else decorate


# Addresses (host and path) whose anonymous copies SharedPageMiddleware may serve, as this process
# has seen them stored: other requests skip the stamp read there. Bounded: forgetting costs a render.
_shortcut_paths: set[str] = set()
_SHORTCUT_PATHS_MAX = 20_000


def _where(request: HttpRequest) -> str:
    return f"{request.get_host()}\n{request.get_full_path()}"


def _remember_shortcut(request: HttpRequest) -> None:
    if len(_shortcut_paths) >= _SHORTCUT_PATHS_MAX:
        _shortcut_paths.clear()
    _shortcut_paths.add(_where(request))


class SharedPageMiddleware:
    """Anonymous readers' copies served before sessions, authentication and URL resolution.

    A GET with no session cookie and no flash message is an anonymous reader's: when this process
    stored a copy for that address, the stamp is read and the copy served (with the reader's CSRF
    token, cookie and the headers the skipped middleware would add). Anything else, or a copy gone
    stale, goes on to the view, whose `cached_page` renders and stores it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        from django.middleware.clickjacking import XFrameOptionsMiddleware
        from django.middleware.csrf import CsrfViewMiddleware

        self.get_response = get_response
        self.csrf = CsrfViewMiddleware(get_response)
        self.frame_options = XFrameOptionsMiddleware(get_response)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        stored = self._stored_copy(request)
        if stored is None:
            return self.get_response(request)
        self.csrf.process_request(request)  # reads the reader's CSRF cookie, as the view would have
        response = _answer(request, stored)
        self.csrf.process_response(request, response)
        return self.frame_options.process_response(request, response)

    def _stored_copy(self, request: HttpRequest) -> tuple | None:
        if (
            settings.PAGE_CACHE_SECONDS <= 0
            or request.method not in ("GET", "HEAD")
            or settings.SESSION_COOKIE_NAME in request.COOKIES
            or _MESSAGES_COOKIE in request.COOKIES
        ):
            return None
        try:
            where = _where(request)
        except Exception:  # a host not allowed, say: the rest of the stack answers it as usual
            return None
        if where not in _shortcut_paths:
            return None
        try:
            stamp = content_version()
        except DatabaseError:
            # The database is away: the view meets it too, and answers the 503 page without a traceback.
            return None
        stored = _cache_get(_key(request, stamp, 0))
        if stored is None or not stored[5]:
            return None
        return stored
