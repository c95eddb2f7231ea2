"""Feed navigation: the date picker (a GET form that works without script) and the "New since your
last visit" marks on a signed-in member's cards, right through the per-member page cache."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from dailypapers.front.visits import SESSION_KEY
from dailypapers.papers.models import Paper
from tests.support.factories import add_paper, add_user

pytestmark = pytest.mark.django_db
FIRST, LAST = dt.date(2026, 6, 1), dt.date(2026, 6, 19)


@pytest.fixture
def feed():
    add_paper("2606.00001", "Early paper", FIRST)
    add_paper("2606.00002", "Late paper", LAST)


def test_the_picker_spans_the_days_with_papers(client, feed):
    page = client.get("/papers/date/2026-06-19").content.decode()
    assert 'action="/papers/date"' in page
    assert (
        'type="date" id="feed-date" name="date" value="2026-06-19" min="2026-06-01" max="2026-06-19"' in page
    )
    assert 'name="kind" value="day"' in page
    week = client.get("/papers/week/2026-W25").content.decode()
    assert 'name="kind" value="week"' in week


@pytest.mark.parametrize(
    ("query", "to"),
    [
        ("date=2026-06-01", "/papers/date/2026-06-01"),
        ("date=2026-06-17&kind=week", "/papers/week/2026-W25"),
        ("date=2026-06-17&kind=month", "/papers/month/2026-06"),
        ("date=2026-06-17&kind=year", "/papers/date/2026-06-17"),  # an unknown span: the day
    ],
)
def test_the_picker_goes_to_the_period(client, feed, query, to):
    response = client.get(f"/papers/date?{query}")
    assert response.status_code == 302 and response["Location"] == to


@pytest.mark.parametrize("query", ["", "date=", "date=2026-02-30", "date=yesterday", "date=" + "9" * 5000])
def test_bad_dates_come_back_with_a_message(client, feed, query):
    response = client.get(f"/papers/date?{query}", follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == "/"
    assert "Pick" in response.content.decode() or "pick one" in response.content.decode()


def test_new_marks_since_the_last_visit(client, feed, settings):
    settings.PAGE_CACHE_SECONDS = 60  # the members' copies are cached: marks must still be right
    ada = add_user("ada")
    client.force_login(ada)
    Paper.objects.update(added_at=timezone.now() - dt.timedelta(days=2))
    first = client.get("/papers/date/2026-06-19").content.decode()
    assert 'data-testid="new"' not in first  # a first visit marks nothing
    again = client.get("/papers/date/2026-06-19")
    assert 'data-testid="new"' not in again.content.decode()  # nor a second, soon after
    assert again["X-Cache"] == "hit"  # and noting the visit does not defeat the cache

    # Ada left three hours ago; a paper reached the feed since.
    session = client.session
    seen = timezone.now() - dt.timedelta(hours=3)
    session[SESSION_KEY] = [seen.isoformat(), None]
    session.save()
    add_paper("2606.00003", "Fresh paper", LAST)
    page = client.get("/papers/date/2026-06-19").content.decode()
    assert page.count('data-testid="new"') == 1
    mark = page.index('data-testid="new"')
    assert page.index("Fresh paper") - mark < 300  # on the fresh paper's card, before its title
    # The mark stays while she reads (the boundary holds), and the week shows it too.
    assert client.get("/papers/date/2026-06-19").content.decode().count('data-testid="new"') == 1
    assert client.get("/papers/week/2026-W25").content.decode().count('data-testid="new"') == 1
    # Strangers never see marks.
    client.logout()
    assert 'data-testid="new"' not in client.get("/papers/date/2026-06-19").content.decode()


def test_the_visit_is_written_rarely(client, feed):
    ada = add_user("ada")
    client.force_login(ada)
    client.get("/papers/date/2026-06-19")
    stored = client.session[SESSION_KEY]
    client.get("/papers/date/2026-06-19")
    assert client.session[SESSION_KEY] == stored  # within minutes: no write
    session = client.session
    old = timezone.now() - dt.timedelta(hours=1)
    session[SESSION_KEY] = [old.isoformat(), None]
    session.save()
    client.get("/")
    seen, since = client.session[SESSION_KEY]
    assert since == old.isoformat() and seen > old.isoformat()
