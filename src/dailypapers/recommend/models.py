"""A member's signals and what the model learned from them.

Each signal is written in one place, a class method here (`Save.add`, `Dismissal.add`, `Follow.add`,
`Mute.add`, `Rating.rate` and their undoing): views, the admin and tests all go through them, so every
route checks the member and normalises the input the same way, and every change marks the member's
Taste as due for retraining (`Taste.signals_changed_at`). `forget_everything` is the reset.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import IntegrityError, models, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from dailypapers.core import pagecache
from dailypapers.core.members import require_member
from dailypapers.papers import arxiv_categories
from dailypapers.papers.authors import author_key
from dailypapers.papers.models import Author, Paper

MAX_TAGS = 20
TAG_LENGTH = 40
NOTE_LENGTH = 5_000
VALUE_LENGTH = 300  # an author key, a category code, a username or a keyword
DEFAULT_MIX = 0.7


def taste_stamp(user_id: int) -> str:
    """The stamp of what a member's For you pages show beyond their signals: their trained model and
    mix. It moves when either changes; the member's other pages do not depend on it."""
    return f"taste:{user_id}"


def _changed(user: Any) -> None:
    """After any signal is added or removed: the member's taste is due for retraining, and the
    member's own copies of pages (which hide dismissed papers and mark saved ones) are stale."""
    Taste.signals_changed(user)
    pagecache.bump_reader(user.pk)


def clean_tags(tags: str | list[str] | None) -> list[str]:
    """Tags as a list: commas (or a list) separate them, spaces inside one are kept single,
    duplicates (in any case) dropped, order kept; ValidationError when there are too many or one is
    too long."""
    if tags is None:
        return []
    raw = re.split(r",", tags) if isinstance(tags, str) else [str(t) for t in tags]
    cleaned: dict[str, str] = {}
    for item in raw:
        tag = " ".join(item.split())
        if not tag:
            continue
        if len(tag) > TAG_LENGTH:
            raise ValidationError(
                f"Tags can be at most {TAG_LENGTH} characters long (“{tag[:TAG_LENGTH]}…” is longer).",
                code="long_tag",
            )
        cleaned.setdefault(tag.casefold(), tag)
    if len(cleaned) > MAX_TAGS:
        raise ValidationError(f"A paper can have at most {MAX_TAGS} tags.", code="many_tags")
    return list(cleaned.values())


def clean_note(note: str | None) -> str:
    note = (note or "").replace("\r\n", "\n").strip()
    if len(note) > NOTE_LENGTH:
        raise ValidationError(
            f"Notes can be at most {NOTE_LENGTH:,} characters long (this one has {len(note):,}).",
            code="long_note",
        )
    return note


class Save(models.Model):
    """A paper in the member's private library, with their tags (folders) and note."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saves")
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="saves")
    tags = models.JSONField(default=list, blank=True)
    note = models.TextField(blank=True, max_length=NOTE_LENGTH)
    saved_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-saved_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["user", "paper"], name="one_save_per_paper")]
        indexes = [models.Index(fields=["user", "-saved_at"])]

    def __str__(self) -> str:
        return f"{self.user} saved {self.paper.arxiv_id}"

    @classmethod
    def add(
        cls, user: Any, paper: Paper, tags: str | list[str] | None = None, note: str | None = None
    ) -> Save:
        """Save the paper (idempotent; tags and note replace the old ones when given). Saving is
        the opposite of "Not interested": a dismissal of the paper is withdrawn."""
        require_member(user, "save papers")
        if paper.hidden:
            raise PermissionDenied("This paper is hidden; it cannot be saved.")
        fields: dict[str, Any] = {}
        if tags is not None:
            fields["tags"] = clean_tags(tags)
        if note is not None:
            fields["note"] = clean_note(note)
        with transaction.atomic():
            Dismissal.objects.filter(user=user, paper=paper).delete()
            try:
                with transaction.atomic():
                    save = cls.objects.create(user=user, paper=paper, **fields)
            except IntegrityError:  # saved already (or a racing click): keep it, with what was given
                save = cls.objects.get(user=user, paper=paper)
                if fields:
                    for name, value in fields.items():
                        setattr(save, name, value)
                    save.save(update_fields=list(fields))
            _changed(user)
        return save

    @classmethod
    def add_many(cls, user: Any, papers: list[Paper]) -> int:
        """Save many papers at once (an imported library), all or none: one transaction, a few
        queries whatever the number. Papers saved already keep their tags and notes; dismissals of
        the others are withdrawn, as `add` does. Returns how many were newly saved."""
        require_member(user, "save papers")
        by_pk = {paper.pk: paper for paper in papers}
        hidden = [paper for paper in by_pk.values() if paper.hidden]
        if hidden:
            raise PermissionDenied(f"arXiv:{hidden[0].arxiv_id} is hidden; it cannot be saved.")
        if not by_pk:
            return 0
        pks = list(by_pk)
        with transaction.atomic():
            have: set[int] = set()
            for start in range(0, len(pks), 500):  # SQLite's limit on a query's parameters
                chunk = pks[start : start + 500]
                Dismissal.objects.filter(user=user, paper__in=chunk).delete()
                have.update(cls.objects.filter(user=user, paper__in=chunk).values_list("paper_id", flat=True))
            now = timezone.now()
            new = [cls(user=user, paper_id=pk, saved_at=now) for pk in pks if pk not in have]
            # A racing save of one of them keeps its own row (and its tags).
            cls.objects.bulk_create(new, batch_size=500, ignore_conflicts=True)
            _changed(user)
        return len(new)

    def edit(self, user: Any, tags: str | list[str] | None = None, note: str | None = None) -> None:
        """The member rewrites the tags and note of their own save."""
        if not (user and user.is_authenticated and user.pk == self.user_id):
            raise PermissionDenied("Only its owner can change a saved paper.")
        fields = []
        if tags is not None:
            self.tags = clean_tags(tags)
            fields.append("tags")
        if note is not None:
            self.note = clean_note(note)
            fields.append("note")
        if fields:
            self.save(update_fields=fields)
            pagecache.bump_reader(user.pk)

    @classmethod
    def remove(cls, user: Any, paper: Paper) -> bool:
        """Take the paper out of the library; True when it was there."""
        require_member(user, "change your library")
        deleted, _ = cls.objects.filter(user=user, paper=paper).delete()
        if deleted:
            _changed(user)
        return bool(deleted)

    @classmethod
    def saved_ids(cls, user: Any, papers) -> set[int]:
        """Which of these papers the member has saved (for drawing the buttons)."""
        if user is None or not user.is_authenticated:
            return set()
        ids = [p.pk for p in papers]
        return set(cls.objects.filter(user=user, paper__in=ids).values_list("paper_id", flat=True))

    @classmethod
    def tags_of(cls, user: Any) -> list[tuple[str, int]]:
        """The member's tags (as first spelt) with how many saved papers carry each, most used first."""
        counts: dict[str, int] = {}
        spelling: dict[str, str] = {}
        for tags in cls.objects.filter(user=user).order_by("saved_at", "id").values_list("tags", flat=True):
            for tag in tags or []:
                spelling.setdefault(tag.casefold(), tag)
                counts[tag.casefold()] = counts.get(tag.casefold(), 0) + 1
        return sorted(((spelling[k], n) for k, n in counts.items()), key=lambda t: (-t[1], t[0].casefold()))

    def has_tag(self, tag: str) -> bool:
        return tag.casefold() in {t.casefold() for t in self.tags}


class Dismissal(models.Model):
    """ "Not interested": the paper's card is hidden from the member everywhere feeds show cards, and
    the paper is a negative example for their taste."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="dismissals")
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="dismissals")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-id"]
        constraints = [models.UniqueConstraint(fields=["user", "paper"], name="one_dismissal_per_paper")]

    def __str__(self) -> str:
        return f"{self.user} not interested in {self.paper.arxiv_id}"

    @classmethod
    def add(cls, user: Any, paper: Paper) -> Dismissal:
        """Dismiss the paper (idempotent). The opposite of saving: it leaves the member's library."""
        require_member(user, "hide papers")
        with transaction.atomic():
            Save.objects.filter(user=user, paper=paper).delete()
            dismissal, _ = cls.objects.get_or_create(user=user, paper=paper)
            _changed(user)
        return dismissal

    @classmethod
    def undo(cls, user: Any, paper: Paper) -> bool:
        """Show the paper again; True when it was dismissed."""
        require_member(user, "show papers again")
        deleted, _ = cls.objects.filter(user=user, paper=paper).delete()
        if deleted:
            _changed(user)
        return bool(deleted)

    @classmethod
    def exclude_from(cls, queryset: QuerySet, user: Any, paper_field: str = "paper") -> QuerySet:
        """`queryset` (of listings, papers, ... whose `paper_field` is a paper) without the papers
        this member dismissed; unchanged for anonymous readers. A subquery, so paging counts right."""
        if user is None or not user.is_authenticated:
            return queryset
        dismissed = cls.objects.filter(user=user).values("paper_id")
        return queryset.exclude(**{f"{paper_field}__in": dismissed})

    @classmethod
    def hidden_ids(cls, user: Any) -> set[int]:
        """The papers this member dismissed (none for anonymous readers)."""
        if user is None or not user.is_authenticated:
            return set()
        return set(cls.objects.filter(user=user).values_list("paper_id", flat=True))


class Follow(models.Model):
    """Following an author (by papers.Author key), an arXiv category (by its code) or a member (by
    username)."""

    class Kind(models.TextChoices):
        AUTHOR = "author", "author"
        CATEGORY = "category", "category"
        MEMBER = "member", "member"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="follows")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    target = models.CharField(max_length=VALUE_LENGTH)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["kind", "target"]
        constraints = [
            models.UniqueConstraint(fields=["user", "kind", "target"], name="one_follow_per_target")
        ]
        indexes = [models.Index(fields=["kind", "target"])]

    def __str__(self) -> str:
        return f"{self.user} follows {self.kind} {self.target}"

    @classmethod
    def normalise(cls, user: Any, kind: str, target: str) -> str:
        """The target as stored: an author's matching key, a category as arXiv spells it, a member's
        username as they spell it; ValidationError for what is not there to follow."""
        target = " ".join((target or "").split())
        if not target:
            raise ValidationError("Say what to follow.", code="empty")
        if kind == cls.Kind.AUTHOR:
            key = author_key(target)
            if not Author.objects.filter(key=key).exists():
                raise ValidationError(f"No papers here are by “{target[:80]}”.", code="unknown_author")
            return key
        if kind == cls.Kind.CATEGORY:
            spelling = arxiv_categories.known([target])
            if target not in spelling:
                raise ValidationError(f"Not an arXiv category: {target[:40]}.", code="unknown_category")
            return spelling[target]
        if kind == cls.Kind.MEMBER:
            member = get_user_model().objects.filter(username__iexact=target, is_active=True).first()
            if member is None:
                raise ValidationError(f"No member is called “{target[:80]}”.", code="unknown_member")
            if member.pk == user.pk:
                raise ValidationError("You cannot follow yourself.", code="self")
            return member.get_username()
        raise ValidationError(f"Cannot follow a {kind[:20]}.", code="kind")

    @classmethod
    def add(cls, user: Any, kind: str, target: str) -> Follow:
        require_member(user, "follow")
        target = cls.normalise(user, kind, target)
        with transaction.atomic():
            follow, _ = cls.objects.get_or_create(user=user, kind=kind, target=target)
            _changed(user)
        return follow

    @classmethod
    def remove(cls, user: Any, kind: str, target: str) -> bool:
        require_member(user, "unfollow")
        target = " ".join((target or "").split())
        if kind == cls.Kind.AUTHOR:
            target = author_key(target)
        deleted, _ = cls.objects.filter(user=user, kind=kind, target__iexact=target).delete()
        if deleted:
            _changed(user)
        return bool(deleted)

    @classmethod
    def targets(cls, user: Any, kind: str) -> set[str]:
        """Everything of one kind the member follows (nothing for anonymous readers)."""
        if user is None or not user.is_authenticated:
            return set()
        return set(cls.objects.filter(user=user, kind=kind).values_list("target", flat=True))

    @classmethod
    def follows(cls, user: Any, kind: str, target: str) -> bool:
        if user is None or not user.is_authenticated:
            return False
        if kind == cls.Kind.AUTHOR:
            target = author_key(target)
        return cls.objects.filter(user=user, kind=kind, target__iexact=target).exists()


class Mute(models.Model):
    """An author, category or keyword the member never wants recommended (filtered out after ranking)."""

    class Kind(models.TextChoices):
        AUTHOR = "author", "author"
        CATEGORY = "category", "category"
        KEYWORD = "keyword", "keyword"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mutes")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    # An author's matching key, a category code as arXiv spells it, a keyword in lower case.
    value = models.CharField(max_length=VALUE_LENGTH)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["kind", "value"]
        constraints = [models.UniqueConstraint(fields=["user", "kind", "value"], name="one_mute_per_value")]

    def __str__(self) -> str:
        return f"{self.user} mutes {self.kind} {self.value}"

    @classmethod
    def normalise(cls, kind: str, value: str) -> str:
        value = " ".join((value or "").split())
        if not value:
            raise ValidationError("Say what to mute.", code="empty")
        if len(value) > VALUE_LENGTH:
            raise ValidationError(f"At most {VALUE_LENGTH} characters, please.", code="long")
        if kind == cls.Kind.AUTHOR:
            return author_key(value)  # any spelling: authors the site does not list yet are muted too
        if kind == cls.Kind.CATEGORY:
            spelling = arxiv_categories.known([value])
            if value not in spelling:
                raise ValidationError(f"Not an arXiv category: {value[:40]}.", code="unknown_category")
            return spelling[value]
        if kind == cls.Kind.KEYWORD:
            return value.casefold()
        raise ValidationError(f"Cannot mute a {kind[:20]}.", code="kind")

    @classmethod
    def add(cls, user: Any, kind: str, value: str) -> Mute:
        require_member(user, "mute")
        value = cls.normalise(kind, value)
        with transaction.atomic():
            mute, _ = cls.objects.get_or_create(user=user, kind=kind, value=value)
            _changed(user)
        return mute

    @classmethod
    def remove(cls, user: Any, kind: str, value: str) -> bool:
        require_member(user, "unmute")
        try:
            value = cls.normalise(kind, value)
        except ValidationError:
            return False
        deleted, _ = cls.objects.filter(user=user, kind=kind, value=value).delete()
        if deleted:
            _changed(user)
        return bool(deleted)

    @classmethod
    def of(cls, user: Any) -> dict[str, list[str]]:
        """The member's mutes by kind: {"author": [keys], "category": [codes], "keyword": [words]}."""
        found: dict[str, list[str]] = {kind: [] for kind in cls.Kind.values}
        if user is not None and user.is_authenticated:
            for kind, value in cls.objects.filter(user=user).values_list("kind", "value"):
                found[kind].append(value)
        return found


class Rating(models.Model):
    """A thumbs up (+1) or down (-1) from the cold-start rating round."""

    UP, DOWN = 1, -1

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="ratings")
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="ratings")
    value = models.SmallIntegerField(choices=[(UP, "more like this"), (DOWN, "less like this")])
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "paper"], name="one_rating_per_paper"),
            models.CheckConstraint(condition=Q(value__in=[1, -1]), name="rating_is_up_or_down"),
        ]

    def __str__(self) -> str:
        return f"{self.user} rated {self.paper.arxiv_id} {self.value:+d}"

    @classmethod
    def rate(cls, user: Any, paper: Paper, value: int) -> Rating:
        """Rate the paper (a second rating replaces the first)."""
        require_member(user, "rate papers")
        if value not in (cls.UP, cls.DOWN):
            raise ValidationError("A rating is +1 or -1.", code="value")
        with transaction.atomic():
            rating, _ = cls.objects.update_or_create(
                user=user, paper=paper, defaults={"value": value, "at": timezone.now()}
            )
            _changed(user)
        return rating

    @classmethod
    def clear(cls, user: Any, paper: Paper) -> bool:
        require_member(user, "rate papers")
        deleted, _ = cls.objects.filter(user=user, paper=paper).delete()
        if deleted:
            _changed(user)
        return bool(deleted)


def new_feed_key() -> str:
    return secrets.token_urlsafe(24)


class TasteQuerySet(models.QuerySet):
    def due(self, now: dt.datetime | None = None) -> TasteQuerySet:
        """Tastes whose signals changed since they were last trained, and that no worker holds."""
        now = now or timezone.now()
        return self.filter(signals_changed_at__isnull=False).filter(
            Q(trained_at__isnull=True) | Q(signals_changed_at__gt=models.F("trained_at")),
            Q(claimed_until__isnull=True) | Q(claimed_until__lte=now),
        )


class Taste(models.Model):
    """What was learned of one member: their model (bytes, whatever `model_kind` says it is), when it
    was trained and when their signals last changed (a worker retrains the members whose signals
    changed since), how much their personal score weighs against the community's votes, and the
    secret key of their private feed.

    Workers claim a member with a conditional UPDATE on `claimed_until` (`claim`), as the digest
    sender claims subscriptions: two workers never train one member at once, and a claim left by a
    worker that died runs out by itself."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="taste")
    model_kind = models.CharField(max_length=40, blank=True)
    model = models.BinaryField(null=True, blank=True)
    # When the signals the stored model learned from were read; null: never trained.
    trained_at = models.DateTimeField(null=True, blank=True)
    signals_changed_at = models.DateTimeField(null=True, blank=True, db_index=True)
    mix = models.FloatField(
        default=DEFAULT_MIX,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text="How much the personal score counts against the community's votes (0 to 1).",
    )
    claimed_until = models.DateTimeField(null=True, blank=True)
    # Kept as it is (not hashed): the member's settings page shows their feed's address. It is a
    # bearer secret for reading their private feed only; regenerating it retires the old address.
    feed_key = models.CharField(max_length=64, unique=True, default=new_feed_key)

    objects = TasteQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(mix__gte=0) & Q(mix__lte=1), name="taste_mix_between_0_and_1")
        ]

    def __str__(self) -> str:
        return f"taste of {self.user}"

    @classmethod
    def of(cls, user: Any) -> Taste:
        """The member's taste, created on first use."""
        taste, _ = cls.objects.get_or_create(user=user)
        return taste

    @classmethod
    def signals_changed(cls, user: Any, now: dt.datetime | None = None) -> None:
        now = now or timezone.now()
        if not cls.objects.filter(user=user).update(signals_changed_at=now):
            try:
                with transaction.atomic():
                    cls.objects.create(user=user, signals_changed_at=now)
            except IntegrityError:  # made by a racing request meanwhile
                cls.objects.filter(user=user).update(signals_changed_at=now)

    @classmethod
    def by_feed_key(cls, key: str) -> Taste | None:
        """The taste a private feed's key names, for an active member; None for anything else."""
        if not key or len(key) > 64:
            return None
        taste = cls.objects.select_related("user").filter(feed_key=key).first()
        if taste is None or not taste.user.is_active or not secrets.compare_digest(taste.feed_key, key):
            return None
        return taste

    def regenerate_feed_key(self) -> str:
        """A new private feed address; the old one stops working at once."""
        self.feed_key = new_feed_key()
        self.save(update_fields=["feed_key"])
        return self.feed_key

    def set_mix(self, value: float | str) -> None:
        try:
            mix = float(value)
        except (TypeError, ValueError):
            raise ValidationError("The mix is a number from 0 to 1.", code="mix") from None
        if not 0 <= mix <= 1:  # also refuses NaN
            raise ValidationError("The mix is a number from 0 to 1.", code="mix")
        self.mix = mix
        self.save(update_fields=["mix"])
        pagecache.bump_alone(taste_stamp(self.user_id))

    # --- workers ---------------------------------------------------------------------------------

    def claim(self, lease: dt.timedelta, now: dt.datetime | None = None) -> bool:
        """Hold this member for training until now + lease; False when another worker holds them.
        One conditional UPDATE decides between racing workers."""
        now = now or timezone.now()
        until = now + lease
        won = (
            type(self)
            .objects.filter(pk=self.pk)
            .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lte=now))
            .update(claimed_until=until)
        )
        if won:
            self.claimed_until = until
        return bool(won)

    def store(self, model_kind: str, model: bytes | None, signals_read_at: dt.datetime) -> bool:
        """Keep a trained model and let the claim go. `signals_read_at` is when training read the
        signals: a signal given since leaves the taste due again. False (nothing stored) when the
        member reset everything meanwhile."""
        stored = (
            type(self)
            .objects.filter(pk=self.pk)
            .update(model_kind=model_kind, model=model, trained_at=signals_read_at, claimed_until=None)
        )
        if stored:
            self.model_kind, self.model, self.trained_at, self.claimed_until = (
                model_kind,
                model,
                signals_read_at,
                None,
            )
            # Only the member's For you pages show the model: their other pages keep their copies.
            pagecache.bump_alone(taste_stamp(self.user_id))
        return bool(stored)

    def release(self) -> None:
        """Let the claim go without storing anything (training failed)."""
        type(self).objects.filter(pk=self.pk).update(claimed_until=None)
        self.claimed_until = None


@transaction.atomic
def forget_everything(user: Any) -> dict[str, int]:
    """The reset: every signal the member gave and everything learned from them go, keeping nothing
    (their library, follows, mutes, ratings, dismissals, their model, mix and private feed address).
    Returns how many rows of each kind went."""
    require_member(user, "reset your recommendations")
    gone = {}
    for model in (Save, Dismissal, Follow, Mute, Rating, Taste):
        deleted, _ = model.objects.filter(user=user).delete()
        gone[model._meta.model_name] = deleted
    pagecache.bump_reader(user.pk)
    pagecache.bump_alone(taste_stamp(user.pk))
    return gone
