"""The one upsert path every source uses."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from dailypapers.papers.models import Category, Listing, Paper
from dailypapers.sources.ingest import upsert
from dailypapers.sources.records import ListingRecord, PaperRecord

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2026, 8, 1, tzinfo=dt.UTC)


def arxiv(version: int, **fields) -> PaperRecord:
    base = {
        "title": f"Title v{version}",
        "abstract": f"Abstract v{version}.",
        "authors": ["A One", "B Two"],
        "categories": ["cs.CL", "cs.AI"],
        "published_at": T0,
        "updated_at": T0 + dt.timedelta(days=version),
    }
    base.update(fields)
    return PaperRecord(arxiv_id="2608.00001", version=version, **base)


def test_new_version_updates_metadata_and_keeps_votes_and_listings():
    upsert([arxiv(1, listings=[ListingRecord(day=dt.date(2026, 8, 3))])])
    Paper.objects.update(upvote_count=5, comment_count=2)

    result = upsert([arxiv(2, authors=["A One", "C Three"], categories=["cs.LG", "cs.CL"])])

    assert (result.new, result.updated) == (0, 1)
    paper = Paper.objects.get()
    assert (paper.version, paper.title, paper.upvote_count, paper.comment_count) == (2, "Title v2", 5, 2)
    assert [a.author.name for a in paper.authorships.all()] == ["A One", "C Three"]
    assert paper.primary_category_id == "cs.LG"
    assert sorted(paper.categories.values_list("code", flat=True)) == ["cs.CL", "cs.LG"]
    assert paper.listings.count() == 1


def test_older_version_changes_no_metadata_but_adds_its_listing():
    upsert([arxiv(3)])
    result = upsert([arxiv(1, listings=[ListingRecord(day=dt.date(2026, 8, 4))])])
    assert result.updated == 0 and result.listings_new == 1
    assert Paper.objects.get().title == "Title v3"


def test_cross_listed_categories_are_kept_with_primary_first():
    upsert([arxiv(1, categories=["cs.CV", "cs.AI", "cs.LG"])])
    paper = Paper.objects.get()
    assert paper.primary_category_id == "cs.CV"
    assert set(paper.categories.values_list("code", flat=True)) == {"cs.CV", "cs.AI", "cs.LG"}
    assert Category.objects.count() == 3


def test_unknown_fields_never_erase_known_ones():
    upsert([arxiv(1, doi="10.1000/xyz", github_repo="https://github.com/a/b")])
    upsert([PaperRecord(arxiv_id="2608.00001", ai_summary="Short.")])
    paper = Paper.objects.get()
    assert (paper.doi, paper.github_repo, paper.ai_summary) == (
        "10.1000/xyz",
        "https://github.com/a/b",
        "Short.",
    )
    assert paper.authorships.count() == 2


def test_rerun_is_a_no_op():
    records = [arxiv(1, listings=[ListingRecord(day=dt.date(2026, 8, 3), submitter_name="x")])]
    first = upsert(records)
    again = upsert(records)
    assert (first.new, first.listings_new) == (1, 1)
    assert (again.new, again.updated, again.unchanged, again.listings_new) == (0, 0, 1, 0)


def test_a_failing_batch_leaves_nothing_behind():
    good = arxiv(1)
    bad = PaperRecord(arxiv_id="2608.00002", title="Bad", listings=[ListingRecord(day="not a date")])
    with pytest.raises(ValidationError):
        upsert([good, bad])
    assert not Paper.objects.exists() and not Listing.objects.exists()


def test_withdrawn_is_marked():
    upsert([arxiv(1)])
    upsert([arxiv(2, withdrawn=True, abstract="This paper has been withdrawn.")])
    assert Paper.objects.get().withdrawn


def test_an_outdated_record_still_fills_what_the_paper_lacks():
    announced = dt.datetime(2026, 8, 3, 20, tzinfo=dt.UTC)
    upsert([PaperRecord(arxiv_id="2608.00001", title="From RSS", version=1, metadata_as_of=announced)])
    harvested = arxiv(1, metadata_as_of=announced - dt.timedelta(hours=20), doi="10.1/x", title="From OAI")
    assert upsert([harvested]).updated == 1
    paper = Paper.objects.get()
    assert paper.title == "From RSS"  # the newer observation's text stays
    assert (paper.doi, paper.published_at, paper.primary_category_id) == ("10.1/x", T0, "cs.CL")
    assert paper.authorships.count() == 2 and paper.categories.count() == 2
    assert upsert([harvested]).updated == 0
