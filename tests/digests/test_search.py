"""Saved searches in digests run through the site's search engine (dailypapers.search)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command

from dailypapers.digests.models import Subscription
from dailypapers.search import query
from tests.digests.helpers import due_period, make_due, titles
from tests.support.factories import add_paper

pytestmark = pytest.mark.django_db(transaction=True)  # papers are indexed once committed


@pytest.fixture(autouse=True)
def search_dir(settings, _own_search_index):
    settings.SEARCH_SEMANTIC = True  # the folder is each test's own already (conftest)


def _paper(arxiv_id, title, abstract, votes, day, published):
    add_paper(
        arxiv_id,
        title,
        day=day,
        votes=votes,
        abstract=abstract,
        authors=["A. Author"],
        published_at=dt.datetime.combine(published, dt.time(12), tzinfo=dt.UTC),
    )


def test_a_saved_search_picks_the_matching_papers_of_the_period(smtp_server, client):
    period = due_period()
    day = period.start
    _paper(
        "2601.00501",
        "Protein folding with diffusion models",
        "We predict protein structures with a diffusion model.",
        5,
        day,
        day - dt.timedelta(days=2),
    )
    _paper(
        "2601.00502",
        "Predicting the three-dimensional shape of proteins from amino acid sequences",
        "A network maps amino acid chains to their folded 3D conformation.",
        9,
        day,
        day,
    )
    _paper(
        "2601.00503",
        "Segmenting cats in photographs",
        "An image segmentation method for household pets.",
        20,
        day,
        day,
    )
    _paper(
        "2601.00504",
        "Protein folding, last month",
        "Protein folding again.",
        50,
        day - dt.timedelta(days=30),
        day - dt.timedelta(days=31),
    )
    sub = Subscription.objects.create(email="bio@example.org", search_query="protein folding")
    sub.confirm()
    make_due(sub)
    # The papers were indexed as they arrived (upsert's catalogue_changed signal).
    call_command("digest", "send")
    [received] = smtp_server.wait_for(1)
    got = titles(received)
    assert got[:2] == [
        "Predicting the three-dimensional shape of proteins from amino acid sequences",
        "Protein folding with diffusion models",
    ]
    assert "Segmenting cats in photographs" not in got and "Protein folding, last month" not in got

    # The settings page offers the saved search now that a search engine is installed.
    from dailypapers.digests.tokens import make_token

    page = client.get(f"/digests/manage/{make_token(sub, 'manage')}")
    assert b'name="search_query"' in page.content and b"protein folding" in page.content


def test_a_broken_search_index_does_not_stop_the_digests(smtp_server, monkeypatch):
    period = due_period()
    _paper("2601.00511", "Anything", "Text.", 1, period.start, period.start)
    sub = Subscription.objects.create(email="s@example.org", search_query="anything")
    plain = Subscription.objects.create(email="p@example.org")
    for s in (sub, plain):
        s.confirm()
    make_due(sub, plain)

    def broken(*args, **kwargs):
        raise RuntimeError("index is corrupt")

    monkeypatch.setattr(query, "search_papers", broken)
    call_command("digest", "send")
    assert [m.recipients for m in smtp_server.wait_for(1)] == [["p@example.org"]]
