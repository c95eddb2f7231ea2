"""Watching a paper: the button (plain form and htmx), news of a new version, of code and of others'
comments on /notifications, the header's count, marking read, and who may do what."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied

from dailypapers.community.models import Comment, Notification, Watch
from dailypapers.papers.models import Paper
from tests.support.factories import add_paper, add_user

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 8, 21)
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def paper():
    add_paper("2608.00001", "Watched & wanted", DAY, version=1)
    return Paper.objects.get(arxiv_id="2608.00001")


def test_watch_button_without_and_with_htmx(client, paper):
    ada = add_user("ada")
    client.force_login(ada)
    page = client.get(paper.get_absolute_url()).content.decode()
    assert 'data-testid="watch"' in page and ">Watch</button>" in page
    response = client.post(f"/papers/{paper.arxiv_id}/watch", {"on": "1", "next": paper.get_absolute_url()})
    assert response.status_code == 302 and response["Location"] == paper.get_absolute_url()
    assert Watch.objects.filter(user=ada, paper=paper).exists()
    # Their cached copy of the paper page shows it at once.
    assert ">Watching</button>" in client.get(paper.get_absolute_url()).content.decode()
    fragment = client.post(f"/papers/{paper.arxiv_id}/watch", {"on": "0"}, **HTMX)
    assert fragment.status_code == 200 and ">Watch</button>" in fragment.content.decode()
    assert not Watch.objects.exists()


def test_watching_needs_an_active_member(client, paper):
    response = client.post(f"/papers/{paper.arxiv_id}/watch", {"on": "1"})
    assert response.status_code == 302 and "/login" in response["Location"]
    assert not Watch.objects.exists()
    gone = add_user("gone", is_active=False)
    with pytest.raises(PermissionDenied):
        Watch.set(gone, paper, True)
    assert client.get("/notifications").status_code == 302  # to sign in
    assert client.post("/notifications/read").status_code == 302
    assert not Watch.objects.exists()


def test_news_of_versions_code_and_comments_reaches_watchers_only(
    client, paper, settings, django_capture_on_commit_callbacks
):
    settings.PAGE_CACHE_SECONDS = 60  # members' pages cached: the header's count must still move
    ada, bob, cy = add_user("ada"), add_user("bob"), add_user("cy")
    Watch.set(ada, paper, True)
    Watch.set(bob, paper, True)
    client.force_login(ada)
    assert "notifications-badge" not in client.get(paper.get_absolute_url()).content.decode()
    # A replacement announced by a source (the ingest path) and code found for the paper, sent
    # once the import commits.
    with django_capture_on_commit_callbacks(execute=True):
        add_paper("2608.00001", "Watched & wanted", DAY, version=2)
    with django_capture_on_commit_callbacks(execute=True):
        add_paper("2608.00001", "Watched & wanted", DAY, version=2, github_repo="https://github.com/o/r")
    # The same version again changes nothing; an older one is no news.
    with django_capture_on_commit_callbacks(execute=True):
        add_paper("2608.00001", "Watched & wanted", DAY, version=1)
    Comment.post(bob, paper, "Looks good.")
    for_ada = list(Notification.objects.filter(user=ada).values_list("kind", "version"))
    assert sorted(for_ada) == [("code", None), ("comment", None), ("version", 2)]
    # Bob is not told of his own comment; Cy watches nothing.
    assert sorted(Notification.objects.filter(user=bob).values_list("kind", flat=True)) == ["code", "version"]
    assert not Notification.objects.filter(user=cy).exists()

    home = client.get(paper.get_absolute_url()).content.decode()
    assert 'data-testid="notifications-badge">3<' in home
    page = client.get("/notifications").content.decode()
    assert page.count('data-testid="notification"') == 3
    # Newest first: the comment, then the code, then the version.
    assert page.index("bob commented") < page.index("Code was linked") < page.index("new arXiv version (v2)")
    assert page.count("notification unread") == 3
    with django_capture_on_commit_callbacks(execute=True):  # the member's stamp moves on commit
        assert client.post("/notifications/read").status_code == 302
    assert not Notification.objects.filter(user=ada, read_at__isnull=True).exists()
    assert "notifications-badge" not in client.get(paper.get_absolute_url()).content.decode()
    assert "notification unread" not in client.get("/notifications").content.decode()


def test_unwatching_stops_the_news(paper, django_capture_on_commit_callbacks):
    ada, bob = add_user("ada"), add_user("bob")
    Watch.set(ada, paper, True)
    Watch.set(ada, paper, False)
    Comment.post(bob, paper, "Anyone?")
    paper.refresh_from_db()
    paper.github_repo = "https://github.com/o/r"
    with django_capture_on_commit_callbacks(execute=True):
        paper.save()  # a save (the admin, a submitter's links) gives news too
    assert not Notification.objects.filter(user=ada).exists()


def test_a_save_that_links_code_tells_watchers(paper, django_capture_on_commit_callbacks):
    ada = add_user("ada")
    Watch.set(ada, paper, True)
    paper = Paper.objects.get(pk=paper.pk)
    paper.github_repo = "https://github.com/o/r"
    with django_capture_on_commit_callbacks(execute=True):
        paper.save()
    paper.github_repo = "https://github.com/o/other"
    with django_capture_on_commit_callbacks(execute=True):
        paper.save()  # not a first repository: no news
    assert list(Notification.objects.filter(user=ada).values_list("kind", flat=True)) == ["code"]


def test_a_deactivated_watcher_is_not_told(paper):
    ada, bob = add_user("ada"), add_user("bob")
    Watch.set(ada, paper, True)
    ada.is_active = False
    ada.save()
    Comment.post(bob, paper, "Hello.")
    assert not Notification.objects.exists()


def test_forms_need_csrf(paper):
    from django.test import Client

    ada = add_user("ada")
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(ada)
    assert strict.post(f"/papers/{paper.arxiv_id}/watch", {"on": "1"}).status_code == 403
    assert strict.post("/notifications/read").status_code == 403
    assert not Watch.objects.exists()


def test_code_found_by_the_backfill_tells_watchers(paper, django_capture_on_commit_callbacks):
    from dailypapers.sources.github_stars import fill_links_from_text

    ada = add_user("ada")
    Watch.set(ada, paper, True)
    Paper.objects.filter(pk=paper.pk).update(abstract="Code: https://github.com/ada/engine.")
    with django_capture_on_commit_callbacks(execute=True):
        assert fill_links_from_text() == 1
    assert list(Notification.objects.filter(user=ada).values_list("kind", flat=True)) == ["code"]


def test_a_version_of_a_paper_imported_without_one_is_news_only_if_it_came_later(
    paper, django_capture_on_commit_callbacks
):
    # As after a Hugging Face import: the catalogue knows no version.
    Paper.objects.filter(pk=paper.pk).update(version=None)
    ada = add_user("ada")
    Watch.set(ada, paper, True)
    added = Paper.objects.get(pk=paper.pk).added_at
    with django_capture_on_commit_callbacks(execute=True):  # a v2 from before it was imported: known
        add_paper("2608.00001", "Watched & wanted", DAY, version=2, updated_at=added - dt.timedelta(days=3))
    assert not Notification.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        add_paper("2608.00001", "Watched & wanted", DAY, version=3, updated_at=added + dt.timedelta(hours=1))
    assert list(Notification.objects.values_list("kind", "version")) == [("version", 3)]
    Paper.objects.filter(pk=paper.pk).update(version=None)
    with django_capture_on_commit_callbacks(execute=True):  # a replacement since: news
        add_paper("2608.00001", "Watched & wanted", DAY, version=4, updated_at=added + dt.timedelta(days=2))
    assert sorted(Notification.objects.values_list("version", flat=True)) == [3, 4]
