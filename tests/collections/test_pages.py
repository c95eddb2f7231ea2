"""Collections in the browser's pages, with Django's client: "Add to collection" on cards and paper
pages, as a plain form and page and as htmx's inline form; the collection's page with its owner's
controls; profiles; a private collection is a 404 to everyone but its owner; the paper page's cached
copy is renewed when the paper joins a collection."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.test import Client

from dailypapers.collections.models import Collection
from dailypapers.papers.models import Paper
from tests.support.factories import add_paper, add_user

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 8, 21)
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def papers():
    add_paper("2608.00001", "First <paper>", DAY, votes=3)
    add_paper("2608.00002", "Second paper", DAY, votes=1)
    return {p.arxiv_id: p for p in Paper.objects.all()}


def member(name: str = "ada") -> Client:
    client = Client()
    client.force_login(add_user(name))
    return client


def test_the_card_and_the_paper_page_offer_it_to_members_only(papers):
    assert "add-to-collection" not in Client().get(f"/papers/date/{DAY}").content.decode()
    ada = member()
    feed = ada.get(f"/papers/date/{DAY}").content.decode()
    assert feed.count('data-testid="add-to-collection"') == 2
    assert 'action="/papers/2608.00001/add-to-collection"' in feed
    assert 'data-testid="add-to-collection"' in ada.get("/papers/2608.00001").content.decode()


def test_without_javascript_a_page_makes_a_collection_and_adds_the_paper(papers):
    ada = member()
    page = ada.get(f"/papers/2608.00001/add-to-collection?next=/papers/date/{DAY}")
    html = page.content.decode()
    assert page.status_code == 200 and "<!doctype html>" in html and "A new collection, titled" in html
    done = ada.post(
        "/papers/2608.00001/add-to-collection",
        {"new_title": "Robots", "note": "Read *first*", "next": f"/papers/date/{DAY}"},
        follow=True,
    )
    assert done.redirect_chain[-1][0] == f"/papers/date/{DAY}"
    robots = Collection.objects.get(title="Robots")
    assert f'Added to <a href="{robots.get_absolute_url()}">Robots</a>' in done.content.decode()
    # The next paper goes to the same collection, picked from the list; the same paper twice is refused.
    html = ada.get("/papers/2608.00002/add-to-collection").content.decode()
    assert f'<option value="{robots.pk}">Robots</option>' in html
    ada.post("/papers/2608.00002/add-to-collection", {"collection": str(robots.pk)})
    again = ada.post("/papers/2608.00001/add-to-collection", {"collection": str(robots.pk)})
    assert again.status_code == 200 and "is in this collection already" in again.content.decode()
    assert [i.paper.arxiv_id for i in robots.shown_items()] == ["2608.00001", "2608.00002"]
    assert robots.shown_items()[0].note == "Read *first*"
    # Nothing chosen: a clear message, no 500.
    empty = ada.post("/papers/2608.00002/add-to-collection", {"collection": "x"})
    assert "Choose one of your collections" in empty.content.decode()
    # The form makes a private collection too.
    assert 'name="private" value="1"' in html
    ada.post("/papers/2608.00002/add-to-collection", {"new_title": "Secret", "private": "1"})
    secret = Collection.objects.get(title="Secret")
    assert secret.private and Client().get(secret.get_absolute_url()).status_code == 404


def test_with_htmx_the_form_is_inline_and_answers_in_place(papers):
    ada = member()
    form = ada.get("/papers/2608.00001/add-to-collection?next=/", **HTMX).content.decode()
    assert form.startswith("<form") and "<html" not in form and 'hx-post="/papers/2608.00001/add-to' in form
    added = ada.post("/papers/2608.00001/add-to-collection", {"new_title": "Inline", "next": "/"}, **HTMX)
    text = added.content.decode()
    assert added.status_code == 200 and 'data-testid="collected"' in text and ">Inline</a>" in text
    refused = ada.post("/papers/2608.00001/add-to-collection", {"new_title": "Inline"}, **HTMX)
    assert refused.content.decode().startswith("<form") and "already" in refused.content.decode()


def test_strangers_are_sent_to_sign_in(papers):
    answer = Client().get("/papers/2608.00001/add-to-collection")
    assert answer.status_code == 302 and "/accounts/login" in answer["Location"]
    answer = Client().post("/papers/2608.00001/add-to-collection", {"new_title": "x"}, **HTMX)
    assert answer.status_code == 204 and "/accounts/login" in answer["HX-Redirect"]
    assert not Collection.objects.exists()
    assert Client().get("/papers/2699.99999/add-to-collection").status_code == 404


def test_the_collection_page_its_owner_and_everyone_else(papers):
    ada_user = add_user("ada")
    reading = Collection.create(ada_user, "Reading", "Line one\n<b>two</b>")
    for arxiv_id in ("2608.00001", "2608.00002"):
        reading.add_paper(ada_user, papers[arxiv_id], note="Why: <i>this</i>")
    url = reading.get_absolute_url()
    assert url == f"/collections/ada/reading-{reading.pk}"
    html = Client().get(url).content.decode()
    assert "First &lt;paper&gt;" in html and "Line one<br>&lt;b&gt;two&lt;/b&gt;" in html
    assert "Why: &lt;i&gt;this&lt;/i&gt;" in html and "remove-item" not in html
    feed = f'title="Collection: Reading (RSS)" href="/feeds/collections/ada/reading-{reading.pk}.rss"'
    assert f'<link rel="alternate" type="application/rss+xml" {feed}>' in html
    # An old title's address leads to the current one.
    assert Client().get(f"/collections/ada/old-{reading.pk}")["Location"] == url

    ada = Client()
    ada.force_login(ada_user)
    first, second = reading.shown_items()
    assert "remove-item" in ada.get(url).content.decode()
    ada.post(f"{url}/items/{second.pk}", {"action": "up"})
    assert [i.paper.arxiv_id for i in reading.shown_items()] == ["2608.00002", "2608.00001"]
    ada.post(f"{url}/items/{first.pk}", {"action": "note", "note": "Better note"})
    first.refresh_from_db()
    assert first.note == "Better note"
    ada.post(f"{url}/edit", {"title": "Renamed", "description": "", "private": "1"})
    reading.refresh_from_db()
    assert reading.title == "Renamed" and reading.private
    # Private now: a 404 to everyone else, the page, its feed and the API alike; the owner still sees it.
    new_url = reading.get_absolute_url()
    bob = member("bob")
    for client in (Client(), bob):
        assert client.get(new_url).status_code == 404
        assert client.get(f"/feeds/collections/ada/{reading.slug_tail}.rss").status_code == 404
        assert client.get(f"/api/collections/{reading.slug}").status_code == 404
    assert ada.get(new_url).status_code == 200
    # Others cannot change it, whatever they post.
    assert bob.post(f"{new_url}/edit", {"title": "Bob's"}).status_code == 404
    reading.private = False
    reading.save()
    assert bob.post(f"{new_url}/edit", {"title": "Bob's"}).status_code == 403
    assert bob.post(f"{new_url}/items/{first.pk}", {"action": "remove"}).status_code == 403
    assert bob.post(f"{new_url}/delete").status_code == 403
    assert reading.items.count() == 2
    ada.post(f"{new_url}/items/{first.pk}", {"action": "remove"})
    assert reading.items.count() == 1
    ada.post(f"{new_url}/delete")
    assert not Collection.objects.filter(pk=reading.pk).exists()


def test_members_upvote_a_collection_with_or_without_htmx(papers):
    reading = Collection.create(add_user("ada"), "Reading")
    url = reading.get_absolute_url()
    bob = member("bob")
    assert bob.post(f"{url}/upvote", {"on": "1"})["Location"] == url
    swapped = bob.post(f"{url}/upvote", {"on": "0"}, **HTMX).content.decode()
    assert 'aria-pressed="false"' in swapped and 'data-testid="collection-votes">0<' in swapped
    bob.post(f"{url}/upvote", {"on": "1"}, **HTMX)
    reading.refresh_from_db()
    assert reading.upvote_count == 1
    assert Client().post(f"{url}/upvote", {"on": "1"}).status_code == 302
    reading.refresh_from_db()
    assert reading.upvote_count == 1


def test_profiles_lists_and_paper_pages_show_collections(papers):
    ada_user = add_user("ada")
    public = Collection.create(ada_user, "Public list")
    secret = Collection.create(ada_user, "Secret list", private=True)
    for collection in (public, secret):
        collection.add_paper(ada_user, papers["2608.00001"])
    ada = Client()
    ada.force_login(ada_user)
    for path in ("/u/ada", "/collections/ada"):
        assert "Secret list" not in Client().get(path).content.decode()
        assert "Public list" in Client().get(path).content.decode()
        assert "Secret list" in ada.get(path).content.decode()
    assert "Public list" in Client().get("/collections").content.decode()
    assert "Secret list" not in Client().get("/collections").content.decode()
    paper_page = Client().get("/papers/2608.00001").content.decode()
    assert 'data-testid="in-collections"' in paper_page and "Public list" in paper_page
    assert "Secret list" not in paper_page and "Secret list" in ada.get("/papers/2608.00001").content.decode()
    made = ada.post("/collections", {"title": "From the list page", "description": "d"})
    assert made["Location"] == Collection.objects.get(title="From the list page").get_absolute_url()
    assert "already" in ada.post("/collections", {"title": "public LIST"}, follow=True).content.decode()
    # A title with a "%" in it is named in the refusal, not read as a format (it was a 500).
    ada.post("/collections", {"title": "50% off"})
    refused = ada.post("/collections", {"title": "50% OFF"}, follow=True)
    assert refused.status_code == 200 and "collection called “50% off” already" in refused.content.decode()


@pytest.mark.django_db(transaction=True)
def test_the_paper_pages_cached_copy_is_renewed_when_it_is_collected(settings, papers):
    settings.PAGE_CACHE_SECONDS = 60
    cache.clear()
    ada_user = add_user("ada")
    reading = Collection.create(ada_user, "Renewed")
    ada = Client()
    ada.force_login(ada_user)
    ada.get("/papers/2608.00001")
    assert ada.get("/papers/2608.00001")["X-Cache"] == "hit"
    feed = f"/feeds/collections/ada/{reading.slug_tail}.rss"
    assert Client().get(feed).status_code == 200 and Client().get(feed)["X-Cache"] == "hit"
    ada.post("/papers/2608.00001/add-to-collection", {"collection": str(reading.pk)}, **HTMX)  # no flash
    page = ada.get("/papers/2608.00001")
    assert page["X-Cache"] == "miss" and "Renewed" in page.content.decode()
    stranger = Client().get("/papers/2608.00001")
    assert "Renewed" in stranger.content.decode()
    renewed = Client().get(feed)
    assert renewed["X-Cache"] == "miss" and "<title>First &lt;paper&gt;</title>" in renewed.content.decode()
    cache.clear()


def test_a_collection_as_bibtex_in_its_order_private_ones_to_their_owner_only(papers):
    ada_user = add_user("ada")
    reading = Collection.create(ada_user, "Reading group")
    reading.add_paper(ada_user, papers["2608.00002"])
    reading.add_paper(ada_user, papers["2608.00001"])
    address = reading.get_absolute_url() + ".bib"
    assert f'href="{address}"' in Client().get(reading.get_absolute_url()).content.decode()
    answer = Client().get(address)
    assert answer.status_code == 200 and answer["Content-Type"] == "text/x-bibtex; charset=utf-8"
    text = answer.content.decode()
    assert text.count("@misc{") == 2
    assert text.index("eprint={2608.00002}") < text.index("eprint={2608.00001}")
    assert "Cache-Control" not in answer or "private" not in answer["Cache-Control"]
    reading.change(ada_user, private=True)
    assert Client().get(address).status_code == 404
    owner = Client()
    owner.force_login(ada_user)
    mine = owner.get(address)
    assert mine.status_code == 200 and mine["Cache-Control"] == "private, no-store"


def test_a_typed_new_title_wins_over_the_collection_picked_by_default(papers):
    ada = member()
    ada.post("/papers/2608.00001/add-to-collection", {"new_title": "First"})
    first = Collection.objects.get(title="First")
    # The form's list still shows "First" (picked by default) while the reader types a new title.
    ada.post("/papers/2608.00002/add-to-collection", {"collection": str(first.pk), "new_title": "Second"})
    second = Collection.objects.get(title="Second")
    assert [i.paper.arxiv_id for i in second.shown_items()] == ["2608.00002"]
    assert [i.paper.arxiv_id for i in first.shown_items()] == ["2608.00001"]
