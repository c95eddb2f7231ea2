"""Limits and the API-token cap hold exactly under parallel clients, end to end: the real server
(granian, four worker processes of four threads) on the run's database, with small limits set in
its environment; and two such nodes counting in one Redis. Each test fires its requests together
from many threads and counts the answers; every 429 says when to come back (Retry-After)."""

from __future__ import annotations

import http.cookies
import re
import textwrap
import threading
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from email.message import Message

import pytest

from tests.support.redis_server import redis_server
from tests.support.served import Served, prepared_site, serve, server_database

LIMIT = 20  # API reads and writes per minute, in the served site's environment
LOGIN_LIMIT = 5  # failed sign-ins per account name
MAX_TOKENS = 10
PASSWORD = "a long and unusual passphrase"
PARALLEL = 32

SEED = textwrap.dedent(
    f"""
    from django.contrib.auth import get_user_model
    from dailypapers.accounts.models import Profile
    from dailypapers.api.models import ApiToken
    for name in ("ada", "bob", "eve"):
        user = get_user_model().objects.create_user(name, name + "@example.org", {PASSWORD!r})
        Profile.objects.create(user=user, email_verified=True)
    print(ApiToken.issue(user, "writer")[1])
    """
)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    home = tmp_path_factory.mktemp("served-limits")
    with pytest.MonkeyPatch.context() as patch:
        for name, value in {
            "API_READ_RATE": f"{LIMIT}/m",
            "API_WRITE_RATE": f"{LIMIT}/m",
            "LOGIN_RATE": f"{LOGIN_LIMIT}/15m",
            "LOGIN_RATE_PER_ADDRESS": "1000/15m",  # every client here is 127.0.0.1
            "API_MAX_TOKENS": str(MAX_TOKENS),
        }.items():
            patch.setenv(f"DAILYPAPERS_{name}", value)
        with prepared_site(home, "--workers", "4", "--threads", "4", demo=False) as served:
            served.token = served.command("shell", "-c", SEED).split()[-1]
            yield served


def request(
    url: str, data: dict[str, str] | None = None, headers: dict[str, str] | None = None
) -> tuple[int, Message, str]:
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    req = urllib.request.Request(url, data=body, headers=headers or {})
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(req, timeout=60) as response:
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read().decode()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a 302 is an answer to count, not to follow


def together(count: int, call) -> list[tuple[int, Message, str]]:
    """`call()` from `count` threads at once."""
    barrier = threading.Barrier(count)

    def one(_):
        barrier.wait()
        return call()

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(one, range(count)))


def statuses(answers) -> dict[int, int]:
    counts: dict[int, int] = {}
    for status, headers, _ in answers:
        counts[status] = counts.get(status, 0) + 1
        if status == 429:
            assert 1 <= int(headers["Retry-After"]) <= 15 * 60, headers
    return counts


class Browser:
    """A browser's cookies and CSRF token, shared by the parallel requests of one member."""

    def __init__(self, site: Served) -> None:
        self.site = site
        status, headers, page = request(site.url + "/accounts/login")
        assert status == 200
        self.cookies = {"csrftoken": _cookie(headers, "csrftoken")}
        self.csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)

    def post(self, path: str, data: dict[str, str]) -> tuple[int, Message, str]:
        cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        return request(
            self.site.url + path,
            {**data, "csrfmiddlewaretoken": self.csrf},
            {"Cookie": cookie, "Referer": self.site.url + path},
        )

    def sign_in(self, username: str, password: str) -> int:
        status, headers, _ = self.post("/accounts/login", {"username": username, "password": password})
        if status == 302:
            self.cookies["sessionid"] = _cookie(headers, "sessionid")
        return status


def _cookie(headers: Message, name: str) -> str:
    jar = http.cookies.SimpleCookie()
    for value in headers.get_all("Set-Cookie") or []:
        jar.load(value)
    return jar[name].value


def test_api_reads_are_limited_exactly(site):
    answers = together(PARALLEL * 2, lambda: request(site.url + "/api/daily_papers"))
    assert statuses(answers) == {200: LIMIT, 429: PARALLEL * 2 - LIMIT}


def test_api_writes_are_limited_exactly(site):
    auth = {"Authorization": f"Bearer {site.token}"}
    # An upvote for a paper the site does not have: a 404, but a write that counts all the same.
    answers = together(
        PARALLEL * 2, lambda: request(site.url + "/api/papers/2401.00001/upvote", {"on": "1"}, auth)
    )
    assert statuses(answers) == {404: LIMIT, 429: PARALLEL * 2 - LIMIT}


def test_sign_in_guesses_are_limited_exactly(site):
    guesser = Browser(site)
    answers = together(
        PARALLEL, lambda: guesser.post("/accounts/login", {"username": "ada", "password": "x"})
    )
    # Exactly LOGIN_LIMIT guesses were checked; the rest were refused before any password check.
    assert statuses(answers) == {200: LOGIN_LIMIT, 429: PARALLEL - LOGIN_LIMIT}
    assert Browser(site).sign_in("ada", PASSWORD) == 429  # the right password waits its turn too
    assert Browser(site).sign_in("eve", PASSWORD) == 302  # another name is untouched


def test_the_token_cap_holds_under_parallel_requests(site):
    member = Browser(site)
    assert member.sign_in("bob", PASSWORD) == 302
    answers = together(PARALLEL, lambda: member.post("/account/api-tokens/new", {"name": "bot"}))
    # A new token is shown on its own page (200); past the cap, the member is sent back (302).
    assert statuses(answers) == {200: MAX_TOKENS, 302: PARALLEL - MAX_TOKENS}
    raw = {re.search(r"dp_[\w-]{20,}", body).group(0) for status, _, body in answers if status == 200}
    assert len(raw) == MAX_TOKENS
    # The account page lists exactly that many, each with its revoke button.
    cookie = {"Cookie": f"sessionid={member.cookies['sessionid']}"}
    status, _, page = request(site.url + "/account/", headers=cookie)
    assert status == 200 and len(re.findall(r'action="/account/api-tokens/\d+/revoke"', page)) == MAX_TOKENS


def test_api_reads_are_limited_exactly_across_nodes_sharing_redis(tmp_path):
    """Two servers of two workers each, as two nodes would be, counting in one Redis
    (DAILYPAPERS_CACHE_URL): one client's reads through both at once are served exactly LIMIT times,
    and another client's reads in the same burst are all served. (They share a home only so that
    the second one starts without migrating a database of its own.)"""
    env = {
        "DAILYPAPERS_API_READ_RATE": f"{LIMIT}/m",
        "DAILYPAPERS_CLIENT_IP_HEADER": "HTTP_X_FORWARDED_FOR",  # one address per client below
    }
    with redis_server() as (redis_url, _), server_database() as database_url:
        env["DAILYPAPERS_CACHE_URL"] = redis_url
        with (
            serve(tmp_path / "a", database_url, "--no-demo", "--workers", "2", env=env) as first,
            serve(tmp_path / "a", database_url, "--no-demo", "--workers", "2", env=env) as second,
        ):
            calls = [(node.url, "203.0.113.7") for node in (first, second)] * PARALLEL
            calls += [(node.url, "198.51.100.9") for node in (first, second)] * (LIMIT // 4)
            barrier = threading.Barrier(len(calls))

            def read(call: tuple[str, str]) -> tuple[str, tuple[int, Message, str]]:
                url, address = call
                barrier.wait()
                return address, request(url + "/api/daily_papers", headers={"X-Forwarded-For": address})

            with ThreadPoolExecutor(len(calls)) as pool:
                answers = list(pool.map(read, calls))
    crowd = statuses([answer for address, answer in answers if address == "203.0.113.7"])
    assert crowd == {200: LIMIT, 429: PARALLEL * 2 - LIMIT}
    assert statuses([answer for address, answer in answers if address == "198.51.100.9"]) == {200: LIMIT // 2}
