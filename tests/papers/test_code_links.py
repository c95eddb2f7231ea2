"""A paper's code link: found in its abstract or arXiv comments, normalised, and ranked below a link a
submitter or an imported site gave (given > abstract > comments); the backfill for papers already
here; star counts written short."""

from __future__ import annotations

import datetime as dt

import pytest

from dailypapers.community.submissions import add_links, submit_paper
from dailypapers.papers import code_links
from dailypapers.papers.models import Listing, Paper
from dailypapers.sources.github_stars import fill_links_from_text
from dailypapers.sources.ingest import upsert
from dailypapers.sources.records import PaperRecord
from tests.support.factories import add_paper, add_user

DAY = dt.date(2026, 8, 20)


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Code is at https://github.com/ada/engine.", "https://github.com/ada/engine"),
        ("Code: github.com/Ada-Lab/Big.Model.git, data soon", "https://github.com/Ada-Lab/Big.Model"),
        ("(see https://www.github.com/ada/engine/tree/main/src#readme)", "https://github.com/ada/engine"),
        ("http://github.com/ada/engine?tab=readme", "https://github.com/ada/engine"),
        (r"\url{https://github.com/ada/engine_v2}", "https://github.com/ada/engine_v2"),
        ("Our group: https://github.com/ada and more.", None),  # an owner alone
        ("https://gist.github.com/ada/0123abcd", None),
        ("https://ada.github.io/engine/", None),  # a project page
        ("https://github.com/features/copilot", None),  # GitHub's own page
        ("https://api.github.com/repos/ada/engine", None),
        ("No code.", None),
    ],
)
def test_found_in_text(text, found):
    assert code_links.find_in_text(text) == found


@pytest.mark.parametrize(
    ("count", "short"),
    [
        (0, "0"),
        (999, "999"),
        (1000, "1k"),
        (1234, "1.2k"),
        (1299, "1.2k"),
        (56_789, "56k"),
        (1_250_000, "1.2M"),
    ],
)
def test_short_counts(count, short):
    assert code_links.short_count(count) == short


def paper() -> Paper:
    return Paper.objects.get(arxiv_id="2608.00001")


def record(**fields) -> PaperRecord:
    return PaperRecord(arxiv_id="2608.00001", title="Engine", **fields)


@pytest.mark.django_db
def test_the_abstract_before_the_comments():
    upsert([record(abstract="No link.", arxiv_comments="Code: https://github.com/ada/comments")])
    assert (paper().github_repo, paper().github_repo_origin) == (
        "https://github.com/ada/comments",
        "comments",
    )
    upsert([record(abstract="See https://github.com/ada/abstract.")])
    assert (paper().github_repo, paper().github_repo_origin) == (
        "https://github.com/ada/abstract",
        "abstract",
    )
    # Comments never replace what the abstract named.
    upsert([record(arxiv_comments="https://github.com/ada/other")])
    assert paper().github_repo == "https://github.com/ada/abstract"


@pytest.mark.django_db
def test_a_given_link_is_never_replaced_by_a_found_one():
    upsert([record(abstract="See https://github.com/ada/found.")])
    # An imported site's link (Hugging Face's githubRepo) replaces a found one, with its stars...
    upsert([record(github_repo="https://github.com/hf/given", github_stars=8)])
    assert (paper().github_repo, paper().github_repo_origin, paper().github_stars) == (
        "https://github.com/hf/given",
        "",
        8,
    )
    # ...and a found one never replaces it.
    upsert([record(abstract="Now at https://github.com/ada/elsewhere.")])
    assert paper().github_repo == "https://github.com/hf/given"
    assert fill_links_from_text() == 0 and paper().github_repo == "https://github.com/hf/given"


@pytest.mark.django_db
def test_a_new_paper_gets_the_link_of_its_text():
    upsert([record(abstract="x", arxiv_comments="10 pages; github.com/ada/engine")])
    assert (paper().github_repo, paper().github_repo_origin) == ("https://github.com/ada/engine", "comments")


@pytest.mark.django_db
def test_the_submitters_link_wins(settings):
    add_paper("2608.00001", "Engine", abstract="Code: https://github.com/ada/found")
    ada = add_user("ada")
    listing = submit_paper(ada, "2608.00001", github_repo="https://github.com/ada/mine")
    assert (paper().github_repo, paper().github_repo_origin) == ("https://github.com/ada/mine", "")
    upsert([record(abstract="Code: https://github.com/ada/found")])  # a new version, say
    assert paper().github_repo == "https://github.com/ada/mine"
    add_links(ada, Listing.objects.get(pk=listing.pk), github_repo="https://github.com/ada/better")
    assert paper().github_repo == "https://github.com/ada/better"


@pytest.mark.django_db
def test_the_backfill_finds_the_links_of_papers_already_here():
    add_paper("2608.00001", "Engine", abstract="Code: https://github.com/ada/engine.")
    add_paper("2608.00002", "Other", arxiv_comments="Code at GitHub.com/bob/tool")
    add_paper("2608.00003", "None", abstract="Nothing here about github.")
    # As papers ingested before links were looked for.
    Paper.objects.update(github_repo="", github_repo_origin="")
    assert fill_links_from_text() == 2
    links = dict(Paper.objects.values_list("arxiv_id", "github_repo"))
    assert links == {
        "2608.00001": "https://github.com/ada/engine",
        "2608.00002": "https://github.com/bob/tool",
        "2608.00003": "",
    }
    assert fill_links_from_text() == 0
