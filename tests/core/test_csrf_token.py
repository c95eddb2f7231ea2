"""Our CSRF tokens (core.csrf_token, for stored pages) are Django's: the same shape, the same secret
behind them, accepted by CsrfViewMiddleware, with or without a cookie from before."""

from __future__ import annotations

import collections
import re

import pytest
from django.middleware.csrf import CSRF_ALLOWED_CHARS, _unmask_cipher_token
from django.middleware.csrf import get_token as django_get_token
from django.test import Client, RequestFactory

from dailypapers.core.csrf_token import _random_string, get_token


def test_a_new_reader_gets_a_secret_and_a_masked_token_of_it():
    request = RequestFactory().get("/")
    token = get_token(request)
    secret = request.META["CSRF_COOKIE"]
    assert re.fullmatch(r"[A-Za-z0-9]{64}", token) and re.fullmatch(r"[A-Za-z0-9]{32}", secret)
    assert _unmask_cipher_token(token) == secret and request.META["CSRF_COOKIE_NEEDS_UPDATE"]
    again = get_token(request)
    assert again != token and _unmask_cipher_token(again) == secret  # masked afresh, one secret
    assert _unmask_cipher_token(django_get_token(request)) == secret  # and Django agrees


def test_every_character_is_about_equally_likely():
    counts = collections.Counter("".join(_random_string() for _ in range(2000)))
    assert set(counts) == set(CSRF_ALLOWED_CHARS)
    expected = 2000 * 32 / len(CSRF_ALLOWED_CHARS)  # about 1,032 each
    assert all(0.8 * expected < n < 1.2 * expected for n in counts.values()), counts


@pytest.mark.django_db
def test_a_stored_pages_token_is_accepted_by_djangos_check(settings):
    """An anonymous reader served a stored page (with a new cookie, then with it) votes with the
    form's token: Django's CSRF check passes (sent to sign in, where a failed check is a 403)."""
    from django.core.cache import cache

    from tests.support.factories import add_paper

    settings.PAGE_CACHE_SECONDS = 60
    cache.clear()
    add_paper("2608.00001", "Attention for Robots", day=None)
    client = Client(enforce_csrf_checks=True)
    states = []
    for _ in range(3):  # a render, then the stored copy, with this reader's cookie
        page = client.get("/papers/2608.00001")
        states.append(page["X-Cache"])
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)
        vote = client.post("/papers/2608.00001/upvote", {"csrfmiddlewaretoken": token})
        assert vote.status_code == 302 and "/accounts/login" in vote["Location"]
    assert states == ["miss", "hit", "hit"]
    forged = client.post("/papers/2608.00001/upvote", {"csrfmiddlewaretoken": "x" * 64})
    assert forged.status_code == 403
    cache.clear()
