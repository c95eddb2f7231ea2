"""Work that runs after a write commits (moving page stamps, marking a member's taste due) may fail,
say while the database restarts: the write stands, the failure is one logged error, and the request
that made the write still gets its answer, not a 500. (Django logs a failed robust hook by its
`__qualname__`; a hook without one turned the log line itself into an AttributeError.)"""

from __future__ import annotations

import logging

import pytest
from django.db import OperationalError, transaction

from dailypapers.community.models import Upvote
from dailypapers.core import pagecache
from dailypapers.papers.models import Paper
from dailypapers.recommend import receivers
from tests.support.factories import add_paper, add_user

pytestmark = pytest.mark.django_db(transaction=True)


def _database_gone(*args, **kwargs):
    raise OperationalError("server closed the connection unexpectedly")


def test_a_vote_stands_when_marking_the_voters_taste_due_fails(monkeypatch, caplog):
    add_paper("2601.00001", "A paper")
    paper, member = Paper.objects.get(arxiv_id="2601.00001"), add_user("ada")
    monkeypatch.setattr(receivers, "_mark_due", _database_gone)
    with caplog.at_level(logging.ERROR, logger="django.db.backends.base"):
        assert Upvote.toggle(member, paper, on=True) == (True, 1)
    assert Upvote.objects.filter(user=member, paper=paper).exists()
    assert [r for r in caplog.records if "mark_due" in r.getMessage()]


def test_a_members_pages_stamp_that_cannot_move_is_logged_not_raised(monkeypatch, caplog):
    monkeypatch.setattr(pagecache, "_bump_now", _database_gone)
    with caplog.at_level(logging.ERROR, logger="django.db.backends.base"), transaction.atomic():
        pagecache.bump_reader(7)
    assert [r for r in caplog.records if "pagecache.bump" in r.getMessage()]
