"""The member's signals (recommend.models): each written in one place, normalised and checked there,
each marking the member's taste as due for retraining; the reset, the download and account deletion."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from dailypapers.accounts.member_data import delete_account
from dailypapers.core import pagecache
from dailypapers.papers.models import Paper
from dailypapers.recommend.models import (
    Dismissal,
    Follow,
    Mute,
    Rating,
    Save,
    Taste,
    clean_tags,
    forget_everything,
)
from tests.support.factories import add_paper, add_user

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 6, 19)


@pytest.fixture
def ada():
    return add_user("ada")


@pytest.fixture
def papers():
    add_paper("2606.00001", "First", day=DAY, authors=["Grace Hopper", "Alan Turing"], categories=["cs.CL"])
    add_paper("2606.00002", "Second", day=DAY)
    return list(Paper.objects.order_by("arxiv_id"))


def changed_at(user) -> dt.datetime | None:
    return Taste.objects.filter(user=user).values_list("signals_changed_at", flat=True).first()


def test_saving_is_idempotent_keeps_tags_and_notes_and_marks_the_taste(ada, papers):
    first, _ = papers
    assert changed_at(ada) is None
    save = Save.add(ada, first, tags="Reading,  to  read , reading,", note="  Look at §3 \r\n")
    assert save.tags == ["Reading", "to read"] and save.note == "Look at §3"
    assert changed_at(ada) is not None
    again = Save.add(ada, first)  # no tags given: the old ones stay
    assert again.pk == save.pk and again.tags == ["Reading", "to read"]
    Save.add(ada, first, tags=["later"])
    assert Save.objects.get().tags == ["later"] and Save.objects.get().note == "Look at §3"
    assert Save.saved_ids(ada, papers) == {first.pk}
    assert Save.saved_ids(AnonymousUser(), papers) == set()


def test_tags_and_notes_are_checked(ada, papers):
    with pytest.raises(ValidationError, match="at most 40 characters"):
        clean_tags(["x" * 41])
    with pytest.raises(ValidationError, match="at most 20 tags"):
        clean_tags([f"t{i}" for i in range(21)])
    with pytest.raises(ValidationError, match="Notes can be at most"):
        Save.add(ada, papers[0], note="x" * 5001)
    assert not Save.objects.exists()


def test_only_members_save_and_only_the_owner_edits(ada, papers):
    first, second = papers
    with pytest.raises(PermissionDenied, match="Sign in"):
        Save.add(AnonymousUser(), first)
    save = Save.add(ada, first)
    bob = add_user("bob")
    with pytest.raises(PermissionDenied):
        save.edit(bob, tags="mine now")
    save.edit(ada, tags="a, b", note="n")
    save.refresh_from_db()
    assert save.tags == ["a", "b"] and save.note == "n"
    Paper.objects.filter(pk=second.pk).update(hidden=True)
    second.refresh_from_db()
    with pytest.raises(PermissionDenied, match="hidden"):
        Save.add(ada, second)
    assert Save.remove(ada, first) and not Save.remove(ada, first)


def test_tags_are_counted_across_the_library(ada, papers):
    first, second = papers
    Save.add(ada, first, tags="ml, Reading")
    Save.add(ada, second, tags="reading")
    assert Save.tags_of(ada) == [("Reading", 2), ("ml", 1)]
    assert Save.objects.get(paper=second).has_tag("READING")


def test_not_interested_and_saving_undo_each_other(ada, papers):
    first, _ = papers
    Save.add(ada, first)
    Dismissal.add(ada, first)
    Dismissal.add(ada, first)  # idempotent
    assert not Save.objects.exists() and Dismissal.hidden_ids(ada) == {first.pk}
    assert Dismissal.hidden_ids(AnonymousUser()) == set()
    Save.add(ada, first)
    assert not Dismissal.objects.exists()
    Dismissal.add(ada, first)
    assert Dismissal.undo(ada, first) and not Dismissal.undo(ada, first)
    assert Dismissal.hidden_ids(ada) == set()


def test_follows_name_authors_categories_and_members_as_the_site_does(ada, papers):
    bob = add_user("Bob")
    assert Follow.add(ada, "author", "  GRACE   hopper ").target == "grace hopper"
    assert Follow.add(ada, "category", "cs.cl").target == "cs.CL"
    assert Follow.add(ada, "member", "bob").target == "Bob"
    Follow.add(ada, "category", "cs.CL")  # one follow per target
    assert sorted(Follow.objects.values_list("kind", "target")) == [
        ("author", "grace hopper"),
        ("category", "cs.CL"),
        ("member", "Bob"),
    ]
    assert Follow.follows(ada, "author", "Grace Hopper") and not Follow.follows(bob, "author", "Grace Hopper")
    for kind, target, message in [
        ("author", "Nobody Here", "No papers here are by"),
        ("category", "cs.XX", "Not an arXiv category"),
        ("member", "carol", "No member is called"),
        ("member", "ada", "cannot follow yourself"),
        ("planet", "Mars", "Cannot follow"),
        ("author", "   ", "Say what to follow"),
    ]:
        with pytest.raises(ValidationError, match=message):
            Follow.add(ada, kind, target)
    assert Follow.remove(ada, "author", "Grace Hopper") and Follow.remove(ada, "member", "BOB")
    assert not Follow.remove(ada, "member", "bob")
    assert list(Follow.objects.values_list("target", flat=True)) == ["cs.CL"]


def test_mutes_are_stored_normalised(ada, papers):
    Mute.add(ada, "author", "Someone  Not-Yet Listed")
    Mute.add(ada, "category", "CS.cl")
    Mute.add(ada, "keyword", "  Diffusion ")
    Mute.add(ada, "keyword", "diffusion")
    assert Mute.of(ada) == {
        "author": ["someone not-yet listed"],
        "category": ["cs.CL"],
        "keyword": ["diffusion"],
    }
    with pytest.raises(ValidationError, match="Not an arXiv category"):
        Mute.add(ada, "category", "astro")
    with pytest.raises(ValidationError, match="At most 300"):
        Mute.add(ada, "keyword", "x" * 301)
    assert Mute.remove(ada, "keyword", "DIFFUSION") and not Mute.remove(ada, "category", "nonsense")
    assert Mute.of(AnonymousUser()) == {"author": [], "category": [], "keyword": []}


def test_ratings_are_up_or_down_and_replace_each_other(ada, papers):
    first, _ = papers
    Rating.rate(ada, first, 1)
    Rating.rate(ada, first, -1)
    assert list(Rating.objects.values_list("value", flat=True)) == [-1]
    with pytest.raises(ValidationError):
        Rating.rate(ada, first, 2)
    assert Rating.clear(ada, first) and not Rating.objects.exists()


def test_every_signal_marks_the_taste_due_and_training_clears_it(ada, papers):
    first, second = papers
    Save.add(ada, first)
    taste = Taste.objects.get(user=ada)
    assert list(Taste.objects.due()) == [taste]
    read_at = timezone.now()
    assert taste.claim(dt.timedelta(minutes=5), now=read_at)
    assert not Taste.objects.get(pk=taste.pk).claim(dt.timedelta(minutes=5), now=read_at)  # held
    assert not Taste.objects.due(now=read_at).exists()
    assert taste.store("logistic", b"\x00weights", signals_read_at=read_at)
    taste.refresh_from_db()
    assert bytes(taste.model) == b"\x00weights" and taste.claimed_until is None
    assert not Taste.objects.due().exists()
    for give in (
        lambda: Dismissal.add(ada, second),
        lambda: Dismissal.undo(ada, second),
        lambda: Follow.add(ada, "category", "cs.CL"),
        lambda: Mute.add(ada, "keyword", "robots"),
        lambda: Rating.rate(ada, second, 1),
        lambda: Save.remove(ada, first),
    ):
        Taste.objects.filter(pk=taste.pk).update(trained_at=timezone.now() + dt.timedelta(seconds=1))
        assert not Taste.objects.due().exists()
        give()
        Taste.objects.filter(pk=taste.pk).update(trained_at=timezone.now() - dt.timedelta(seconds=1))
        assert Taste.objects.due().exists()
    # A claim left by a worker that died runs out.
    assert taste.claim(dt.timedelta(minutes=5), now=read_at)
    assert Taste.objects.get(pk=taste.pk).claim(
        dt.timedelta(minutes=5), now=read_at + dt.timedelta(minutes=6)
    )
    taste.release()
    assert Taste.objects.get(pk=taste.pk).claimed_until is None


def test_the_mix_and_the_private_feed_key(ada):
    taste = Taste.of(ada)
    assert taste.mix == 0.7 and len(taste.feed_key) >= 32
    assert Taste.by_feed_key(taste.feed_key) == taste
    old = taste.feed_key
    assert taste.regenerate_feed_key() != old
    assert Taste.by_feed_key(old) is None and Taste.by_feed_key("") is None
    taste.set_mix("0.25")
    assert Taste.objects.get().mix == 0.25
    for bad in ("1.5", "-0.1", "nan", "lots", None):
        with pytest.raises(ValidationError, match="from 0 to 1"):
            taste.set_mix(bad)
    ada.is_active = False
    ada.save()
    assert Taste.by_feed_key(taste.feed_key) is None


def test_reset_removes_everything_learned(ada, papers):
    first, second = papers
    bob = add_user("bob")
    Save.add(ada, first, tags="x")
    Dismissal.add(ada, second)
    Follow.add(ada, "member", "bob")
    Mute.add(ada, "keyword", "robots")
    Rating.rate(ada, first, 1)
    Taste.of(ada).store("logistic", b"w", timezone.now())
    Save.add(bob, first)
    gone = forget_everything(ada)
    assert gone == {"save": 1, "dismissal": 1, "follow": 1, "mute": 1, "rating": 1, "taste": 1}
    for model in (Save, Dismissal, Follow, Mute, Rating, Taste):
        assert not model.objects.filter(user=ada).exists()
    assert Save.objects.filter(user=bob).exists() and Taste.objects.filter(user=bob).exists()
    with pytest.raises(PermissionDenied):
        forget_everything(AnonymousUser())


def test_a_members_own_page_stamp_moves_with_their_signals(ada, papers, django_capture_on_commit_callbacks):
    bob = add_user("bob")
    names = [pagecache.PAGES, pagecache.SITE, pagecache.reader_stamp(ada.pk), pagecache.reader_stamp(bob.pk)]
    before = pagecache.read_stamps(names)
    with django_capture_on_commit_callbacks(execute=True):
        Dismissal.add(ada, papers[0])
    after = pagecache.read_stamps(names)
    ada_stamp = pagecache.reader_stamp(ada.pk)
    assert after[ada_stamp] != before[ada_stamp]
    assert {k: v for k, v in after.items() if k != ada_stamp} == {
        k: v for k, v in before.items() if k != ada_stamp
    }


def test_the_download_holds_every_signal_and_the_taste(client, ada, papers):
    first, second = papers
    add_user("bob")
    Save.add(ada, first, tags="to read", note="§3")
    Dismissal.add(ada, second)
    Follow.add(ada, "author", "Grace Hopper")
    Follow.add(ada, "member", "bob")
    Mute.add(ada, "category", "cs.LG")
    Rating.rate(ada, second, -1)
    taste = Taste.of(ada)
    taste.set_mix(0.4)
    taste.store("logistic", b"\x01\x02", timezone.now())
    client.force_login(ada)
    response = client.get("/account/export.json")
    data = json.loads(response.content)
    assert [(s["paper"], s["tags"], s["note"]) for s in data["savedPapers"]] == [
        ("2606.00001", ["to read"], "§3")
    ]
    assert [d["paper"] for d in data["notInterested"]] == ["2606.00002"]
    assert [(f["kind"], f["target"]) for f in data["follows"]] == [
        ("author", "grace hopper"),
        ("member", "bob"),
    ]
    assert [(m["kind"], m["value"]) for m in data["mutes"]] == [("category", "cs.LG")]
    assert [(r["paper"], r["value"]) for r in data["ratings"]] == [("2606.00002", -1)]
    assert data["taste"]["mix"] == 0.4 and data["taste"]["modelKind"] == "logistic"
    assert data["taste"]["modelBase64"] == "AQI="
    assert taste.feed_key not in response.content.decode()  # a secret stays out of a download


def test_deleting_an_account_removes_every_signal_and_the_follows_of_it(ada, papers):
    first, second = papers
    bob = add_user("bob")
    Save.add(ada, first)
    Dismissal.add(ada, second)
    Follow.add(ada, "category", "cs.CL")
    Mute.add(ada, "keyword", "robots")
    Rating.rate(ada, first, 1)
    Taste.of(ada)
    Follow.add(bob, "member", "ada")
    Follow.add(bob, "category", "cs.CL")
    delete_account(ada)
    for model in (Save, Dismissal, Mute, Rating, Taste):
        assert not model.objects.exclude(user=bob).exists()
    assert list(Follow.objects.values_list("user__username", "kind", "target")) == [
        ("bob", "category", "cs.CL")
    ]


def test_a_trained_model_retires_only_the_members_for_you_pages(
    transactional_db, client, settings, ada, papers
):
    """A new model (the worker retrains a member after every vote) or a new mix changes what For you
    shows and nothing else: the member's copies of the community's pages stay."""
    from django.core.cache import cache

    cache.clear()
    settings.PAGE_CACHE_SECONDS = 60
    client.force_login(ada)
    day, mine = "/papers/date/2026-06-19", "/for-you/date/2026-06-19"
    client.get(day)  # sets the CSRF cookie: an answer that sets a cookie is not stored
    cache.clear()
    pagecache._memory.clear()
    for url in (day, mine):
        assert client.get(url)["X-Cache"] == "miss"
        assert client.get(url)["X-Cache"] == "hit"
    for change in (
        # The worker storing a new model (the same one here: the first page view trained it).
        lambda: Taste.of(ada).store(Taste.of(ada).model_kind, Taste.of(ada).model, timezone.now()),
        lambda: Taste.of(ada).set_mix(0.3),
    ):
        change()
        assert client.get(day)["X-Cache"] == "hit"
        assert client.get(mine)["X-Cache"] == "miss"
        assert client.get(mine)["X-Cache"] == "hit"
    Dismissal.add(ada, papers[0])  # a signal: every page of the member's
    assert client.get(day)["X-Cache"] == "miss"
    assert client.get(mine)["X-Cache"] == "miss"
    cache.clear()
