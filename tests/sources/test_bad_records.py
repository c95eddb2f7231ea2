"""Issue 18: one bad record never blocks an import. It is named (where and why) and skipped, or its
text is cleaned alike on SQLite and PostgreSQL; every good record, in its file and the next, lands."""

from __future__ import annotations

import json
import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from dailypapers.papers.models import Paper
from dailypapers.sources.ingest import upsert_skipping_refused
from dailypapers.sources.records import PaperRecord

pytestmark = pytest.mark.django_db

GOOD, SECOND = 600, 30


def snapshot_line(number: int, **fields) -> str:
    obj = {
        "id": f"2607.{number:05d}",
        "authors": "Ada Lovelace and Alan Turing",
        "title": f"Paper number {number}",
        "categories": "cs.CL cs.AI",
        "abstract": f"  The abstract of paper {number}.\n",
        "versions": [{"version": "v1", "created": "Wed, 1 Jul 2026 00:00:00 GMT"}],
        "update_date": "2026-07-01",
    }
    obj.update(fields)
    return json.dumps(obj)  # ensure_ascii: a surrogate or a NUL is written as a \u escape


# Each kind of bad line, as bytes, and what the import says of it (None: its text is cleaned and
# the paper lands).
BAD_LINES = {
    "surrogate": (snapshot_line(90001, title="Lone \ud800 surrogate").encode(), None),
    "nul": (snapshot_line(90001, title="NUL\x00 and \x07 bell", authors="Nul\x00 Person").encode(), None),
    "deep": (
        b'{"id": "2607.90001", "title": "Deep", "x": ' + b"[" * 5000 + b"]" * 5000 + b"}",
        "not readable JSON: nested too deeply",
    ),
    "invalid-utf8": (
        snapshot_line(90001, title="Bad byte here")
        .replace("byte", "byte \\u00e9")
        .encode()
        .replace(b"\\u00e9", b"\xff"),
        "not valid UTF-8: byte 0xff at column 84",
    ),
}


def run_snapshot(*paths: Path, serial: bool) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    options = ["--no-progress", "--no-index", "--batch-size", "250", *(["--serial"] if serial else [])]
    call_command("import", "arxiv-snapshot", *map(str, paths), *options, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.mark.parametrize("kind", list(BAD_LINES))
def test_a_bad_snapshot_line_costs_at_most_itself_and_reruns_are_clean(kind, tmp_path):
    bad, reason = BAD_LINES[kind]
    first, second = tmp_path / "arxiv-1.jsonl", tmp_path / "arxiv-2.jsonl"
    lines = [snapshot_line(n).encode() for n in range(1, GOOD + 1)]
    lines.insert(GOOD // 2, bad)  # line 301 of 601
    first.write_bytes(b"\n".join(lines) + b"\n")
    second.write_text("".join(snapshot_line(n) + "\n" for n in range(GOOD + 1, GOOD + SECOND + 1)))
    # The deep line once killed the reader process: it runs in one here.
    out, err = run_snapshot(first, second, serial=kind != "deep")

    landed = GOOD + SECOND + (reason is None)
    assert (
        f"Records: {GOOD + SECOND + 1} read, {int(reason is not None)} skipped. Papers: {landed} new" in out
    )
    assert err == (f"skipped {first}:{GOOD // 2 + 1}: {reason}\n" if reason else "")
    assert Paper.objects.count() == landed
    if kind == "surrogate":
        assert Paper.objects.get(arxiv_id="2607.90001").title == "Lone \ufffd surrogate"
    if kind == "nul":
        paper = Paper.objects.get(arxiv_id="2607.90001")
        assert (paper.title, [a.name for a in paper.authorships.all()]) == ("NUL and  bell", ["Nul Person"])

    out, err_again = run_snapshot(first, second, serial=True)
    assert f"Papers: 0 new, 0 updated, {landed} unchanged" in out and err_again == err


def hf_item(number: int, **paper_fields) -> dict:
    paper = {
        "id": f"2608.{number:05d}",
        "title": f"HF paper {number}",
        "summary": "S.",
        "upvotes": 1,
        "authors": [{"name": "Grace Hopper"}],
        "submittedOnDailyAt": "2026-08-20T00:00:00.000Z",
    }
    paper.update(paper_fields)
    return {"paper": paper, "numComments": 0}


def test_a_bad_hf_daily_item_costs_only_itself(tmp_path):
    items = [json.dumps(hf_item(n)).encode() for n in range(1, 7)]
    items[1] = json.dumps(hf_item(2, title="Invalid TITLE")).encode().replace(b"TITLE", b"\xff")
    items[2] = json.dumps(hf_item(3, x="DEEP")).encode().replace(b'"DEEP"', b"[" * 5000 + b"]" * 5000)
    items[3] = json.dumps(hf_item(4, title="Lone \udfff and \x00NUL", summary="\x1b[31m")).encode()
    items[4] = json.dumps(repr(hf_item(5, title="Repr \x00 item"))).encode()  # a Python-repr item
    first = tmp_path / "2026-08-20.json"
    first.write_bytes(b"[" + b",\n".join(items) + b"]")
    second = tmp_path / "2026-08-21.json"
    second.write_text(json.dumps([hf_item(n) for n in range(7, 10)]))
    out, err = StringIO(), StringIO()
    call_command(
        "import", "hf-daily", str(first), str(second), "--no-progress", "--no-index", stdout=out, stderr=err
    )

    assert err.getvalue().splitlines() == [
        "skipped 2026-08-20.json, item 2: not valid UTF-8: byte 0xff in 'Invalid '",
        "skipped 2026-08-20.json, item 3: nested deeper than 100 levels",
    ]
    assert "Records: 9 read, 2 skipped. Papers: 7 new" in out.getvalue()
    assert Paper.objects.get(arxiv_id="2608.00004").title == "Lone \ufffd and NUL"
    assert Paper.objects.get(arxiv_id="2608.00004").abstract == "[31m"
    assert Paper.objects.get(arxiv_id="2608.00005").title == "Repr  item"


def test_a_record_the_database_refuses_costs_only_itself():
    records = [PaperRecord(arxiv_id=f"2609.{n:05d}", title=f"T{n}") for n in range(1, 8)]
    records[4].github_stars = 10**20  # beyond every database's integer
    refused = []
    result = upsert_skipping_refused(
        records, lambda record, reason: refused.append((record.arxiv_id, reason))
    )
    assert result.new == 6 and Paper.objects.count() == 6
    assert [arxiv_id for arxiv_id, _ in refused] == ["2609.00005"]
    assert refused[0][1].startswith("refused by the database: ")


def corrupt(body: bytes, tag: bytes, number: int, bad: bytes) -> bytes:
    """`bad` written into the title of the page's `number`th <tag> element."""
    start = [m.start() for m in re.finditer(b"<%s[ >]" % tag, body)][number - 1]
    at = body.index(b"<title", start)
    at = body.index(b">", at) + 1
    return body[:at] + bad + body[at:]


def test_a_malformed_oai_record_is_named_and_the_rest_of_the_page_is_read():
    from dailypapers.sources.oai import parse_response
    from tests.support.recorded_arxiv import page_1

    whole = parse_response(page_1(), "http://x/oai")
    page = parse_response(corrupt(page_1(), b"record", 4, b"NUL &#0; here"), "http://x/oai")
    assert page.problems == [
        "record 4 (oai:arXiv.org:0704.1109): malformed XML: reference to invalid character number"
    ]
    assert [r.paper.arxiv_id for r in page.records] == [
        r.paper.arxiv_id for r in whole.records if r.paper.arxiv_id != "0704.1109"
    ]


def test_a_malformed_rss_item_or_api_entry_is_named_and_the_rest_is_read(caplog):
    from dailypapers.sources import arxiv_api, arxiv_rss
    from tests.support.recorded_arxiv import recorded
    from tests.support.replay import FIXTURES
    from tests.support.shared import need

    path = FIXTURES / "arxiv-rss" / "rss_mock_feed.xml"
    need(path.is_file(), f"the recorded arXiv RSS feed is not at {path}")
    whole = arxiv_rss.parse_feed(path.read_bytes(), "u")
    feed = arxiv_rss.parse_feed(corrupt(path.read_bytes(), b"item", 2, b"\xff"), "u")
    assert len(feed.items) == len(whole.items) - 1 and len(feed.problems) == 1
    assert feed.problems[0].startswith("item 2 (") and feed.problems[0].endswith(
        "malformed XML: not well-formed (invalid token)"
    )

    body = next(b for _, status, b in recorded() if status == 200 and b.count(b"<entry>") >= 3)
    records, *_ = arxiv_api.parse_feed(corrupt(body, b"entry", 2, b"\x01"), "u")
    assert len(records) == body.count(b"<entry>") - 1
    assert "entry 2 (http://arxiv.org/abs/" in caplog.text and "skipped" in caplog.text
