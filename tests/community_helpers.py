"""Helpers for the community tests: recent papers, members, and the arXiv replay."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from dailypapers.papers.models import Paper
from dailypapers.papers.periods import feed_day
from tests.factories import add_paper, add_user  # noqa: F401 (re-exported for the tests)


def recent_paper(arxiv_id: str, title: str = "A recent paper", days_old: float = 1, **fields) -> Paper:
    """A catalogued paper first published `days_old` days ago, not on any feed."""
    published = timezone.now() - dt.timedelta(days=days_old)
    add_paper(arxiv_id, title, published_at=published, updated_at=published, **fields)
    return Paper.objects.get(arxiv_id=arxiv_id)


def listed_paper(
    arxiv_id: str, title: str = "A listed paper", day: dt.date | None = None, votes: int = 0
) -> Paper:
    """A catalogued paper on the feed of `day` (today by default)."""
    add_paper(arxiv_id, title, day=day or feed_day(), votes=votes)
    return Paper.objects.get(arxiv_id=arxiv_id)


def arxiv_replay(replay_server, settings):
    """Point the arXiv API at recorded answers (tests/test_arxiv_api.py's replay)."""
    from tests.test_arxiv_api import recorded, replay_arxiv_api

    settings.ARXIV_API_URL = replay_server.url + "/api/query"
    settings.ARXIV_DELAY = 0
    replay_server.route("/api/query", replay_arxiv_api(recorded()))
    return replay_server
