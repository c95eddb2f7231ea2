"""Members' signals in the browser's terms (the Django test client): Save, Not interested and Follow
with htmx (a fragment swapped in place) and without (a POST and a redirect back), the library, the
"Your taste" page, the author pages; who may do what; a dismissed paper leaves that member's feeds."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client

from dailypapers.papers.models import Paper
from dailypapers.papers.periods import feed_day
from dailypapers.recommend.models import Dismissal, Follow, Mute, Save, Taste
from tests.support.factories import add_paper, add_user

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def day() -> dt.date:
    return feed_day()


@pytest.fixture
def papers(day, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):  # indexed for search as they commit
        add_paper(
            "2606.00001",
            "Grace's first",
            day=day,
            votes=5,
            authors=["Grace Hopper", "Alan Turing"],
            published_at=dt.datetime(2026, 6, 1, tzinfo=dt.UTC),
            categories=["cs.CL"],
        )
        add_paper(
            "2606.00002",
            "Grace's second",
            day=day,
            votes=3,
            authors=["Grace Hopper"],
            published_at=dt.datetime(2026, 6, 10, tzinfo=dt.UTC),
        )
        add_paper("2606.00003", "Someone else's", day=day, votes=1, authors=["Ada Lovelace"])
    return {p.arxiv_id: p for p in Paper.objects.all()}


@pytest.fixture
def ada(client):
    user = add_user("ada")
    client.force_login(user)
    return user


def titles(page: str) -> list[str]:
    return re.findall(r'class="card-title"[^>]*><a href="/papers/([^"]+)"', page)


def test_saving_with_htmx_swaps_the_button_and_without_redirects_back(client, ada, papers):
    response = client.post("/papers/2606.00001/save", {"on": "1", "next": "/papers/trending"}, **HTMX)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'aria-pressed="true"' in body and "Saved</button>" in body
    assert 'name="next" value="/papers/trending"' in body  # the swapped button comes back to the same page
    assert Save.objects.filter(user=ada, paper__arxiv_id="2606.00001").exists()

    response = client.post("/papers/2606.00001/save", {"on": "0", "next": "/papers/trending"})
    assert response.status_code == 302 and response["Location"] == "/papers/trending"
    assert not Save.objects.exists()
    # A return address off the site is not followed.
    response = client.post("/papers/2606.00001/save", {"on": "1", "next": "https://evil.example/"})
    assert response["Location"] == "/papers/2606.00001"


def test_not_interested_takes_the_card_away_and_can_be_undone(client, ada, papers):
    response = client.post("/papers/2606.00002/not-interested", {"on": "1", "card": "1", "next": "/"}, **HTMX)
    body = response.content.decode()
    assert response.status_code == 200 and 'data-testid="dismissed-card"' in body
    assert 'data-testid="undo-not-interested"' in body and 'name="on" value="0"' in body
    assert Dismissal.hidden_ids(ada) == {papers["2606.00002"].pk}
    # The paper page's button swaps itself for its undo.
    body = client.post("/papers/2606.00002/not-interested", {"on": "0"}, **HTMX).content.decode()
    assert 'aria-pressed="false"' in body and not Dismissal.objects.exists()
    response = client.post("/papers/2606.00002/not-interested", {"on": "1", "next": "/"})
    assert response.status_code == 302 and response["Location"] == "/"
    assert Dismissal.objects.count() == 1
    # Without JavaScript the note that follows leads to the paper page, where its Undo is.
    note = client.get("/").content.decode()
    assert re.search(r'is hidden from your feeds\.\s*<a href="/papers/2606\.00002"[^>]*>Undo', note)


def test_strangers_are_asked_to_sign_in(client, papers):
    for path in ("/papers/2606.00001/save", "/papers/2606.00001/not-interested"):
        response = client.post(path, {"next": "/papers/trending"})
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login?next=")
        response = client.post(path, {"next": "/papers/trending"}, **HTMX)
        assert response.status_code == 204 and response["HX-Redirect"].startswith("/accounts/login?next=")
    response = client.post("/follow", {"kind": "author", "target": "Grace Hopper"})
    assert response["Location"].startswith("/accounts/login?next=")
    for path in ("/library", "/for-you/settings", "/for-you/settings/reset"):
        assert client.get(path)["Location"].startswith("/accounts/login?next=")
    for path in ("/for-you/settings/mutes", "/for-you/settings/mix", "/for-you/settings/feed-key"):
        assert client.post(path)["Location"].startswith("/accounts/login?next=")
    assert not Save.objects.exists() and not Dismissal.objects.exists() and not Follow.objects.exists()
    # Strangers' cards carry no Save or Not interested buttons; the author page offers Follow.
    assert 'data-testid="save"' not in client.get("/").content.decode()
    assert 'data-testid="follow"' in client.get("/authors/grace hopper").content.decode()


def test_every_form_needs_its_csrf_token(papers):
    ada = add_user("ada")
    client = Client(enforce_csrf_checks=True)
    client.force_login(ada)
    for path, data in [
        ("/papers/2606.00001/save", {"on": "1"}),
        ("/papers/2606.00001/not-interested", {"on": "1"}),
        ("/follow", {"kind": "author", "target": "Grace Hopper"}),
        ("/for-you/settings/mutes", {"kind": "keyword", "value": "robots"}),
        ("/for-you/settings/mix", {"mix": "50"}),
        ("/for-you/settings/feed-key", {}),
        ("/for-you/settings/reset", {"confirm": "forget"}),
        ("/library/2606.00001", {"action": "remove"}),
    ]:
        assert client.post(path, data).status_code == 403, path
    assert not Save.objects.exists() and not Dismissal.objects.exists() and not Follow.objects.exists()
    assert not Mute.objects.exists()
    # The pages' own forms carry the token.
    for path in ("/", "/papers/2606.00001", "/for-you/settings", "/library", "/authors/grace hopper"):
        page = client.get(path).content.decode()
        assert page.count('method="post"') == page.count('name="csrfmiddlewaretoken"') > 1, path


def test_a_dismissed_paper_leaves_that_members_feeds_only(
    client, ada, papers, day, settings, django_capture_on_commit_callbacks
):
    settings.PAGE_CACHE_SECONDS = 300  # the members' own copies of pages, as the site keeps them
    bob = Client()
    bob.force_login(add_user("bob"))
    year, week, _ = day.isocalendar()
    pages = [
        "/",
        f"/papers/date/{day}",
        f"/papers/week/{year}-W{week:02d}",
        f"/papers/month/{day:%Y-%m}",
        "/papers/trending",
        "/authors/grace hopper",
        "/papers/search?q=Grace",
    ]
    for path in pages:  # copies kept before the dismissal
        assert "2606.00002" in titles(client.get(path).content.decode()), path
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/papers/2606.00002/not-interested", {"on": "1"}, **HTMX)
    for path in pages:
        assert "2606.00002" not in titles(client.get(path).content.decode()), path
        assert "2606.00002" in titles(bob.get(path).content.decode()), path
    # The paper page itself stays, saying it is hidden and offering the undo.
    page = client.get("/papers/2606.00002").content.decode()
    assert "Not interested · Undo" in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/papers/2606.00002/save", {"on": "1"})  # saving brings it back
    assert "2606.00002" in titles(client.get("/").content.decode())
    assert 'aria-pressed="true" data-testid="save"' in client.get("/").content.decode()


def test_the_author_page_lists_papers_newest_first_and_follows(client, ada, papers):
    page = client.get("/authors/grace hopper").content.decode()
    assert "<h1>Grace Hopper</h1>" in page and "2 papers here, newest first" in page
    assert titles(page) == ["2606.00002", "2606.00001"]
    assert "▲" in page  # with their votes
    # Cards and paper pages link their authors here; another spelling finds the page too.
    assert 'href="/authors/grace%20hopper"' in client.get("/").content.decode()
    assert 'href="/authors/grace%20hopper"' in client.get("/papers/2606.00001").content.decode()
    assert client.get("/authors/Grace Hopper")["Location"] == "/authors/grace%20hopper"
    assert client.get("/authors/Nobody").status_code == 404
    response = client.post(
        "/follow", {"kind": "author", "target": "grace hopper", "label": "Grace Hopper", "on": "1"}, **HTMX
    )
    assert 'aria-pressed="true"' in response.content.decode() and "Following" in response.content.decode()
    assert Follow.follows(ada, "author", "Grace Hopper")
    assert 'aria-pressed="true" data-testid="follow"' in client.get("/authors/grace hopper").content.decode()


def test_follows_from_profiles_and_paper_pages_are_listed_in_settings(client, ada, papers):
    add_user("bob")
    assert client.get("/u/ada").content.decode().count('data-testid="follow"') == 0  # not yourself
    assert 'data-testid="follow"' in client.get("/u/bob").content.decode()
    response = client.post("/follow", {"kind": "member", "target": "bob", "next": "/u/bob"})
    assert response["Location"] == "/u/bob"
    assert 'aria-pressed="true" data-testid="follow"' in client.get("/u/bob").content.decode()
    page = client.get("/papers/2606.00001").content.decode()
    assert 'name="kind" value="category"' in page and 'name="target" value="cs.CL"' in page
    client.post("/follow", {"kind": "category", "target": "cs.CL"})
    client.post("/follow", {"kind": "author", "target": "Grace Hopper"})
    response = client.post("/follow", {"kind": "author", "target": "Nobody Here"}, follow=True)
    assert "No papers here are by" in response.content.decode()
    page = client.get("/for-you/settings").content.decode()
    follows = re.search(r'data-testid="follows">(.*?)</ul>', page, re.S).group(1)
    assert 'href="/authors/grace%20hopper">Grace Hopper</a>' in follows
    assert 'href="/u/bob">bob</a>' in follows and ">cs.CL</a>" in follows
    client.post("/follow", {"kind": "member", "target": "bob", "on": "0"})
    assert sorted(Follow.objects.values_list("kind", flat=True)) == ["author", "category"]


def test_mutes_mix_feed_key_and_reset_from_the_settings_page(client, ada, papers):
    for kind, value in [("author", "Alan Turing"), ("category", "cs.ro"), ("keyword", "Robots")]:
        assert client.post("/for-you/settings/mutes", {"kind": kind, "value": value}).status_code == 302
    assert Mute.of(ada) == {"author": ["alan turing"], "category": ["cs.RO"], "keyword": ["robots"]}
    response = client.post("/for-you/settings/mutes", {"kind": "category", "value": "nonsense"}, follow=True)
    assert "Not an arXiv category" in response.content.decode()
    page = client.get("/for-you/settings").content.decode()
    assert re.search(r'data-testid="mutes">.*Keyword: robots.*</ul>', page, re.S)
    client.post("/for-you/settings/mutes", {"kind": "keyword", "value": "robots", "on": "0"})
    assert Mute.of(ada)["keyword"] == []

    assert 'type="range" min="0" max="100" step="5" value="70"' in page
    client.post("/for-you/settings/mix", {"mix": "35"})
    assert Taste.of(ada).mix == 0.35
    for bad in ("101", "-1", "many", "", "nan", "1e999"):
        response = client.post("/for-you/settings/mix", {"mix": bad}, follow=True)
        assert "The mix is a number from 0 to 100." in response.content.decode(), bad
    assert Taste.of(ada).mix == 0.35

    key = Taste.of(ada).feed_key
    client.post("/for-you/settings/feed-key")
    assert Taste.of(ada).feed_key != key

    Save.add(ada, papers["2606.00001"])
    page = client.get("/for-you/settings/reset").content.decode()
    assert "1 saved papers" in page and 'name="confirm"' in page
    response = client.post("/for-you/settings/reset", {}, follow=True)
    assert "nothing was reset" in response.content.decode() and Save.objects.exists()
    client.post("/for-you/settings/reset", {"confirm": "forget"})
    assert (
        not Save.objects.exists()
        and not Mute.objects.exists()
        and not Taste.objects.exclude(mix=0.7).exists()
    )


def test_the_library_filters_by_tag_edits_and_removes(client, ada, papers):
    Save.add(ada, papers["2606.00001"], tags="thesis, to read")
    Save.add(ada, papers["2606.00003"], tags="to read")
    page = client.get("/library").content.decode()
    assert page.count('data-testid="library-item"') == 2 and "2 saved papers" in page
    page = client.get("/library?tag=THESIS").content.decode()
    assert page.count('data-testid="library-item"') == 1 and "Grace&#x27;s first" in page
    response = client.post(
        "/library/2606.00003", {"tags": "later, <b>bold</b>", "note": "Read §2", "next": "/library"}
    )
    assert response["Location"] == "/library"
    item = Save.objects.get(paper=papers["2606.00003"])
    assert item.tags == ["later", "<b>bold</b>"] and item.note == "Read §2"
    page = client.get("/library").content.decode()
    assert "&lt;b&gt;bold&lt;/b&gt;" in page and "<b>bold</b>" not in page  # members' text is escaped
    response = client.post("/library/2606.00003", {"tags": "x" * 41}, follow=True)
    assert "at most 40 characters" in response.content.decode()
    client.post("/library/2606.00003", {"action": "remove"})
    assert list(Save.objects.values_list("paper__arxiv_id", flat=True)) == ["2606.00001"]


def test_members_touch_only_their_own_library(client, ada, papers):
    Save.add(ada, papers["2606.00001"], tags="mine", note="private")
    bob = Client()
    bob.force_login(add_user("bob"))
    assert "private" not in bob.get("/library").content.decode()
    assert bob.post("/library/2606.00001", {"tags": "stolen"}).status_code == 404
    bob.post("/library/2606.00001", {"action": "remove"})
    assert Save.objects.get().tags == ["mine"]
    assert "private" in client.get("/library").content.decode()
