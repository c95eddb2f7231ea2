"""Real archive days through the real `import hf-daily` and the real API, compared with the source
files item by item, key by key (tools/hf_compare.py, which tools/compare_hf_archive.py runs over the
whole archive): every count is zero but the README's deliberate differences.

The days hold each thing the importer once got wrong: plain JSON with edited LaTeX item titles and no
submitters (2024-05-27), items as Python-repr strings (2024-12-11), a wrapped {status, date, count,
data} (2025-01-10), hidden authors (2406.17774 on 2024-06-26), two co-authors called Yang Liu
(2603.07980 on 2026-03-10), one person spelled two ways (2024-05-30, 2024-06-14), a paper on two
days with each day's figures (2606.11176 on 2026-06-10 and 06-16), ties in votes whose order only the
source knows (2026-04-03, 2026-08-21), a link broken over two lines (2025-10-23), 33 keywords
(2025-04-02), organizations, media and claimed authorships (2026-08-20).
"""

from __future__ import annotations

import copy
import datetime as dt
import gzip
import json
import re
import subprocess
import sys
from io import StringIO

import pytest
from django.core.management import call_command
from tools import hf_compare

from tests.support.shared import HF_DIR, REPO, need

DAYS = (
    "2024-05-27",
    "2024-12-11",
    "2025-01-10",
    "2024-06-26",
    "2026-03-10",
    "2024-05-30",
    "2024-06-14",
    "2026-06-10",
    "2026-06-16",
    "2026-04-03",
    "2026-08-21",
    "2025-10-23",
    "2025-04-02",
    "2026-08-20",
)
pytestmark = pytest.mark.django_db


@pytest.fixture
def source() -> list[hf_compare.SourceDay]:
    files = [HF_DIR / f"{day}.json" for day in DAYS]
    need(all(f.is_file() for f in files), f"the Hugging Face archive days {', '.join(DAYS)} in {HF_DIR}")
    days, skipped = hf_compare.read_source(files)
    assert skipped == []
    call_command("import", "hf-daily", *map(str, files), "--no-progress", "--no-index", stdout=StringIO())
    return days


def on(days: list[hf_compare.SourceDay], day: str) -> hf_compare.SourceDay:
    return next(d for d in days if d.day.isoformat() == day)


def run(days: list[hf_compare.SourceDay], client) -> hf_compare.Report:
    return hf_compare.compare(days, lambda day: hf_compare.fetch_day(client, day), show=2)


def test_every_shape_of_file_is_read_as_raw_items(source):
    sizes = {d.day.isoformat(): len(d.items) for d in source}
    assert (sizes["2024-05-27"], sizes["2024-12-11"], sizes["2025-01-10"]) == (13, 26, 9)
    assert all(isinstance(item["paper"], dict) for d in source for item in d.items)  # repr strings unpacked
    first = next(d for d in source if d.day == dt.date(2024, 12, 11)).items[0]["paper"]
    assert first["id"] == "2412.07730" and first["authors"][0]["_id"]  # the source's own fields, unparsed


def test_the_api_gives_back_every_item_as_the_source_has_it(source, client):
    report = run(source, client)
    assert (report.days, report.items) == (len(DAYS), sum(len(d.items) for d in source))
    assert report.failures() == {}, report.render()
    assert report.order_differs == 0 and report.set_differs == 0
    assert report.multi_day_counts_differ == 0 and report.multi_day_items == 2
    # What differs on purpose is only what the README's table lists.
    assert {path for path, n in report.deliberate.items() if n} <= set(hf_compare.DELIBERATE)
    assert report.deliberate["paper.discussionId"] > 0
    text = report.render()
    assert "days compared" in text and "Counts that must become zero and are not: 0" in text


def test_the_readme_lists_every_deliberate_difference():
    readme = (REPO / "README.md").read_text()
    table = readme.split("## Differences from Hugging Face's API", 1)[1].split("\n## ", 1)[0]
    for path in hf_compare.DELIBERATE:
        assert f"`{path}`" in table, f"{path} is not in the README's table of differences"
    assert re.search(r"\|\s*`publishedAt`", table) is None  # no longer a difference: kept as listed


def test_an_altered_source_shows_up_in_each_count(source, client):
    before = run(source, client)
    altered = copy.deepcopy(source)
    day = on(altered, "2024-12-11")
    paper = day.items[0]["paper"]
    paper["upvotes"] += 1000
    paper["someNewKey"] = "x"
    name = paper["authors"][1]["name"]
    paper["authors"][1]["name"] = name.upper()  # the same person, spelled another way
    paper["authors"].insert(2, dict(paper["authors"][2]))  # a same-name co-author we never stored
    del day.items[-1]  # an item we list that the source does not
    on(altered, "2025-01-10").items.reverse()  # in the wrong order
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


@pytest.mark.one_pass("sqlite")
def test_the_script_prints_the_table_and_passes_when_counts_are_zero():
    need((HF_DIR / "2024-05-27.json").is_file(), f"the Hugging Face archive in {HF_DIR}")
    script = REPO / "tools" / "compare_hf_archive.py"
    done = subprocess.run(
        [sys.executable, str(script), "--data", str(HF_DIR), "--days", "2024-05-27", "--show", "1"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "(1 imported)" in done.stdout
    assert "  days compared" in done.stdout and "import:" in done.stdout
    bad = subprocess.run(
        [sys.executable, str(script), "--days", "1999-01-01"], capture_output=True, text=True
    )
    assert bad.returncode == 2 and "no comparable file for 1999-01-01" in bad.stderr
