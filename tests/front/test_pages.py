"""Feed pages, paper pages, redirects and the 404 page, rendered through Django's test client."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from dailypapers.papers.models import Listing, Paper
from tests.support.factories import add_paper

pytestmark = pytest.mark.django_db
MON, WED, FRI = dt.date(2026, 8, 17), dt.date(2026, 8, 19), dt.date(2026, 8, 21)


@pytest.fixture
def feed():
    add_paper("2608.00001", "Monday paper", MON, votes=5)
    add_paper("2608.00002", "Wednesday paper", WED, votes=7)
    add_paper("2608.00003", "Friday underdog", FRI, votes=2)
    add_paper(
        "2608.00004",
        "Friday favourite",
        FRI,
        votes=40,
        github_repo="https://github.com/o/r",
        project_page="https://example.org/p",
        github_stars=12,
    )
    add_paper("2607.00005", "July paper", dt.date(2026, 7, 27), votes=1)


def titles(html: str) -> list[str]:
    return re.findall(r'<h2 class="card-title" id="t-\d+"><a href="[^"]+">([^<]+)</a>', html)


def test_home_is_the_latest_day_ranked_by_votes(client, feed):
    response = client.get("/")
    html = response.content.decode()
    assert response.status_code == 200
    assert titles(html) == ["Friday favourite", "Friday underdog"]
    assert "Friday, August 21, 2026" in html
    assert '<link rel="canonical" href="/papers/date/2026-08-21">' in html


def test_empty_site_explains_itself(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "No papers yet" in response.content.decode()


def test_previous_and_next_skip_empty_days(client, feed):
    html = client.get("/papers/date/2026-08-21").content.decode()
    assert 'rel="prev" href="/papers/date/2026-08-19"' in html
    assert 'rel="next"' not in html
    html = client.get("/papers/date/2026-08-19").content.decode()
    assert 'rel="prev" href="/papers/date/2026-08-17"' in html
    assert 'rel="next" href="/papers/date/2026-08-21"' in html


def test_a_day_without_papers_points_to_its_neighbours(client, feed):
    response = client.get("/papers/date/2026-08-20")
    html = response.content.decode()
    assert response.status_code == 200
    assert "No papers on this day" in html
    assert 'href="/papers/date/2026-08-19"' in html and 'href="/papers/date/2026-08-21"' in html


def test_week_ranks_the_whole_week_and_skips_empty_weeks(client, feed):
    html = client.get("/papers/week/2026-W34").content.decode()
    assert titles(html) == ["Friday favourite", "Wednesday paper", "Monday paper", "Friday underdog"]
    assert 'rel="prev" href="/papers/week/2026-W31"' in html
    assert "Aug 17 – Aug 23, 2026" in html


def test_month_and_latest_redirects(client, feed):
    html = client.get("/papers/month/2026-08").content.decode()
    assert len(titles(html)) == 4 and 'rel="prev" href="/papers/month/2026-07"' in html
    assert client.get("/papers/week").url == "/papers/week/2026-W34"
    assert client.get("/papers/month").url == "/papers/month/2026-08"


def test_sort_by_newest(client, feed):
    Listing.objects.filter(paper__arxiv_id="2608.00003").update(
        submitted_at=dt.datetime(2026, 8, 21, 12, tzinfo=dt.UTC)
    )
    html = client.get("/papers/date/2026-08-21?sort=new").content.decode()
    assert titles(html) == ["Friday underdog", "Friday favourite"]
    assert titles(client.get("/papers/date/2026-08-21?sort=bogus").content.decode())[0] == "Friday favourite"


def test_pages_of_a_long_feed(client, feed, settings):
    settings.PAPERS_PER_PAGE = 2
    first = client.get("/papers/week/2026-W34").content.decode()
    second = client.get("/papers/week/2026-W34?page=2").content.decode()
    assert titles(first) == ["Friday favourite", "Wednesday paper"]
    assert titles(second) == ["Monday paper", "Friday underdog"]
    assert '<ol class="cards" start="3">' in second
    assert client.get("/papers/week/2026-W34?page=999").status_code == 200


@pytest.mark.parametrize(
    "url",
    [
        "/papers/date/2026-02-30",
        "/papers/week/2026-W60",
        "/papers/month/2026-13",
        "/papers/week/9999-W52",  # a real ISO week, but it ends in the year 10000
        "/papers/not-an-id",
        "/no/such/page",
    ],
)
def test_friendly_404(client, feed, url):
    response = client.get(url)
    assert response.status_code == 404
    html = response.content.decode()
    assert "Go to today’s papers" in html and "Traceback" not in html


@pytest.mark.parametrize(
    "url",
    [
        "/papers/date/0001-01-01",
        "/papers/week/0001-W01",
        "/papers/month/0001-01",
        "/papers/date/9999-12-31",
        "/papers/week/9999-W51",
        "/papers/month/9999-12",
    ],
)
def test_the_first_and_last_days_of_the_calendar_are_empty_feeds(client, feed, url):
    response = client.get(url)
    assert response.status_code == 200
    assert "No papers" in response.content.decode()


def test_a_neighbour_past_the_calendar_is_left_out(client):
    last_day = dt.date(9999, 12, 31)  # its week, 9999-W52, would end in the year 10000
    add_paper("2608.00001", "The last paper", last_day)
    html = client.get("/papers/date/9999-12-31").content.decode()
    assert "The last paper" in html
    assert 'href="/papers/month/9999-12"' in html and "/papers/week/" not in html
    html = client.get("/papers/week/9999-W51").content.decode()
    assert 'rel="next"' not in html and "Later →" in html
    assert client.get("/papers/month").url == "/papers/month/9999-12"
    assert client.get("/papers/week").url == "/"  # no week holds the latest day


def test_paper_page_shows_everything_known(client, feed):
    response = client.get("/papers/2608.00004")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<h1 id="paper-title">Friday favourite</h1>' in html
    assert "Ada Lovelace" in html and "Alan Turing" in html
    assert "Abstract of Friday favourite." in html
    assert 'href="https://arxiv.org/abs/2608.00004"' in html
    assert 'href="https://arxiv.org/pdf/2608.00004"' in html
    assert 'href="https://github.com/o/r"' in html and "★ 12" in html
    assert 'href="https://example.org/p"' in html
    assert "40 on Hugging Face" in html and "0 here" in html
    assert 'href="/papers/date/2026-08-21"' in html


@pytest.mark.parametrize(
    "url",
    [
        "/papers/2608.00004v2",
        "/papers/arXiv:2608.00004",
        "/papers/arxiv.org/abs/2608.00004v1",
        "/papers/https://arxiv.org/pdf/2608.00004v3.pdf",
        "/abs/2608.00004",
        "/pdf/2608.00004v1",
    ],
)
def test_other_forms_of_an_id_redirect_to_the_canonical_page(client, feed, url):
    response = client.get(url)
    assert response.status_code == 301
    assert response.url == "/papers/2608.00004"


def test_old_style_ids_have_pages(client):
    add_paper("hep-th/9901001", "An old paper")
    assert client.get("/papers/hep-th/9901001").status_code == 200
    assert client.get("/papers/hep-th/9901001v2").url == "/papers/hep-th/9901001"


def test_unknown_paper_links_to_arxiv(client):
    response = client.get("/papers/2608.99999")
    assert response.status_code == 404
    assert 'href="https://arxiv.org/abs/2608.99999"' in response.content.decode()


def test_hidden_papers_are_nowhere(client, feed):
    Paper.objects.filter(arxiv_id="2608.00004").update(hidden=True)
    assert "Friday favourite" not in client.get("/").content.decode()
    assert client.get("/papers/2608.00004").status_code == 404


def test_text_from_sources_cannot_inject_markup(client):
    add_paper(
        "2608.00009",
        "<script>alert('t')</script> Title",
        FRI,
        authors=["<img src=x onerror=alert(1)>"],
        abstract="<b>bold</b>",
        ai_summary="<iframe>",
    )
    for url in ["/", "/papers/2608.00009"]:
        html = client.get(url).content.decode()
        assert "<script>alert" not in html and "<img src=x" not in html and "<iframe>" not in html
        assert "&lt;script&gt;alert(&#x27;t&#x27;)&lt;/script&gt; Title" in html


def test_pages_are_accessible_basics(client, feed):
    html = client.get("/").content.decode()
    assert '<html lang="en">' in html
    assert 'class="skip" href="#main"' in html
    assert '<nav aria-label="Main">' in html
    assert 'aria-current="page"' in html


def test_admin_lists_papers_for_staff(admin_client, feed):
    html = admin_client.get("/admin/papers/paper/?q=favourite").content.decode()
    assert "Friday favourite" in html and "Friday underdog" not in html
    assert admin_client.get("/admin/papers/listing/").status_code == 200
    assert admin_client.get("/admin/community/comment/").status_code == 200


def test_a_paper_on_the_feed_twice_in_a_week_is_shown_once(client, feed):
    add_paper("2608.00001", "Monday paper", WED, votes=5)  # listed again on Wednesday
    html = client.get("/papers/week/2026-W34").content.decode()
    assert titles(html).count("Monday paper") == 1
    assert "4 papers" in html
