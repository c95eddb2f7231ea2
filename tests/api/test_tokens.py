"""API tokens: made and revoked on the account page (CSRF, sign-in), stored only as a hash, refused
when missing, wrong or revoked."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.template import engines
from django.test import Client, RequestFactory

from dailypapers.api.models import ApiToken, hash_token
from dailypapers.community.models import Comment, Upvote
from dailypapers.papers.models import Paper
from tests.support.factories import add_paper, add_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_limits(settings):
    settings.API_READ_RATE, settings.API_WRITE_RATE = "", ""
    settings.LOGIN_URL = "/sign-in/"  # wherever the accounts app puts it


def make_token(client: Client, name: str = "my bot") -> str:
    response = client.post("/account/api-tokens/new", {"name": name})
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    return re.search(r'value="(dp_[\w-]+)"', response.content.decode()).group(1)


def test_a_token_is_shown_once_and_stored_only_as_a_hash(client):
    ada = add_user("ada")
    client.force_login(ada)
    raw = make_token(client)
    token = ApiToken.objects.get(user=ada)
    assert token.name == "my bot" and token.token_hash == hash_token(raw) and raw not in token.token_hash
    assert token.prefix == raw[:10]
    assert ApiToken.objects.authenticate(raw) == token
    # The account page section lists it by name and prefix, never the token itself.
    request = RequestFactory().get("/account/")
    request.user = ada
    html = engines["django"].from_string('{% include "api/_account.html" %}').render({"user": ada}, request)
    assert "my bot" in html and token.prefix in html and raw not in html
    assert "csrfmiddlewaretoken" in html
    # ... which the account page itself shows, beside the data export.
    page = client.get("/account/").content.decode()
    assert 'id="api-tokens"' in page and token.prefix in page and raw not in page
    assert "/account/export.json" in page


def test_making_and_revoking_needs_a_signed_in_member_and_csrf(client):
    ada = add_user("ada")
    to_sign_in = client.post("/account/api-tokens/new", {"name": "x"})
    assert to_sign_in.status_code == 302 and to_sign_in["Location"].startswith("/sign-in/?next=")
    assert not ApiToken.objects.exists()
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(ada)
    assert strict.post("/account/api-tokens/new", {"name": "x"}).status_code == 403
    client.force_login(ada)
    assert client.get("/account/api-tokens/new").status_code == 405
    assert client.post("/account/api-tokens/new", {"name": ""}).status_code == 302
    assert not ApiToken.objects.exists()


def test_only_the_owner_revokes_and_a_revoked_token_is_refused(client):
    ada, bob = add_user("ada"), add_user("bob")
    add_paper("2608.00001", "P", day=dt.date(2026, 8, 20))
    client.force_login(ada)
    raw = make_token(client)
    token = ApiToken.objects.get()
    client.force_login(bob)
    assert client.post(f"/account/api-tokens/{token.pk}/revoke").status_code == 404
    assert ApiToken.objects.get().revoked_at is None
    client.force_login(ada)
    response = client.post(f"/account/api-tokens/{token.pk}/revoke", {"next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == "/account/"
    assert ApiToken.objects.get().revoked_at is not None
    anon = Client()
    refused = anon.post("/api/papers/2608.00001/upvote", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert refused.status_code == 401 and "not valid" in refused.json()["error"]
    assert ApiToken.objects.authenticate(raw) is None


@pytest.mark.parametrize(
    "header, message",
    [
        (None, "needs an API token"),
        ("Bearer ", "needs an API token"),
        ("Basic YWRhOnB3", "needs an API token"),
        ("Bearer dp_not-a-real-token", "not valid"),
        ("Bearer something-else", "not valid"),
    ],
)
def test_writes_without_a_valid_token_are_refused(header, message):
    add_paper("2608.00001", "P", day=dt.date(2026, 8, 20))
    client = Client(enforce_csrf_checks=True)
    extra = {"HTTP_AUTHORIZATION": header} if header else {}
    for url in ("/api/papers/submit", "/api/papers/2608.00001/upvote", "/api/papers/2608.00001/comments"):
        response = client.post(url, {"body": "hi", "id": "2608.00001"}, **extra)
        assert response.status_code == 401, url
        assert response["WWW-Authenticate"] == 'Bearer realm="api"'
        assert message in response.json()["error"]
    assert not Upvote.objects.exists() and not Comment.objects.exists()


def test_a_signed_in_session_is_not_an_api_credential(client):
    ada = add_user("ada")
    add_paper("2608.00001", "P", day=dt.date(2026, 8, 20))
    client.force_login(ada)
    response = client.post("/api/papers/2608.00001/upvote")
    assert response.status_code == 401
    assert Paper.objects.get().upvote_count == 0


def test_a_disabled_members_tokens_stop_working(client):
    ada = add_user("ada")
    client.force_login(ada)
    raw = make_token(client)
    ada.is_active = False
    ada.save()
    assert ApiToken.objects.authenticate(raw) is None
