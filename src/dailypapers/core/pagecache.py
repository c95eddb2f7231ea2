"""Shared pages: rendered responses kept in Django's cache, renewed when what they show changes.

A page that many readers ask for (a feed, a paper page, the API's feed, an RSS feed) is rendered once
and kept in `settings.CACHES["default"]` (local memory in each server process unless the operator
points it elsewhere), one copy per address and reader, with the *content stamps* it was rendered
from: rows of core.ContentVersion, each a counter that moves once a transaction that changed what it
stands for commits (`bump`). Each request reads the copy's stamps (one indexed query) and serves the
copy while they stand: a vote, a comment, a listing, a paper edited or hidden shows in every process
and on every node sharing the database, with no message between them.

Stamps: `pages` moves on every change; `site` on every change that names no finer stamp; finer ones
(a paper's, a feed day's: dailypapers.papers.stamps, which also says what moves which) are moved by
the changes that name them. A page that names finer stamps while it renders (`depends_on`) reads
them and `site`; any other page reads `pages`. So a vote on one paper renews that paper's page and
the feeds it is listed on, and leaves the other pages' copies standing.

Renewing: when a copy's stamps have moved, one request renders the page anew (it *claims* the copy:
`cache.add`, so one per process with the local-memory cache, one for every node with Redis) while the
other requests for it get the copy they had, marked `X-Cache: stale`, rather than queueing behind the
render or rendering too. So a stale copy is served only while its next one is being rendered (a claim
lapses after RENDER_CLAIM_SECONDS); once stored, the next one answers. Every answer says `X-Cache:
hit`, `stale` or `miss` (rendered for this request).

The apps call `watch(...)` for the models whose rows pages show, and `bump()` themselves after writes
that send no model signals (bulk imports). A copy older than `settings.PAGE_CACHE_SECONDS` is renewed
the same way, so what changes with the clock alone (trending scores) is at most that old: the aged
copy answers, marked stale, only while its successor renders (copies are kept twice that long for
it), so no reader waits for that render either.

A copy whose every read must be counted (the API's, against each client's rate limit) names a *gate*,
a function its app registers (`register_gate`): SharedPageMiddleware serves it only through the gate,
which counts the read and answers with the copy or refuses (a 429). A gate may also name a statement
to run with the copy's stamps (the count, where the limits are kept in PostgreSQL): one round trip.

An answer that is the same for everyone (the API's, a feed) is also kept gzipped, compressed once
when stored, for the clients whose Accept-Encoding takes it; pages shown to a reader never are
(their CSRF token beside text the reader chooses would leak through the length: BREACH). Once
SharedPageMiddleware has answered such a copy whole, the next requests for it are served at the
WSGI door, before Django's handler (core.door), as long as the copy stands.

Each process also keeps the copies it served in its own memory, as objects (`_Memory`), checked
against the stamps like any copy: the cache (Redis, or Django's local memory, which pickles) is
asked only for a copy this process lacks or whose stamps moved.

What differs between readers never enters a shared copy: a page is stored with a placeholder where
the reader's CSRF token goes, filled for each request; pages of signed-in members are kept per member
(their vote marks, their name); anonymous readers share one copy. Requests that carry something to
show once (a flash message, a comment draft) are rendered afresh. A member's copies also read a stamp of
their own (`bump_reader`), which moves when something only they see changes (a paper they saved or
hid from their feeds), so their next page shows it and nobody else's copy is retired.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import logging
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

from django.conf import settings
from django.core.cache import cache
from django.db import (
    DEFAULT_DB_ALIAS,
    DatabaseError,
    InterfaceError,
    OperationalError,
    connection,
    connections,
    transaction,
)
from django.db.models import Model
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import HttpRequest, HttpResponse
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers

from dailypapers.core import prepared
from dailypapers.core.csrf_token import get_token
from dailypapers.core.models import ContentVersion

log = logging.getLogger(__name__)

PAGES = "pages"  # moves on every change: what a page that names no finer stamps reads
SITE = "site"  # moves on every change that names no finer stamp: read by every page that names some
# A claim to render a copy anew lapses after this long: a render that hangs (or a process that died
# while rendering) holds the others on the older copy no longer than that.
RENDER_CLAIM_SECONDS = 5.0
_WAIT_STEP = 0.01  # how often a request with no copy at all looks for the one being rendered
MESSAGES_COOKIE = "messages"  # django.contrib.messages' cookie storage (its default name)
# Stands for the reader's CSRF token in a stored page (the csrf_placeholder context processor).
PLACEHOLDER = "csrf-placeholder-6f1d0c2a9b7e4e83"
_PLACEHOLDER_BYTES = PLACEHOLDER.encode()
GZIP_MIN_BYTES = 1024  # a shorter answer gains less than compressing it costs the client
# Headers that belong to one request, never to a stored copy.
_NOT_STORED = {
    "content-length",
    "set-cookie",
    "vary",
    "cache-control",
    "etag",
    "x-cache",
    "x-ratelimit-limit",
    "x-ratelimit-remaining",
    "retry-after",
}

Stamps = dict[str, str | None]  # stamp name -> "<epoch>.<value>", None while the row does not exist
# A gate: (request, answer) -> the response: answer() (the copy's) or its own (a refusal).
Gate = Callable[[HttpRequest, Callable[[], HttpResponse]], HttpResponse]
# A gate's statement to run with the copy's stamps (one round trip for both): request -> (sql with %s,
# params), a statement returning one row of two columns, or None. Its row waits for the gate, or for
# the view if the copy goes there, in `along_row`.
Along = Callable[[HttpRequest], "tuple[str, list] | None"]
# A gate's part at the WSGI door (core.door): request -> the headers the gate adds to an answered
# read, counting it as the gate does; None when the gate would answer otherwise (a refusal). Either
# way the read is counted once: the request goes on to Django, whose gate must not count it again.
Door = Callable[[HttpRequest], "dict[str, str] | None"]


class _Gate(NamedTuple):
    gate: Gate
    along: Along | None
    door: Door | None


_gates: dict[str, _Gate] = {}


# --- Stamps -------------------------------------------------------------------------------------------


def _table() -> str:
    return connection.ops.quote_name(ContentVersion._meta.db_table)


def _execute(sql: str, params: list[Any]) -> list[tuple]:
    """Run one statement; a stamp read that opens a request's use of the database doubles as Django's
    connection health check (on PostgreSQL a `SELECT 1`, one more round trip per request)."""
    db = connections[DEFAULT_DB_ALIAS]  # looked up once: every `connection.x` is a lookup of its own
    check = (
        db.connection is not None
        and db.health_check_enabled
        and not db.health_check_done
        and not db.in_atomic_block
    )
    if check:
        db.health_check_done = True
        try:
            return prepared.fetch(sql, params, db)
        except (OperationalError, InterfaceError):
            # What the health check is for: a connection that broke since its last request (a
            # database restart). Open a new one and ask again; a second failure is the caller's.
            db.close()
    return prepared.fetch(sql, params, db)


@functools.cache
def _read_sql(table: str, count: int) -> str:
    return f"SELECT name, epoch, value FROM {table} WHERE name IN ({', '.join(['%s'] * count)})"


def read_stamps(names: Iterable[str]) -> Stamps:
    """The stamps' current values, in one query."""
    return _read_stamps_along(names, None)[0]


@functools.cache
def _along_sql(table: str, count: int, along: str) -> str:
    # A data-modifying WITH runs once, whether or not the SELECT reads it; its two columns come back
    # as one more row, named NULL.
    return (
        f"WITH along_ (c1, c2) AS ({along}) "
        f"SELECT name, epoch, CAST(value AS TEXT) FROM {table} WHERE name IN ({', '.join(['%s'] * count)}) "
        "UNION ALL SELECT NULL, CAST(c1 AS TEXT), CAST(c2 AS TEXT) FROM along_"
    )


def _read_stamps_along(names: Iterable[str], along: tuple[str, list] | None) -> tuple[Stamps, tuple | None]:
    """The stamps, and the row of `along` (a statement returning one row of two columns, run in the
    same statement: one round trip for both), or None without one."""
    names = list(dict.fromkeys(names))
    if along is None:
        rows, extra = _execute(_read_sql(_table(), len(names)), names), None
    else:
        sql, params = along
        rows = _execute(_along_sql(_table(), len(names), sql), [*params, *names])
        extra = next((row[1:] for row in rows if row[0] is None), None)
        rows = [row for row in rows if row[0] is not None]
    found = {name: f"{epoch}.{value}" for name, epoch, value in rows}
    return {name: found.get(name) for name in names}, extra


def _base_stamps() -> Stamps:
    """`pages` and `site`, their rows made first in a new (or emptied) database: each row gets a random
    epoch, so a stamp recreated (a flushed or restored database) never meets an older copy."""
    stamps = read_stamps((PAGES, SITE))
    if None in stamps.values():
        q = connection.ops.quote_name
        _execute(
            f"INSERT INTO {_table()} ({q('name')}, {q('epoch')}, {q('value')}) VALUES (%s, %s, 0), "
            f"(%s, %s, 0) ON CONFLICT ({q('name')}) DO NOTHING",
            [PAGES, secrets.token_hex(8), SITE, secrets.token_hex(8)],
        )
        stamps = read_stamps((PAGES, SITE))
    return stamps


def _bump_now(names: Iterable[str]) -> None:
    """Move the stamps in one statement, in name order (two bumps never lock rows in opposite orders)."""
    names = sorted(set(names))
    q = connection.ops.quote_name
    table = _table()
    params: list[Any] = []
    for name in names:
        params += [name, secrets.token_hex(8)]
    _execute(
        f"INSERT INTO {table} ({q('name')}, {q('epoch')}, {q('value')}) VALUES "
        + ", ".join(["(%s, %s, 1)"] * len(names))
        + f" ON CONFLICT ({q('name')}) DO UPDATE SET {q('value')} = {table}.{q('value')} + 1",
        params,
    )


class _Bump:
    """The stamps one transaction moves, bumped in one statement once it commits."""

    def __init__(self, names: set[str]) -> None:
        self.names = names
        # Django names a failed robust hook by its __qualname__ when it logs it: an instance has none.
        self.__qualname__ = "pagecache.bump"

    def __call__(self) -> None:
        _bump_now(self.names)


def bump(*names: str) -> None:
    """Move these stamps (none named: `site`), and `pages`, once the current transaction commits (at
    once outside a transaction; on SQLite, inside it).

    On PostgreSQL after the commit, not inside the transaction: the rows are then never locked across
    another write's statements (no lock-order deadlock), and a reader that still sees the old stamps
    after the commit can only store a page rendered from newer data under the old stamps, which the
    bump retires a moment later. A transaction bumps once, with every name it gathered:
    names join a pending bump unless it sits in a savepoint that may still be rolled back alone."""
    moved = {*(names or (SITE,)), PAGES}
    conn = transaction.get_connection()
    if conn.in_atomic_block and conn.vendor == "sqlite":
        # SQLite runs one writing transaction at a time, and this one holds the lock (it wrote what
        # the bump is for): the stamps move inside it, with the data. No second wait for the lock,
        # and a rollback takes the bump back with the rest.
        _bump_now(moved)
        return
    if conn.in_atomic_block:
        current = set(conn.savepoint_ids)
        for sids, func, _robust in conn.run_on_commit:
            if isinstance(func, _Bump) and set(sids) <= current:
                func.names |= moved
                return
    transaction.on_commit(_Bump(moved), robust=True)


def reader_stamp(reader: int) -> str:
    """The name of a member's own stamp."""
    return f"reader:{reader}"


def bump_reader(reader: int) -> None:
    """Retire one member's own copies of pages, once the current transaction commits: for changes
    only they see (their saved and dismissed papers). The shared copies, and `pages`, stay."""
    bump_alone(reader_stamp(reader))


def bump_alone(*names: str) -> None:
    """Move only these stamps, once the current transaction commits: for a change that only the pages
    depending on them (`depends_on`) show. Neither `pages` nor any other copy moves."""
    transaction.on_commit(_Bump(set(names)), robust=True)


def _changed(sender: type, **kwargs: Any) -> None:
    bump()


def watch(*models: type[Model], stamps: Callable[[Model], Iterable[str]] | None = None) -> None:
    """Bump stamps whenever a row of these models is saved or deleted: `stamps(row)` names them (when
    it names none, or for a change of many-to-many relations: `site`); without `stamps`, `site`."""

    def changed_row(sender: type, instance: Model, **kwargs: Any) -> None:
        bump(*stamps(instance))

    receiver = _changed if stamps is None else changed_row
    for model in models:
        uid = f"{model._meta}"
        post_save.connect(receiver, sender=model, weak=False, dispatch_uid=f"pagecache-save-{uid}")
        post_delete.connect(receiver, sender=model, weak=False, dispatch_uid=f"pagecache-del-{uid}")
        for field in model._meta.local_many_to_many:
            through = field.remote_field.through
            m2m_changed.connect(_changed, sender=through, weak=False, dispatch_uid=f"pagecache-m2m-{through}")


def depends_on(request: HttpRequest, *names: str) -> None:
    """While `request` renders a page to share: the page shows what these stamps stand for, and not
    what only `pages` moves for (see the module's docstring). Call it *before* reading what they stand
    for: the stamps are read now, so a change that commits later renews the copy. Elsewhere a no-op."""
    read = getattr(request, "_page_stamps", None)
    if read is None:
        return
    new = [name for name in names if name not in read]
    if new:
        read.update(read_stamps(new))


# --- Copies -------------------------------------------------------------------------------------------


class Stored(NamedTuple):
    """What a copy keeps of its response (`_stored`)."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    etag: str
    per_member: bool
    gate: str  # the registered gate it is served through, or ""
    packed: bytes | None  # the body gzipped, for the clients that accept it


# A stored copy: (stamps, stored, made), stamps a sorted tuple of (name, value) pairs as read for its render,
# stored what _stored() keeps of the response, made when it was stored (time.time()).
Entry = tuple[tuple[tuple[str, str | None], ...], Stored, float]


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


def _where(request: HttpRequest) -> str:
    return f"{request.get_host()}\n{request.get_full_path()}"


def set_variant(request: HttpRequest, variant: str) -> None:
    """Before a `cached_page` view: this member's page differs by `variant` (something of theirs that
    their session holds, such as the feed's "new since" boundary), so each variant is a copy of its
    own. Only for signed-in members' copies; anonymous readers share one copy."""
    request._page_variant = variant


def _key(request: HttpRequest, reader: int, shortcut: bool) -> str:
    # Copies SharedPageMiddleware may serve have keys of their own: it never looks at the others.
    kind = "page" if shortcut else "view"
    where = _where(request)
    variant = getattr(request, "_page_variant", "") if reader else ""
    if variant:
        where += f"\n{variant}"
    return f"{kind}:{reader}:{hashlib.sha256(where.encode()).hexdigest()}"


def register_gate(name: str, gate: Gate, along: Along | None = None, door: Door | None = None) -> None:
    """Let SharedPageMiddleware serve the copies of views cached with `gate=name`, through `gate`;
    with `along`, the statement it names runs with the copy's stamps (see Along); with `door`, the
    WSGI door (core.door) may serve them too (see Door)."""
    _gates[name] = _Gate(gate, along, door)


def gate_door(name: str) -> Door | None:
    """The door part of the gate registered as `name`, or None: none registered in this process."""
    found = _gates.get(name)
    return found.door if found is not None else None


def along_row(request: HttpRequest) -> tuple | None:
    """The row of the gate's statement run with this request's stamps, once (None: it did not run):
    for the gate, or the view the copy went to."""
    return request.__dict__.pop("_page_along_row", None)


def _stored(response: HttpResponse, reader: int, per_member: bool, gate: str) -> Stored | None:
    """What a response keeps in the cache, or None when it is not one to share."""
    if response.status_code != 200 or response.streaming or response.cookies:
        return None
    body = response.content
    if not per_member and _PLACEHOLDER_BYTES in body:
        return None  # a form in an answer that is the same for everyone: never kept (no token to fill)
    headers = tuple((k, v) for k, v in response.items() if k.lower() not in _NOT_STORED)
    # The reader is in the tag: two members' pages never answer each other's If-None-Match.
    etag = '"' + hashlib.sha256(body + b"\n" + str(reader).encode()).hexdigest()[:32] + '"'
    packed = _gzipped(response, body, per_member)
    return Stored(response.status_code, headers, body, etag, per_member, gate, packed)


def _gzipped(response: HttpResponse, body: bytes, per_member: bool) -> bytes | None:
    """The body compressed once, for the clients that accept gzip (browsers, requests, httpx: the
    API's 346 kB feed goes out as about a sixth of that), or None. Only answers that are the same for
    everyone: a page holds its reader's CSRF token, which compression next to text a reader can
    choose would expose (BREACH)."""
    if per_member or len(body) < GZIP_MIN_BYTES or response.has_header("Content-Encoding"):
        return None
    packed = gzip.compress(body, compresslevel=6, mtime=0)
    return packed if len(packed) < len(body) else None


def _stands(entry: Entry, current: Stamps) -> bool:
    return all(current.get(name, "?") == value for name, value in entry[0])


def _aged(entry: Entry) -> bool:
    """Older than PAGE_CACHE_SECONDS: renewed like a copy whose stamps moved (what moves with the
    clock alone, such as trending scores, is at most that old)."""
    return entry[2] + settings.PAGE_CACHE_SECONDS <= time.time()


def _kept_seconds() -> int:
    # A copy is kept twice its age limit: an aged copy still answers, marked stale, the requests that
    # come while one of them renders its successor, rather than every one waiting for that render.
    return 2 * settings.PAGE_CACHE_SECONDS


class _Memory:
    """Copies kept in this process, as objects, in front of the cache, most recently used first, up to
    a size: a hit then costs no trip to Redis for the copy, and no unpickling of it from Django's
    local-memory cache (which keeps values pickled): for a 346 kB API feed, a copy of its bytes
    each time. Correct as the cache's copies are: a copy is served only while its stamps stand,
    wherever it is kept."""

    def __init__(self, limit_bytes: int) -> None:
        self.limit = limit_bytes
        self.size = 0
        self.entries: OrderedDict[str, tuple[Entry, int]] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: str) -> Entry | None:
        with self.lock:
            found = self.entries.get(key)
            if found is None:
                return None
            if found[0][2] + _kept_seconds() <= time.time():
                # As old as a copy in the cache may be: it has expired there too.
                del self.entries[key]
                self.size -= found[1]
                return None
            self.entries.move_to_end(key)
            return found[0]

    def set(self, key: str, entry: Entry) -> None:
        size = len(entry[1].body) + len(entry[1].packed or b"") + 1024  # the bodies, and about the rest
        if size > self.limit // 8:
            return
        with self.lock:
            old = self.entries.pop(key, None)
            if old is not None:
                self.size -= old[1]
            self.entries[key] = (entry, size)
            self.size += size
            while self.size > self.limit:
                _, (_, dropped) = self.entries.popitem(last=False)
                self.size -= dropped

    def delete(self, key: str) -> None:
        with self.lock:
            old = self.entries.pop(key, None)
            if old is not None:
                self.size -= old[1]

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()
            self.size = 0


_memory = _Memory(64 * 1024 * 1024)


def _lookup(
    key: str, along: Callable[[Entry], tuple[str, list] | None] | None = None
) -> tuple[Entry | None, bool, tuple | None]:
    """The copy for `key` (None: none anywhere) and whether it is fresh (its stamps stand and it has
    not aged): this process's copy first, then the cache's, which another process or node may have
    renewed since. With `along`, the statement it names for the copy runs with the first read of its
    stamps; the last item is its row (None if it did not run)."""
    extra = None

    def read(entry: Entry) -> Stamps:
        nonlocal along, extra
        statement = along(entry) if along is not None else None
        along = None
        current, extra = _read_stamps_along((name for name, _ in entry[0]), statement)
        return current

    near = _memory.get(key)
    current: Stamps = {}
    if near is not None:
        current = read(near)
        if _stands(near, current) and not _aged(near):
            return near, True, extra
    entry = _cache_get(key)
    if entry is None:
        return near, False, extra
    if near is not None and entry[2] == near[2] and entry[0] == near[0]:
        return near, False, extra  # the same copy, stale
    names = [name for name, _ in entry[0]]
    if any(name not in current for name in names):
        current = read(entry)
    fresh = _stands(entry, current) and not _aged(entry)
    if fresh:
        _memory.set(key, entry)
    return entry, fresh, extra


def shared_copy(request: HttpRequest, key: str) -> tuple[Entry | None, bool]:
    """The copy for `key` and whether it is fresh, as `_lookup` finds it, with the statement of the
    copy's gate (Along) run in the same round trip as its stamps: its row is left for the gate, or
    the view if the copy goes there (`along_row`)."""

    def along(entry: Entry) -> tuple[str, list] | None:
        found = _gates.get(entry[1].gate)
        return found.along(request) if found is not None and found.along is not None else None

    entry, fresh, row = _lookup(key, along)
    if row is not None:
        request._page_along_row = row
    return entry, fresh


class SharedCopy(NamedTuple):
    """Set on a response SharedPageMiddleware answered with a fresh copy that is the same for every
    reader (`response.shared_copy`): what the WSGI door needs to serve that copy again."""

    key: str
    gate: str
    etag: str  # the stored copy's (Stored.etag): a copy renewed since is another


def _cache_get(key: str) -> Entry | None:
    # A cache that cannot be reached (a Redis down) costs renders, never an error page.
    try:
        entry = cache.get(key)
    except Exception:
        log.warning("page cache unreachable; rendering afresh", exc_info=True)
        return None
    # (A copy stored by an older version, laid out otherwise, is a miss.)
    return entry if isinstance(entry, tuple) and len(entry) == 3 and isinstance(entry[1], Stored) else None


def _cache_set(key: str, entry: Entry) -> None:
    _memory.set(key, entry)
    try:
        cache.set(key, entry, _kept_seconds())
    except Exception:
        log.warning("page cache unreachable; the page is not kept", exc_info=True)


def _cache_delete(key: str) -> None:
    _memory.delete(key)
    try:
        cache.delete(key)
    except Exception:
        log.warning("page cache unreachable", exc_info=True)


def _claim(key: str) -> bool:
    """Whether this request renders the copy anew (no other holds the claim). A cache that cannot be
    reached claims nothing for anyone: every request renders, as without a cache."""
    try:
        if cache.add(f"{key}:render", 1, RENDER_CLAIM_SECONDS):
            return True
    except Exception:
        return True
    return not getattr(cache, "available", True)


def _release(key: str) -> None:
    _cache_delete(f"{key}:render")


def _fill(request: HttpRequest, body: bytes) -> bytes:
    if _PLACEHOLDER_BYTES in body:
        body = body.replace(_PLACEHOLDER_BYTES, get_token(request).encode())
    return body


def _answer(request: HttpRequest, stored: Stored, state: str) -> HttpResponse:
    body, etag, per_member, packed = stored.body, stored.etag, stored.per_member, stored.packed
    if packed is not None and accepts_gzip(request):
        body, etag = packed, etag[:-1] + '-gzip"'  # another representation: a tag of its own
    # Only pages shown to a reader hold a token to fill: the shared answers (the API's feed, 346 kB)
    # are not searched for one.
    response = HttpResponse(_fill(request, body) if per_member else body, status=stored.status)
    for name, value in stored.headers:
        response[name] = value
    if body is packed:
        response["Content-Encoding"] = "gzip"
    response["ETag"] = etag
    response["X-Cache"] = state
    _mark(response, per_member)
    if packed is not None:
        patch_vary_headers(response, ["Accept-Encoding"])
    return get_conditional_response(request, etag=etag, response=response) or response


def accepts_gzip(request: HttpRequest) -> bool:
    """Whether the request's Accept-Encoding takes gzip: named (or `*`) with a weight above 0."""
    header = request.META.get("HTTP_ACCEPT_ENCODING", "")
    if "gzip" not in header and "*" not in header:
        return False
    return _takes_gzip(header)


@functools.lru_cache(maxsize=128)
def _takes_gzip(header: str) -> bool:
    # Parsed once per header text: clients send a handful of them, each on every request.
    weights: dict[str, float] = {}
    for part in header.lower().split(","):
        coding, *params = (item.strip() for item in part.split(";"))
        weight = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        weights[coding] = weight
    weight = weights.get("gzip", weights.get("x-gzip", weights.get("*", 0.0)))
    return weight > 0


def _mark(response: HttpResponse, per_member: bool) -> None:
    # Pages carry the reader's CSRF token (and a member's name): no shared cache may keep them, and a
    # browser asks again each time (a 304 when nothing changed). API and feed answers are the same
    # for everyone.
    if per_member:
        patch_cache_control(response, private=True, no_cache=True)
        patch_vary_headers(response, ["Cookie"])
    else:
        patch_cache_control(response, public=True, no_cache=True)


def _render(
    request: HttpRequest,
    view: Callable,
    args: tuple,
    kwargs: dict,
    key: str,
    reader: int,
    per_member: bool,
    gate: str,
) -> HttpResponse:
    """Render the page for everyone who reads this copy, store it, and answer with it."""
    base = _base_stamps()  # before the view reads anything: a change after this renews the copy
    own = read_stamps([reader_stamp(reader)]) if reader else {}
    request._page_cache_render = True
    request._page_stamps = {}
    try:
        response = view(request, *args, **kwargs)
    except BaseException:
        _cache_delete(key)  # an error (or the API's 404) shares nothing, and leaves no older copy
        raise
    finally:
        request._page_cache_render = False
        named, request._page_stamps = request._page_stamps, None
    stored = _stored(response, reader, per_member, gate)
    if stored is None:  # not one to share: this reader's own answer, token filled in
        _cache_delete(key)  # and no older copy is left to stand in for it
        if not response.streaming:
            response.content = _fill(request, response.content)
        response["X-Cache"] = "miss"
        return response
    stamps = {SITE: base[SITE], **named} if named else {PAGES: base[PAGES]}
    stamps.update(own)
    _cache_set(key, (tuple(sorted(stamps.items())), stored, time.time()))
    return _answer(request, stored, "miss")


def _renew(
    request: HttpRequest, key: str, entry: Entry | None, render: Callable[[], HttpResponse]
) -> HttpResponse:
    """The copy is missing or its stamps moved: render it here, or, while another request renders
    it, answer with the copy there is (stale), or with none at all, wait for the new one."""
    deadline = time.monotonic() + RENDER_CLAIM_SECONDS
    while True:
        if _claim(key):
            try:
                return render()
            finally:
                _release(key)
        if entry is not None:
            return _answer(request, entry[1], "stale")
        if time.monotonic() > deadline:
            return render()  # a render that hangs: render alongside it
        time.sleep(_WAIT_STEP)
        entry = _cache_get(key)
        if entry is not None:
            return _answer(request, entry[1], "hit")  # the copy just made


def cached_page(
    view: Callable | None = None, *, per_member: bool = True, shortcut: bool = True, gate: str = ""
) -> Callable:
    """Serve the view's GET answers from the cache while the copy's stamps stand.

    per_member: the page shows who reads it (sign-in state, vote marks, CSRF tokens), so members get
    copies of their own and anonymous readers share one; False: the answer is the same for everyone
    (the API's reads, RSS), and the reader is never looked at.
    shortcut: anonymous readers may get the stored copy from SharedPageMiddleware, before the rest of
    the middleware and the view run; False where the view must run each time.
    gate: the name of a registered gate (`register_gate`) that SharedPageMiddleware serves the copy
    through (the API's, which counts every read); the view's own path does what the gate does itself."""

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if settings.PAGE_CACHE_SECONDS <= 0 or request.method not in ("GET", "HEAD"):
                return view(request, *args, **kwargs)
            reader = _reader(request, per_member)
            if reader is None:
                return view(request, *args, **kwargs)
            key = _key(request, reader, shortcut)

            def render() -> HttpResponse:
                return _render(request, view, args, kwargs, key, reader, per_member, gate)

            if getattr(request, "_page_claimed", None) == key:
                return render()  # SharedPageMiddleware found the copy stale and claimed it for us
            entry, fresh, _ = _lookup(key)
            if fresh:
                return _answer(request, entry[1], "hit")
            return _renew(request, key, entry, render)

        return wrapper

    return decorate(view) if view is not None else decorate


class SharedPageMiddleware:
    """Anonymous readers' copies served before sessions, authentication and URL resolution.

    A GET with no session cookie and no flash message is an anonymous reader's: when a copy for that
    address may be served so, its stamps are read and the copy served (with the reader's CSRF token,
    cookie and the headers the skipped middleware would add), or the stale copy while another request
    renders the next. Anything else goes on to the view, whose `cached_page` renders and stores it
    (for a stale copy, holding the claim taken here)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        from django.middleware.clickjacking import XFrameOptionsMiddleware
        from django.middleware.csrf import CsrfViewMiddleware

        self.get_response = get_response
        self.csrf = CsrfViewMiddleware(get_response)
        self.frame_options = XFrameOptionsMiddleware(get_response)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        key = self._key(request)
        if key is None:
            return self.get_response(request)
        try:
            entry, fresh = shared_copy(request, key)
        except DatabaseError:
            # The database is away: the view meets it too, and answers the 503 page without a traceback.
            return self.get_response(request)
        if entry is None:
            return self.get_response(request)
        gate = _gates[entry[1].gate].gate if entry[1].gate in _gates else None
        if entry[1].gate and gate is None:
            return self.get_response(request)  # its app did not register the gate in this process
        state = "hit" if fresh else None
        if state is None:
            if _claim(key):
                request._page_claimed = key
                try:
                    return self.get_response(request)
                finally:
                    _release(key)
            state = "stale"
        if gate is None:
            response = self._copy(request, key, entry, state)
        else:
            response = gate(request, lambda: self._copy(request, key, entry, state))
        return self.frame_options.process_response(request, response)

    def _copy(self, request: HttpRequest, key: str, entry: Entry, state: str) -> HttpResponse:
        if not entry[1].per_member:
            # The same for everyone: no token in it. A fresh one answered whole may be served at the
            # WSGI door (core.door) next time, which learns the answer's final headers from this one.
            response = _answer(request, entry[1], state)
            if state == "hit" and response.status_code == 200:
                response.shared_copy = SharedCopy(key, entry[1].gate, entry[1].etag)
            return response
        self.csrf.process_request(request)  # reads the reader's CSRF cookie, as the view would have
        response = _answer(request, entry[1], state)
        self.csrf.process_response(request, response)
        return response

    @staticmethod
    def _key(request: HttpRequest) -> str | None:
        if (
            settings.PAGE_CACHE_SECONDS <= 0
            or request.method not in ("GET", "HEAD")
            or settings.SESSION_COOKIE_NAME in request.COOKIES
            or MESSAGES_COOKIE in request.COOKIES
        ):
            return None
        try:
            return _key(request, 0, shortcut=True)
        except Exception:  # a host not allowed, say: the rest of the stack answers it as usual
            return None
