"""The JSON API in-process: shapes, filters, paging, errors, CORS, rate limits, the Markdown page."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape

import pytest
from django.test import Client
from django.urls.resolvers import RegexPattern

from dailypapers.api import urls as api_urls
from dailypapers.papers.models import Listing, Paper
from tests.support.factories import add_paper, add_user

pytestmark = pytest.mark.django_db

D1, D2, D3 = dt.date(2026, 8, 18), dt.date(2026, 8, 19), dt.date(2026, 8, 20)


@pytest.fixture(autouse=True)
def _fresh_limits(settings):
    settings.API_READ_RATE, settings.API_WRITE_RATE = "", ""


@pytest.fixture
def papers():
    add_paper(
        "2608.00001",
        "Attention for Robots",
        day=D1,
        votes=5,
        categories=["cs.RO", "cs.LG"],
        github_repo="https://github.com/x/robots",
        github_stars=12,
        project_page="https://robots.example.org",
        ai_summary="Robots attend.",
        ai_keywords=["robots", "attention"],
        published_at=dt.datetime(2026, 8, 15, tzinfo=dt.UTC),
    )
    add_paper("2608.00002", "Language <b>Models</b> Again", day=D2, votes=9, categories=["cs.CL"])
    add_paper("2608.00003", "Vision at Scale", day=D3, votes=1, categories=["cs.CV"])
    add_paper("2608.00004", "More Language", day=D3, votes=7, categories=["cs.CL"])
    add_paper("2608.00005", "Not listed", votes=3, categories=["cs.CL"])


def ids(response) -> list[str]:
    return [item["paper"]["id"] for item in response.json()]


def test_daily_papers_shapes_match_hugging_face(client, papers):
    response = client.get("/api/daily_papers", {"date": "2026-08-18"})
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    assert response["Access-Control-Allow-Origin"] == "*"
    [item] = response.json()
    assert item["publishedAt"] == "2026-08-18T00:00:00.000Z"  # the feed day
    assert item["title"] == "Attention for Robots" and item["summary"] == "Abstract of Attention for Robots."
    assert item["submittedBy"]["user"] == "reader" and item["numComments"] == 0
    paper = item["paper"]
    assert paper["id"] == "2608.00001"
    assert [a["name"] for a in paper["authors"]] == ["Ada Lovelace", "Alan Turing"]
    assert paper["publishedAt"] == "2026-08-15T00:00:00.000Z"
    assert paper["upvotes"] == 5 and paper["importedUpvotes"] == 5 and paper["upvotesHere"] == 0
    assert paper["githubRepo"] == "https://github.com/x/robots" and paper["githubStars"] == 12
    assert paper["projectPage"] == "https://robots.example.org"
    assert paper["ai_summary"] == "Robots attend." and paper["ai_keywords"] == ["robots", "attention"]
    assert paper["categories"] == ["cs.LG", "cs.RO"] or set(paper["categories"]) == {"cs.RO", "cs.LG"}
    assert paper["submittedOnDailyAt"] == "2026-08-18T00:00:00.000Z"
    assert paper["url"] == "http://testserver/papers/2608.00001"


def test_daily_papers_spans_sorts_and_filters(client, papers):
    assert ids(client.get("/api/daily_papers")) == ["2608.00004", "2608.00003", "2608.00002", "2608.00001"]
    assert ids(client.get("/api/daily_papers", {"date": "2026-08-20"})) == ["2608.00004", "2608.00003"]
    week = client.get("/api/daily_papers", {"week": "2026-W34", "sort": "trending"})
    assert ids(week) == ["2608.00002", "2608.00004", "2608.00001", "2608.00003"]  # most votes first
    assert len(client.get("/api/daily_papers", {"month": "2026-08"}).json()) == 4
    assert client.get("/api/daily_papers", {"month": "2026-07"}).json() == []
    assert ids(client.get("/api/daily_papers", {"category": "cs.CL"})) == ["2608.00004", "2608.00002"]
    assert ids(client.get("/api/daily_papers", {"category": "cs.CV,cs.RO"})) == ["2608.00003", "2608.00001"]
    between = client.get("/api/daily_papers", {"since": "2026-08-19", "until": "2026-08-19"})
    assert ids(between) == ["2608.00002"]
    assert len(client.get("/api/daily_papers", {"submitter": "READER"}).json()) == 4
    assert client.get("/api/daily_papers", {"submitter": "nobody"}).json() == []


def test_hidden_papers_and_listings_stay_out(client, papers):
    Paper.objects.filter(arxiv_id="2608.00004").update(hidden=True)
    Listing.objects.filter(paper__arxiv_id="2608.00003").update(hidden=True)
    assert ids(client.get("/api/daily_papers")) == ["2608.00002", "2608.00001"]
    assert client.get("/api/papers/2608.00004").status_code == 404
    assert "2608.00004" not in [p["id"] for p in client.get("/api/papers").json()]


def test_daily_papers_pages_with_a_link_header(client, papers):
    first = client.get("/api/daily_papers", {"limit": 3})
    assert len(first.json()) == 3
    assert first["Link"] == '<http://testserver/api/daily_papers?limit=3&p=1>; rel="next"'
    second = client.get("/api/daily_papers", {"limit": 3, "p": 1})
    assert ids(second) == ["2608.00001"] and "Link" not in second


@pytest.mark.parametrize(
    "params, message",
    [
        ({"date": "2026-13-01"}, "date must be YYYY-MM-DD"),
        ({"week": "2026-34"}, "week must be YYYY-Www"),
        ({"month": "August"}, "month must be YYYY-MM"),
        ({"week": "9999-W52"}, "a real one up to 9999-12-31"),  # it would end in the year 10000
        ({"date": "2026-08-18", "week": "2026-W34"}, "at most one of date, week and month"),
        ({"sort": "votes"}, "sort must be one of publishedAt, trending"),
        ({"limit": "0"}, "limit must be between 1 and 100"),
        ({"limit": "101"}, "limit must be between 1 and 100"),
        ({"limit": "ten"}, "limit must be a whole number"),
        ({"p": "-1"}, "p must be between 0 and 100000"),
        ({"since": "yesterday"}, "since must be a date"),
        ({"submitter": "a\x00b"}, "NUL"),
    ],
)
def test_bad_parameters_are_a_400_with_a_message(client, papers, params, message):
    response = client.get("/api/daily_papers", params)
    assert response.status_code == 400
    assert message in response.json()["error"]


def test_paper_by_id_with_or_without_version(client, papers):
    data = client.get("/api/papers/2608.00001v2").json()
    assert data["id"] == "2608.00001" and data["title"] == "Attention for Robots"
    assert data["submittedOnDailyBy"]["user"] == "reader"
    missing = client.get("/api/papers/2608.99999")
    assert missing.status_code == 404 and "not in this catalogue" in missing.json()["error"]
    assert client.get("/api/papers/not-an-id").status_code == 404
    unlisted = client.get("/api/papers/2608.00005").json()
    assert "submittedOnDailyAt" not in unlisted and unlisted["upvotes"] == 3


def test_paper_list_walks_every_paper_by_cursor(client, papers):
    seen, url, params = [], "/api/papers", {"limit": 2}
    while True:
        response = client.get(url, params)
        seen += [p["id"] for p in response.json()]
        if "Link" not in response:
            break
        url = response["Link"].split(">")[0].lstrip("<").replace("http://testserver", "")
        params = {}
    assert sorted(seen) == [f"2608.0000{i}" for i in range(1, 6)] and len(seen) == 5
    assert seen[0] == "2608.00005"  # newest arrival first
    assert [p["id"] for p in client.get("/api/papers", {"category": "cs.CV"}).json()] == ["2608.00003"]
    assert client.get("/api/papers", {"cursor": "!!"}).status_code == 400


def test_markdown_page_wins_over_the_paper_page(client, papers):
    response = client.get("/papers/2608.00002.md")
    assert response.status_code == 200 and response["Content-Type"] == "text/markdown; charset=utf-8"
    text = response.content.decode()
    assert text.startswith("# Language \\<b\\>Models\\</b\\> Again\n")  # metadata never becomes HTML
    assert "Authors: Ada Lovelace, Alan Turing" in text and "## Abstract" in text
    assert "https://arxiv.org/abs/2608.00002" in text
    assert client.get("/papers/2608.99999.md").status_code == 404
    # The HTML page is still the papers app's.
    assert client.get("/papers/2608.00002").status_code == 200
    # Another method is told so (405), never refused as a forged form (CSRF's 403).
    posted = Client(enforce_csrf_checks=True).post("/papers/2608.00002.md")
    assert posted.status_code == 405 and posted["Allow"] == "GET, HEAD"


def test_errors_are_json_with_proper_statuses(client, papers):
    nowhere = client.get("/api/nothing/here")
    assert nowhere.status_code == 404 and "No API endpoint" in nowhere.json()["error"]
    wrong = client.delete("/api/daily_papers")
    assert wrong.status_code == 405 and wrong["Allow"] == "GET, HEAD, OPTIONS"
    assert "DELETE is not allowed" in wrong.json()["error"]
    preflight = client.options("/api/papers/2608.00001")
    assert preflight.status_code == 204 and preflight["Access-Control-Allow-Origin"] == "*"
    assert "Authorization" in preflight["Access-Control-Allow-Headers"]


def test_reads_are_rate_limited_with_retry_after(client, papers, settings):
    settings.API_READ_RATE, settings.API_WRITE_RATE = "3/m", ""
    for _ in range(3):
        ok = client.get("/api/papers/2608.00001")
        assert ok.status_code == 200
    assert ok["X-RateLimit-Remaining"] == "0"
    limited = client.get("/api/daily_papers")
    assert limited.status_code == 429
    assert 1 <= int(limited["Retry-After"]) <= 60
    assert "Too many requests" in limited.json()["error"]
    # Another client (address) has its own allowance.
    assert client.get("/api/daily_papers", REMOTE_ADDR="10.1.2.3").status_code == 200


def test_behind_a_proxy_limits_count_per_forwarded_client(client, papers, settings):
    settings.API_READ_RATE, settings.API_WRITE_RATE = "1/m", ""
    settings.CLIENT_IP_HEADER = "HTTP_X_FORWARDED_FOR"
    proxy = {"REMOTE_ADDR": "127.0.0.1"}
    assert client.get("/api/daily_papers", HTTP_X_FORWARDED_FOR="203.0.113.9", **proxy).status_code == 200
    assert client.get("/api/daily_papers", HTTP_X_FORWARDED_FOR="203.0.113.9", **proxy).status_code == 429
    # A forged first entry does not buy a new allowance: the proxy's own (last) entry counts.
    forged = client.get("/api/daily_papers", HTTP_X_FORWARDED_FOR="1.1.1.1, 203.0.113.9", **proxy)
    assert forged.status_code == 429
    assert client.get("/api/daily_papers", HTTP_X_FORWARDED_FOR="198.51.100.7", **proxy).status_code == 200


def test_openapi_schema_and_docs_page(client):
    schema = client.get("/api/openapi.json").json()
    assert schema["openapi"].startswith("3.")
    assert {"/api/daily_papers", "/api/papers/{ref}", "/api/papers/submit"} <= set(schema["paths"])
    page = client.get("/api/")
    html = page.content.decode()
    assert page.status_code == 200 and "GET /api/daily_papers" in html and "listDailyPapers" in html
    assert not re.search(r'<(script|link|img)[^>]+(src|href)="(https?:)?//', html)  # nothing from elsewhere
    assert client.get("/api/docs").status_code == 200


# Routes of api/urls.py that are not API operations, each with the reason: anything else must be in the
# OpenAPI schema, so a new endpoint left out of it fails here.
NOT_IN_SCHEMA = {
    "/api/": "the docs page, made from the schema",
    "/api/docs": "the docs page again",
    "/api/openapi.json": "the schema itself",
    "/api/{rest}": "the JSON 404 for every other address under /api/",
    "/account/api-tokens/new": "the account page's form (a session and CSRF, not the API)",
    "/account/api-tokens/{token_id}/revoke": "the account page's form",
}


def _openapi_path(pattern) -> str:
    """A URL pattern as the OpenAPI path it stands for: groups become {name}, anchors and escapes go;
    a regex without `$` (a catch-all) ends in {rest}."""
    text = str(pattern)
    catch_all = isinstance(pattern, RegexPattern) and not text.endswith("$")
    text = re.sub(r"\(\?P<(\w+)>(?:[^()]|\([^()]*\))*\)", r"{\1}", text)  # re_path's named groups
    text = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", text)  # path("...<int:token_id>...")
    text = text.removeprefix("^").removesuffix("$").replace("\\.", ".")
    return "/" + text + ("{rest}" if catch_all else "")


def test_every_public_api_route_is_in_the_openapi_schema(client):
    paths = set(client.get("/api/openapi.json").json()["paths"])
    routes = {_openapi_path(p.pattern) for p in api_urls.urlpatterns}
    feeds = {r for r in routes if r.startswith("/feeds/")}  # RSS and Atom, README's Feeds section
    missing = routes - paths - set(NOT_IN_SCHEMA) - feeds
    assert not missing, f"routes missing from the OpenAPI schema: {sorted(missing)}"
    assert {"/papers/{ref}.md", "/api/papers/search", "/api/papers/{ref}/comments"} <= paths
    assert paths <= routes, f"the schema describes routes that do not exist: {sorted(paths - routes)}"
    assert set(NOT_IN_SCHEMA) <= routes  # no stale exemption


def test_the_markdown_page_in_the_schema(client):
    markdown = client.get("/api/openapi.json").json()["paths"]["/papers/{ref}.md"]["get"]
    assert set(markdown["responses"]["200"]["content"]) == {"text/markdown"}
    assert set(markdown["responses"]["404"]["content"]) == {"text/plain"}
    assert "GET /papers/{ref}.md" in client.get("/api/").content.decode()


def test_docs_page_shows_code_as_code_and_its_sort_values(client):
    html = client.get("/api/").content.decode()
    prose = re.sub(r"<pre.*?</pre>", "", html, flags=re.S)
    assert "`" not in prose  # Markdown code spans are rendered, not shown
    assert "<code>huggingface_hub</code>" in prose and "<code>publishedAt</code>" in prose
    [sort] = [
        p
        for p in client.get("/api/openapi.json").json()["paths"]["/api/daily_papers"]["get"]["parameters"]
        if p["name"] == "sort"
    ]
    assert sort["schema"]["default"] == "publishedAt"
    assert "`publishedAt` (the default): newest feed day first" in sort["description"]
    assert "`trending`: highest trending score first" in sort["description"]


def quick_start(html: str) -> dict[str, str]:
    """The paper id, day and week the quick start's examples ask for."""
    html = unescape(html)
    return {
        "paper": re.search(r'api\.read_paper\("([^"]+)"\)', html)[1],
        "day": re.search(r'list_daily_papers\(date="([^"]+)"\)', html)[1],
        "week": re.search(r"daily_papers\?week=([^&]+)&", html)[1],
        "submit": re.search(r'"id": "([^"]+)"', html)[1],
    }


def test_docs_quick_start_asks_for_what_this_site_has(client, papers):
    example = quick_start(client.get("/api/").content.decode())
    # The latest feed day, its most upvoted paper and its week.
    assert example == {"paper": "2608.00004", "day": "2026-08-20", "week": "2026-W34", "submit": "2608.00004"}
    assert client.get(f"/api/papers/{example['paper']}").status_code == 200
    assert client.get(f"/papers/{example['paper']}.md").status_code == 200  # what read_paper reads
    assert ids(client.get("/api/daily_papers", {"date": example["day"]}))
    assert ids(client.get("/api/daily_papers", {"week": example["week"], "sort": "trending"}))


def test_docs_quick_start_with_nothing_on_the_feed(client):
    assert re.fullmatch(r"\d{4}\.\d{5}", quick_start(client.get("/api/").content.decode())["paper"])
    add_paper("2608.00005", "Not listed")
    example = quick_start(client.get("/api/").content.decode())
    assert example["paper"] == "2608.00005" and client.get("/api/papers/2608.00005").status_code == 200
    assert client.get("/api/daily_papers", {"date": example["day"]}).status_code == 200
    assert client.get("/api/daily_papers", {"week": example["week"]}).status_code == 200


def test_feed_links_in_the_head_match_the_page(client, papers):
    add_user("ada")
    home = client.get("/").content.decode()
    assert (
        'rel="alternate" type="application/rss+xml" title="Daily papers (RSS)" href="/feeds/daily.rss"'
        in home
    )
    day = client.get("/papers/date/2026-08-20").content.decode()
    assert 'href="/feeds/daily/2026-08-20.rss"' in day and 'href="/feeds/daily/2026-08-20.atom"' in day
    paper = client.get("/papers/2608.00002").content.decode()
    assert 'href="/feeds/category/cs.CL.rss"' in paper
    trending = client.get("/papers/trending").content.decode()
    assert (
        'type="application/atom+xml" title="Trending papers (Atom)" href="/feeds/trending.atom"' in trending
    )
    profile = client.get("/u/ada").content.decode()
    assert 'href="/feeds/users/ada.rss"' in profile


def test_a_full_page_costs_a_few_queries_not_a_few_per_paper(client, django_assert_max_num_queries):
    for n in range(40):
        add_paper(f"2608.{n:05d}", f"Paper {n}", day=D3, votes=n, categories=["cs.CL", "cs.LG"])
    with django_assert_max_num_queries(8):
        assert len(client.get("/api/daily_papers", {"limit": 100}).json()) == 40
    with django_assert_max_num_queries(8):
        assert len(client.get("/api/papers", {"limit": 100}).json()) == 40
    with django_assert_max_num_queries(8):
        assert client.get("/feeds/daily.rss").status_code == 200
