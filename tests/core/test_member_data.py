"""Member data registered in one place (core.member_data): every app that keeps data about a member
gives its part of the data download and says what deleting the account does to it."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.test import Client

from dailypapers.accounts.member_data import delete_account, user_export
from dailypapers.api.models import ApiToken
from dailypapers.community.models import Comment, Upvote
from dailypapers.core import member_data
from dailypapers.digests.models import Subscription
from dailypapers.papers.models import Listing, Membership, Organization, Paper
from tests.support.factories import add_paper, add_user

pytestmark = pytest.mark.django_db

# Apps with a foreign key to members that register no provider, and why.
UNREGISTERED = {
    "accounts": "owns the download and the deletion, and writes the account and profile itself",
    "core": "the moderators' audit trail keeps the moderator's name; it is the site's record, not theirs",
}


def test_every_app_that_keeps_member_data_is_registered():
    keeping = {
        model._meta.app_label
        for model in apps.get_models()
        if model.__module__.startswith("dailypapers.")
        and any(
            f.is_relation and f.related_model is apps.get_model(settings.AUTH_USER_MODEL)
            for f in model._meta.fields
        )
    }
    registered = [p.app for p in member_data.providers()]
    assert set(registered) == keeping - set(UNREGISTERED)
    assert set(UNREGISTERED) <= keeping  # nothing stale in the list above


def test_the_export_has_every_apps_part_in_order():
    ada = add_user("ada")
    assert list(user_export(ada)) == [
        "exportedAt",
        "site",
        "account",
        "profile",
        "submissions",
        "organizations",
        "upvotes",
        "comments",
        "watches",
        "notificationEmail",
        "authorClaims",
        "collections",
        "collectionUpvotes",
        "savedPapers",
        "notInterested",
        "follows",
        "mutes",
        "ratings",
        "taste",
        "digestSubscriptions",
        "apiTokens",
    ]


def test_the_registry_merges_exports_and_runs_erasers(monkeypatch):
    monkeypatch.setattr(member_data, "_providers", {})
    erased = []
    member_data.register(
        "one", export=lambda user: {"a": user}, erase=lambda user: erased.append(("one", user))
    )
    member_data.register("two", export=lambda user: {"b": 2})  # rows that go with the account: no erase
    member_data.register(
        "one", export=lambda user: {"a": user * 2}, erase=lambda user: erased.append(("one", user))
    )
    assert member_data.export(3) == {"a": 6, "b": 2}  # registering again replaces, in its place
    member_data.erase(3)
    assert erased == [("one", 3)]
    member_data.register("three", export=lambda user: {"b": 3})
    with pytest.raises(ImproperlyConfigured, match="three exports keys already taken"):
        member_data.export(3)


def test_deleting_an_account_deletes_its_tokens_and_keeps_its_digest_subscriptions():
    ada = add_user("ada")
    ApiToken.issue(ada, "bot")
    Subscription.objects.create(email="ada@example.org", user=ada, categories="cs.CL")
    delete_account(ada)
    assert not ApiToken.objects.exists()
    subscription = Subscription.objects.get()
    assert subscription.user is None and subscription.email == "ada@example.org"


def test_export_holds_everything_a_member_added(client):
    ada, bob = add_user("ada"), add_user("bob")
    add_paper("2608.00001", "First", day=dt.date(2026, 8, 20))
    add_paper("2608.00002", "Second", day=dt.date(2026, 8, 20))
    first, second = Paper.objects.order_by("arxiv_id")
    Listing.objects.filter(paper=first).update(submitted_by=ada, note="Good one")
    Upvote.objects.create(user=ada, paper=second)
    Upvote.objects.create(user=bob, paper=first)
    top = Comment.objects.create(paper=first, author=ada, body="Nice **work**")
    Comment.objects.create(paper=first, author=bob, body="Agreed", parent=top)
    client.force_login(ada)
    ApiToken.issue(ada, "exporter")
    lab = Organization.objects.create(name="lab", fullname="The Lab")
    Membership.objects.create(user=ada, organization=lab, role="admin")

    assert (
        Client().get("/account/export.json")["Location"].startswith("/accounts/login?next=")
    )  # sign in first
    response = client.get("/account/export.json")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    assert response["Content-Disposition"].startswith("attachment; filename=")
    data = json.loads(response.content)
    assert data["account"]["username"] == "ada" and data["account"]["email"] == "ada@example.org"
    assert [(s["paper"], s["note"]) for s in data["submissions"]] == [("2608.00001", "Good one")]
    assert [v["paper"] for v in data["upvotes"]] == ["2608.00002"]
    assert [(c["paper"], c["body"]) for c in data["comments"]] == [("2608.00001", "Nice **work**")]
    assert [t["name"] for t in data["apiTokens"]] == ["exporter"]
    assert [(o["name"], o["role"]) for o in data["organizations"]] == [("lab", "admin")]
    assert "hash" not in response.content.decode().lower()


def test_export_holds_the_profile_and_digest_subscriptions(client):
    from django.apps import apps

    ada = add_user("ada")
    Profile = apps.get_model("accounts", "Profile")
    Profile.objects.update_or_create(user=ada, defaults={"display_name": "Ada L."})
    try:
        Subscription = apps.get_model("digests", "Subscription")
    except LookupError:
        Subscription = None
    if Subscription is not None:
        Subscription.objects.create(email="ada@example.org", user=ada, categories="cs.CL", keywords="robots")
        Subscription.objects.create(email="ADA@example.org".replace("ADA", "other"), categories="cs.LG")
    client.force_login(ada)
    data = json.loads(client.get("/account/export.json").content)
    assert data["profile"]["display_name"] == "Ada L."
    if Subscription is None:
        assert data["digestSubscriptions"] == []
    else:
        [subscription] = data["digestSubscriptions"]
        assert subscription["email"] == "ada@example.org" and subscription["categories"] == "cs.CL"
        assert "claimed_by" not in subscription
