"""The search app keeps its index current with the catalogue: it is the one receiver of
papers.signals.catalogue_changed, sent when papers are added, changed, hidden or shown.

- Batch jobs (wait=True: imports, the sync worker, arXiv lookups) wait: everything is indexed now,
  keywords then embeddings, in this process, with progress bars when asked.
- Anything else (a paper submitted on the web, a moderator hiding one) is indexed for keywords at
  once, within the request (a few milliseconds a paper): the paper is found by its words, a hidden
  one is not, as soon as the request returns. Its vector (embedding it: about 0.15 s, and writing
  the vector graph: seconds on a large index) is left to a `dailypapers index` process of its own.
  So is everything when more than INLINE_PAPERS papers changed at once (the 440 demo papers
  `serve` loads before forking its workers, which must not inherit an open index) or when another
  process holds the index for longer than LOCK_WAIT.

Every change is also appended to the change log (search/follow.py), from which the index
followers of other nodes sharing the database learn of it.
"""

from __future__ import annotations

import atexit
import logging
import os
import subprocess
import sys
import threading
from collections.abc import Collection

from django.conf import settings

from .engine import IndexBusy
from .follow import record_change
from .indexing import index_keywords, update_index

log = logging.getLogger(__name__)

# A request indexes the keywords of at most this many papers itself (a few milliseconds each): a
# submission, a moderator's selection. The 440 demo papers are more.
INLINE_PAPERS = 20
LOCK_WAIT = 2.0  # seconds a request waits for another process writing the index before handing over
LISTED_PAPERS = 5000  # a background indexer is given the ids of at most this many; beyond, it checks all


class IndexNotUpdated(RuntimeError):
    """Indexing failed; the papers are in the catalogue, only their findability waits."""


def index_changed_papers(
    sender, paper_ids: Collection[int] | None, wait: bool = False, progress: bool = False, **kwargs
) -> None:
    """Receiver of catalogue_changed (connected in SearchConfig.ready)."""
    try:
        record_change(paper_ids)
    except Exception as exc:  # this node's index is still updated below; other nodes' wait for a rerun
        log.warning("search: the change to %s was not logged for other nodes: %s", _count(paper_ids), exc)
    try:
        if wait:
            update_index(paper_ids, progress=progress)
            return
        if paper_ids is not None and len(paper_ids) <= INLINE_PAPERS:
            try:
                index_keywords(paper_ids, lock_timeout=LOCK_WAIT)
            except IndexBusy:
                pass  # the background indexer below does the keywords too
            else:
                if not settings.SEARCH_SEMANTIC:
                    return  # no vectors to make
        index_in_background(paper_ids)
    except Exception as exc:
        raise IndexNotUpdated(
            f"The search index was not updated ({type(exc).__name__}: {exc}); run `dailypapers index`."
        ) from exc


_running: list[subprocess.Popen] = []
_running_lock = threading.Lock()


def index_in_background(paper_ids: Collection[int] | None) -> subprocess.Popen:
    """Start `dailypapers index` for `paper_ids` (None: every paper) in a process of its own,
    stopped when this one exits (the index resumes where it stopped at the next run)."""
    command = [sys.executable, "-m", "dailypapers", "index", "--no-progress"]
    if paper_ids is not None and len(paper_ids) <= LISTED_PAPERS:
        command += ["--papers", ",".join(map(str, sorted(paper_ids)))]
    env = {**os.environ, "DAILYPAPERS_SEARCH_DIR": str(settings.SEARCH_DIR)}
    with _running_lock:
        _running[:] = [p for p in _running if p.poll() is None]  # reaps the finished ones
        process = subprocess.Popen(command, env=env)
        _running.append(process)
    # Reaped as soon as it ends, not left a zombie until the next one starts: `serve`'s web server
    # (granian) reaps only its own workers.
    threading.Thread(target=process.wait, name="index-reaper", daemon=True).start()
    log.info("indexing %s for search in a background process (pid %d)", _count(paper_ids), process.pid)
    return process


def _count(paper_ids: Collection[int] | None) -> str:
    return "every paper" if paper_ids is None else f"{len(paper_ids)} paper(s)"


@atexit.register
def _stop_running() -> None:
    with _running_lock:
        for process in _running:
            if process.poll() is None:
                process.terminate()
