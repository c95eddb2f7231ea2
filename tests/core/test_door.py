"""The WSGI door (core.door): a fresh shared copy answered again before Django's handler runs, with
the same status, headers and body Django gives, each API read counted exactly once whichever of the
two answers it, and everything else left to Django."""

from __future__ import annotations

import datetime as dt
import gzip
from dataclasses import dataclass

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import OperationalError, close_old_connections
from django.test import RequestFactory

from dailypapers import wsgi
from dailypapers.core import door, pagecache
from tests.support.factories import add_paper
from tests.support.redis_server import redis_server

FEED = "/api/daily_papers?limit=5"
PAPER = "/api/papers/2608.00001"
RSS = "/feeds/daily.rss"


@dataclass
class Answer:
    status: int
    headers: dict[str, str]  # by lower-case name
    body: bytes
    by_door: bool

    def __getitem__(self, name: str) -> str:
        return self.headers[name.lower()]


@pytest.fixture
def site(db, settings, monkeypatch):
    settings.PAGE_CACHE_SECONDS = 60
    settings.API_READ_RATE = "1000/m"
    cache.clear()
    for n in range(1, 4):
        add_paper(f"2608.0000{n}", f"Attention for Robots, part {n}", day=dt.date(2026, 8, 18))
    calls = []
    real = wsgi._django
    monkeypatch.setattr(wsgi, "_django", lambda environ, start: calls.append(environ) or real(environ, start))

    def get(address: str, drop: str = "", **headers: str) -> Answer:
        environ = RequestFactory().get(address, **headers).environ
        environ.pop(drop, None)
        before = len(calls)
        started = {}
        # As Django's test client: the test's transaction holds the connection open across requests.
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        try:
            body = b"".join(
                wsgi.application(environ, lambda status, pairs, exc=None: started.update(s=status, h=pairs))
            )
        finally:
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)
        return Answer(
            int(started["s"][:3]), {k.lower(): v for k, v in started["h"]}, body, len(calls) == before
        )

    yield get
    cache.clear()


def test_the_middleware_above_the_shared_copies_is_the_one_the_door_was_checked_against():
    """The door replays what this middleware added to an answer, for requests with the same
    signature: none of it may vary with a request header the signature leaves out. Adding one
    above SharedPageMiddleware means checking it against core.door, then adding it here."""
    shared = django_settings.MIDDLEWARE.index("dailypapers.core.pagecache.SharedPageMiddleware")
    assert django_settings.MIDDLEWARE[:shared] == [
        "django.middleware.security.SecurityMiddleware",
        "dailypapers.front.security.ContentSecurityPolicyMiddleware",
        "whitenoise.middleware.WhiteNoiseMiddleware",
        "dailypapers.core.user_text.RefuseBadInput",
        "dailypapers.core.db_unavailable.DatabaseUnavailableMiddleware",
    ]


@pytest.mark.parametrize("address", [FEED, PAPER, RSS])
@pytest.mark.parametrize("coding", ["", "gzip, deflate"])
def test_the_doors_answer_is_djangos_own(site, address, coding):
    extra = {"HTTP_ACCEPT_ENCODING": coding} if coding else {}
    rendered, recorded, served = (site(address, **extra) for _ in range(3))
    assert [a.by_door for a in (rendered, recorded, served)] == [False, False, True]
    assert (rendered["X-Cache"], recorded["X-Cache"], served["X-Cache"]) == ("miss", "hit", "hit")
    assert served.status == recorded.status == 200 and served.body == recorded.body == rendered.body
    if coding and address != PAPER:  # (a paper's answer is too short to be worth compressing)
        assert served["Content-Encoding"] == "gzip" and "Accept-Encoding" in served["Vary"]
        assert b"Attention for Robots" in gzip.decompress(served.body)
    counted = "x-ratelimit-remaining"
    assert {k: v for k, v in served.headers.items() if k != counted} == {
        k: v for k, v in recorded.headers.items() if k != counted
    }
    for header in ("Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options", "ETag"):
        assert served[header], header
    if address != RSS:
        assert int(served[counted]) == int(recorded[counted]) - 1 == int(rendered[counted]) - 2


def test_each_read_counts_once_whichever_answers_it(site, settings, django_capture_on_commit_callbacks):
    settings.API_READ_RATE = "6/m"
    answers = [site(PAPER) for _ in range(3)]
    assert [(a.by_door, a["X-RateLimit-Remaining"]) for a in answers] == [
        (False, "5"),
        (False, "4"),
        (True, "3"),
    ]
    # The copy's stamps move: the door counts the read, finds the copy stale and leaves the read to
    # Django, which renders the copy anew and does not count it a second time.
    with django_capture_on_commit_callbacks(execute=True):  # PostgreSQL moves stamps on commit
        pagecache.bump()
    renewed = site(PAPER)
    assert (renewed.by_door, renewed["X-Cache"], renewed["X-RateLimit-Remaining"]) == (False, "miss", "2")
    again = [site(PAPER) for _ in range(3)]
    assert [(a.by_door, a.status, a.headers.get("x-ratelimit-remaining")) for a in again] == [
        (True, 200, "1"),  # the new copy is the same answer (its ETag): the door serves it
        (True, 200, "0"),
        (False, 429, "0"),  # counted at the door, refused: Django's gate answers, from that count
    ]
    refused = again[2]
    assert 1 <= int(refused["Retry-After"]) <= 60 and refused["Access-Control-Allow-Origin"] == "*"
    assert b"Too many requests" in refused.body
    # Another client has its own allowance, and the door serves it.
    other = site(PAPER, REMOTE_ADDR="10.1.2.3")
    assert (other.by_door, other.status, other["X-RateLimit-Remaining"]) == (True, 200, "5")


@pytest.mark.parametrize(
    "headers",
    [
        {"HTTP_IF_NONE_MATCH": '"nothing"'},
        {"HTTP_IF_MODIFIED_SINCE": "Mon, 30 Nov 2026 10:00:00 GMT"},
        {"HTTP_COOKIE": "sessionid=abc"},
        {"HTTP_COOKIE": "messages=abc"},
    ],
)
def test_conditional_reads_and_readers_with_a_session_go_to_django(site, settings, headers):
    settings.API_READ_RATE = "10/m"
    for _ in range(2):
        site(FEED, **headers)
    answer = site(FEED, **headers)
    assert not answer.by_door and answer.status == 200 and answer["X-RateLimit-Remaining"] == "7"


def test_a_304_is_djangos_and_counts_once(site, settings):
    settings.API_READ_RATE = "10/m"
    etag = [site(FEED) for _ in range(3)][-1]["ETag"]
    same = site(FEED, HTTP_IF_NONE_MATCH=etag)
    assert (same.by_door, same.status, same["X-RateLimit-Remaining"]) == (False, 304, "6")


def test_a_head_goes_to_django(site):
    site(FEED), site(FEED)
    assert site(FEED).by_door
    assert door.signature(RequestFactory().head(FEED).environ) is None


def test_an_environ_django_completes_is_signed_as_the_server_sent_it(site):
    """Django's handler fills in what a server may leave out (SCRIPT_NAME): the answer is recorded
    under the request as it came, or the next one, sent the same way, would never match it."""
    answers = [site(FEED, drop="SCRIPT_NAME") for _ in range(3)]
    assert [a.by_door for a in answers] == [False, False, True]


def test_another_host_scheme_or_coding_is_recorded_apart(site):
    site(FEED), site(FEED)
    for headers in (
        {"HTTP_HOST": "localhost"},
        {"HTTP_X_FORWARDED_PROTO": "https"},
        {"wsgi.url_scheme": "https"},
        {"HTTP_ACCEPT_ENCODING": "gzip"},
        {"QUERY_STRING": "limit=6"},
    ):
        assert not site(FEED, **headers).by_door, headers
    assert site(FEED).by_door


def test_a_database_error_at_the_door_leaves_the_read_to_django(site, settings, monkeypatch):
    settings.API_READ_RATE = "10/m"
    site(FEED), site(FEED)
    real = pagecache.shared_copy
    failures = []

    def fails_once(request, key):
        if not failures:
            failures.append(key)
            raise OperationalError("the server closed the connection unexpectedly")
        return real(request, key)

    monkeypatch.setattr(pagecache, "shared_copy", fails_once)
    answer = site(FEED)
    assert failures and not answer.by_door
    assert (answer.status, answer["X-RateLimit-Remaining"]) == (200, "7")
    assert site(FEED).by_door


def test_with_redis_the_door_counts_exactly_too(site, settings):
    with redis_server() as (url, _):
        settings.CACHES = {
            "default": {"BACKEND": "dailypapers.core.cache.TolerantRedisCache", "LOCATION": url}
        }
        settings.API_READ_RATE = "4/m"
        answers = [site(FEED) for _ in range(5)]
        assert [(a.by_door, a.status, a["X-RateLimit-Remaining"]) for a in answers] == [
            (False, 200, "3"),
            (False, 200, "2"),
            (True, 200, "1"),
            (True, 200, "0"),
            (False, 429, "0"),
        ]


def test_a_copy_renewed_with_other_content_is_never_answered_from_the_old_record(
    site, django_capture_on_commit_callbacks
):
    assert [site(FEED).by_door for _ in range(3)] == [False, False, True]
    with django_capture_on_commit_callbacks(execute=True):  # PostgreSQL moves stamps on commit
        add_paper("2608.00009", "Quokkas in the wild", day=dt.date(2026, 8, 18))
    answers = [site(FEED) for _ in range(3)]
    assert [(a.by_door, a["X-Cache"]) for a in answers] == [(False, "miss"), (False, "hit"), (True, "hit")]
    assert all(b"Quokkas in the wild" in a.body for a in answers)
    assert answers[2]["ETag"] == answers[1]["ETag"] == answers[0]["ETag"]


def test_the_door_keeps_a_bounded_number_of_answers(site, monkeypatch):
    """One recorded answer per signature, the oldest recorded forgotten first: a client asking for
    endless addresses (each a copy of its own) never grows a process past the bound."""
    monkeypatch.setattr(door, "MAX_RECORDED", 2)
    for limit in (3, 4, 5):
        site(f"/api/daily_papers?limit={limit}"), site(f"/api/daily_papers?limit={limit}")
    assert len(door._recorded) == 2
    assert not site("/api/daily_papers?limit=3").by_door
    assert site("/api/daily_papers?limit=5").by_door
