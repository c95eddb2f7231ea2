"""Every recorded arXiv record is stored as its source gives it: title and abstract as written (only
the blank ends cut, line breaks kept), the author list in order with repeated names kept."""

from __future__ import annotations

import gzip
import json
import xml.etree.ElementTree as ET
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from dailypapers.papers.models import Author, Paper
from dailypapers.sources import arxiv_api, arxiv_rss, oai
from dailypapers.sources.arxiv_text import detex, split_authors
from dailypapers.sources.ingest import upsert
from tests.support.recorded_arxiv import API, OAI, body
from tests.support.replay import FIXTURES
from tests.support.shared import SHARED, need

pytestmark = pytest.mark.django_db

ATOM = {"atom": "http://www.w3.org/2005/Atom"}
SNAPSHOT = SHARED / "data" / "arxiv-snapshot"
Expected = dict[str, tuple[str, str, list[str]]]  # arxiv id -> (title, abstract, authors)


def stored(arxiv_id: str) -> tuple[str, str, list[str]]:
    paper = Paper.objects.get(arxiv_id=arxiv_id)
    return paper.title, paper.abstract, [a.name for a in paper.authorships.order_by("position")]


def assert_stored_as_given(records: list, expected: Expected) -> None:
    Paper.objects.all().delete()  # each file on its own: another file may hold an older version
    upsert(records)
    assert expected and {r.arxiv_id for r in records} == set(expected)
    for arxiv_id, want in expected.items():
        assert stored(arxiv_id) == want, arxiv_id


def oai_files() -> list[Path]:
    need(OAI.is_dir(), f"the recorded OAI-PMH traffic is not at {OAI}")
    files = [OAI / "arXivRaw" / name for name in ("ListRecordsResponse.xml", "GetRecordResponse.xml")]
    return files + sorted((OAI / "arXiv").glob("*.xml")) + sorted((OAI / "arXiv-getrecord").glob("*.xml"))


def oai_expected(path: Path) -> Expected:
    """Read straight from the XML: the text of each element, stripped; the author line (arXivRaw)
    split at its separators, or the author elements (arXiv format) in order."""
    expected: Expected = {}
    for metadata in ET.parse(path).getroot().iter("{http://www.openarchives.org/OAI/2.0/}metadata"):
        (content,) = list(metadata)
        ns = content.tag.partition("}")[0] + "}"
        text = {child.tag.removeprefix(ns): child.text or "" for child in content}
        if content.tag.endswith("arXivRaw"):
            authors = split_authors(text["authors"])
        else:
            authors = []
            for author in content.iterfind(f"{ns}authors/{ns}author"):
                parts = [" ".join((author.findtext(ns + t) or "").split()) for t in ("forenames", "keyname")]
                name = detex(" ".join(p for p in parts + [author.findtext(ns + "suffix") or ""] if p))
                if name != ":":  # the colon between a collaboration and its members
                    authors.append(name)
        arxiv_id = text["id"].strip()
        expected[arxiv_id] = (text["title"].strip(), text["abstract"].strip(), authors)
    return expected


@pytest.mark.parametrize("path", oai_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_recorded_oai_record_is_stored_as_given(path):
    page = oai.parse_response(path.read_bytes(), str(path))
    assert page.problems == []
    assert_stored_as_given(page.papers, oai_expected(path))


def test_recorded_oai_texts_keep_their_line_breaks():
    expected = {}
    for path in oai_files():
        expected |= oai_expected(path)
    assert sum("\n" in title for title, _, _ in expected.values()) >= 3
    assert sum("\n" in abstract for _, abstract, _ in expected.values()) > len(expected) // 2


def api_files() -> list[str]:
    """The recorded API answers that hold papers (error answers and empty pages have none to check)."""
    if not API.is_dir():
        return []
    return [
        p.name
        for p in sorted(API.glob("*.json"))
        if json.loads(p.read_text())["status_code"] == 200 and b"<entry>" in body(p.name)
    ]


def test_the_recordings_hold_api_answers_with_papers():
    need(API.is_dir(), f"the recorded arXiv API traffic is not at {API}")
    assert len(api_files()) >= 3


@pytest.mark.parametrize("name", api_files())
def test_every_recorded_api_entry_is_stored_as_given(name):
    content = body(name)
    root = ET.fromstring(content)
    expected = {}
    for entry in root.findall("atom:entry", ATOM):
        arxiv_id = entry.findtext("atom:id", "", ATOM).rsplit("/abs/", 1)[-1].rsplit("v", 1)[0]
        authors = entry.findall("atom:author", ATOM)
        names = [" ".join(a.findtext("atom:name", "", ATOM).split()) for a in authors]
        title, summary = entry.findtext("atom:title", "", ATOM), entry.findtext("atom:summary", "", ATOM)
        expected[arxiv_id] = (title.strip(), summary.strip(), names)
    assert expected
    records, _, _ = arxiv_api.parse_feed(content, name)
    assert_stored_as_given(records, expected)


def test_every_recorded_rss_item_is_stored_as_given():
    path = FIXTURES / "arxiv-rss" / "rss_mock_feed.xml"
    need(path.is_file(), f"the recorded arXiv RSS feed is not at {path}")
    content = path.read_bytes()
    expected = {}
    for item in ET.fromstring(content).iter("item"):
        arxiv_id = item.findtext("guid", "").removeprefix("oai:arXiv.org:").rsplit("v", 1)[0]
        abstract = item.findtext("description", "").partition("Abstract:")[2]
        creator = item.findtext("{http://purl.org/dc/elements/1.1/}creator", "")
        expected[arxiv_id] = (item.findtext("title", "").strip(), abstract.strip(), split_authors(creator))
    feed = arxiv_rss.parse_feed(content, str(path))
    assert len(expected) == len(feed.items) == 1504
    assert_stored_as_given([a.record for a in feed.items], expected)


def snapshot_lines(*arxiv_ids: str) -> list[str]:
    need(SNAPSHOT.is_dir(), f"the arXiv snapshot is not at {SNAPSHOT}")
    wanted = {f'"id": "{i}"' for i in arxiv_ids}
    found = []
    for path in sorted(SNAPSHOT.glob("*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            found += [line for line in fh if any(w in line[:40] for w in wanted)]
    assert len(found) == len(arxiv_ids)
    return found


def test_snapshot_papers_keep_repeated_names_and_each_papers_spelling(tmp_path):
    # Real records: 2503.13063 names "Zheng Wang" twice; one author is "Cengiz Öztireli" on
    # 2503.11958 and "Cengiz Oztireli" on 2505.14319; 2507.15628 ends ", and Jian Xiao"; 2506.02197's
    # line lacks separators ("Xiangyu Kongand Xiaoxia Xingand ..."): a "name" of over 300 characters.
    ids = ("2503.13063", "2503.11958", "2505.14319", "2507.15628", "2503.14492", "2506.02197")
    lines = snapshot_lines(*ids)
    path = tmp_path / "few.jsonl"
    path.write_text("".join(lines), encoding="utf-8")
    call_command("import", "arxiv-snapshot", str(path), "--no-progress", "--no-index", stdout=StringIO())
    for line in lines:
        source = json.loads(line)
        title, abstract, _ = stored(source["id"])
        assert (title, abstract) == (source["title"].strip(), source["abstract"].strip())
    names = ["Zheng Wang", "Zihui Wang", "Zheng Wang", "Xiaoliang Fan", "Cheng Wang"]
    assert stored("2503.13063")[2] == names
    assert stored("2507.15628")[2][-1] == "Jian Xiao"
    assert stored("2503.14492")[2][:2] == ["NVIDIA", "Hassan Abu Alhaija"]  # not the ":" between them
    long_name = next(n for n in stored("2506.02197")[2] if n.startswith("Xiangyu Kongand"))
    assert long_name.startswith("Xiangyu Kongand Xiaoxia Xingand") and len(long_name) > 300
    assert "Cengiz Öztireli" in stored("2503.11958")[2]
    assert "Cengiz Oztireli" in stored("2505.14319")[2]
    # One author behind both spellings, for author pages; each paper shows its own.
    assert Author.objects.filter(key="cengiz oztireli").count() == 1
    assert Author.objects.get(key="zheng wang").authorships.filter(paper__arxiv_id="2503.13063").count() == 2


@pytest.mark.parametrize(
    ("written", "shown"),
    [
        ('M\\"uller', "Müller"),
        ("J. Andr{\\'e}", "J. André"),
        ("Tolúl\\d{o}pé Ògúnrèmí", "Tolúl\\d{o}pé Ògúnrèmí"),  # unknown \d: kept whole, braces too
        ("Sathyanarayanan N. Aakur\\\\", "Sathyanarayanan N. Aakur\\\\"),
    ],
)
def test_tex_in_names_is_decoded_whole_or_kept_as_written(written, shown):
    assert detex(written) == shown
