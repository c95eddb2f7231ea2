"""The unchanged `huggingface_hub` client against the real server (granian, in a subprocess).

The site starts with its bundled demo (20 real Hugging Face feed days, 2026-05-21 to 2026-06-19);
one more day from ../shared is imported with the `import hf-daily` command, so what the client
reads back can be compared with what Hugging Face itself served for those papers.
"""

from __future__ import annotations

import gzip
import json
import urllib.request

import pytest
from huggingface_hub import HfApi
from huggingface_hub.errors import HfHubHTTPError
from huggingface_hub.utils import parse_datetime

from dailypapers.sources.demo import DEMO_FILE
from tests.support.served import prepared_site
from tests.support.shared import HF_DIR, need

HF_FILE = HF_DIR / "2024-06-04.json"


def demo_day(day: str) -> list[dict]:
    with gzip.open(DEMO_FILE, "rt") as fh:
        return next(w["data"] for w in json.load(fh) if w["date"] == day)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    need(HF_FILE.is_file(), f"the Hugging Face archive is not at {HF_DIR}")
    home = tmp_path_factory.mktemp("api-site")
    # Keyword search: the client's calls are what is tested here, and embedding the 440 demo papers
    # took most of this module's minute; the hybrid path has its own tests (tests/search, tests/api).
    with prepared_site(home) as served:
        served.command("import", "hf-daily", "--no-progress", str(HF_FILE))  # indexes them too
        yield served


@pytest.fixture(scope="module")
def hf(site) -> HfApi:
    return HfApi(endpoint=site.url, token=False)


def test_list_daily_papers_for_a_date(hf):
    expected = demo_day("2026-06-19")
    papers = list(hf.list_daily_papers(date="2026-06-19", token=False))
    assert {p.id for p in papers} == {item["paper"]["id"] for item in expected}
    by_id = {item["paper"]["id"]: item for item in expected}
    for paper in papers:
        original = by_id[paper.id]
        assert paper.title == original["title"]
        # No local votes yet: the imported figure (the client reads an upvote count of 0 as None).
        assert (paper.upvotes or 0) == original["paper"]["upvotes"]
        # When Hugging Face listed it (the client reads the item's publishedAt), not midnight.
        assert paper.submitted_at == parse_datetime(original["publishedAt"])
        assert paper.submitted_by.username == original["submittedBy"]["name"]
        assert paper.github_repo == original["paper"].get("githubRepo")
        assert paper.ai_summary == original["paper"].get("ai_summary")
        assert paper.authors and paper.authors[0].name
        assert paper.summary
    upvotes = [p.upvotes or 0 for p in papers]
    assert upvotes == sorted(upvotes, reverse=True)  # most upvoted first within the day


def test_list_daily_papers_for_a_week_and_a_month_and_trending(hf):
    week = [
        p for page in (0, 1) for p in hf.list_daily_papers(week="2026-W25", limit=60, p=page, token=False)
    ]
    week_days = ["2026-06-15", "2026-06-16", "2026-06-17", "2026-06-18", "2026-06-19"]
    expected = {item["paper"]["id"] for day in week_days for item in demo_day(day)}
    assert {p.id for p in week} == expected and len(week) == len(expected)
    listed = {item["paper"]["id"]: item["publishedAt"] for day in week_days for item in demo_day(day)}
    assert all(p.submitted_at == parse_datetime(listed[p.id]) for p in week)

    month = list(hf.list_daily_papers(month="2026-06", limit=100, p=0, token=False))
    assert len(month) == 100
    second = list(hf.list_daily_papers(month="2026-06", limit=100, p=1, token=False))
    assert second and not {p.id for p in month} & {p.id for p in second}

    trending = list(hf.list_daily_papers(date="2026-06-18", sort="trending", token=False))
    assert {p.id for p in trending} == {item["paper"]["id"] for item in demo_day("2026-06-18")}


def test_paper_info_matches_what_hugging_face_served(hf):
    with open(HF_FILE) as fh:
        original = json.load(fh)[0]["paper"]
    info = hf.paper_info(original["id"])
    assert info.id == original["id"] == "2406.01574"
    assert info.title == original["title"]  # as written, line breaks and all
    assert info.summary == original["summary"]
    assert info.upvotes == original["upvotes"]
    assert [a.name for a in info.authors] == [a["name"] for a in original["authors"]]
    assert info.published_at.isoformat().startswith(original["publishedAt"][:10])
    assert info.github_repo == original.get("githubRepo")
    assert info.ai_keywords == original.get("ai_keywords")  # absent there, absent here
    assert info.submitted_at.date().isoformat() == "2024-06-04"
    assert info.submitted_by is None  # Hugging Face did not say who submitted it in 2024


def test_list_papers_searches(hf):
    expected = demo_day("2026-06-19")[0]
    found = list(hf.list_papers(query=expected["title"], limit=5))
    assert 1 <= len(found) <= 5
    assert found[0].id == expected["paper"]["id"] and found[0].title == expected["title"]
    assert found[0].upvotes == expected["paper"]["upvotes"] and found[0].authors
    mmlu = list(hf.list_papers(query="MMLU-Pro robust multi-task language understanding benchmark"))
    assert "2406.01574" in [p.id for p in mmlu[:3]]


def test_list_papers_without_a_query_lists_the_latest(hf, site):
    # No q: Hugging Face answers with its latest papers, and so does this site (newest first).
    latest = list(hf.list_papers())
    assert len(latest) == 50  # the default page
    published = [p.published_at for p in latest]
    assert published == sorted(published, reverse=True) and len(set(p.id for p in latest)) == 50
    five = list(hf.list_papers(limit=5))
    assert [p.id for p in five] == [p.id for p in latest[:5]]
    most = list(hf.list_papers(limit=120))  # Hugging Face's largest search page
    assert len(most) == 120 and [p.id for p in most[:50]] == [p.id for p in latest]
    assert list(hf.list_papers(query="MMLU-Pro", limit=120))[0].id == "2406.01574"
    with urllib.request.urlopen(site.url + "/api/papers/search?limit=120", timeout=10) as response:
        total = int(response.headers["X-Total-Count"])
        assert total > 120 and response.headers["Link"].endswith('offset=120>; rel="next"')


def test_read_paper_is_markdown(hf):
    text = hf.read_paper("2406.01574")
    assert text.startswith("# MMLU-Pro")
    assert "## Abstract" in text and "https://arxiv.org/abs/2406.01574" in text


def test_missing_paper_is_a_404_the_client_understands(hf):
    with pytest.raises(HfHubHTTPError) as caught:
        hf.paper_info("2406.99999")
    assert caught.value.response.status_code == 404
    assert "not in this catalogue" in str(caught.value)


def test_a_token_write_through_the_real_server(site, hf):
    make = (
        "from dailypapers.api.models import ApiToken\n"
        "from django.contrib.auth import get_user_model\n"
        "u = get_user_model().objects.create_user('robot', 'robot@example.org', 'long enough pw 1')\n"
        "print(ApiToken.issue(u, 'served')[1])\n"
    )
    raw = site.command("shell", stdin=make).strip().splitlines()[-1]
    before = hf.paper_info("2406.01574").upvotes
    request = urllib.request.Request(
        site.url + "/api/papers/2406.01574/upvote",
        data=b'{"on": true}',
        method="POST",
        headers={"Authorization": f"Bearer {raw}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert json.load(response)["voted"] is True
    assert hf.paper_info("2406.01574").upvotes == before + 1


def test_openapi_and_feeds_are_served(site):
    with urllib.request.urlopen(site.url + "/api/openapi.json", timeout=10) as response:
        assert json.load(response)["servers"] == [{"url": site.url}]
    with urllib.request.urlopen(site.url + "/feeds/daily.rss", timeout=10) as response:
        assert response.headers["Content-Type"].startswith("application/rss+xml")


def test_collections_with_the_client(site):
    make = (
        "from dailypapers.api.models import ApiToken\n"
        "from django.contrib.auth import get_user_model\n"
        "u = get_user_model().objects.create_user('curator', 'curator@example.org', 'long enough pw 2')\n"
        "print(ApiToken.issue(u, 'collections')[1])\n"
    )
    raw = site.command("shell", stdin=make).strip().splitlines()[-1]
    hf = HfApi(endpoint=site.url, token=raw)
    made = hf.create_collection("Benchmarks", description="Worth reading")  # the namespace: whoami-v2
    assert made.slug.startswith("curator/benchmarks-") and made.url == f"{site.url}/collections/{made.slug}"
    hf.add_collection_item(made.slug, "2406.01574", "paper", note="A first look")
    hf.add_collection_item(made.slug, "2406.01574", "paper", exists_ok=True)  # a 409 the client accepts
    read = hf.get_collection(made.slug)
    assert read.title == "Benchmarks" and read.description == "Worth reading" and read.private is False
    assert [(i.item_id, i.item_type, i.note) for i in read.items] == [("2406.01574", "paper", "A first look")]
    hf.update_collection_item(made.slug, read.items[0].item_object_id, note="Read it twice")
    assert hf.get_collection(made.slug).items[0].note == "Read it twice"
    assert [c.slug for c in hf.list_collections(owner="curator")] == [made.slug]
    assert hf.update_collection_metadata(made.slug, private=True).private is True
    with pytest.raises(HfHubHTTPError) as hidden:
        HfApi(endpoint=site.url, token=False).get_collection(made.slug)
    assert hidden.value.response.status_code == 404
    hf.delete_collection_item(made.slug, read.items[0].item_object_id)
    assert hf.get_collection(made.slug).items == []
    hf.delete_collection(made.slug)
    hf.delete_collection(made.slug, missing_ok=True)
