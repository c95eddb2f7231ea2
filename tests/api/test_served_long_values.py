"""Over-long values through the real server (`dailypapers serve`, granian, in a subprocess): every
value in an address the server passes on (up to 64 KB) reaches the API, which answers with its JSON
error naming it; past that the server answers 414 itself, and nothing reaches the site."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from dailypapers.front.management.commands.serve import MAX_ADDRESS_BYTES
from tests.support.served import prepared_site

SIZES = {"20 KB": 20_000, "60 KB": 60_000}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    home = tmp_path_factory.mktemp("long-values")
    with prepared_site(home, demo=False) as served:
        yield served


def get(url: str) -> tuple[int, str, str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.headers["Content-Type"], response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers["Content-Type"], exc.read().decode()


@pytest.mark.parametrize("size", SIZES.values(), ids=SIZES.keys())
@pytest.mark.parametrize(
    "path, name",
    [
        ("/api/papers/search?q=", "q"),
        ("/api/daily_papers?submitter=", "submitter"),
        ("/api/papers?cursor=", "cursor"),
        ("/api/papers/", "The paper id"),
        ("/api/papers/{}/similar", "The paper id"),
    ],
)
def test_an_over_long_value_gets_the_api_json_error(site, path, name, size):
    value = "x" * size
    url = site.url + (path.format(value) if "{}" in path else path + value)
    status, content_type, body = get(url)
    assert status == 400 and content_type == "application/json", (status, body[:200])
    assert json.loads(body) == {"error": f"{name} is {size:,} characters long; the API reads at most 2,000."}


def test_an_over_long_search_is_refused_by_its_own_bound(site):
    status, _, body = get(site.url + "/api/papers/search?q=" + "word%20" * 300)
    assert status == 400 and json.loads(body) == {
        "error": "q is 1,499 characters long; a search reads at most 1,000."
    }


def test_an_over_long_id_for_the_markdown_page_is_a_plain_404(site):
    status, content_type, body = get(site.url + "/papers/" + "x" * 20_000 + ".md")
    assert status == 404 and content_type.startswith("text/plain") and "is not an arXiv id" in body


def test_an_address_past_the_servers_limit_is_a_414(site):
    """Nothing behind it is reached; the address as the limit allows still is."""
    status, _, _ = get(site.url + "/api/papers/search?q=" + "x" * MAX_ADDRESS_BYTES)
    assert status == 414
    status, _, body = get(site.url + "/api/papers/search?q=" + "x" * (MAX_ADDRESS_BYTES - 1_000))
    assert status == 400 and "characters long" in json.loads(body)["error"]
