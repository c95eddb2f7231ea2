"""Writes with an API token follow the same rules as the web forms (the community app's functions)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from dailypapers.api.models import ApiToken
from dailypapers.community.models import Comment, Upvote
from dailypapers.papers.models import Listing, Paper
from dailypapers.papers.periods import feed_day
from tests.support.factories import add_paper, add_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _rules(settings):
    settings.API_READ_RATE, settings.API_WRITE_RATE = "", ""
    settings.SUBMIT_FETCH_FROM_ARXIV = False  # only catalogued papers: no network in these tests
    settings.SUBMIT_PER_DAY = 2
    settings.SUBMIT_MAX_AGE_DAYS = 14


@pytest.fixture
def api():
    ada = add_user("ada")
    _, raw = ApiToken.issue(ada, "tests")
    client = Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Bearer {raw}")
    client.user = ada
    return client


def recent(arxiv_id: str, title: str, day: dt.date | None = None, **fields) -> Paper:
    add_paper(arxiv_id, title, day=day, published_at=timezone.now() - dt.timedelta(days=2), **fields)
    return Paper.objects.get(arxiv_id=arxiv_id)


def test_submit_puts_the_paper_on_todays_feed(api):
    recent("2608.00001", "Fresh Paper")
    response = api.post(
        "/api/papers/submit",
        {
            "id": "https://arxiv.org/abs/2608.00001v1",
            "note": "Worth it",
            "githubRepo": "https://github.com/a/b",
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    item = response.json()
    assert item["paper"]["id"] == "2608.00001" and item["submittedBy"]["user"] == "ada"
    assert item["note"] == "Worth it" and item["paper"]["githubRepo"] == "https://github.com/a/b"
    listing = Listing.objects.get(paper__arxiv_id="2608.00001")
    assert listing.submitted_by == api.user and listing.day == feed_day() and listing.source == "submission"
    # The same paper again is refused as the web form refuses it.
    again = api.post("/api/papers/submit", {"id": "2608.00001"})
    assert again.status_code == 400 and again.json()["code"] == "already_listed"
    assert "already on the feed" in again.json()["error"]


def test_submit_on_behalf_of_an_organisation_of_ones_own(api):
    from dailypapers.papers.models import Membership, Organization

    recent("2608.00001", "Fresh Paper")
    recent("2608.00002", "Another")
    lab = Organization.objects.create(name="Lab", fullname="The Lab")
    Organization.objects.create(name="elsewhere")
    Membership.objects.create(user=api.user, organization=lab)
    item = api.post(
        "/api/papers/submit", {"id": "2608.00001", "organization": "lab"}, content_type="application/json"
    )
    assert item.status_code == 201 and item.json()["organization"]["name"] == "Lab"
    assert Listing.objects.get(paper__arxiv_id="2608.00001").organization == lab
    for name, code in (("elsewhere", "not_a_member"), ("nobody", "no_such_organization")):
        refused = api.post(
            "/api/papers/submit", {"id": "2608.00002", "organization": name}, content_type="application/json"
        )
        assert refused.status_code == 400 and refused.json()["code"] == code
    assert not Listing.objects.filter(paper__arxiv_id="2608.00002").exists()


@pytest.mark.parametrize(
    "body, status, code",
    [
        ({"id": "not a paper"}, 400, "not_an_id"),
        ({"id": "2608.99999"}, 400, "not_found"),
        ({"id": "2601.00001"}, 400, "too_old"),
        ({"id": "2608.00001", "githubRepo": "javascript:alert(1)"}, 400, "bad_link"),
        ({}, 400, None),
    ],
)
def test_submit_refusals(api, body, status, code):
    recent("2608.00001", "Fresh Paper")
    add_paper("2601.00001", "Old Paper", published_at=timezone.now() - dt.timedelta(days=200))
    response = api.post("/api/papers/submit", body, content_type="application/json")
    assert response.status_code == status
    assert response.json().get("code") == code
    assert not Listing.objects.exists()


def test_the_daily_submission_allowance_is_a_429(api):
    for n in range(1, 4):
        recent(f"2608.0000{n}", f"Paper {n}")
    assert api.post("/api/papers/submit", {"id": "2608.00001"}).status_code == 201
    assert api.post("/api/papers/submit", {"id": "2608.00002"}).status_code == 201
    third = api.post("/api/papers/submit", {"id": "2608.00003"})
    assert third.status_code == 429 and third.json()["code"] == "daily_limit"
    assert 1 <= int(third["Retry-After"]) <= 25 * 3600  # the next feed day (a DST day has 25 hours)


def test_upvote_on_off_and_toggle(api):
    recent("2608.00001", "Voted", day=dt.date(2026, 8, 20), votes=4)
    url = "/api/papers/2608.00001/upvote"
    first = api.post(url, {"on": True}, content_type="application/json").json()
    assert first == {"id": "2608.00001", "voted": True, "upvotesHere": 1, "upvotes": 5}
    assert api.post(url, {"on": True}, content_type="application/json").json()["upvotesHere"] == 1
    assert api.post(url).json()["voted"] is False  # no "on": toggles
    assert Upvote.objects.count() == 0 and Paper.objects.get().upvote_count == 0
    assert api.post(url, {"on": "maybe"}, content_type="application/json").status_code == 400
    assert api.post("/api/papers/2608.99999/upvote").status_code == 404
    # The paper's JSON shows the vote.
    api.post(url, {"on": True}, content_type="application/json")
    assert Client().get("/api/papers/2608.00001").json()["upvotes"] == 5


def test_comments_are_posted_sanitised_and_listed(api):
    recent("2608.00001", "Discussed", day=dt.date(2026, 8, 20))
    url = "/api/papers/2608.00001/comments"
    made = api.post(url, {"body": "Nice **work** <script>alert(1)</script>"}, content_type="application/json")
    assert made.status_code == 201, made.content
    top = made.json()
    assert top["author"]["user"] == "ada" and "<strong>work</strong>" in top["bodyHtml"]
    assert "<script" not in top["bodyHtml"]
    reply = api.post(url, {"body": "And a reply", "parent": top["id"]}).json()
    assert reply["parentId"] == top["id"]
    assert api.post(url, {"body": "   "}).status_code == 400
    assert api.post(url, {"body": "x", "parent": 999999}).status_code == 400
    thread = Client().get(url).json()
    assert [c["id"] for c in thread] == [top["id"]]
    assert [r["body"] for r in thread[0]["replies"]] == ["And a reply"]
    assert Paper.objects.get().comment_count == 2
    Comment.objects.filter(pk=reply["id"]).update(hidden=True)
    assert Client().get(url).json()[0]["replies"] == []


def test_the_comment_rate_rule_applies(api, settings):
    settings.COMMENTS_PER_HOUR = 1
    recent("2608.00001", "Discussed", day=dt.date(2026, 8, 20))
    url = "/api/papers/2608.00001/comments"
    assert api.post(url, {"body": "one"}).status_code == 201
    second = api.post(url, {"body": "two"})
    assert second.status_code == 429 and second.json()["code"] == "rate"
    assert 3590 <= int(second["Retry-After"]) <= 3600  # when the first is an hour old


def test_writes_count_against_the_write_limit(api, settings):
    settings.API_READ_RATE, settings.API_WRITE_RATE = "", "2/m"
    recent("2608.00001", "Voted", day=dt.date(2026, 8, 20))
    url = "/api/papers/2608.00001/upvote"
    assert api.post(url).status_code == 200 and api.post(url).status_code == 200
    limited = api.post(url)
    assert limited.status_code == 429 and int(limited["Retry-After"]) >= 1
    assert Upvote.objects.count() == 0  # the two accepted writes cancelled out; the third did nothing


def test_bodies_that_are_neither_json_nor_a_form(api):
    recent("2608.00001", "P", day=dt.date(2026, 8, 20))
    bad = api.post("/api/papers/2608.00001/comments", "body", content_type="text/plain")
    assert bad.status_code == 415
    broken = api.post("/api/papers/2608.00001/comments", "{not json", content_type="application/json")
    assert broken.status_code == 400 and "not valid JSON" in broken.json()["error"]
