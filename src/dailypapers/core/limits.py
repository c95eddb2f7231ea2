"""Per-client limits: at most N events per window for each client of a limit (API reads and writes,
sign-in failures, sign-ups, digest subscriptions).

A rate reads "N/<window>": N events per window, the window one of s, m, h or d with an optional
count before it ("300/m", "10/h", "5/15m", "5/900s"); an empty rate is no limit.

A window is fixed and starts at a client's first event in it. Every event is counted by one atomic
step in a store that every server process shares, so concurrent requests never lose a count:

- With DAILYPAPERS_CACHE_URL, in Redis (`RedisStore`): one Lua script per event, exact across every
  process of every node. While Redis is unreachable the store below counts instead, so a limit never
  lapses: a client's count there starts afresh, at worst one more window's allowance per outage.
- Otherwise on PostgreSQL, in the database (`DatabaseStore`, core.RateCounter): one prepared
  INSERT ... ON CONFLICT DO UPDATE ... RETURNING, exact across nodes. A limit counted on every read
  of a shared page (the API's reads) counts here on PostgreSQL even with Redis (`along_store`): the
  count then runs in the statement that reads the page's stamps, one round trip for both.
- Otherwise (SQLite, one node by nature) in a memory-mapped table beside the database
  (`FileStore`, $DAILYPAPERS_HOME/limit-counters): a few microseconds under an flock, exact across
  the node's processes, and never waiting on (or holding up) the database's write lock.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import math
import mmap
import os
import struct
import threading
import time
import weakref
from pathlib import Path
from typing import Any, NamedTuple, Protocol

from django.conf import settings
from django.core.cache import caches
from django.db import connection
from django.db.models import F

from dailypapers.core import prepared
from dailypapers.core.cache import TolerantRedisCache
from dailypapers.core.env import parse_rate
from dailypapers.core.models import RateCounter

log = logging.getLogger(__name__)

# The clock the windows run on; tests move it.
clock = time.time


class Usage(NamedTuple):
    """What one event left of a client's allowance."""

    allowed: bool  # within the limit (the event is counted either way)
    limit: int  # events allowed per window
    remaining: int  # events still allowed in this window
    retry_after: int  # whole seconds until the window ends


class Store(Protocol):
    """Where counts live. `key` is a limit's row key ("<limit>:<sha256 of the client>"); `now` and
    window ends are Unix times on the limits' clock."""

    def hit(self, key: str, now: float, seconds: float) -> tuple[int, float]:
        """Count one event; the count in the window, the window's end. An ended window starts again."""
        ...

    def count(self, key: str, now: float) -> int:
        """Events in the running window (0 if none)."""
        ...

    def give_back(self, key: str, now: float) -> None:
        """Take back one event of the running window, if it has one."""
        ...

    def reset(self, key: str) -> None:
        """Forget the key's events."""
        ...


# --- the database (PostgreSQL without Redis) ---------------------------------------------------

SWEEP_EVERY = 10.0  # seconds between two sweeps of ended windows by one process


class DatabaseStore:
    """core.RateCounter: one statement per event, exact across every node sharing the database (on
    PostgreSQL an UNLOGGED table, so a count commits without waiting for the log's disk write)."""

    def __init__(self) -> None:
        self._sql: dict[str, str] = {}
        self._swept_at = -math.inf

    def _upsert_sql(self) -> str:
        sql = self._sql.get(connection.vendor)
        if sql is None:
            q = connection.ops.quote_name
            table, key, count, expires = map(q, [RateCounter._meta.db_table, "key", "count", "expires_at"])
            # Every right-hand side reads the row as it was, on SQLite as on PostgreSQL: an ended
            # window starts again at 1, a running one counts on.
            sql = self._sql[connection.vendor] = (
                f"INSERT INTO {table} ({key}, {count}, {expires}) VALUES (%s, 1, %s) "
                f"ON CONFLICT ({key}) DO UPDATE SET "
                f"{count} = CASE WHEN {table}.{expires} <= %s THEN 1 ELSE {table}.{count} + 1 END, "
                f"{expires} = CASE WHEN {table}.{expires} <= %s THEN excluded.{expires} "
                f"ELSE {table}.{expires} END "
                f"RETURNING {count}, {expires}"
            )
        return sql

    def hit(self, key: str, now: float, seconds: float) -> tuple[int, float]:
        # On PostgreSQL the health check Django runs on a connection's first statement of a request
        # is made here, as it would be by a Django cursor.
        connection.close_if_health_check_failed()
        ((count, expires_at),) = prepared.fetch(*self.hit_statement(key, now, seconds))
        return self.counted((count, expires_at), now)

    def hit_statement(self, key: str, now: float, seconds: float) -> tuple[str, list]:
        """The statement `hit` runs (one row: the count, the window's end), to run along another."""
        return self._upsert_sql(), [key, now + seconds, now, now]

    def counted(self, row: tuple, now: float) -> tuple[int, float]:
        """What `hit` answers, from the row of its statement (text from PostgreSQL's fast path)."""
        count, expires_at = int(row[0]), float(row[1])
        if count == 1:
            self._sweep(now)
        return count, expires_at

    def _sweep(self, now: float) -> None:
        # A window started: now and then delete the rows whose window has ended, so the table stays
        # small. (Also when the clock went back, as the tests' clock does.)
        if self._swept_at <= now < self._swept_at + SWEEP_EVERY:
            return
        self._swept_at = now
        RateCounter.objects.filter(expires_at__lte=now).delete()

    def count(self, key: str, now: float) -> int:
        counts = RateCounter.objects.filter(key=key, expires_at__gt=now)
        return counts.values_list("count", flat=True).first() or 0

    def give_back(self, key: str, now: float) -> None:
        RateCounter.objects.filter(key=key, expires_at__gt=now, count__gt=0).update(count=F("count") - 1)

    def reset(self, key: str) -> None:
        RateCounter.objects.filter(key=key).delete()


# --- a memory-mapped table (SQLite without Redis) ----------------------------------------------

_HEADER = 64
_MAGIC = b"dailypapers limit counters v1\n"
# A slot: 16 bytes of the key's digest, the window's end (0: never used), the count.
_SLOT = struct.Struct("<16sdq")
_STATE = struct.Struct("<dq")
_BUCKET_SLOTS = 8
_BUCKET_BYTES = _BUCKET_SLOTS * _SLOT.size
_open_files: weakref.WeakSet[FileStore] = weakref.WeakSet()


class FileStore:
    """Counts in a file every process of the node maps into memory: a hash table of 8-slot buckets,
    each key in one of two buckets its digest names. One process at a time reads or writes it,
    holding an flock on the file (and its threads a lock of their own), so counts are exact.

    A slot whose window has ended is free. With every slot of both buckets in a running window (half
    a million clients within one window, at the default size), the client with the fewest events
    of the sixteen is forgotten to make room, and a warning is logged."""

    def __init__(self, path: Path, buckets: int = 1 << 16) -> None:
        self.path = Path(path)
        self.buckets = buckets
        self.size = _HEADER + buckets * _BUCKET_BYTES  # 32 MiB, sparse: pages are made as they are used
        self._header = _MAGIC + struct.pack("<q", buckets)
        self._header += bytes(_HEADER - len(self._header))
        self._opening = threading.Lock()
        self._lock = threading.Lock()
        self._fd = -1
        self._map: mmap.mmap | None = None
        self._warned_full = False
        _open_files.add(self)

    def _open(self) -> mmap.mmap:
        with self._opening:
            if self._map is not None:
                return self._map
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                try:
                    if os.pread(fd, _HEADER, 0) != self._header:
                        # New, or laid out by another version: counts only matter for a window, so
                        # the table starts empty.
                        os.ftruncate(fd, 0)
                        os.ftruncate(fd, self.size)
                        os.pwrite(fd, self._header, 0)
                finally:
                    fcntl.flock(fd, fcntl.LOCK_UN)
                table = mmap.mmap(fd, self.size)
            except BaseException:
                os.close(fd)
                raise
            self._fd, self._map = fd, table
            return table

    def _after_fork(self) -> None:
        # A forked child shares the parent's open file, and an flock belongs to the open file: the
        # child must open its own, or it would not exclude its parent.
        if self._map is not None:
            self._map.close()
            os.close(self._fd)
        self._fd, self._map = -1, None
        self._opening = threading.Lock()
        self._lock = threading.Lock()

    class _Locked:
        __slots__ = ("store",)

        def __init__(self, store: FileStore) -> None:
            self.store = store

        def __enter__(self) -> mmap.mmap:
            store = self.store
            table = store._open() if store._map is None else store._map
            store._lock.acquire()
            try:
                fcntl.flock(store._fd, fcntl.LOCK_EX)
            except BaseException:
                store._lock.release()
                raise
            return table

        def __exit__(self, *exc: object) -> None:
            fcntl.flock(self.store._fd, fcntl.LOCK_UN)
            self.store._lock.release()

    def _slots(self, key: str) -> tuple[bytes, tuple[int, int]]:
        digest = hashlib.blake2b(key.encode(), digest_size=16).digest()
        first = int.from_bytes(digest[:8], "little") % self.buckets
        second = int.from_bytes(digest[8:], "little") % self.buckets
        return digest, (_HEADER + first * _BUCKET_BYTES, _HEADER + second * _BUCKET_BYTES)

    @staticmethod
    def _find(table: mmap.mmap, digest: bytes, buckets: tuple[int, int]) -> int:
        for start in buckets:
            end = start + _BUCKET_BYTES
            at = table.find(digest, start, end)
            while at != -1:
                if (at - _HEADER) % _SLOT.size == 0:
                    return at
                at = table.find(digest, at + 1, end)
        return -1

    def _free_slot(self, table: mmap.mmap, buckets: tuple[int, int], now: float) -> int:
        fewest, fewest_at = None, -1
        for start in buckets:
            for at in range(start, start + _BUCKET_BYTES, _SLOT.size):
                expires_at, count = _STATE.unpack_from(table, at + 16)
                if expires_at <= now:
                    return at
                if fewest is None or (count, expires_at) < fewest:
                    fewest, fewest_at = (count, expires_at), at
        if not self._warned_full:
            self._warned_full = True
            log.warning(
                "limits: the counters in %s are full (every slot in a running window); clients with "
                "the fewest events are forgotten to make room",
                self.path,
            )
        return fewest_at

    def hit(self, key: str, now: float, seconds: float) -> tuple[int, float]:
        digest, buckets = self._slots(key)
        with self._Locked(self) as table:
            at = self._find(table, digest, buckets)
            if at != -1:
                expires_at, count = _STATE.unpack_from(table, at + 16)
                if expires_at > now:
                    _STATE.pack_into(table, at + 16, expires_at, count + 1)
                    return count + 1, expires_at
            else:
                at = self._free_slot(table, buckets, now)
            _SLOT.pack_into(table, at, digest, now + seconds, 1)
            return 1, now + seconds

    def count(self, key: str, now: float) -> int:
        digest, buckets = self._slots(key)
        with self._Locked(self) as table:
            at = self._find(table, digest, buckets)
            if at == -1:
                return 0
            expires_at, count = _STATE.unpack_from(table, at + 16)
            return count if expires_at > now else 0

    def give_back(self, key: str, now: float) -> None:
        digest, buckets = self._slots(key)
        with self._Locked(self) as table:
            at = self._find(table, digest, buckets)
            if at != -1:
                expires_at, count = _STATE.unpack_from(table, at + 16)
                if expires_at > now and count > 0:
                    _STATE.pack_into(table, at + 16, expires_at, count - 1)

    def reset(self, key: str) -> None:
        digest, buckets = self._slots(key)
        with self._Locked(self) as table:
            at = self._find(table, digest, buckets)
            if at != -1:
                _SLOT.pack_into(table, at, bytes(16), 0.0, 0)

    def clear(self) -> None:
        """Forget every count (the tests start each from nothing)."""
        with self._Locked(self):
            # Every process touches the table only under the flock held here, so none meets the
            # moment it is shorter; the pages come back zeroed (and the file sparse again).
            os.ftruncate(self._fd, _HEADER)
            os.ftruncate(self._fd, self.size)


def _forget_files_after_fork() -> None:
    for store in list(_open_files):
        store._after_fork()


os.register_at_fork(after_in_child=_forget_files_after_fork)


# --- Redis (DAILYPAPERS_CACHE_URL) ---------------------------------------------------------------

# A hash per key: c (the count) and e (the window's end, on the limits' clock, as the database's
# rows keep it). Redis drops the key itself a second after the window ends.
_HIT = b"""
local e = redis.call('HGET', KEYS[1], 'e')
if e and tonumber(e) > tonumber(ARGV[1]) then
  return {redis.call('HINCRBY', KEYS[1], 'c', 1), e}
end
redis.call('HSET', KEYS[1], 'c', 1, 'e', ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[3])
return {1, ARGV[2]}
"""
_GIVE_BACK = b"""
local state = redis.call('HMGET', KEYS[1], 'e', 'c')
if state[1] and tonumber(state[1]) > tonumber(ARGV[1]) and tonumber(state[2]) > 0 then
  redis.call('HINCRBY', KEYS[1], 'c', -1)
end
return 0
"""
_scripts: dict[bytes, Any] = {}
_UNREACHABLE: Any = object()


def _script(source: bytes) -> Any:
    script = _scripts.get(source)
    if script is None:
        from redis.commands.core import Script

        script = _scripts[source] = Script(None, source)  # run by EVALSHA, loaded on first use
    return script


class RedisStore:
    """Counts in the site's Redis (TolerantRedisCache), under the cache's key prefix. While Redis is
    unreachable (and for a few seconds after each failure) `fallback` counts instead."""

    def __init__(self, cache: TolerantRedisCache, fallback: Store) -> None:
        self.cache = cache
        self.fallback = fallback

    def _key(self, key: str) -> str:
        return self.cache.make_key(f"limit:{key}")

    def hit(self, key: str, now: float, seconds: float) -> tuple[int, float]:
        name = self._key(key)
        args = [repr(now), repr(now + seconds), math.ceil(seconds) + 1]
        answer = self.cache.run(name, lambda client: _script(_HIT)([name], args, client=client), _UNREACHABLE)
        if answer is _UNREACHABLE:
            return self.fallback.hit(key, now, seconds)
        count, expires_at = answer
        return int(count), float(expires_at)

    def count(self, key: str, now: float) -> int:
        name = self._key(key)
        state = self.cache.run(name, lambda client: client.hmget(name, "e", "c"), _UNREACHABLE)
        if state is _UNREACHABLE:
            return self.fallback.count(key, now)
        expires_at, count = state
        return int(count) if expires_at is not None and float(expires_at) > now else 0

    def give_back(self, key: str, now: float) -> None:
        name = self._key(key)
        done = self.cache.run(
            name, lambda client: _script(_GIVE_BACK)([name], [repr(now)], client=client), _UNREACHABLE
        )
        if done is _UNREACHABLE:
            self.fallback.give_back(key, now)

    def reset(self, key: str) -> None:
        name = self._key(key)
        if self.cache.run(name, lambda client: client.delete(name), _UNREACHABLE) is _UNREACHABLE:
            self.fallback.reset(key)


# --- which store -------------------------------------------------------------------------------

_database = DatabaseStore()
_files: dict[Path, FileStore] = {}
_by_home: dict[Any, FileStore] = {}
_files_guard = threading.Lock()


def file_store(path: Path | None = None) -> FileStore:
    """The node's counter file (one FileStore per file and process)."""
    if path is None:
        # Asked for on every counted request: looked up by the home as set, without making a path.
        home = settings.HOME
        store = _by_home.get(home)
        if store is None:
            store = _by_home[home] = file_store(Path(home) / "limit-counters")
        return store
    path = Path(path)
    store = _files.get(path)
    if store is None:
        with _files_guard:
            store = _files.setdefault(path, FileStore(path))
    return store


def local_store() -> Store:
    """The store without Redis: the database on PostgreSQL (shared by every node), the counter file
    on SQLite."""
    return _database if connection.vendor == "postgresql" else file_store()


def default_store() -> Store:
    cache = caches["default"]
    if isinstance(cache, TolerantRedisCache):
        return RedisStore(cache, local_store())
    return local_store()


def along_store() -> Store | None:
    """For a limit counted on every read of a shared page (the API's reads): the database on
    PostgreSQL, Redis or not, where the count rides in the statement that reads the page's stamps
    (`Limit.hit_along`): one round trip for both, where Redis would be a second one. Elsewhere None:
    the limit counts in the default store, as any other does."""
    return _database if connection.vendor == "postgresql" else None


# --- limits ------------------------------------------------------------------------------------


class Limit:
    """A named limit, e.g. Limit("login-account", "5/15m"). Keys are the clients (an account name, an
    address); they count case-insensitively, and an empty key is never counted nor blocked.
    Counts in `store` if given, else where the settings say (see the module's docstring). On the
    database, count outside a transaction: inside one, a count would be undone if it is."""

    def __init__(self, name: str, rate: str, store: Store | None = None) -> None:
        self.name = name
        self.text = rate  # as written, for messages
        self.rate = parse_rate(rate)
        self.store = store

    @property
    def enabled(self) -> bool:
        return self.rate is not None

    def _row_key(self, key: str) -> str:
        return f"{self.name}:{hashlib.sha256(key.lower().encode()).hexdigest()}"

    def _store(self) -> Store:
        return self.store or default_store()

    def hit(self, key: str) -> Usage:
        """Count one event for `key`, and say whether it was within the limit (always, with no limit
        or no key)."""
        if self.rate is None or not key:
            return Usage(True, 0, 0, 0)
        now = clock()
        count, expires_at = self._store().hit(self._row_key(key), now, self.rate.seconds)
        return self._usage(count, expires_at, now)

    def hit_along(self, key: str) -> tuple[str, list, float] | None:
        """Where this limit counts in PostgreSQL: the statement that counts one event for
        `key`, to run along another in one round trip (core.pagecache's gates), and the time it
        counts at; `usage_of` reads its row. None elsewhere: count with `hit`."""
        store = self._store()
        if self.rate is None or not key or store is not _database or connection.vendor != "postgresql":
            return None
        now = clock()
        sql, params = _database.hit_statement(self._row_key(key), now, self.rate.seconds)
        return sql, params, now

    def usage_of(self, row: tuple, now: float) -> Usage:
        """What `hit` would have answered, from the row of the statement `hit_along` gave."""
        count, expires_at = _database.counted(row, now)
        return self._usage(count, expires_at, now)

    def _usage(self, count: int, expires_at: float, now: float) -> Usage:
        return Usage(
            allowed=count <= self.rate.count,
            limit=self.rate.count,
            remaining=max(0, self.rate.count - count),
            # Never past a whole window: a request that read the clock just before another one
            # started the window would otherwise be told a second more.
            retry_after=min(self.rate.seconds, max(1, math.ceil(expires_at - now))),
        )

    def blocked(self, key: str) -> bool:
        """Whether `key` has used up its allowance in the current window (counts nothing)."""
        if self.rate is None or not key:
            return False
        return self._store().count(self._row_key(key), clock()) >= self.rate.count

    def give_back(self, key: str) -> None:
        """Take back one event of `key`'s current window (one counted before it was known not to
        count, e.g. a sign-in attempt that turned out right). Atomic, like hit."""
        if self.rate is None or not key:
            return
        self._store().give_back(self._row_key(key), clock())

    def reset(self, key: str) -> None:
        """Forget `key`'s events: its allowance is whole again."""
        self._store().reset(self._row_key(key))
