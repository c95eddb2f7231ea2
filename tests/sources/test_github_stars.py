"""The stars worker (`dailypapers stars`) against a real loopback server answering as GitHub's REST API:
stars with their ETag, then 304 for the same ETag; a spent rate limit stops the pass and says when to
resume; 404; a renamed repository; claims; one page-stamp bump a pass."""

from __future__ import annotations

import datetime as dt
import re
import time
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from dailypapers.core.models import ContentVersion
from dailypapers.core.pagecache import PAGES
from dailypapers.papers import stamps
from dailypapers.papers.models import CodeRepository, Paper, StarCount
from dailypapers.sources.github_stars import GitHub, refresh_due
from tests.support import recorded_github as gh
from tests.support.factories import add_paper
from tests.support.replay import ReplayServer

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 8, 20)


@pytest.fixture
def server():
    server = ReplayServer().start()
    yield server
    server.stop()


@pytest.fixture
def github(server):
    client = GitHub(server.url, token="ghp_test")
    yield client
    client.close()


def stamp(name: str) -> int:
    return ContentVersion.objects.filter(name=name).values_list("value", flat=True).first() or 0


def run(github, django_capture_on_commit_callbacks, **options):
    # Page stamps move once the pass's writes commit (at once on SQLite).
    with django_capture_on_commit_callbacks(execute=True):
        return refresh_due(github, **options)


def make_due() -> None:
    CodeRepository.objects.update(next_check_at=timezone.now() - dt.timedelta(seconds=1))


def test_stars_then_not_modified(server, github, django_capture_on_commit_callbacks):
    add_paper("2608.00001", "Engine", DAY, github_repo="https://github.com/ada/engine")
    add_paper("2608.00002", "Same code", DAY, abstract="Code: https://github.com/ada/engine.")
    server.route("/repos/ada/engine", gh.conditional('W/"e1"', gh.ok("ada", "engine", 1234, 'W/"e1"')))
    page, pages = stamps.paper("2608.00001"), stamp(PAGES)

    result = run(github, django_capture_on_commit_callbacks)

    assert (result.checked, result.changed) == (1, 1)  # one repository, two papers
    assert set(Paper.objects.values_list("github_stars", flat=True)) == {1234}
    repo = CodeRepository.objects.get()
    assert (repo.url, repo.etag, repo.stars, repo.claimed_until) == (
        "https://github.com/ada/engine",
        'W/"e1"',
        1234,
        None,
    )
    assert repo.next_check_at > timezone.now() + dt.timedelta(hours=11)
    assert StarCount.objects.get().stars == 1234
    first = server.requests[-1]
    assert first.headers["authorization"] == "Bearer ghp_test" and "if-none-match" not in first.headers
    assert first.headers["accept"] == "application/vnd.github+json"
    # Both papers' pages moved, with one bump for the pass.
    assert stamp(page) == 1 and stamp(PAGES) == pages + 1
    # Not due again yet: nothing asked.
    assert run(github, django_capture_on_commit_callbacks).checked == 0 and len(server.requests) == 1

    make_due()
    result = run(github, django_capture_on_commit_callbacks)
    assert (result.checked, result.not_modified, result.changed) == (1, 1, 0)
    assert server.requests[-1].headers["if-none-match"] == 'W/"e1"'
    assert CodeRepository.objects.get().stars == 1234
    assert stamp(page) == 1 and stamp(PAGES) == pages + 1  # nothing shown changed: no page renewed


def test_a_spent_rate_limit_stops_the_pass(server, github, django_capture_on_commit_callbacks):
    for n in range(3):
        add_paper(f"2608.0000{n}", f"Paper {n}", DAY, github_repo=f"https://github.com/ada/r{n}")
    reset = int(time.time()) + 1800
    for n in range(3):
        server.route(f"/repos/ada/r{n}", lambda request: gh.rate_limited(reset))

    result = run(github, django_capture_on_commit_callbacks)

    assert len(server.requests) == 1  # never asked again once told to stop
    assert result.resume_at == reset and result.checked == 0
    # The repository in hand is free and still due: first in line after the reset.
    assert CodeRepository.objects.due(timezone.now()).count() == 3
    assert not Paper.objects.exclude(github_stars=None).exists()


def test_the_last_request_of_the_limit_ends_the_pass(server, github, django_capture_on_commit_callbacks):
    for n in range(2):
        add_paper(f"2608.0000{n}", f"Paper {n}", DAY, github_repo=f"https://github.com/ada/r{n}")
    for n in range(2):
        server.route(f"/repos/ada/r{n}", lambda request, n=n: gh.ok("ada", f"r{n}", 5, f'"{n}"', remaining=0))

    result = run(github, django_capture_on_commit_callbacks)

    assert len(server.requests) == 1 and result.checked == 1 and result.resume_at > time.time()


def test_retry_after_is_honoured(server, github, django_capture_on_commit_callbacks):
    add_paper("2608.00001", "Engine", DAY, github_repo="https://github.com/ada/engine")
    server.route("/repos/ada/engine", lambda request: gh.too_many(90))
    result = run(github, django_capture_on_commit_callbacks)
    assert 80 < result.resume_at - time.time() <= 90


def test_the_worker_waits_for_the_reset(server, settings):
    """The command says how long it waits; a --loop worker sleeps that long (not its --interval)."""
    settings.GITHUB_API_URL = server.url
    add_paper("2608.00001", "Engine", DAY, github_repo="https://github.com/ada/engine")
    server.route("/repos/ada/engine", lambda request: gh.rate_limited(int(time.time()) + 600))
    out = StringIO()
    call_command("stars", stdout=out)
    said = re.search(r"rate limit is spent: resuming in (\d+) s", out.getvalue())
    assert said and 590 <= int(said.group(1)) <= 600


def test_a_missing_repository(server, github, django_capture_on_commit_callbacks):
    add_paper("2608.00001", "Engine", DAY, github_repo="https://github.com/ada/gone", github_stars=7)
    server.route("/repos/ada/gone", lambda request: gh.not_found())

    result = run(github, django_capture_on_commit_callbacks)

    assert result.missing == 1
    paper = Paper.objects.get()
    assert (paper.github_repo, paper.github_stars) == ("https://github.com/ada/gone", None)
    repo = CodeRepository.objects.get()
    assert repo.missing and repo.next_check_at > timezone.now() + dt.timedelta(days=6)


def test_a_renamed_repository_is_followed(server, github, django_capture_on_commit_callbacks):
    add_paper("2608.00001", "Engine", DAY, github_repo="https://github.com/ada/old-name")
    server.route("/repos/ada/old-name", lambda request: gh.moved(server.url, 42))
    server.route("/repositories/42", lambda request: gh.ok("lab", "new-name", 321, '"n1"', repo_id=42))

    result = run(github, django_capture_on_commit_callbacks)

    assert result.moved == 1
    paper = Paper.objects.get()
    assert (paper.github_repo, paper.github_stars) == ("https://github.com/lab/new-name", 321)
    repo = CodeRepository.objects.get()
    assert (repo.url, repo.stars) == ("https://github.com/lab/new-name", 321)
    assert [r.path for r in server.requests] == ["/repos/ada/old-name", "/repositories/42"]
    assert server.requests[-1].headers["authorization"] == "Bearer ghp_test"  # same host: kept
    assert stamp(stamps.paper("2608.00001")) == 1


def test_a_claimed_repository_is_left_to_its_worker(server, github, django_capture_on_commit_callbacks):
    add_paper("2608.00001", "Engine", DAY, github_repo="https://github.com/ada/engine")
    server.route("/repos/ada/engine", lambda request: gh.ok("ada", "engine", 1, '"e"'))
    run(github, django_capture_on_commit_callbacks)
    make_due()
    repo = CodeRepository.objects.get()
    now = timezone.now()
    assert CodeRepository.objects.claim(repo.pk, now, 60)
    assert not CodeRepository.objects.claim(repo.pk, now, 60)  # a second worker loses
    requests = len(server.requests)
    assert run(github, django_capture_on_commit_callbacks).checked == 0
    assert len(server.requests) == requests
    # A claim that lapsed (its worker died) is free again.
    CodeRepository.objects.update(claimed_until=now - dt.timedelta(seconds=1))
    assert run(github, django_capture_on_commit_callbacks).checked == 1


def test_daily_history(server, github, django_capture_on_commit_callbacks):
    add_paper("2608.00001", "Engine", DAY, github_repo="https://github.com/ada/engine")
    stars = iter([10, 12])
    server.route("/repos/ada/engine", lambda request: gh.ok("ada", "engine", next(stars), '"x"'))
    run(github, django_capture_on_commit_callbacks)
    make_due()
    run(github, django_capture_on_commit_callbacks)
    # Two checks in a day: that day's last count.
    assert list(StarCount.objects.values_list("stars", flat=True)) == [12]
    assert Paper.objects.get().github_stars == 12
