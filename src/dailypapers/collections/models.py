"""Collections: a member's ordered lists of papers, each paper with a note, public or private, that
others can upvote (Hugging Face's collections, for papers).

The rules live here (fat models): the web pages, the API and the admin all go through
`Collection.create`, `Collection.change`, `Collection.add_paper`, `CollectionItem.change`, ... so each
route checks the same permissions. Only the owner changes a collection; a private one, and one a
moderator hid, is seen by its owner alone (everyone else gets a 404, as if it did not exist).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Max, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.text import slugify

from dailypapers.core import pagecache
from dailypapers.core.members import require_member
from dailypapers.core.votes import toggle_counted
from dailypapers.papers import stamps
from dailypapers.papers.models import Paper

TITLE_MAX = 100
DESCRIPTION_MAX = 500  # Hugging Face allows 150; a reading list often says a little more
NOTE_MAX = 500  # Hugging Face's limit
MAX_COLLECTIONS = 200  # per member: a bound against scripts, far above a person's reading lists
MAX_ITEMS = 1000  # per collection
THEMES = ("orange", "blue", "green", "purple", "pink", "indigo")  # Hugging Face's


def _exists(same: Collection) -> ValidationError:
    # The title goes in as a parameter: a title holding "%" is text, not a format.
    return ValidationError(
        "You have a collection called “%(title)s” already.",
        code="exists",
        params={"slug": same.slug, "title": same.title},
    )


def _text(value: Any, name: str, limit: int, required: bool = False) -> str:
    """A title, description or note as stored: text, trimmed, within its limit."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationError(f"The {name} must be text.", code="invalid")
    value = value.replace("\r\n", "\n").strip()
    if required and not value:
        raise ValidationError(f"Give the collection a {name}.", code="empty")
    if len(value) > limit:
        raise ValidationError(
            f"The {name} can be at most {limit:,} characters long (this one has {len(value):,}).",
            code="long",
        )
    return value


def plain_html(text: str) -> str:
    """Members' plain text as HTML: escaped, its line breaks kept (notes and descriptions)."""
    return escape(text).replace("\n", "<br>")


class CollectionQuerySet(models.QuerySet):
    def visible_to(self, user: Any) -> CollectionQuerySet:
        """What `user` may see: public collections nobody hid, and all of their own."""
        shown = Q(private=False, hidden=False)
        if user is not None and user.is_authenticated:
            shown |= Q(owner=user)
        return self.filter(shown)

    def by_slug(self, slug: str, user: Any) -> Collection | None:
        """The collection `owner/title-<id>` names, when `user` may see it. The id decides; the owner
        must match (in any case); the title part may be an older title's."""
        owner, _, rest = (slug or "").partition("/")
        number = rest.rsplit("-", 1)[-1]
        if not owner or not number.isascii() or not number.isdigit() or len(number) > 18:
            return None
        found = self.visible_to(user).select_related("owner").filter(pk=int(number)).first()
        if found is None or found.owner.get_username().lower() != owner.lower():
            return None
        return found


class Collection(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="paper_collections"
    )
    title = models.CharField(max_length=TITLE_MAX)
    description = models.TextField(blank=True, max_length=DESCRIPTION_MAX)
    private = models.BooleanField(default=False)
    theme = models.CharField(max_length=20, default="blue", choices=[(t, t) for t in THEMES])
    # Where it stands among its owner's collections (their profile lists them so).
    position = models.PositiveIntegerField(default=0)
    upvote_count = models.PositiveIntegerField(default=0)
    hidden = models.BooleanField(default=False, help_text="Hidden by a moderator: only its owner sees it.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = CollectionQuerySet.as_manager()

    class Meta:
        ordering = ["owner", "position", "id"]
        indexes = [models.Index(fields=["owner", "position"])]

    def __str__(self) -> str:
        return f"{self.owner.get_username()}: {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("collections:detail", args=[self.owner.get_username(), self.slug_tail])

    @property
    def slug(self) -> str:
        """`owner/title-<id>`, as Hugging Face names a collection."""
        return f"{self.owner.get_username()}/{slugify(self.title)[:60] or 'collection'}-{self.pk}"

    @property
    def slug_tail(self) -> str:
        return self.slug.split("/", 1)[1]

    @property
    def description_html(self) -> str:
        return plain_html(self.description)

    def is_owner(self, user: Any) -> bool:
        return bool(user is not None and user.is_authenticated and user.pk == self.owner_id)

    def _require_owner(self, user: Any) -> None:
        require_member(user, "change collections")
        if not self.is_owner(user):
            raise PermissionDenied("Only its owner can change this collection.")

    def shown_items(self) -> models.QuerySet[CollectionItem]:
        """Its items in order, papers a moderator hid left out."""
        return self.items.filter(paper__hidden=False).select_related("paper").order_by("position", "id")

    def _touch(self) -> None:
        """Mark it changed now: its lastUpdated, the owner's own copies of pages, the papers' pages."""
        self.updated_at = timezone.now()
        Collection.objects.filter(pk=self.pk).update(updated_at=self.updated_at)
        pagecache.bump_reader(self.owner_id)

    # --- the owner's changes --------------------------------------------------------------------

    @classmethod
    def create(
        cls, user: Any, title: Any, description: Any = "", private: bool = False, theme: str = ""
    ) -> Collection:
        require_member(user, "make collections")
        title = _text(title, "title", TITLE_MAX, required=True)
        description = _text(description, "description", DESCRIPTION_MAX)
        if theme and theme not in THEMES:
            raise ValidationError(f"theme must be one of {', '.join(THEMES)}.", code="invalid")
        with transaction.atomic():
            # Under a lock on the member's row: two creations at once count and number one another.
            get_user_model().objects.select_for_update().filter(pk=user.pk).values_list("pk").first()
            mine = cls.objects.filter(owner=user)
            same = mine.filter(title__iexact=title).select_related("owner").first()
            if same is not None:  # as on Hugging Face: one title, one collection
                raise _exists(same)
            if mine.count() >= MAX_COLLECTIONS:
                raise ValidationError(
                    f"You have {MAX_COLLECTIONS} collections already; delete one first.", code="too_many"
                )
            last = mine.aggregate(n=Max("position"))["n"]
            collection = cls.objects.create(
                owner=user,
                title=title,
                description=description,
                private=bool(private),
                theme=theme or "blue",
                position=0 if last is None else last + 1,
            )
            pagecache.bump_reader(user.pk)
        return collection

    def change(self, user: Any, **fields: Any) -> None:
        """The owner changes its title, description, private, theme, or its position among theirs."""
        self._require_owner(user)
        update = []
        if "title" in fields:
            title = _text(fields["title"], "title", TITLE_MAX, required=True)
            # One title, one collection, as `create` keeps it: a rename may not take another's.
            same = (
                Collection.objects.filter(owner_id=self.owner_id, title__iexact=title)
                .exclude(pk=self.pk)
                .select_related("owner")
                .first()
            )
            if same is not None:
                raise _exists(same)
            self.title = title
            update.append("title")
        if "description" in fields:
            self.description = _text(fields["description"], "description", DESCRIPTION_MAX)
            update.append("description")
        if "private" in fields:
            if not isinstance(fields["private"], bool):
                raise ValidationError("private must be true or false.", code="invalid")
            self.private = fields["private"]
            update.append("private")
        if "theme" in fields:
            if fields["theme"] not in THEMES:
                raise ValidationError(f"theme must be one of {', '.join(THEMES)}.", code="invalid")
            self.theme = fields["theme"]
            update.append("theme")
        with transaction.atomic():
            if update:
                self.updated_at = timezone.now()
                self.save(update_fields=[*update, "updated_at"])
            if "position" in fields:
                mine = list(Collection.objects.select_for_update().filter(owner_id=self.owner_id))
                _reorder(mine, self, fields["position"])
            pagecache.bump_reader(self.owner_id)

    def delete_by(self, user: Any) -> None:
        self._require_owner(user)
        with transaction.atomic():
            self.delete()
            pagecache.bump_reader(user.pk)

    def add_paper(self, user: Any, paper: Paper, note: Any = "") -> CollectionItem:
        """Append a paper; ValidationError (code "exists") when it is in the collection already."""
        self._require_owner(user)
        note = _text(note, "note", NOTE_MAX)
        if paper.hidden:
            raise ValidationError("This paper is hidden; it cannot be collected.", code="hidden_paper")
        with transaction.atomic():
            # Lock the collection: two adds at once number their positions one after the other.
            list(Collection.objects.select_for_update().filter(pk=self.pk).values_list("pk"))
            items = self.items.all()
            if items.count() >= MAX_ITEMS:
                raise ValidationError(f"A collection holds at most {MAX_ITEMS:,} papers.", code="too_many")
            last = items.aggregate(n=Max("position"))["n"]
            try:
                with transaction.atomic():
                    item = CollectionItem.objects.create(
                        collection=self, paper=paper, note=note, position=0 if last is None else last + 1
                    )
            except IntegrityError:
                raise ValidationError(
                    f"“{paper.title_line[:80]}” is in this collection already.", code="exists"
                ) from None
            self._touch()
        return item

    def item(self, item_id: Any) -> CollectionItem | None:
        """One of its items by its id (the API's item_object_id), or by the paper's arXiv id."""
        text = str(item_id)
        if text.isascii() and text.isdigit() and len(text) <= 18:
            found = self.items.select_related("paper").filter(pk=int(text)).first()
            if found is not None:
                return found
        return self.items.select_related("paper").filter(paper__arxiv_id=text).first()


def _reorder(rows: list, moved: Any, position: Any) -> None:
    """Put `moved` at `position` (0 first; past the end: last) among `rows`, numbering them 0, 1, ..."""
    if isinstance(position, bool) or not isinstance(position, int) or position < 0:
        raise ValidationError("position must be a whole number, 0 or more.", code="invalid")
    rows = sorted(rows, key=lambda r: (r.position, r.pk))
    rows = [r for r in rows if r.pk != moved.pk]
    rows.insert(min(position, len(rows)), moved)
    for index, row in enumerate(rows):
        if row.position != index:
            type(row).objects.filter(pk=row.pk).update(position=index)
            row.position = index
        if row.pk == moved.pk:
            moved.position = index


class CollectionItem(models.Model):
    collection = models.ForeignKey(Collection, on_delete=models.CASCADE, related_name="items")
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="collection_items")
    note = models.TextField(blank=True, max_length=NOTE_MAX)
    position = models.PositiveIntegerField(default=0)
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["collection", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["collection", "paper"], name="one_item_per_paper_per_collection")
        ]

    def __str__(self) -> str:
        return f"{self.paper.arxiv_id} in collection {self.collection_id}"

    @property
    def note_html(self) -> str:
        return plain_html(self.note)

    def change(self, user: Any, note: Any = None, position: Any = None) -> None:
        """The owner rewrites its note and/or moves it (0: first)."""
        collection = self.collection
        collection._require_owner(user)
        with transaction.atomic():
            if note is not None:
                self.note = _text(note, "note", NOTE_MAX)
                self.save(update_fields=["note"])
            if position is not None:
                rows = list(CollectionItem.objects.select_for_update().filter(collection=collection))
                _reorder(rows, self, position)
            collection._touch()

    def remove(self, user: Any) -> None:
        collection = self.collection
        collection._require_owner(user)
        with transaction.atomic():
            self.delete()
            collection._touch()


class CollectionUpvote(models.Model):
    """A member's vote for a collection they can see; any member, their own collection too, once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="collection_upvotes"
    )
    collection = models.ForeignKey(Collection, on_delete=models.CASCADE, related_name="upvotes")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "collection"], name="one_upvote_per_user_per_collection")
        ]

    def __str__(self) -> str:
        return f"{self.user} ↑ collection {self.collection_id}"

    @classmethod
    def toggle(cls, user: Any, collection: Collection, on: bool | None = None) -> tuple[bool, int]:
        """Vote, unvote or flip (None); (voted now?, the collection's upvote_count). As for papers,
        the unique constraint settles racing votes and the count moves by the row that changed."""
        require_member(user, "vote")
        return toggle_counted(cls, collection, on, "collection", user)

    @classmethod
    def voted(cls, user: Any, collection: Collection) -> bool:
        return bool(
            user is not None
            and user.is_authenticated
            and cls.objects.filter(user=user, collection=collection).exists()
        )


def paper_stamps(row: Collection | CollectionItem) -> set[str]:
    """The stamps a change of a collection or an item moves (for `pagecache.watch`): the pages of the
    papers concerned (they list the collections holding them), and the collection's own."""
    if isinstance(row, CollectionItem):
        ids = Paper.objects.filter(pk=row.paper_id).values_list("arxiv_id", flat=True)
        return {f"collection:{row.collection_id}", *(stamps.paper(a) for a in ids)}
    ids = Paper.objects.filter(collection_items__collection_id=row.pk).values_list("arxiv_id", flat=True)
    return {f"collection:{row.pk}", *(stamps.paper(a) for a in ids)}


def collections_holding(paper: Paper, user: Any, limit: int = 10) -> list[Collection]:
    """The collections with this paper that `user` may see (for the paper page), most upvoted first."""
    return list(
        Collection.objects.visible_to(user)
        .filter(items__paper=paper)
        .select_related("owner")
        .order_by("-upvote_count", "-updated_at", "-id")[:limit]
    )
