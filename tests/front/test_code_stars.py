"""Code and stars on the pages: the paper page's code badge, /papers/trending?sort=stars ranked by the
stars gained over TRENDING_STAR_DAYS (with each card's "Why here?"), and its formula on /about/ranking."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from dailypapers.papers.models import CodeRepository, Paper, StarCount
from dailypapers.papers.periods import feed_day
from tests.support.factories import add_paper

pytestmark = pytest.mark.django_db


def history(url: str, counts: dict[int, int]) -> None:
    """Daily star counts of a repository, by how many days ago; the papers show the latest."""
    today = timezone.now().date()
    repo = CodeRepository.objects.create(url=url, next_check_at=timezone.now(), stars=counts[min(counts)])
    for days_ago, stars in counts.items():
        StarCount.objects.create(repository=repo, day=today - dt.timedelta(days=days_ago), stars=stars)
    Paper.objects.filter(github_repo=url).update(github_stars=counts[min(counts)])


@pytest.fixture
def papers():
    day = feed_day()  # the site's today (arXiv's), not the UTC date: they differ in the evening
    add_paper("2608.00001", "Steady giant", day, votes=50, github_repo="https://github.com/a/giant")
    add_paper("2608.00002", "Rising star", day, votes=1, abstract="Code: https://github.com/b/rising.")
    add_paper("2608.00003", "New here", day, votes=2, github_repo="https://github.com/c/new")
    add_paper("2608.00004", "No code", day, votes=99)
    history("https://github.com/a/giant", {10: 5000, 7: 5100, 0: 5110})  # +10 in 7 days
    history("https://github.com/b/rising", {8: 100, 3: 120, 0: 1234})  # +1134
    history("https://github.com/c/new", {2: 40, 0: 70})  # followed 2 days: +30


def titles(html: str) -> list[str]:
    return re.findall(r'class="card-title" id="t-\d+"><a href="[^"]*">([^<]*)</a>', html)


def test_trending_by_stars(client, papers):
    html = client.get("/papers/trending?sort=stars").content.decode()
    assert titles(html) == ["Rising star", "New here", "Steady giant"]  # no code: not ranked
    assert "+1,134 in 7 days (1,234 now, 100 then)" in html
    assert "+30 in 7 days (70 now, 40 then)" in html and "+10 in 7 days (5,110 now, 5,100 then)" in html
    assert 'href="?sort=stars" aria-current="true"' in html
    # Each card's "Why here?" leads to the part of /about/ranking that explains this sort.
    assert html.count('<a href="/about/ranking#stars">How ranking works</a>') == 3
    # The score's order is unchanged, and both are offered.
    html = client.get("/papers/trending").content.decode()
    assert titles(html)[0] == "No code" and 'href="?sort=trending" aria-current="true"' in html
    assert '<a href="/about/ranking#trending">How ranking works</a>' in html
    assert client.get("/papers/trending?sort=nonsense").status_code == 200


def test_the_paper_page_shows_the_stars(client, papers):
    html = client.get("/papers/2608.00002").content.decode()
    assert (
        '<a class="code-badge button" href="https://github.com/b/rising" rel="noopener nofollow" '
        'title="1,234 stars on GitHub">Code ★ 1.2k</a>'
    ) in html
    # Cards too, on the feed.
    assert "Code ★ 1.2k</a>" in client.get("/").content.decode()


def test_the_formula_is_explained(client, settings):
    settings.TRENDING_STAR_DAYS = 5
    html = client.get("/about/ranking").content.decode()
    assert 'id="stars"' in html and "star growth = stars today − stars 5 days ago" in html
