"""A few threads per process for the parts of one query that can run side by side.

onnxruntime (the query embedding) and tantivy (the BM25 passes) release the GIL while they work, so
on a machine with two cores the embedding and both BM25 passes of a query overlap instead of adding
up. Nothing submitted here waits on anything else submitted here, so a busy pool only queues.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")

_pool: ThreadPoolExecutor | None = None
_pid: int | None = None
_lock = threading.Lock()


def submit(fn: Callable[..., T], *args, **kwargs) -> Future[T]:
    """Run `fn(*args, **kwargs)` on one of this process's search threads."""
    global _pool, _pid
    with _lock:
        if _pool is None or _pid != os.getpid():  # threads do not survive a fork (server workers)
            _pool, _pid = ThreadPoolExecutor(max_workers=4, thread_name_prefix="search"), os.getpid()
        return _pool.submit(fn, *args, **kwargs)
