"""Upvotes: toggling, one per member, and an exact count when many members vote at once."""

from __future__ import annotations

import threading

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db import connection

from dailypapers.community.models import Upvote
from dailypapers.papers.models import Paper
from tests.support.factories import add_user, listed_paper


@pytest.mark.django_db
def test_toggle_on_off_and_explicit():
    paper = listed_paper("2611.00100", votes=7)
    ada, bob = add_user("ada"), add_user("bob")
    assert Upvote.toggle(ada, paper) == (True, 1)
    assert Upvote.toggle(bob, paper, on=True) == (True, 2)
    assert Upvote.toggle(bob, paper, on=True) == (True, 2)  # idempotent: one vote per member
    assert Upvote.toggle(ada, paper) == (False, 1)
    assert Upvote.toggle(ada, paper, on=False) == (False, 1)
    paper.refresh_from_db()
    assert (paper.upvote_count, paper.imported_upvotes, paper.total_votes) == (1, 7, 8)
    assert Upvote.voted_ids(bob, [paper]) == {paper.pk} and Upvote.voted_ids(ada, [paper]) == set()


@pytest.mark.django_db
def test_anonymous_and_deactivated_cannot_vote():
    paper = listed_paper("2611.00101")
    with pytest.raises(PermissionDenied, match="Sign in"):
        Upvote.toggle(AnonymousUser(), paper)
    with pytest.raises(PermissionDenied, match="deactivated"):
        Upvote.toggle(add_user("gone", is_active=False), paper)
    assert Paper.objects.get(pk=paper.pk).upvote_count == 0 and not Upvote.objects.exists()


def _in_threads(work, count: int) -> list[BaseException]:
    errors: list[BaseException] = []
    barrier = threading.Barrier(count)

    def run(i: int) -> None:
        try:
            barrier.wait()
            work(i)
        except BaseException as exc:  # noqa: BLE001 (reported by the test)
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


@pytest.mark.django_db(transaction=True)
def test_parallel_votes_count_exactly():
    paper = listed_paper("2611.00102")
    members = [add_user(f"m{i}") for i in range(12)]
    # Every member votes twice at once (a double click) and the even ones then take it back.
    errors = _in_threads(lambda i: Upvote.toggle(members[i // 2], paper, on=True), 24)
    assert errors == []
    assert Paper.objects.get(pk=paper.pk).upvote_count == 12 == Upvote.objects.count()
    errors = _in_threads(lambda i: Upvote.toggle(members[i], paper, on=(i % 2 == 1)), 12)
    assert errors == []
    assert Paper.objects.get(pk=paper.pk).upvote_count == 6 == Upvote.objects.count()
