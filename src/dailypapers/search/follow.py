"""Each node's search index follows the shared database.

Several web nodes share one PostgreSQL but each keeps its index files under its own home. The
process that changes papers hears of it (papers.signals) and indexes them on its node; other
nodes learn of it from the change log, a table every such change is appended to
(search.CatalogueChange, written by search/receivers.py). On each node `dailypapers index --follow`
(started by `serve` with DAILYPAPERS_SEARCH_FOLLOW) polls the log every few seconds and runs
update_index for the papers named since its watermark, which it keeps in the index folder.
update_index compares signatures, so a change this node already indexed costs a lookup.

Row ids are handed out before their transactions commit, so a row may become visible after a
higher one has been read: the follower reads LOOKBACK ids behind its watermark again, and
remembers which of them it has done. A node that has never followed (or not within RETENTION)
checks every paper once, then follows.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
from collections.abc import Collection
from pathlib import Path

from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

from .indexing import update_index
from .models import CatalogueChange

log = logging.getLogger(__name__)

IDS_PER_ROW = 5000  # a larger change is split over several rows
LOOKBACK = 200  # log ids behind the watermark read again: commits out of id order
RETENTION = dt.timedelta(days=7)  # log rows older than this are pruned
PRUNE_EVERY = 100  # rows appended between prunes


def record_change(paper_ids: Collection[int] | None) -> None:
    """Append a catalogue change to the log (called once the change committed)."""
    if paper_ids is None:
        rows = [CatalogueChange(paper_ids=None)]
    else:
        ids = sorted(paper_ids)
        rows = [CatalogueChange(paper_ids=ids[i : i + IDS_PER_ROW]) for i in range(0, len(ids), IDS_PER_ROW)]
    created = CatalogueChange.objects.bulk_create(rows)
    if any(row.pk is not None and row.pk % PRUNE_EVERY == 0 for row in created):
        CatalogueChange.objects.filter(at__lt=timezone.now() - RETENTION).delete()


class Follower:
    """One node's follower; its watermark lives in `<SEARCH_DIR>/follower.json`."""

    def __init__(self, search_dir: Path | None = None) -> None:
        self.state_path = Path(search_dir or settings.SEARCH_DIR) / "follower.json"
        self.last_id: int | None = None
        self.done: set[int] = set()  # log ids within LOOKBACK of the watermark already indexed

    def _load(self) -> None:
        try:
            state = json.loads(self.state_path.read_text())
            saved = dt.datetime.fromisoformat(state["saved_at"])
            last_id = int(state["last_id"])
            done = {int(i) for i in state.get("done", [])}
        except (OSError, ValueError, KeyError, TypeError):
            return  # none yet, or unreadable: start over
        if timezone.now() - saved < RETENTION - dt.timedelta(hours=1):
            self.last_id, self.done = last_id, done

    def _save(self) -> None:
        self.state_path.parent.mkdir(parents=True, exist_ok=True)
        part = self.state_path.with_suffix(".part")
        state = {"last_id": self.last_id, "done": sorted(self.done), "saved_at": timezone.now().isoformat()}
        part.write_text(json.dumps(state))
        part.replace(self.state_path)

    def step(self) -> int:
        """Index what changed since the watermark; how many log rows that took in."""
        if self.last_id is None:
            self._load()
        if self.last_id is None:
            # No watermark: every paper is checked, and the log is followed from where it is now.
            mark = CatalogueChange.objects.order_by("-id").values_list("id", flat=True).first() or 0
            recent = CatalogueChange.objects.filter(id__gt=mark - LOOKBACK, id__lte=mark)
            before = set(recent.values_list("id", flat=True))
            update_index(None)
            self.last_id, self.done = mark, before
            self._save()
            log.info("search follower: the index was checked against every paper; following from %d", mark)
            return 0
        rows = list(
            CatalogueChange.objects.filter(id__gt=self.last_id - LOOKBACK)
            .exclude(id__in=self.done)
            .order_by("id")
            .values_list("id", "paper_ids")
        )
        if not rows:
            return 0
        whole = any(ids is None for _, ids in rows)
        ids = None if whole else {int(i) for _, row_ids in rows for i in row_ids}
        update_index(ids)
        self.last_id = max(self.last_id, rows[-1][0])
        self.done = {i for i in self.done | {row_id for row_id, _ in rows} if i > self.last_id - LOOKBACK}
        self._save()
        log.info(
            "search follower: indexed %s from %d change(s)",
            "every paper" if ids is None else f"{len(ids)} paper(s)",
            len(rows),
        )
        return len(rows)

    def run(self, interval: float, stop: threading.Event | None = None) -> None:
        """Follow until `stop` is set (or forever). A failure (the database away) is logged and the
        same changes are tried again at the next poll."""
        stop = stop or threading.Event()
        failing = False
        while not stop.is_set():
            close_old_connections()
            try:
                self.step()
            except Exception as exc:  # the database away, a full disk: the same changes next time
                if not failing:
                    log.warning("search follower: %s; retrying every %.0f s", exc, interval, exc_info=True)
                failing = True
            else:
                if failing:
                    log.info("search follower: working again")
                failing = False
            stop.wait(interval)


def follow(interval: float) -> None:
    """`dailypapers index --follow`."""
    log.info("search follower: following the catalogue every %.0f s", interval)
    Follower().run(interval)
