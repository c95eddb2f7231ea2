"""tools/hf_compare.py, the whole-archive comparison's logic, on three real archive days.

2024-05-27 (plain JSON, no submitters, edited item titles), 2024-12-11 (items as Python-repr strings)
and 2025-01-10 (wrapped as {status, date, count, data}) go through the real `import hf-daily` and the
real API. What is asserted is that the comparison counts what it should, not that the counts are zero
(the importer and serializers are still being brought in line with the source).
"""

from __future__ import annotations

import copy
import datetime as dt
import gzip
import json
import subprocess
import sys
from io import StringIO

import pytest
from django.core.management import call_command
from tools import hf_compare

from tests.support.shared import HF_DIR, REPO, need

DAYS = ("2024-05-27", "2024-12-11", "2025-01-10")
pytestmark = pytest.mark.django_db


@pytest.fixture
def source() -> list[hf_compare.SourceDay]:
    files = [HF_DIR / f"{day}.json" for day in DAYS]
    need(all(f.is_file() for f in files), f"the Hugging Face archive days {', '.join(DAYS)} in {HF_DIR}")
    days, skipped = hf_compare.read_source(files)
    assert skipped == []
    call_command("import", "hf-daily", *map(str, files), "--no-progress", "--no-index", stdout=StringIO())
    return days


def run(days: list[hf_compare.SourceDay], client) -> hf_compare.Report:
    return hf_compare.compare(days, lambda day: hf_compare.fetch_day(client, day), show=2)


def test_every_shape_of_file_is_read_as_raw_items(source):
    assert [(d.day.isoformat(), len(d.items)) for d in source] == [
        ("2024-05-27", 13),
        ("2024-12-11", 26),
        ("2025-01-10", 9),
    ]
    assert all(isinstance(item["paper"], dict) for d in source for item in d.items)  # repr strings unpacked
    first = source[1].items[0]["paper"]
    assert first["id"] == "2412.07730" and first["authors"][0]["_id"]  # the source's own fields, unparsed


def test_the_report_counts_and_sets_apart_what_is_deliberate(source, client):
    report = run(source, client)
    assert (report.days, report.items, report.set_differs, report.missing_items) == (3, 48, 0, 0)
    assert sum(report.api_errors.values()) == 0
    # Ids that are ours are counted apart, never among the failures.
    assert report.deliberate["paper.authors[]._id"] == 48
    assert not any("_id" in name for name in report.failures())
    assert "paper.authors[]._id" not in report.differs
    # The item's own edited title (with LaTeX) is compared with the item's title, not the paper's.
    assert report.text_differs["title"] >= 1
    text = report.render()
    assert "days compared" in text and "deliberate differences" in text
    assert f"Counts that must become zero and are not: {len(report.failures())}" in text


def test_an_altered_source_shows_up_in_each_count(source, client):
    before = run(source, client)
    altered = copy.deepcopy(source)
    day = altered[1]  # 2024-12-11
    paper = day.items[0]["paper"]
    paper["upvotes"] += 1000
    paper["someNewKey"] = "x"
    name = paper["authors"][1]["name"]
    paper["authors"][1]["name"] = name.upper()  # the same person, spelled another way
    paper["authors"].insert(2, dict(paper["authors"][2]))  # a same-name co-author we never stored
    del day.items[-1]  # an item we list that the source does not
    altered[2].items.reverse()  # 2025-01-10 in the wrong order
    after = run(altered, client)

    assert after.differs["paper.upvotes"] == before.differs["paper.upvotes"] + 1
    assert after.missing["paper.someNewKey"] == 1
    assert after.set_differs == before.set_differs + 1 and after.extra_items == 1
    assert (
        after.author_names["spelling from another paper"]
        == before.author_names["spelling from another paper"] + 1
    )
    assert (
        after.author_names["same-name co-authors merged"]
        == before.author_names["same-name co-authors merged"] + 1
    )
    assert after.order_differs >= 1 and any(
        e.startswith("2025-01-10") for e in after.examples["order differs"]
    )
    assert "value differs: paper.upvotes" in after.failures()
    assert any(e.startswith("2024-12-11 2412.07730") for e in after.examples["value differs: paper.upvotes"])


def test_files_that_are_not_one_days_list_are_named_with_the_reason(tmp_path):
    item = {"paper": {"id": "2401.00001", "title": "T", "authors": []}, "title": "T"}
    (tmp_path / "2024-01-02.json").write_text(json.dumps({"date": "2024-01-02", "count": 3, "data": [item]}))
    (tmp_path / "2024-01-03.json").write_text("[{")
    (tmp_path / "2024-01-04.json").write_text(json.dumps([item]))
    (tmp_path / "2024-01-04.json.gz").write_bytes(gzip.compress(json.dumps([item]).encode()))
    (tmp_path / "2024-01-05.json").write_text("")
    (tmp_path / "papers.json").write_text(json.dumps([item]))
    days, skipped = hf_compare.read_source(hf_compare.find_files([tmp_path]))
    assert [d.day for d in days] == [dt.date(2024, 1, 4)]
    reasons = {s.path.name: s.reason for s in skipped}
    assert reasons["2024-01-02.json"] == "wrapper's count 3 but 1 items"
    assert reasons["2024-01-03.json"].startswith("not readable as JSON")
    assert reasons["2024-01-04.json.gz"] == "a second file for 2024-01-04 (after 2024-01-04.json)"
    assert reasons["2024-01-05.json"].startswith("not readable as JSON")
    assert reasons["papers.json"] == "no day in the file name or wrapper"


def test_the_script_prints_the_table_and_fails_while_counts_are_not_zero():
    need((HF_DIR / "2024-05-27.json").is_file(), f"the Hugging Face archive in {HF_DIR}")
    script = REPO / "tools" / "compare_hf_archive.py"
    done = subprocess.run(
        [sys.executable, str(script), "--data", str(HF_DIR), "--days", "2024-05-27", "--show", "1"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1, done.stderr
    assert "(1 imported)" in done.stdout
    assert "  days compared" in done.stdout and "import:" in done.stdout
    bad = subprocess.run(
        [sys.executable, str(script), "--days", "1999-01-01"], capture_output=True, text=True
    )
    assert bad.returncode == 2 and "no comparable file for 1999-01-01" in bad.stderr
