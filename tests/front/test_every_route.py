"""Every route, every URL parameter: whatever a stranger puts in the address bar gets an answer (at worst
a 404 or a 400), never a 500; and under /api/ every error is JSON.

The routes come from the URL resolver, so a new route is fuzzed as soon as it exists. Hypothesis draws
each path parameter from what the route's pattern accepts and from values that reach the edges: dates
across the whole calendar, ISO weeks and months, arXiv ids, junk text in any script, very long strings
and NUL characters. Query parameters come from the names the views read.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from urllib.parse import quote, urlencode

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from hypothesis import HealthCheck, example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from tests.support.factories import add_paper, add_user

# The query parameters the views read (request.GET and the search form's fields); add new ones here.
QUERY_NAMES = [
    "sort", "page", "p", "q", "date", "week", "month", "since", "until", "limit", "offset", "cursor",
    "category", "code", "has_code", "submitter", "similar_to", "s", "c", "paper", "next", "tag",
]  # fmt: skip

# Values that name real rows of the catalogue below, so that some requests get past "not found".
KNOWN = ["2608.00001", "2608.00001v1", "ada", "cs.CL", "2026-08-20", "2026-W34", "2026-08", "votes", "new"]
# The ends of the calendar: the first and last days, weeks and months Python's dates can hold, and past.
CALENDAR_EDGES = [
    "0001-01-01", "0001-W01", "0001-01", "9999-12-31", "9999-W51", "9999-W52", "9999-W53", "9999-12",
    "0000-01-01", "0000-W01", "0000-00", "10000-01-01",
]  # fmt: skip
ARXIV_IDS = r"(arXiv:)?[0-9]{4}\.[0-9]{4,5}(v[0-9]{1,3})?|[a-z-]{2,12}(\.[A-Z]{2})?/[0-9]{7}(v[0-9])?"


@dataclass(frozen=True)
class Route:
    name: str
    pieces: tuple[str | tuple[str, str], ...]  # regex text between parameters, and (name, regex) of each


def _bare(regex: str) -> str:
    """A pattern's regex without its anchors: Django joins an include's prefix and its routes."""
    return re.sub(r"(\$|\\Z)$", "", regex.lstrip("^"))


def _group_end(regex: str, start: int) -> int:
    """The index of the parenthesis that closes the group whose body starts at `start`."""
    depth, i, in_class = 1, start, False
    while True:
        char = regex[i]
        if char == "\\":
            i += 1
        elif in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return i
        i += 1


def _pieces(regex: str) -> tuple[str | tuple[str, str], ...]:
    pieces: list[str | tuple[str, str]] = []
    position = 0
    for match in re.finditer(r"\(\?P<(\w+)>", regex):
        if match.start() < position:
            continue  # a group inside a parameter's own pattern
        end = _group_end(regex, match.end())
        pieces += [regex[position : match.start()], (match[1], regex[match.end() : end])]
        position = end + 1
    return (*pieces, regex[position:])


def _routes(resolver: URLResolver, prefix: str = "") -> list[Route]:
    routes = []
    for entry in resolver.url_patterns:
        regex = prefix + _bare(entry.pattern.regex.pattern)
        if isinstance(entry, URLResolver):
            # Django's admin is Django's own, and it sends anyone but staff to its sign-in page
            # before it reads a parameter.
            if entry.namespace != "admin":
                routes += _routes(entry, regex)
        elif isinstance(entry, URLPattern):
            name = entry.name or entry.lookup_str.rsplit(".", 1)[-1]
            routes.append(Route(f"{name}:{regex}", _pieces(regex)))
    return routes


ROUTES = _routes(get_resolver())

edge_values = st.one_of(
    st.sampled_from(KNOWN + CALENDAR_EDGES),
    st.dates().map(dt.date.isoformat),  # 0001-01-01 to 9999-12-31
    st.builds("{:04d}-W{:02d}".format, st.integers(0, 9999), st.integers(0, 54)),
    st.builds("{:04d}-{:02d}".format, st.integers(0, 9999), st.integers(0, 13)),
    st.from_regex(ARXIV_IDS, fullmatch=True),
    st.text(max_size=40),
    st.builds(lambda text, times: text * times, st.text(min_size=1, max_size=4), st.integers(1000, 5000)),
    st.sampled_from(
        ["\x00", "%00", "a\x00b", " ", "%", "%zz", "..", "\n", "'", '"<b>', "-1", "1e9", "99" * 30]
    ),
)
query_values = st.one_of(edge_values, st.integers(-5, 10**6).map(str), st.just(""))
queries = st.dictionaries(st.sampled_from(QUERY_NAMES), query_values, max_size=4)


def _path(draw, route: Route) -> str:
    parts = []
    for piece in route.pieces:
        if isinstance(piece, tuple):
            _, regex = piece
            value = draw(st.one_of(st.from_regex(regex, fullmatch=True), edge_values))
            parts.append(quote(value, safe=""))
        elif piece:
            parts.append(draw(st.from_regex(piece, fullmatch=True)))
    return "/" + "".join(parts)


@pytest.fixture
def catalogue(db, settings):
    settings.API_READ_RATE = ""  # a rate limit would answer most requests with its 429
    add_paper("2608.00001", "A listed paper", day=dt.date(2026, 8, 20), votes=3, categories=["cs.CL"])
    add_paper("2608.00002", "An unlisted paper", categories=["cs.LG"])
    add_user("ada")


@pytest.fixture
def visitors(catalogue) -> list[Client]:
    """A reader, and a signed-in member (who gets past the sign-in page to the views behind it)."""
    member = Client()
    member.force_login(add_user("member"))
    return [Client(), member]


@pytest.mark.parametrize("route", ROUTES, ids=lambda route: route.name)
@hypothesis_settings(
    max_examples=12,
    deadline=None,
    derandomize=True,  # the same examples on every run: a failure is one anyone can replay
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_no_url_gets_a_server_error(route, visitors, data):
    path = _path(data.draw, route)
    query = data.draw(queries)
    url = f"{path}?{urlencode(query, quote_via=quote)}" if query else path
    response = data.draw(st.sampled_from(visitors)).get(url)
    assert response.status_code < 500, url
    if path.startswith("/api/") and response.status_code >= 400:
        assert response["Content-Type"].startswith("application/json"), url
        assert "error" in json.loads(response.content), url


# The views that read a date, week or month from the query string, and the names they read it as.
DATE_QUERIES = {
    "api:daily-papers": ("date", "week", "month", "since", "until"),
    "api:papers": ("since", "until"),
    "api:search": ("since", "until"),
    "search:search": ("since", "until"),
}


def _calendar_urls(day: dt.date) -> list[str]:
    """Every address that takes a date, a week or a month (a route parameter whose pattern wants one,
    or a query string that reads one), for `day`, its ISO week and its month."""
    iso_year, week, _ = day.isocalendar()
    slugs = [day.isoformat(), f"{iso_year:04d}-W{week:02d}", f"{day.year:04d}-{day.month:02d}"]
    urls = []
    for route in ROUTES:
        for slug in slugs:
            values = [_calendar_value(piece, slug) for piece in route.pieces if isinstance(piece, tuple)]
            if slug in values and None not in values:
                urls.append("/" + "".join(_fill(route, values)))
    for name, params in DATE_QUERIES.items():
        urls += [f"{reverse(name)}?q=paper&{param}={slug}" for param in params for slug in slugs]
    return urls


def _calendar_value(parameter: tuple[str, str], slug: str) -> str | None:
    _, regex = parameter
    if re.fullmatch(regex, slug) and not re.fullmatch(regex, "x"):  # it wants a date, not any text
        return slug
    return "rss" if re.fullmatch(regex, "rss") else None


def _fill(route: Route, values: list[str]) -> list[str]:
    remaining = iter(values)
    return [
        next(remaining) if isinstance(piece, tuple) else piece.replace("\\", "").replace("/?", "")
        for piece in route.pieces
    ]


@hypothesis_settings(
    max_examples=10,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(day=st.dates())
@example(day=dt.date.min)
@example(day=dt.date.max)  # its week, 9999-W52, would end in the year 10000
@example(day=dt.date(9999, 12, 27))
def test_every_day_week_and_month_of_the_calendar_has_an_answer(visitors, day):
    for url in _calendar_urls(day):
        response = visitors[0].get(url)
        assert response.status_code < 500, url
        if url.startswith("/api/") and response.status_code >= 400:
            assert "error" in json.loads(response.content), url
