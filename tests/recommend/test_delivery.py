""" "For you" delivered elsewhere than its page: the private feed at a secret, revocable address, the
API's sort=for_you with a token, and the personal digest, each in the member's order."""

from __future__ import annotations

import datetime as dt
import re

import feedparser
import pytest
from django.core.management import call_command
from django.utils import timezone

from dailypapers.api.models import ApiToken
from dailypapers.digests.models import Subscription
from dailypapers.papers.periods import Period
from dailypapers.recommend.models import Dismissal, Save, Taste
from dailypapers.recommend.ranking import for_you
from tests.digests.helpers import due_period, titles
from tests.recommend import corpus
from tests.recommend.corpus import arxiv_id
from tests.support.factories import add_user

pytestmark = pytest.mark.django_db
DAY = Period.day(corpus.DAY)


@pytest.fixture
def papers():
    return corpus.load()


@pytest.fixture
def ada(papers):
    """A member who saved two robots papers and hid one of the day's speech papers."""
    user = add_user("ada")
    Save.add(user, papers[arxiv_id("robots", 3)])
    Save.add(user, papers[arxiv_id("robots", 4)])
    Dismissal.add(user, papers[arxiv_id("speech", 0)])
    return user


def ranked(user, period: Period = DAY) -> list[str]:
    return [pick.paper.arxiv_id for pick in for_you(user, period).picks]


# --- the private feed -----------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["rss", "atom"])
def test_the_private_feed_is_the_members_ranking_until_its_key_is_replaced(client, ada, fmt):
    key = Taste.of(ada).feed_key
    response = client.get(f"/feeds/for-you/{key}.{fmt}")
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-cache" and "Access-Control-Allow-Origin" not in response
    feed = feedparser.parse(response.content)
    assert not feed.bozo and feed.feed.title == "Daily Papers: for ada"
    # The latest feed day and the six before it (the earlier corpus day is a week before), ranked for
    # ada, the paper she hid left out.
    week = Period("week", corpus.DAY - dt.timedelta(days=6), corpus.DAY)
    expected = [pick.paper.arxiv_id for pick in for_you(ada, week).picks]
    assert [e.link.rsplit("/", 1)[1] for e in feed.entries] == expected
    assert arxiv_id("speech", 0) not in expected and len(expected) == 11
    assert {corpus.topic_of_id(ref) for ref in expected[:3]} == {"robots"}
    # A new address: the old one answers 404 at once, the new one works.
    new_key = Taste.of(ada).regenerate_feed_key()
    assert new_key != key
    assert client.get(f"/feeds/for-you/{key}.{fmt}").status_code == 404
    assert client.get(f"/feeds/for-you/{new_key}.{fmt}").status_code == 200
    assert client.get(f"/feeds/for-you/{new_key[:-1]}.{fmt}").status_code == 404
    # A deactivated member's feed is gone too.
    ada.is_active = False
    ada.save()
    assert client.get(f"/feeds/for-you/{new_key}.{fmt}").status_code == 404


# --- the API --------------------------------------------------------------------------------------------


def test_the_api_ranks_for_the_tokens_member_and_needs_a_token(client, ada, settings):
    settings.API_READ_RATE = ""
    url = "/api/daily_papers?sort=for_you&date=2026-06-19"
    anonymous = client.get(url)
    assert anonymous.status_code == 401 and "token" in anonymous.json()["error"]
    assert anonymous["WWW-Authenticate"].startswith("Bearer")
    assert client.get(url, HTTP_AUTHORIZATION="Bearer dp_not-a-token").status_code == 401
    _, raw = ApiToken.issue(ada, "reader")
    response = client.get(url, HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 200 and response["Cache-Control"] == "private, no-cache"
    items = response.json()
    assert [item["paper"]["id"] for item in items] == ranked(ada)
    first = items[0]["forYou"]
    assert first["personalRank"] == 1 and first["score"] > items[-1]["forYou"]["score"]
    assert any(reason.startswith("Close to “") for reason in first["reasons"])
    # Paging through the same ranking; no date: the latest feed day.
    page = client.get(url + "&limit=5&p=1", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert [item["paper"]["id"] for item in page.json()] == ranked(ada)[5:10]
    assert 'rel="next"' in page["Link"]
    latest = client.get("/api/daily_papers?sort=for_you", HTTP_AUTHORIZATION=f"Bearer {raw}").json()
    assert [item["paper"]["id"] for item in latest] == ranked(ada)
    # Another member's token gets their own order; the other sorts need no token, as before.
    _, cold = ApiToken.issue(add_user("bob"), "bob")
    theirs = client.get(url, HTTP_AUTHORIZATION=f"Bearer {cold}").json()
    assert [item["paper"]["id"] for item in theirs] != ranked(ada)
    assert theirs[0]["forYou"]["personalRank"] is None
    assert client.get("/api/daily_papers?date=2026-06-19&sort=trending").status_code == 200


def test_the_schema_documents_sort_for_you_and_its_401(client):
    operation = client.get("/api/openapi.json").json()["paths"]["/api/daily_papers"]["get"]
    [sort] = [p for p in operation["parameters"] if p["name"] == "sort"]
    assert "for_you" in sort["schema"]["enum"] and "`for_you`" in sort["description"]
    assert "401" in operation["responses"] and {"bearer": []} in operation["security"]


# --- the personal digest ----------------------------------------------------------------------------------


def test_a_personal_digest_is_ranked_for_its_member(
    smtp_server, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://papers.example.org"
    settings.DIGEST_SMTP_CONNECTIONS = 1
    period = due_period("daily")
    papers = corpus.load(day=period.start, earlier=period.start - dt.timedelta(days=7))
    ada = add_user("ada")
    for n in (3, 4):
        Save.add(ada, papers[arxiv_id("galaxies", n)])
    Dismissal.add(ada, papers[arxiv_id("galaxies", 1)])
    now = timezone.now()
    fields = {
        "status": Subscription.Status.ACTIVE,
        "confirmed_at": now,
        "next_due": now - dt.timedelta(minutes=1),
    }
    Subscription.objects.create(email="ada@example.org", user=ada, for_you=True, max_papers=4, **fields)
    Subscription.objects.create(email="plain@example.org", max_papers=4, **fields)
    # A subscription without an account has no taste: the box does nothing there.
    Subscription.objects.create(email="stranger@example.org", for_you=True, max_papers=4, **fields)
    call_command("digest", "send")
    mail = {m.recipients[0]: m for m in smtp_server.wait_for(3)}
    personal = titles(mail["ada@example.org"])
    expected = [pick.paper.title for pick in for_you(ada, period).picks][:4]
    assert personal == expected
    assert [corpus.topic_of(papers_by_title(papers)[t]) for t in personal[:2]] == ["galaxies", "galaxies"]
    assert "Measuring galaxy rotation curves with radio telescopes" not in personal  # hidden
    assert "ranked for you" in mail["ada@example.org"].text
    assert titles(mail["plain@example.org"]) == titles(mail["stranger@example.org"])
    assert "ranked for you" not in mail["stranger@example.org"].text


def papers_by_title(papers) -> dict:
    return {paper.title: paper for paper in papers.values()}


def test_the_digest_settings_offer_the_ranking_to_accounts_only(client, ada):
    from dailypapers.digests.forms import SettingsForm

    mine = Subscription.objects.create(email="ada@example.org", user=ada)
    assert "for_you" in SettingsForm(instance=mine).fields
    assert "for_you" not in SettingsForm(instance=Subscription(email="x@example.org")).fields
    client.force_login(ada)
    page = client.get("/digests/").content.decode()
    assert re.search(r'<input type="checkbox" name="for_you"', page)
    response = client.post(
        "/digests/",
        {
            "frequency": "daily",
            "for_you": "on",
            "max_papers": "10",
            "categories": "",
            "keywords": "",
            "authors": "",
        },
    )
    assert response.status_code == 200
    mine.refresh_from_db()
    assert mine.for_you and mine.describe_filters() == "the papers ranked for you"
