"""Submitting papers: every rule, each with its message; arXiv lookups through the recorded API."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from dailypapers.community.submissions import SubmissionRefused, submit_paper
from dailypapers.papers.models import Listing, Paper
from dailypapers.papers.periods import feed_day
from tests.support.factories import add_user, listed_paper, recent_paper
from tests.support.recorded_arxiv import arxiv_replay

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "text",
    [
        "2611.00001",
        "2611.00001v2",
        "arXiv:2611.00001",
        "https://arxiv.org/abs/2611.00001",
        "https://arxiv.org/abs/2611.00001v1",
        "https://arxiv.org/pdf/2611.00001v2.pdf",
        "http://arxiv.org/pdf/2611.00001",
        "https://arxiv.org/html/2611.00001v1",
        "  https://www.arxiv.org/abs/2611.00001  ",
    ],
)
def test_any_arxiv_id_or_url_lists_the_paper_today(text):
    paper = recent_paper("2611.00001")
    ada = add_user("ada")
    listing = submit_paper(ada, text, note="Worth reading for section 3.")
    assert listing.paper == paper
    assert listing.day == feed_day()
    assert listing.source == Listing.Source.SUBMISSION
    assert listing.submitted_by == ada and listing.submitter_display == "ada"
    assert listing.note == "Worth reading for section 3."
    assert listing.submitted_at is not None


def test_not_an_id():
    with pytest.raises(SubmissionRefused, match="not an arXiv id or arXiv link") as exc:
        submit_paper(add_user("ada"), "https://example.org/paper.pdf")
    assert exc.value.code == "not_an_id" and isinstance(exc.value, ValueError)


def test_already_on_the_feed_today_or_before(settings):
    listed_paper("2611.00002", "Listed today")
    listed_paper("2611.00003", "Listed last week", day=feed_day() - dt.timedelta(days=6))
    ada = add_user("ada")
    with pytest.raises(SubmissionRefused, match=r"“Listed today” is already on the feed \(today\)"):
        submit_paper(ada, "2611.00002")
    with pytest.raises(SubmissionRefused, match="already on the feed .on ") as exc:
        submit_paper(ada, "2611.00003")
    assert exc.value.code == "already_listed"
    # The operator may let papers come back after a while.
    settings.SUBMIT_RELIST_AFTER_DAYS = 5
    assert submit_paper(ada, "2611.00003").day == feed_day()
    with pytest.raises(SubmissionRefused):
        submit_paper(add_user("bob"), "2611.00002")


def test_too_old(settings):
    recent_paper("2611.00004", "Old news", days_old=15)
    recent_paper("2611.00005", "Fresh", days_old=13)
    ada = add_user("ada")
    with pytest.raises(SubmissionRefused, match="only papers from the last 14 days can be submitted") as exc:
        submit_paper(ada, "2611.00004")
    assert exc.value.code == "too_old"
    submit_paper(ada, "2611.00005")
    settings.SUBMIT_MAX_AGE_DAYS = 30
    submit_paper(ada, "2611.00004")
    assert Listing.objects.filter(submitted_by=ada).count() == 2


def test_daily_limit_per_member(settings):
    settings.SUBMIT_PER_DAY = 2
    for n in range(1, 5):
        recent_paper(f"2611.0001{n}")
    ada, bob = add_user("ada"), add_user("bob")
    submit_paper(ada, "2611.00011")
    submit_paper(ada, "2611.00012")
    with pytest.raises(SubmissionRefused, match="You have submitted 2 papers today") as exc:
        submit_paper(ada, "2611.00013")
    assert exc.value.code == "daily_limit"
    submit_paper(bob, "2611.00013")  # the limit is per member
    # Yesterday's submissions do not count against today.
    Listing.objects.filter(submitted_by=ada).update(day=feed_day() - dt.timedelta(days=1))
    submit_paper(ada, "2611.00014")


def test_links_from_the_submitter_are_checked_and_kept():
    recent_paper("2611.00020")
    ada = add_user("ada")
    with pytest.raises(SubmissionRefused, match="github.com/owner/repository"):
        submit_paper(ada, "2611.00020", github_repo="https://gitlab.com/x/y")
    with pytest.raises(SubmissionRefused, match="must be a web address"):
        submit_paper(ada, "2611.00020", project_page="javascript:alert(1)")
    submit_paper(
        ada,
        "2611.00020",
        github_repo="https://github.com/ada/engine.git",
        project_page="https://ada.example/",
    )
    paper = Paper.objects.get(arxiv_id="2611.00020")
    assert (paper.github_repo, paper.project_page) == (
        "https://github.com/ada/engine",
        "https://ada.example/",
    )


def test_anonymous_and_deactivated_members_cannot_submit():
    from django.contrib.auth.models import AnonymousUser

    recent_paper("2611.00030")
    with pytest.raises(PermissionDenied):
        submit_paper(AnonymousUser(), "2611.00030")
    with pytest.raises(PermissionDenied):
        submit_paper(add_user("gone", is_active=False), "2611.00030")
    assert not Listing.objects.exists()


def test_unknown_paper_is_fetched_from_arxiv(replay_server, settings):
    arxiv_replay(replay_server, settings)
    settings.SUBMIT_MAX_AGE_DAYS = 0  # the recorded papers are years old
    ada = add_user("ada")
    listing = submit_paper(ada, "https://arxiv.org/pdf/1707.08567v1")
    assert listing.paper.arxiv_id == "1707.08567"
    assert listing.paper.title and listing.paper.authorships.exists()
    assert [r.query.get("id_list") for r in replay_server.requests] == ["1707.08567"]


def test_arxiv_paper_too_old(replay_server, settings):
    arxiv_replay(replay_server, settings)
    ada = add_user("ada")
    with pytest.raises(SubmissionRefused, match="first appeared on arXiv on July 2[0-9], 2017") as exc:
        submit_paper(ada, "1707.08567")
    # Looked up once, then found in the catalogue.
    assert Paper.objects.filter(arxiv_id="1707.08567").exists()
    assert exc.value.code == "too_old"


def test_arxiv_has_no_such_paper(replay_server, settings):
    from tests.support.recorded_arxiv import ATOM_TYPE, body
    from tests.support.replay import Reply

    # arXiv's recorded answer for a well-formed id it does not have: an empty feed.
    empty = body("id_0000.0000_s0_m100_8b51d9633a68.json")
    settings.ARXIV_API_URL = replay_server.url + "/api/query"
    settings.ARXIV_DELAY = 0
    replay_server.route("/api/query", lambda request: Reply(empty, 200, ATOM_TYPE))
    with pytest.raises(SubmissionRefused, match="There is no arXiv paper 2611.77777") as exc:
        submit_paper(add_user("ada"), "https://arxiv.org/abs/2611.77777v3")
    assert exc.value.code == "not_found"
    assert not Paper.objects.exists()


def test_arxiv_unreachable(settings):
    from tests.support.served import free_port

    settings.ARXIV_API_URL = f"http://127.0.0.1:{free_port()}/api/query"
    settings.ARXIV_DELAY = 0
    settings.SOURCE_BACKOFF = 0
    with pytest.raises(SubmissionRefused, match="arXiv could not be reached") as exc:
        submit_paper(add_user("ada"), "2611.09999")
    assert exc.value.code == "unreachable"


def test_lookup_can_be_switched_off(settings):
    settings.SUBMIT_FETCH_FROM_ARXIV = False
    with pytest.raises(SubmissionRefused, match="There is no arXiv paper 2611.09998"):
        submit_paper(add_user("ada"), "2611.09998")


def test_submission_time_is_the_feed_day_clock(settings):
    settings.FEED_TIMEZONE = "Pacific/Kiritimati"  # UTC+14: already tomorrow for most of the world
    recent_paper("2611.00040")
    listing = submit_paper(add_user("ada"), "2611.00040")
    assert listing.day == timezone.now().astimezone(dt.timezone(dt.timedelta(hours=14))).date()


@pytest.mark.django_db(transaction=True)
def test_members_submitting_one_paper_at_once_list_it_once():
    import threading

    from django.db import connection

    recent_paper("2611.00060", "Wanted by all")
    members = [add_user(f"s{i}") for i in range(6)]
    barrier = threading.Barrier(len(members))
    outcomes: list[str] = []

    def submit(member) -> None:
        try:
            barrier.wait()
            submit_paper(member, "2611.00060")
            outcomes.append("listed")
        except SubmissionRefused as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(m,)) for m in members]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["already_listed"] * 5 + ["listed"]
    assert Listing.objects.filter(paper__arxiv_id="2611.00060").count() == 1
