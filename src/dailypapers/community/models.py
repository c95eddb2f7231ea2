"""What members add: upvotes, comments and claims of authorship.

The rules live here (fat models): views, the API and the admin all go through `Upvote.toggle`,
`Comment.post`, `Comment.edit`, `Comment.remove` and `Comment.set_hidden`, so every route checks
the same permissions and keeps Paper.upvote_count / Paper.comment_count right.
"""

from __future__ import annotations

import datetime as dt
import math

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.functional import cached_property

from dailypapers.core.members import require_member
from dailypapers.core.models import ModerationAction
from dailypapers.core.votes import toggle_counted
from dailypapers.papers.models import Paper


class Upvote(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="upvotes")
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="upvotes")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "paper"], name="one_upvote_per_user")]

    def __str__(self) -> str:
        return f"{self.user} ↑ {self.paper.arxiv_id}"

    @classmethod
    def toggle(cls, user, paper: Paper, on: bool | None = None) -> tuple[bool, int]:
        """Vote (on=True), unvote (on=False) or flip (None); returns (voted now?, the paper's upvote_count).

        Exact under concurrency (core.votes.toggle_counted).
        """
        require_member(user, "vote")
        if paper.hidden and on is not False:
            raise PermissionDenied("This paper is hidden; it cannot be voted on.")
        return toggle_counted(cls, paper, on, "paper", user)

    @classmethod
    def voted_ids(cls, user, papers) -> set[int]:
        """Which of these papers `user` has upvoted (for drawing the vote buttons)."""
        if user is None or not user.is_authenticated:
            return set()
        return set(
            cls.objects.filter(user=user, paper__in=[p.pk for p in papers]).values_list("paper_id", flat=True)
        )


# Comments a moderator hid, and the replies under them: their thread goes out of sight with them.
_HELD_BACK = Q(hidden=True) | Q(parent__hidden=True)


class CommentQuerySet(models.QuerySet):
    def shown(self) -> CommentQuerySet:
        """What readers see (and Paper.comment_count counts): comments neither removed by their
        author nor hidden by a moderator, nor replies under a hidden comment."""
        return self.filter(removed=False).exclude(_HELD_BACK)

    def held_back(self) -> CommentQuerySet:
        """What only moderators see: hidden comments and the replies under them."""
        return self.filter(removed=False).filter(_HELD_BACK)

    def threads(self, paper: Paper, include_hidden: bool = False) -> list[Comment]:
        """A paper's discussion: its top-level comments, oldest first, each with its replies
        (oldest first) as `thread_replies`. Comments hidden by a moderator, and the replies under
        them, are left out unless `include_hidden` (moderators see them, marked as such): readers see
        just what `shown()` counts. Authors' "[removed]" placeholders stay while replies hang on them,
        so that the replies keep their context."""
        comments = self.filter(paper=paper)
        if not include_hidden:
            comments = comments.filter(hidden=False)
        comments = list(comments.select_related("author__profile").order_by("created_at", "id"))
        threads: dict[int, Comment] = {}
        for comment in comments:
            if comment.parent_id is None:
                comment.thread_replies = []
                threads[comment.pk] = comment
        for comment in comments:
            if comment.parent_id is not None and comment.parent_id in threads:
                threads[comment.parent_id].thread_replies.append(comment)
        # A "[removed]" placeholder is there to hold up its replies; with none in sight it goes too.
        return [t for t in threads.values() if not (t.removed and not t.thread_replies)]


class Comment(models.Model):
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="comments"
    )
    # Replies are one level deep: a reply's parent is always a top-level comment.
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="replies"
    )
    body = models.TextField(max_length=10_000)
    created_at = models.DateTimeField(auto_now_add=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    hidden = models.BooleanField(default=False, help_text="Hidden by a moderator.")
    # Removed by its author (or with the author's account) while replies hang on it: kept as a
    # "[removed]" placeholder so the replies keep their context; its body is gone.
    removed = models.BooleanField(default=False)

    objects = CommentQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["paper", "created_at"])]

    def __str__(self) -> str:
        return f"comment {self.pk} on {self.paper.arxiv_id}"

    def get_absolute_url(self) -> str:
        return f"{self.paper.get_absolute_url()}#comment-{self.pk}"

    @cached_property
    def body_html(self) -> str:
        """The body as sanitised HTML (Markdown rendered by markdown-it-py, cleaned by nh3)."""
        from dailypapers.community.comment_html import render

        return render(self.body)

    @staticmethod
    def clean_body(body: str) -> str:
        body = (body or "").replace("\r\n", "\n").strip()
        if not body:
            raise ValidationError("Write something before posting.", code="empty")
        limit = min(settings.COMMENT_MAX_LENGTH, 10_000)
        if len(body) > limit:
            raise ValidationError(
                f"Comments can be at most {limit:,} characters long (this one has {len(body):,}).",
                code="long",
            )
        return body

    @classmethod
    def post(cls, user, paper: Paper, body: str, parent: Comment | None = None) -> Comment:
        """A new comment (or a reply); ValidationError with a reader-facing message when it cannot be."""
        require_member(user, "comment")
        body = cls.clean_body(body)
        if paper.hidden:
            raise ValidationError("This paper is hidden; it cannot be discussed.", code="hidden_paper")
        if parent is not None:
            if parent.paper_id != paper.pk:
                raise ValidationError("That reply belongs to another paper.", code="wrong_paper")
            if parent.parent_id:
                parent = parent.parent  # one level deep: a reply to a reply joins the same thread
            if parent.hidden or parent.removed:
                raise ValidationError("That comment is no longer there to reply to.", code="gone")
        per_hour = settings.COMMENTS_PER_HOUR
        if per_hour and not user.is_staff:
            now = timezone.now()
            recent = cls.objects.filter(author=user, created_at__gte=now - dt.timedelta(hours=1))
            if recent.count() >= per_hour:
                # Room for one more once the oldest of the hour's comments is an hour old.
                oldest = recent.order_by("created_at").values_list("created_at", flat=True).first() or now
                wait = (oldest + dt.timedelta(hours=1) - now).total_seconds()
                raise ValidationError(
                    f"You have posted {per_hour} comments in the last hour; please wait a little.",
                    code="rate",
                    params={"retry_after": max(1, math.ceil(wait))},
                )
        with transaction.atomic():
            comment = cls.objects.create(paper=paper, author=user, parent=parent, body=body)
            recount_comments(paper.pk)
            # The paper's watchers hear of it; the author never of their own comment.
            Notification.tell_watchers(
                [paper.pk], Notification.Kind.COMMENT, comment=comment, skip_user=user.pk
            )
        return comment

    def can_change(self, user) -> bool:
        return bool(user and user.is_authenticated and user.is_active and self.author_id == user.pk)

    def can_remove(self, user) -> bool:
        return self.can_change(user) or bool(
            user and user.is_authenticated and user.is_active and user.is_staff
        )

    def edit(self, user, body: str) -> None:
        """The author rewrites the comment; PermissionDenied for anyone else."""
        if not self.can_change(user):
            raise PermissionDenied("Only its author can edit a comment.")
        if self.removed:
            raise ValidationError("This comment was removed.", code="gone")
        self.body = self.clean_body(body)
        self.edited_at = timezone.now()
        self.save(update_fields=["body", "edited_at"])
        self.__dict__.pop("body_html", None)

    def remove(self, user) -> None:
        """Deleted by its author or by staff; a comment with replies stays as a "[removed]" placeholder."""
        if not self.can_remove(user):
            raise PermissionDenied("Only its author or a moderator can delete a comment.")
        with transaction.atomic():
            if self.author_id != getattr(user, "pk", None):
                ModerationAction.record(user, ModerationAction.Kind.DELETE_COMMENT, self)
            self.erase()

    def erase(self) -> None:
        """Delete without a permission check (callers check): removal and account deletion use it."""
        with transaction.atomic():
            self._erase()
            recount_comments(self.paper_id)

    def _erase(self) -> None:
        if self.parent_id is None and self.replies.exists():
            self.body, self.removed, self.author = "", True, None
            self.save(update_fields=["body", "removed", "author"])
        else:
            parent = self.parent
            self.delete()
            # A placeholder whose last reply went has nothing left to hold up.
            if parent is not None and parent.removed and not parent.replies.exists():
                parent.delete()

    def set_hidden(self, moderator, hidden: bool, reason: str = "") -> None:
        """A moderator hides (or shows again) a comment; the action is recorded."""
        if not (moderator and moderator.is_authenticated and moderator.is_staff):
            raise PermissionDenied("Only moderators can hide comments.")
        with transaction.atomic():
            self.hidden = hidden
            self.save(update_fields=["hidden"])
            kind = ModerationAction.Kind.HIDE_COMMENT if hidden else ModerationAction.Kind.SHOW_COMMENT
            ModerationAction.record(moderator, kind, self, reason)
            recount_comments(self.paper_id)


def recount_comments(paper_id: int) -> int:
    """Set Paper.comment_count to the number of shown comments, under a lock on the paper's row.

    Counting (rather than adding one) keeps the figure right through hides, placeholders and
    cascades; the row lock (SELECT ... FOR UPDATE; SQLite writes one at a time anyway) makes two
    simultaneous posts count each other.
    """
    list(Paper.objects.select_for_update().filter(pk=paper_id).values_list("pk", flat=True))
    shown = (
        Comment.objects.shown()
        .filter(paper=OuterRef("pk"))
        .order_by()
        .values("paper")
        .annotate(n=Count("pk"))
        .values("n")
    )
    Paper.objects.filter(pk=paper_id).update(comment_count=Coalesce(Subquery(shown), 0))
    return Paper.objects.filter(pk=paper_id).values_list("comment_count", flat=True).get()


# --- Authorship claims ---------------------------------------------------------------------------


class ClaimQuerySet(models.QuerySet):
    def approved(self) -> ClaimQuerySet:
        return self.filter(status=AuthorClaim.Status.APPROVED)


class AuthorClaim(models.Model):
    """A member says "I am this author" of one place in a paper's author list; a moderator approves
    or denies it (the admin's actions). An approved claim links that author, on the paper's page, its
    cards and in the API, to the member's profile.

    The claim names the place by position (imports rewrite the authorship rows, not their order) and
    keeps the author's matching key: should a later import put someone else at that place, the claim
    no longer shows there. Each member has at most one claim per paper; a denied or withdrawn one is
    asked for again by asking anew. The rules live here: `ask`, `withdraw` and `decide`; every decision
    and withdrawal is written to ClaimEvent, the claims' audit trail."""

    class Status(models.TextChoices):
        PENDING = "pending", "waiting for a moderator"
        APPROVED = "approved", "approved"
        DENIED = "denied", "denied"
        WITHDRAWN = "withdrawn", "withdrawn"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="author_claims")
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="author_claims")
    position = models.PositiveSmallIntegerField()
    name = models.TextField()  # the name at that place when claimed, for moderators to read
    author_key = models.CharField(max_length=300)  # papers.authors.author_key of that name
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    # When the status last changed (Hugging Face's statusLastChangedAt), and which moderator decided.
    status_changed_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ClaimQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "paper"], name="one_claim_per_member_and_paper"),
            models.UniqueConstraint(
                fields=["paper", "position"],
                condition=Q(status="approved"),
                name="one_approved_claim_per_author",
            ),
        ]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"{self.user} as {self.name} (author {self.position}) of {self.paper.arxiv_id}"

    @classmethod
    def ask(cls, user, paper: Paper, position: int) -> AuthorClaim:
        """The member claims the author at `position`; ValidationError with a reader-facing message
        when they cannot (a pending or approved claim on this paper already, a place taken)."""
        from dailypapers.papers.authors import author_key

        require_member(user, "claim authorship")
        if paper.hidden:
            raise ValidationError("This paper is hidden; its authors cannot be claimed.", code="hidden_paper")
        place = paper.authorships.filter(position=position).first()
        if place is None:
            raise ValidationError("Pick one of the paper’s authors.", code="no_such_author")
        with transaction.atomic():
            taken = cls.objects.approved().filter(paper=paper, position=position).exclude(user=user).exists()
            if taken:
                raise ValidationError(
                    f"{place.name} on this paper is already claimed by another member.", code="taken"
                )
            claim = cls.objects.select_for_update().filter(user=user, paper=paper).first()
            if claim is not None and claim.status in (cls.Status.PENDING, cls.Status.APPROVED):
                raise ValidationError(
                    f"You have already claimed to be {claim.name} on this paper "
                    f"({claim.get_status_display()}).",
                    code="already",
                )
            now = timezone.now()
            values = {
                "position": position,
                "name": place.name,
                "author_key": author_key(place.name),
                "status": cls.Status.PENDING,
                "status_changed_at": now,
                "decided_by": None,
            }
            if claim is None:
                try:
                    with transaction.atomic():
                        claim = cls.objects.create(user=user, paper=paper, created_at=now, **values)
                except IntegrityError:
                    raise ValidationError(
                        "You have already claimed an author of this paper.", code="already"
                    ) from None
            else:
                for field, value in values.items():
                    setattr(claim, field, value)
                claim.created_at = now
                claim.save()
            ClaimEvent.record(claim, user, ClaimEvent.Kind.ASKED)
        return claim

    def can_withdraw(self, user) -> bool:
        return bool(user and user.is_authenticated and user.is_active and self.user_id == user.pk)

    def withdraw(self, user) -> None:
        """The claimant takes the claim back (pending or approved); PermissionDenied for anyone else."""
        if not self.can_withdraw(user):
            raise PermissionDenied("Only the member who made a claim can withdraw it.")
        if self.status not in (self.Status.PENDING, self.Status.APPROVED):
            raise ValidationError("This claim is no longer open.", code="closed")
        with transaction.atomic():
            self._set_status(self.Status.WITHDRAWN, None)
            ClaimEvent.record(self, user, ClaimEvent.Kind.WITHDRAWN)

    def decide(self, moderator, approve: bool, reason: str = "") -> None:
        """A moderator approves or denies the claim (a denied one may be asked for again; approving
        one that was approved and denying it revokes it). PermissionDenied for anyone else."""
        if not (moderator and moderator.is_authenticated and moderator.is_active and moderator.is_staff):
            raise PermissionDenied("Only moderators can approve or deny authorship claims.")
        if self.status == self.Status.WITHDRAWN:
            raise ValidationError("The member withdrew this claim.", code="closed")
        status = self.Status.APPROVED if approve else self.Status.DENIED
        with transaction.atomic():
            if approve:
                other = (
                    AuthorClaim.objects.approved()
                    .filter(paper_id=self.paper_id, position=self.position)
                    .exclude(pk=self.pk)
                    .select_related("user")
                    .first()
                )
                if other is not None:
                    raise ValidationError(
                        f"{self.name} on arXiv:{self.paper.arxiv_id} is already claimed by {other.user}.",
                        code="taken",
                    )
            self._set_status(status, moderator)
            kind = ClaimEvent.Kind.APPROVED if approve else ClaimEvent.Kind.DENIED
            ClaimEvent.record(self, moderator, kind, reason)

    def _set_status(self, status: str, moderator) -> None:
        self.status = status
        self.status_changed_at = timezone.now()
        self.decided_by = moderator
        self.save(update_fields=["status", "status_changed_at", "decided_by"])


class ClaimEvent(models.Model):
    """The claims' audit trail: who asked, approved, denied or withdrew which claim, and when."""

    class Kind(models.TextChoices):
        ASKED = "asked", "asked"
        APPROVED = "approved", "approved"
        DENIED = "denied", "denied"
        WITHDRAWN = "withdrawn", "withdrew"

    claim = models.ForeignKey(AuthorClaim, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Kept as text too, so the trail still reads right after an account is deleted.
    actor_name = models.CharField(max_length=150)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.actor_name} {self.get_kind_display()} claim {self.claim_id}"

    @classmethod
    def record(cls, claim: AuthorClaim, actor, kind: str, reason: str = "") -> ClaimEvent:
        return cls.objects.create(
            claim=claim, actor=actor, actor_name=actor.get_username(), kind=kind, reason=reason
        )


def claims_by_position(papers) -> dict[int, dict[int, AuthorClaim]]:
    """The approved claims of these papers, with their members: paper id -> position -> claim."""
    ids = [p.pk for p in papers]
    found: dict[int, dict[int, AuthorClaim]] = {pk: {} for pk in ids}
    if ids:
        for claim in AuthorClaim.objects.approved().filter(paper_id__in=ids).select_related("user"):
            found[claim.paper_id][claim.position] = claim
    return found


def attach_claims(papers) -> list[Paper]:
    """Set `approved_claims` (position -> approved claim) on many papers in one query; cards, the
    paper page and the API read it through `approved_claims`. Returns the papers."""
    papers = list(papers)
    found = claims_by_position(papers)
    for paper in papers:
        paper.approved_claims = found[paper.pk]
    return papers


def approved_claims(paper: Paper) -> dict[int, AuthorClaim]:
    """Position -> approved claim of one paper: as attach_claims left it, else read now."""
    claims = getattr(paper, "approved_claims", None)
    if claims is None:
        claims = paper.approved_claims = claims_by_position([paper])[paper.pk]
    return claims


def claim_at(paper: Paper, position: int, key: str) -> AuthorClaim | None:
    """The approved claim (its `user` loaded) that names the author at `position`, whose matching
    key is `key`: None when nobody's does, or when an import has since put another author there."""
    claim = approved_claims(paper).get(position)
    if claim is None or claim.author_key != key or not claim.user.is_active:
        return None
    return claim


# Watching papers: its models live in their own module, registered with the app from here.
from dailypapers.community.watching import Notification, Watch, WatchMail  # noqa: E402

__all__ = [
    "AuthorClaim",
    "ClaimEvent",
    "Comment",
    "Notification",
    "Upvote",
    "Watch",
    "WatchMail",
    "recount_comments",
]
