"""The snapshot import's reader process, on its side: it parses the files and sends the batches
down a pipe, and it never outlives the import that started it.

Imported in a freshly spawned interpreter, before Django is set up: no models here.
"""

from __future__ import annotations

import ctypes
import os
import queue
import signal
import sys
import threading
from multiprocessing.connection import Connection
from pathlib import Path

from dailypapers.sources import snapshot

_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


AHEAD = 3  # batches the reader may parse ahead of the writer: memory stays flat


class _Sender:
    """What snapshot.read_in_worker puts its messages into. A thread of its own pickles and sends
    them (as multiprocessing.Queue's feeder thread did), so parsing runs up to AHEAD batches ahead
    while the writer is busy."""

    def __init__(self, connection: Connection) -> None:
        self.pending: queue.Queue[tuple] = queue.Queue(maxsize=AHEAD)
        self.thread = threading.Thread(target=self._send_all, args=(connection,), daemon=True)
        self.thread.start()

    def put(self, message: tuple) -> None:
        self.pending.put(message)

    def _send_all(self, connection: Connection) -> None:
        while True:
            message = self.pending.get()
            try:
                connection.send(message)
            except OSError:  # BrokenPipeError: the import is gone (it failed, or was killed)
                os._exit(0)  # at once: the parsing thread may be waiting to put the next batch
            if message[0] == "end":
                return


def read(paths: list[Path], size: int, connection: Connection, parent: int, signal_on_death: bool) -> None:
    """Entry point of the reader process (multiprocessing's target)."""
    if signal_on_death:
        _end_with_parent()
    if os.getppid() != parent:
        return  # the import was gone before this process got going
    sender = _Sender(connection)
    snapshot.read_in_worker(paths, size, sender)
    sender.thread.join()  # everything sent before this process exits


def _end_with_parent() -> None:
    """On Linux, have the kernel send SIGTERM when the parent dies: this process stops even in the
    middle of parsing. Elsewhere (or if prctl is unavailable) the next send on the pipe fails with
    a broken pipe once the parent is gone, which takes at most one batch."""
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
    except (OSError, AttributeError):
        pass
