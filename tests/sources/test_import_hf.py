"""`dailypapers import hf-daily` on the real archive, its quirks, and broken input."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import shutil
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from dailypapers.papers.models import Author, Listing, Paper
from tests.support.factories import catalogue

pytestmark = pytest.mark.django_db


def run_import(*paths: Path) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(
        "import", "hf-daily", *map(str, paths), "--no-progress", "--no-index", stdout=out, stderr=err
    )
    return out.getvalue(), err.getvalue()


@pytest.mark.one_pass("sqlite")
def test_whole_archive_imports_every_record_and_reimport_changes_nothing(hf_dir):
    out, err = run_import(hf_dir)
    assert "Files: 580 read, 0 unreadable. Records: 9881 read, 0 skipped." in out
    assert err == ""
    assert Paper.objects.count() == 9877  # four papers were on the feed twice
    assert Listing.objects.count() == 9881
    before = catalogue()

    out, _ = run_import(hf_dir)
    assert "Papers: 0 new, 0 updated" in out and "Feed listings: 0 new." in out
    assert catalogue() == before


def test_real_paper_lands_with_its_metadata(hf_dir):
    run_import(hf_dir / "2026-08-21.json")
    paper = Paper.objects.get(arxiv_id="2608.19880")
    assert paper.title == "EnvHarness: Awakening Static Worlds for Agent Learning"
    assert paper.abstract.startswith("LLM agents learn by interacting with environments")
    assert [a.name for a in paper.authorships.all()][:2] == ["Chengsong Huang", "Zifeng Wang"]
    assert paper.authorships.count() == 17
    assert paper.github_repo == "https://github.com/google-research/envharness"
    assert paper.project_page == "https://envharness.com/"
    assert paper.github_stars == 8
    assert "EnvRigger" in paper.ai_keywords
    assert paper.ai_summary.startswith("EnvHarness and EnvRigger")
    # Hugging Face's figures are kept apart from local ones.
    assert (paper.imported_site, paper.imported_upvotes, paper.imported_comments) == ("huggingface", 163, 1)
    assert (paper.upvote_count, paper.comment_count) == (0, 0)
    listing = paper.listings.get()
    assert listing.day == dt.date(2026, 8, 21)
    assert (listing.submitter_name, listing.submitter_fullname) == ("taesiri", "taesiri")


def test_python_repr_items_of_december_2024(hf_dir):
    out, err = run_import(hf_dir / "2024-12-11.json")
    assert "Records: 26 read, 0 skipped" in out and err == ""
    assert Listing.objects.filter(day=dt.date(2024, 12, 11)).count() == 26
    paper = Paper.objects.filter(listings__day=dt.date(2024, 12, 11)).order_by("arxiv_id").first()
    assert paper.title and paper.abstract and paper.authorships.exists()


def test_wrapped_file_of_2025_01_10(hf_dir):
    out, _ = run_import(hf_dir / "2025-01-10.json")
    assert "Records: 9 read, 0 skipped" in out
    assert Listing.objects.filter(day=dt.date(2025, 1, 10)).count() == 9
    assert Paper.objects.get(arxiv_id="2501.05441").authorships.first().author.name == "Yiwen Huang"


def test_unreadable_records_are_reported_and_the_rest_lands(hf_dir, tmp_path):
    items = json.loads((hf_dir / "2026-08-21.json").read_text())
    good = len(items)
    broken = [
        42,
        "{'paper': {'id': ",  # a cut-off Python repr
        {"paper": {"id": "not-an-id", "title": "x"}},
        {"paper": {"id": "2608.00001", "title": "   "}},
        {"paper": {"id": "2608.00002", "title": "Negative", "upvotes": -3}},
        {"paper": {"id": "2608.00003", "title": "Bad time", "publishedAt": "yesterday"}},
    ]
    path = tmp_path / "2026-08-21.json"
    path.write_text(json.dumps(items[:5] + broken + items[5:]))

    out, err = run_import(path)

    assert f"Records: {good + len(broken)} read, {len(broken)} skipped" in out
    lines = err.strip().splitlines()
    assert len(lines) == len(broken)
    assert lines[0] == "skipped 2026-08-21.json, item 6: expected an object, found int"
    assert lines[1].startswith("skipped 2026-08-21.json, item 7: a string that is neither")
    assert "item 8: 'not-an-id' is not an arXiv id" in lines[2]
    assert "item 9: paper 2608.00001 has no title" in lines[3]
    assert "item 10: upvotes is not a count: -3" in lines[4]
    assert "item 11: not a timestamp: 'yesterday'" in lines[5]
    assert Paper.objects.count() == good


def test_truncated_file_is_an_error_naming_it_and_leaves_nothing_half_written(hf_dir, tmp_path):
    text = (hf_dir / "2026-08-21.json").read_text()
    bad = tmp_path / "2026-08-21.json"
    bad.write_text(text[: len(text) // 2])
    good = tmp_path / "2026-08-20.json"
    shutil.copy(hf_dir / "2026-08-20.json", good)
    err = StringIO()
    with pytest.raises(CommandError, match="1 file\\(s\\) could not be read"):
        call_command("import", "hf-daily", str(tmp_path), "--no-progress", stdout=StringIO(), stderr=err)
    assert f"error: {bad}: not valid JSON at line" in err.getvalue()
    assert not Listing.objects.filter(day=dt.date(2026, 8, 21)).exists()
    assert Listing.objects.filter(day=dt.date(2026, 8, 20)).count() == len(json.loads(good.read_text()))


def test_truncated_gzip_and_wrong_shapes_are_errors(tmp_path):
    gz = tmp_path / "a.json.gz"
    gz.write_bytes(gzip.compress(b'[{"paper": {"id": "2608.19880", "title": "T"}}]')[:-12])
    other = tmp_path / "b.json"
    other.write_text('{"something": "else"}')
    err = StringIO()
    with pytest.raises(CommandError):
        call_command(
            "import", "hf-daily", str(gz), str(other), "--no-progress", stdout=StringIO(), stderr=err
        )
    assert f"{gz}: cannot be read" in err.getvalue()
    assert f"{other}: no list of papers in it" in err.getvalue()
    assert not Paper.objects.exists()


def test_missing_path_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="no such file or folder"):
        run_import(tmp_path / "nope.json")
    with pytest.raises(CommandError, match="no .json files found"):
        run_import(tmp_path)


def write_day(folder: Path, day: str, **paper_fields) -> Path:
    paper = {
        "id": "2608.19880",
        "title": "Original title",
        "summary": "S.",
        "upvotes": 10,
        "authors": [{"name": "Chengsong Huang"}],
        "submittedOnDailyAt": f"{day}T00:00:00.000Z",
    }
    paper.update(paper_fields)
    path = folder / f"{day}.json"
    path.write_text(json.dumps([{"paper": paper, "numComments": 2, "submittedBy": {"name": "taesiri"}}]))
    return path


def test_newer_observation_updates_and_older_one_does_not(tmp_path):
    run_import(write_day(tmp_path, "2026-08-20"))
    Paper.objects.update(upvote_count=3)  # local votes cast meanwhile

    out, _ = run_import(write_day(tmp_path, "2026-08-21", title="Revised  title", upvotes=99))
    assert "Papers: 0 new, 1 updated" in out
    paper = Paper.objects.get()
    # The title as the source writes it, its spacing too.
    assert (paper.title, paper.imported_upvotes, paper.upvote_count) == ("Revised  title", 99, 3)
    assert sorted(paper.listings.values_list("day", flat=True)) == [
        dt.date(2026, 8, 20),
        dt.date(2026, 8, 21),
    ]

    out, _ = run_import(tmp_path / "2026-08-20.json")  # the older file again
    assert "Papers: 0 new, 0 updated, 1 unchanged" in out
    assert Paper.objects.get().title == "Revised  title"
    # Each listing keeps its own day's figures.
    assert sorted(paper.listings.values_list("day", "imported_upvotes", "imported_comments")) == [
        (dt.date(2026, 8, 20), 10, 2),
        (dt.date(2026, 8, 21), 99, 2),
    ]


def test_two_spellings_link_one_author_and_each_position_keeps_its_own(tmp_path):
    run_import(write_day(tmp_path, "2026-08-20", authors=[{"name": "José  García"}, {"name": "jose garcia"}]))
    assert Author.objects.count() == 1  # linked for author pages and filters
    authorships = Paper.objects.get().authorships.all()
    assert [a.name for a in authorships] == ["José  García", "jose garcia"]  # shown as written


def test_hidden_authors_are_kept_with_their_flag(tmp_path):
    run_import(write_day(tmp_path, "2026-08-20", authors=[{"name": "A B"}, {"name": "C D", "hidden": True}]))
    authorships = Paper.objects.get().authorships.all()
    assert [(a.name, a.details.get("hidden")) for a in authorships] == [("A B", None), ("C D", True)]


def authors_of(arxiv_id: str) -> list[str]:
    return [a.name for a in Paper.objects.get(arxiv_id=arxiv_id).authorships.all()]


def source_authors(path: Path, arxiv_id: str) -> list[str]:
    from dailypapers.sources.hf_daily import _as_object

    for item in json.loads(path.read_text()):
        paper = _as_object(item)["paper"]
        if paper["id"] == arxiv_id:
            return [a["name"] for a in paper["authors"]]
    raise AssertionError(f"{arxiv_id} is not in {path}")


def test_real_author_lists_are_exactly_the_sources(hf_dir):
    """Same-name co-authors, hidden authors and each paper's own spelling (issue 14's examples)."""
    files = ["2026-03-10.json", "2024-06-26.json", "2024-05-30.json", "2024-06-14.json", "2025-11-21.json"]
    run_import(*(hf_dir / name for name in files))
    # Two co-authors called Yang Liu: 23 names, not 22.
    assert authors_of("2603.07980") == source_authors(hf_dir / "2026-03-10.json", "2603.07980")
    assert len(authors_of("2603.07980")) == 23 and authors_of("2603.07980").count("Yang Liu") == 2
    # Three of its seven authors are marked hidden on Hugging Face; all seven are its authors.
    assert authors_of("2406.17774") == source_authors(hf_dir / "2024-06-26.json", "2406.17774")
    assert len(authors_of("2406.17774")) == 7
    # One person, spelled two ways on two papers: each paper shows its own spelling.
    assert "Tsu-Jui Fu" in authors_of("2405.18750") and "Tsu-jui Fu" in authors_of("2406.08656")
    assert "Piotr Dollár" in authors_of("2511.16624")
    assert Author.objects.filter(key="tsu-jui fu").count() == 1


def test_unsafe_links_are_dropped(tmp_path):
    run_import(
        write_day(tmp_path, "2026-08-20", githubRepo="javascript:alert(1)", projectPage="data:text/html,x")
    )
    paper = Paper.objects.get()
    assert paper.github_repo == "" and paper.project_page == ""


def test_categories_as_the_arxiv_snapshot_writes_them(tmp_path):
    """Hugging Face's papers carry none; a paper object may add them (the bundled demo does)."""
    run_import(write_day(tmp_path, "2026-08-20", categories="cs.CL cs.AI cs.CL"))
    paper = Paper.objects.get()
    assert paper.primary_category_id == "cs.CL"
    assert sorted(paper.categories.values_list("code", flat=True)) == ["cs.AI", "cs.CL"]

    run_import(write_day(tmp_path, "2026-08-21", id="2608.19881", categories=["cs.LG"]))
    assert Paper.objects.get(arxiv_id="2608.19881").primary_category_id == "cs.LG"

    _, err = run_import(write_day(tmp_path, "2026-08-22", id="2608.19882", categories="cs.CL <b>"))
    assert "2608.19882: categories is not a list of arXiv categories" in err
    assert not Paper.objects.filter(arxiv_id="2608.19882").exists()
