"""Admission control for search: a few searches at a time per server process, the rest shed.

A search costs tens of milliseconds of CPU (the query embedding, two BM25 passes, the vector graph)
where a cached page costs well under one, and a server has a few threads per process on a machine
with a few cores. Without a bound, 200 clients searching at once all share the cores and all time
out together; with one, the searches admitted finish at their usual speed and the others are told
at once to come back (503 + Retry-After), which a person or a client can act on.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings

RETRY_AFTER = 1  # seconds: a search takes well under one, so a moment later there is room


class SearchBusy(Exception):
    """This process is running as many searches as it may; the caller should answer 503."""

    retry_after = RETRY_AFTER

    def __init__(self) -> None:
        super().__init__("Search is busy; try again in a moment.")


_lock = threading.Lock()
_semaphore: threading.BoundedSemaphore | None = None
_key: tuple[int, int] = (0, 0)  # (pid, size) the semaphore was made for
_waiting = 0  # threads of this process waiting for a slot


def _current() -> threading.BoundedSemaphore:
    global _semaphore, _key, _waiting
    key = (os.getpid(), max(1, int(settings.SEARCH_CONCURRENCY)))
    with _lock:
        # A forked server worker starts its own count; a changed setting (tests) a new one.
        if _semaphore is None or _key != key:
            _semaphore, _key, _waiting = threading.BoundedSemaphore(key[1]), key, 0
        return _semaphore


_held = threading.local()  # how deep this thread is in search_slot()


@contextmanager
def search_slot() -> Iterator[None]:
    """Hold one of this process's search slots, waiting at most SEARCH_QUEUE_WAIT seconds for one
    when fewer than SEARCH_CONCURRENCY others are waiting already.

    Raises SearchBusy when none came free in that time, or the queue was full. A thread already
    holding one (a view that holds a slot for its whole page, then ranks) takes no second."""
    depth = getattr(_held, "depth", 0)
    if depth:
        _held.depth = depth + 1
        try:
            yield
        finally:
            _held.depth = depth
        return
    global _waiting
    semaphore = _current()
    if not semaphore.acquire(blocking=False):
        # A short queue, as long as the slots: a thread waiting here serves nobody else, so past
        # it requests are shed at once, which keeps the server's threads turning over.
        with _lock:
            queue_full = _waiting >= _key[1]
            _waiting += 0 if queue_full else 1
        if queue_full:
            raise SearchBusy()
        try:
            admitted = semaphore.acquire(timeout=max(0.0, float(settings.SEARCH_QUEUE_WAIT)))
        finally:
            with _lock:
                _waiting -= 1
        if not admitted:
            raise SearchBusy()
    _held.depth = 1
    try:
        yield
    finally:
        _held.depth = 0
        semaphore.release()
