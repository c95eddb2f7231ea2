""" "The catalogue changed": how the apps that derive data from papers (the search index) hear of it.

Whatever adds papers, changes their text or hides and shows them calls `catalogue_changed_on_commit`
with the papers' row ids; once the transaction commits, `catalogue_changed` is sent with

    paper_ids  a frozenset of row ids, or None: any paper may have changed (a bulk import)
    wait       True when the sender is a batch job that waits for the receivers to finish all
               their work (see `batched_changes`); False when it may be a web request, so that
               receivers keep its time short and may finish slow work elsewhere
    progress   receivers that take long may show progress bars on the terminal

Senders never learn who listens: the catalogue sits below the apps that receive.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from django.db import transaction
from django.dispatch import Signal

from .models import Paper

catalogue_changed = Signal()

# Above this many papers a batch stops remembering ids: receivers look at every paper instead.
WHOLE_CATALOGUE_FROM = 100_000


@dataclass
class _Batch:
    paper_ids: set[int] | None = field(default_factory=set)  # None: too many to list

    def add(self, ids: frozenset[int]) -> None:
        if self.paper_ids is None:
            return
        self.paper_ids |= ids
        if len(self.paper_ids) > WHOLE_CATALOGUE_FROM:
            self.paper_ids = None


_batch: ContextVar[_Batch | None] = ContextVar("catalogue_batch", default=None)


def catalogue_changed_on_commit(paper_ids: Iterable[int]) -> None:
    """Tell the receivers, once the current transaction commits, that these papers changed."""
    ids = frozenset(paper_ids)
    if ids:
        transaction.on_commit(lambda: _committed(ids))


def _committed(ids: frozenset[int]) -> None:
    batch = _batch.get()
    if batch is not None:
        batch.add(ids)
    else:
        _send(ids, wait=False)


def _send(
    ids: frozenset[int] | None, wait: bool, progress: bool = False
) -> list[tuple[Callable, BaseException]]:
    """Send the signal; the receivers that failed, with their exception (Django logs it). A
    receiver's failure never fails the change that was made: what it derives can be repaired later."""
    responses = catalogue_changed.send_robust(sender=Paper, paper_ids=ids, wait=wait, progress=progress)
    return [(receiver, r) for receiver, r in responses if isinstance(r, BaseException)]


@contextmanager
def batched_changes(
    report: Callable[[str], object] | None = None, progress: bool = False, notify: bool = True
) -> Iterator[None]:
    """Within this block (an import, a harvest), committed changes are gathered and sent once at its
    end, with wait=True, so that receivers do all their work before the command returns. Failures
    are passed to `report`. With notify=False nothing is sent (`import --no-index`). A block that
    fails still sends what it committed before failing: a rerun finds those papers unchanged and
    would not send them. An interrupt (Ctrl-C) sends nothing; `dailypapers index` catches up."""
    batch = _Batch()
    token = _batch.set(batch)
    interrupted = False
    try:
        yield
    except (KeyboardInterrupt, SystemExit):
        interrupted = True
        raise
    finally:
        _batch.reset(token)
        if notify and not interrupted and batch.paper_ids != set():
            _send_batch(batch, report, progress)  # send_robust: never masks the block's own error


def _send_batch(batch: _Batch, report: Callable[[str], object] | None, progress: bool) -> None:
    ids = None if batch.paper_ids is None else frozenset(batch.paper_ids)
    for _, exc in _send(ids, wait=True, progress=progress):
        if report is not None:
            report(str(exc))


# --- News of a paper: what members who watch it hear about -------------------------------------------

# Sent once the transaction commits, with
#     kind       NEW_VERSION (a later arXiv version was recorded) or CODE (a GitHub repository
#                appeared where the paper had none)
#     paper_ids  a frozenset of row ids
# Community turns it into notifications for the papers' watchers; the catalogue never learns who.
paper_news = Signal()
NEW_VERSION = "version"
CODE = "code"


def news_on_commit(kind: str, paper_ids: Iterable[int]) -> None:
    """Send `paper_news` for these papers once the current transaction commits. Whatever records a
    new version or a first repository without `Paper.save` (bulk updates) calls this itself."""
    ids = frozenset(paper_ids)
    if ids:

        def send_paper_news() -> None:  # named: Django logs a failed robust hook by its __qualname__
            paper_news.send_robust(sender=Paper, kind=kind, paper_ids=ids)

        transaction.on_commit(send_paper_news, robust=True)


def version_is_news(paper: Paper, known: int | None) -> bool:
    """Whether the version the paper now has is news to its watchers: later than the one known
    before, or, where no version was known (a Hugging Face import records none), a replacement dated
    after the paper reached the catalogue (one it had already is no news)."""
    if not paper.version:
        return False
    if known:
        return paper.version > known
    since_import = paper.updated_at and paper.added_at and paper.updated_at > paper.added_at
    return paper.version > 1 and bool(since_import)


def news_of_saved(paper: Paper) -> None:
    """After `Paper.save`: news when the save raised the version or gave the paper its first code
    link (compared with what was loaded: no query)."""
    loaded = paper.__dict__.get("_news_loaded")
    if loaded is None:
        return  # a new row: nobody watches it yet
    version, repo = loaded
    if version_is_news(paper, version):
        news_on_commit(NEW_VERSION, [paper.pk])
    if paper.github_repo and not repo:
        news_on_commit(CODE, [paper.pk])
    paper._news_loaded = (paper.version, paper.github_repo)
