"""Collections through the API, shaped like Hugging Face's: token writes by the owner only, reads that
see private collections only with the owner's token, and the RSS and Atom feeds of a public one."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from dailypapers.api.models import ApiToken
from dailypapers.collections.models import Collection
from tests.support.factories import add_paper, add_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _rules(settings):
    settings.API_READ_RATE, settings.API_WRITE_RATE = "", ""
    add_paper("2608.00001", "First paper")
    add_paper("2608.00002", "Second paper")


def api(name: str) -> Client:
    _, raw = ApiToken.issue(add_user(name), "tests")
    return Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Bearer {raw}")


def test_create_add_reorder_note_and_delete_with_a_token():
    ada = api("ada")
    made = ada.post("/api/collections", {"title": "Agents", "description": "Good ones", "private": False},
                    content_type="application/json")  # fmt: skip
    assert made.status_code == 201
    slug = made.json()["slug"]
    assert slug.startswith("ada/agents-") and made.json()["owner"]["name"] == "ada"
    for arxiv_id in ("2608.00001", "2608.00002"):
        added = ada.post(f"/api/collections/{slug}/items", {"item": {"type": "paper", "id": arxiv_id},
                         "note": "Why <b>"}, content_type="application/json")  # fmt: skip
        assert added.status_code == 200
    body = ada.get(f"/api/collections/{slug}").json()
    items = body["items"]
    assert [(i["id"], i["type"], i["position"]) for i in items] == [
        ("2608.00001", "paper", 0),
        ("2608.00002", "paper", 1),
    ]
    assert items[0]["note"] == {"text": "Why <b>", "html": "Why &lt;b&gt;"}
    assert {"lastUpdated", "theme", "upvotes", "private", "description"} <= set(body)
    twice = ada.post(f"/api/collections/{slug}/items", {"item": {"type": "paper", "id": "2608.00001"}},
                     content_type="application/json")  # fmt: skip
    assert twice.status_code == 409
    missing = ada.post(f"/api/collections/{slug}/items", {"item": {"type": "paper", "id": "2699.99999"}},
                       content_type="application/json")  # fmt: skip
    assert missing.status_code == 404
    model = ada.post(f"/api/collections/{slug}/items", {"item": {"type": "model", "id": "a/b"}},
                     content_type="application/json")  # fmt: skip
    assert model.status_code == 400

    second = items[1]["_id"]
    moved = ada.patch(f"/api/collections/{slug}/items/{second}", {"position": 0, "note": "Now first"},
                      content_type="application/json")  # fmt: skip
    assert moved.status_code == 200
    data = moved.json()["data"]["items"]
    assert [i["id"] for i in data] == ["2608.00002", "2608.00001"] and data[0]["note"]["text"] == "Now first"
    changed = ada.patch(f"/api/collections/{slug}", {"title": "Agents II", "private": True},
                        content_type="application/json")  # fmt: skip
    assert changed.json()["data"]["private"] is True
    slug = changed.json()["data"]["slug"]
    assert ada.delete(f"/api/collections/{slug}/items/{second}").status_code == 200
    assert [i["id"] for i in ada.get(f"/api/collections/{slug}").json()["items"]] == ["2608.00001"]
    assert ada.delete(f"/api/collections/{slug}").status_code == 200
    assert ada.get(f"/api/collections/{slug}").status_code == 404


def test_only_the_owner_writes_and_private_ones_are_a_404_to_others():
    ada, bob = api("ada"), api("bob")
    public = Collection.create(User.objects.get(username="ada"), "Open")
    secret = ada.post("/api/collections", {"title": "Secret", "private": True},
                      content_type="application/json").json()["slug"]  # fmt: skip
    item = {"item": {"type": "paper", "id": "2608.00001"}}
    assert (
        Client()
        .post(f"/api/collections/{public.slug}/items", item, content_type="application/json")
        .status_code
        == 401
    )
    assert (
        bob.post(f"/api/collections/{public.slug}/items", item, content_type="application/json").status_code
        == 403
    )
    assert (
        bob.patch(
            f"/api/collections/{public.slug}", {"title": "x"}, content_type="application/json"
        ).status_code
        == 403
    )
    assert bob.delete(f"/api/collections/{public.slug}").status_code == 403
    assert bob.post("/api/collections", {"title": "In ada's", "namespace": "ada"},
                    content_type="application/json").status_code == 403  # fmt: skip
    for reader in (Client(), bob):
        assert reader.get(f"/api/collections/{secret}").status_code == 404
        assert reader.patch(
            f"/api/collections/{secret}", {}, content_type="application/json"
        ).status_code in (401, 404)
        assert [c["title"] for c in reader.get("/api/collections?owner=ada").json()] == ["Open"]
    assert [c["title"] for c in ada.get("/api/collections?owner=ada").json()] == ["Open", "Secret"]
    ada.post(f"/api/collections/{public.slug}/items", item, content_type="application/json")
    holding = Client().get("/api/collections?item=papers/2608.00001").json()
    assert [c["slug"] for c in holding] == [public.slug] and holding[0]["numberItems"] == 1
    assert Client().get("/api/collections?sort=sideways").status_code == 400
    same = ada.post("/api/collections", {"title": "open"}, content_type="application/json")
    assert same.status_code == 409 and same.json()["slug"] == public.slug


def test_whoami_names_the_tokens_member():
    assert api("ada").get("/api/whoami-v2").json()["name"] == "ada"
    assert Client().get("/api/whoami-v2").status_code == 401


def test_a_public_collection_has_rss_and_atom_feeds():
    ada = api("ada")
    made = ada.post("/api/collections", {"title": "Feed me"}, content_type="application/json")
    slug = made.json()["slug"]
    paper = {"item": {"type": "paper", "id": "2608.00002"}, "note": "Read it"}
    ada.post(f"/api/collections/{slug}/items", paper, content_type="application/json")
    tail = slug.split("/")[1]
    rss = Client().get(f"/feeds/collections/ada/{tail}.rss")
    assert rss["Content-Type"].startswith("application/rss+xml")
    text = rss.content.decode()
    assert "<title>Second paper</title>" in text and "Note: Read it" in text and "Feed me" in text
    atom = Client().get(f"/feeds/collections/ada/{tail}.atom")
    assert atom["Content-Type"].startswith("application/atom+xml") and "Second paper" in atom.content.decode()
    assert Client().get(f"/feeds/collections/bob/{tail}.rss").status_code == 404


def test_a_rename_may_not_take_the_title_of_another_of_ones_collections():
    ada = api("ada")
    first = ada.post("/api/collections", {"title": "Agents"}, content_type="application/json").json()
    second = ada.post("/api/collections", {"title": "Diffusion"}, content_type="application/json").json()
    taken = ada.patch(
        f"/api/collections/{second['slug']}", {"title": "AGENTS"}, content_type="application/json"
    )
    assert taken.status_code == 409 and taken.json()["code"] == "exists"
    assert list(Collection.objects.order_by("pk").values_list("title", flat=True)) == ["Agents", "Diffusion"]
    kept = ada.patch(
        f"/api/collections/{first['slug']}", {"title": "agents"}, content_type="application/json"
    )
    assert kept.status_code == 200 and kept.json()["data"]["title"] == "agents"  # its own, recased


def test_a_title_taken_twice_is_a_409_even_when_it_holds_a_percent_sign():
    """Found by the API's fuzz test: the refusal named the title as a format string, so a title with
    "%&" in it turned the 409 into a 500."""
    ada = api("ada")
    made = ada.post("/api/collections", {"title": "100%& more"}, content_type="application/json")
    assert made.status_code == 201
    again = ada.post("/api/collections", {"title": "100%& MORE"}, content_type="application/json")
    assert again.status_code == 409
    assert again.json() == {
        "error": "You have a collection called “100%& more” already.",
        "code": "exists",
        "slug": made.json()["slug"],
    }
    other = ada.post("/api/collections", {"title": "%(slug)s"}, content_type="application/json").json()
    renamed = ada.patch(
        f"/api/collections/{other['slug']}", {"title": "100%& more"}, content_type="application/json"
    )
    assert renamed.status_code == 409 and "“100%& more”" in renamed.json()["error"]
