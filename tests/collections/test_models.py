"""The rules of collections (dailypapers.collections.models): only the owner changes one, a private or
hidden one is seen by its owner alone, a paper is in a collection once, items keep the owner's order,
a member upvotes a collection once, and notes are plain text."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError

from dailypapers.collections.models import Collection, CollectionUpvote
from dailypapers.papers.models import Paper
from tests.support.factories import add_paper, add_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def papers():
    for n in range(1, 4):
        add_paper(f"2608.0000{n}", f"Paper {n}")
    return list(Paper.objects.order_by("arxiv_id"))


def test_owner_makes_fills_orders_and_annotates_a_collection(papers):
    ada = add_user("ada")
    reading = Collection.create(ada, "  Reading list  ", "For the group")
    assert reading.title == "Reading list" and reading.slug == f"ada/reading-list-{reading.pk}"
    for paper in papers:
        reading.add_paper(ada, paper, note=f"about {paper.arxiv_id}")
    items = list(reading.shown_items())
    assert [i.paper.arxiv_id for i in items] == ["2608.00001", "2608.00002", "2608.00003"]
    items[2].change(ada, position=0)
    assert [i.paper.arxiv_id for i in reading.shown_items()] == ["2608.00003", "2608.00001", "2608.00002"]
    assert [i.position for i in reading.shown_items()] == [0, 1, 2]
    items[0].change(ada, note="<script>x</script>\nsecond line")
    item = reading.item(items[0].pk)
    assert item.note_html == "&lt;script&gt;x&lt;/script&gt;<br>second line"
    assert reading.item("2608.00002").paper.arxiv_id == "2608.00002"  # by arXiv id too
    with pytest.raises(ValidationError) as twice:
        reading.add_paper(ada, papers[0])
    assert twice.value.code == "exists"
    with pytest.raises(ValidationError) as same_title:
        Collection.create(ada, "reading LIST")
    assert same_title.value.code == "exists" and same_title.value.params["slug"] == reading.slug
    with pytest.raises(ValidationError):
        Collection.create(ada, "   ")
    with pytest.raises(ValidationError):
        items[1].change(ada, note="x" * 501)
    items[1].remove(ada)
    assert reading.items.count() == 2


def test_only_the_owner_changes_a_collection(papers):
    ada, bob = add_user("ada"), add_user("bob")
    reading = Collection.create(ada, "Reading")
    item = reading.add_paper(ada, papers[0])
    for attempt in (
        lambda: reading.add_paper(bob, papers[1]),
        lambda: reading.change(bob, title="Mine now"),
        lambda: reading.delete_by(bob),
        lambda: item.change(bob, note="hi"),
        lambda: item.remove(bob),
        lambda: reading.add_paper(AnonymousUser(), papers[1]),
        lambda: Collection.create(AnonymousUser(), "Nope"),
    ):
        with pytest.raises(PermissionDenied):
            attempt()
    reading.refresh_from_db()
    assert reading.title == "Reading" and reading.items.count() == 1


def test_private_and_hidden_collections_are_their_owners_alone(papers):
    ada, bob = add_user("ada"), add_user("bob")
    secret = Collection.create(ada, "Secret", private=True)
    spam = Collection.create(bob, "Spam")
    spam.hidden = True
    spam.save()
    open_one = Collection.create(bob, "Open")
    assert set(Collection.objects.visible_to(ada)) == {secret, open_one}
    assert set(Collection.objects.visible_to(bob)) == {spam, open_one}
    assert set(Collection.objects.visible_to(AnonymousUser())) == {open_one}
    assert Collection.objects.by_slug(secret.slug, ada) == secret
    assert Collection.objects.by_slug(secret.slug, bob) is None
    assert Collection.objects.by_slug(f"ada/old-title-{secret.pk}", ada) == secret  # the id decides
    assert Collection.objects.by_slug(f"bob/secret-{secret.pk}", ada) is None  # not bob's
    assert Collection.objects.by_slug("ada/nothing", ada) is None


def test_a_member_upvotes_a_collection_once():
    ada, bob = add_user("ada"), add_user("bob")
    reading = Collection.create(ada, "Reading")
    assert CollectionUpvote.toggle(bob, reading, on=True) == (True, 1)
    assert CollectionUpvote.toggle(bob, reading, on=True) == (True, 1)
    assert CollectionUpvote.toggle(ada, reading) == (True, 2)  # their own too, as on Hugging Face
    assert CollectionUpvote.toggle(bob, reading, on=False) == (False, 1)
    with pytest.raises(PermissionDenied):
        CollectionUpvote.toggle(AnonymousUser(), reading, on=True)
    reading.refresh_from_db()
    assert reading.upvote_count == 1


def test_collections_reorder_among_the_owners():
    ada = add_user("ada")
    first, second, third = (Collection.create(ada, t) for t in ("One", "Two", "Three"))
    third.change(ada, position=0)
    assert [c.title for c in Collection.objects.filter(owner=ada).order_by("position")] == [
        "Three",
        "One",
        "Two",
    ]
    with pytest.raises(ValidationError):
        first.change(ada, position=-1)


def test_a_moderator_hides_a_collection_in_the_admin_on_record(client, papers):
    from dailypapers.core.models import ModerationAction

    ada = add_user("ada")
    spam = Collection.create(ada, "Buy followers")
    client.force_login(add_user("mod", is_staff=True, is_superuser=True))
    client.post("/admin/collections/collection/", {"action": "hide", "_selected_action": [spam.pk]})
    spam.refresh_from_db()
    assert spam.hidden
    client.post("/admin/collections/collection/", {"action": "show", "_selected_action": [spam.pk]})
    spam.refresh_from_db()
    assert not spam.hidden
    trail = ModerationAction.objects.order_by("id").values_list("moderator_name", "kind", "target_id")
    assert list(trail) == [("mod", "hide_collection", spam.pk), ("mod", "show_collection", spam.pk)]
