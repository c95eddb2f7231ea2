"""`dailypapers import arxiv-snapshot`: real snapshot months, broken lines and files, reruns, new versions."""

from __future__ import annotations

import datetime as dt
import gzip
import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from dailypapers.papers.models import AutoListRule, Listing, Paper
from tests.support.factories import catalogue
from tests.support.shared import SHARED, need

pytestmark = pytest.mark.django_db
SNAPSHOT = SHARED / "data" / "arxiv-snapshot"


@pytest.fixture
def month() -> Path:
    path = SNAPSHOT / "arxiv-2026-07.jsonl.gz"
    need(path.is_file(), f"the arXiv snapshot is not at {SNAPSHOT}")
    return path


def run_import(*paths: Path, options: tuple[str, ...] = ()) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(
        "import",
        "arxiv-snapshot",
        *map(str, paths),
        "--no-progress",
        "--no-index",
        *options,
        stdout=out,
        stderr=err,
    )
    return out.getvalue(), err.getvalue()


def lines_of(path: Path) -> list[str]:
    with gzip.open(path, "rt") as fh:
        return fh.read().splitlines()


def test_a_real_month_imports_completely_and_reimport_changes_nothing(month):
    count = len(lines_of(month))
    out, err = run_import(month, options=("--batch-size", "100"))
    assert f"Records: {count} read, 0 skipped. Papers: {count} new, 0 updated" in out and err == ""
    paper = Paper.objects.get(arxiv_id="2606.30647")
    assert paper.title == "Cross-Modal Hierarchical Fusion for from Multi-Sensor Ground Observation"
    assert paper.abstract.startswith("Dense volumetric reconstruction of cloud microphysical fields")
    assert [a.author.name for a in paper.authorships.all()] == ["Xinze Zhang"]
    assert paper.primary_category_id == "cs.CV"
    assert set(paper.categories.values_list("code", flat=True)) == {"cs.CV", "cs.AI"}
    assert paper.published_at == dt.datetime(2026, 7, 1, tzinfo=dt.UTC)
    assert (paper.version, paper.withdrawn) == (1, False)
    assert not Listing.objects.exists()  # no auto-listing rule: the feed is the community's
    before = catalogue()

    out, _ = run_import(month)
    assert f"Papers: 0 new, 0 updated, {count} unchanged" in out
    assert catalogue() == before


def test_reading_in_a_second_process_gives_the_same_catalogue(month):
    run_import(month, options=("--serial",))
    serial = catalogue()
    Paper.objects.all().delete()
    run_import(month)
    assert catalogue() == serial


def test_the_first_batch_can_be_smaller_and_batches_cover_every_line(month):
    from dailypapers.sources.snapshot import read_batches

    sizes = [len(batch.records) for batch in read_batches(month, 100, first=10)]
    assert sizes[0] == 10 and set(sizes[1:-1]) == {100} and sum(sizes) == len(lines_of(month))


def test_bad_lines_are_named_and_skipped_and_the_rest_lands(month, tmp_path):
    good = lines_of(month)[:5]
    path = tmp_path / "mixed.jsonl"
    path.write_text(
        "\n".join(
            [
                good[0],
                "{not json",
                "[1, 2]",
                json.dumps({"id": "abc", "title": "x"}),
                good[1],
                json.dumps({"id": "2607.00001"}),
                "",
                *good[2:],
            ]
        )  # fmt: skip
        + "\n"
    )
    out, err = run_import(path)
    assert "Records: 9 read, 4 skipped" in out
    assert err.splitlines() == [
        f"skipped {path}:2: not valid JSON: Expecting property name enclosed in double quotes at column 2",
        f"skipped {path}:3: expected a JSON object, found list",
        f"skipped {path}:4: 'abc' is not an arXiv id",
        f"skipped {path}:6: paper 2607.00001 has no title",
    ]
    assert Paper.objects.count() == 5


def test_truncated_gzip_keeps_whole_batches_and_a_rerun_completes_it(month, tmp_path):
    data = month.read_bytes()
    broken = tmp_path / "arxiv-2026-07.jsonl.gz"
    broken.write_bytes(data[: len(data) // 2])
    err = StringIO()
    with pytest.raises(CommandError, match="1 file\\(s\\) could not be read"):
        call_command("import", "arxiv-snapshot", str(broken), "--no-progress", "--batch-size", "50",
                     stdout=StringIO(), stderr=err)  # fmt: skip
    assert err.getvalue().startswith(f"error: {broken}: unreadable after line ")
    landed = Paper.objects.count()
    assert 0 < landed < len(lines_of(month)) and landed % 50 == 0  # whole batches, nothing half-written

    broken.write_bytes(data)  # the download completed: the same command again
    out, _ = run_import(broken)
    assert f"Papers: {len(lines_of(month)) - landed} new, 0 updated, {landed} unchanged" in out


def test_a_newer_version_updates_the_paper(tmp_path):
    first = {"id": "2607.00002", "title": "First title", "abstract": "A.", "categories": "cs.LG",
             "authors_parsed": [["Lovelace", "Ada", ""]], "update_date": "2026-07-01",
             "versions": [{"version": "v1", "created": "Wed, 01 Jul 2026 00:00:00 GMT"}]}  # fmt: skip
    v2 = {"version": "v2", "created": "Thu, 09 Jul 2026 10:00:00 GMT"}
    second = {**first, "title": "Second title", "update_date": "2026-07-09", "comments": "v2: fixed",
              "versions": [*first["versions"], v2]}  # fmt: skip
    path = tmp_path / "a.jsonl"
    path.write_text(json.dumps(first) + "\n")
    run_import(path)
    path.write_text(json.dumps(second) + "\n")
    out, _ = run_import(path)
    assert "Papers: 0 new, 1 updated" in out
    paper = Paper.objects.get()
    assert (paper.title, paper.version, paper.arxiv_comments) == ("Second title", 2, "v2: fixed")
    assert paper.updated_at == dt.datetime(2026, 7, 9, 10, tzinfo=dt.UTC)
    assert paper.published_at == dt.datetime(2026, 7, 1, tzinfo=dt.UTC)


def test_a_category_code_repeated_in_the_record_is_no_change_on_rerun(tmp_path):
    # As in the real snapshot (2504.17179): "cs.AI cs.CV 68T45, 68T05 68T45, 68T05 ...".
    record = {"id": "2607.00004", "title": "T", "abstract": "A.",
              "categories": "cs.AI cs.CV 68T45, 68T05 68T45, 68T05 I.2.6",
              "versions": [{"version": "v1", "created": "Wed, 01 Jul 2026 00:00:00 GMT"}]}  # fmt: skip
    path = tmp_path / "c.jsonl"
    path.write_text(json.dumps(record) + "\n")
    run_import(path)
    before = catalogue()
    out, _ = run_import(path)
    assert "Papers: 0 new, 0 updated, 1 unchanged" in out
    assert catalogue() == before


def test_withdrawn_papers_are_marked(tmp_path):
    record = {"id": "2607.00003", "title": "T", "abstract": "A.",
              "comments": "This paper has been withdrawn by the author",
              "versions": [{"version": "v2", "created": "Thu, 09 Jul 2026 10:00:00 GMT"}]}  # fmt: skip
    path = tmp_path / "w.jsonl"
    path.write_text(json.dumps(record) + "\n")
    run_import(path)
    assert Paper.objects.get().withdrawn


def test_auto_listing_rules_put_matching_new_papers_on_their_day(month):
    AutoListRule.objects.create(name="Vision fusion", categories="cs.CV", keywords="fusion")
    AutoListRule.objects.create(name="Off", enabled=False)
    out, _ = run_import(month)
    listed = Paper.objects.filter(listings__source="auto").distinct()
    assert listed.exists()
    for paper in listed:
        assert paper.categories.filter(code="cs.CV").exists()
        assert "fusion" in (paper.title + paper.abstract).lower()
        assert paper.listings.get().day == paper.published_at.date()
    assert Paper.objects.get(arxiv_id="2606.30647").listings.get().day == dt.date(2026, 7, 1)
    assert f"Feed listings: {listed.count()} new." in out
    out, _ = run_import(month)
    assert "Feed listings: 0 new." in out


def test_missing_file_and_bad_options(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        run_import(tmp_path / "nope.jsonl.gz")
    (tmp_path / "x.jsonl").write_text("")
    with pytest.raises(CommandError, match="--batch-size must be at least 1"):
        run_import(tmp_path / "x.jsonl", options=("--batch-size", "0"))
