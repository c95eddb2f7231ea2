"""Watching a paper: a member hears of a new arXiv version, of code appearing, and of comments.

`Watch` is the member's wish; `Notification` is one piece of news for one member, shown on
/notifications and, for members who opted in (`WatchMail`), sent by e-mail in batches by the
`watchmail` worker (dailypapers.digests.watch_mail), which claims a member's pending rows with a
conditional UPDATE. The news comes from the catalogue as `papers.signals.paper_news` (received
here, see apps.py) and from `Comment.post`.

A member's header shows a dot and a count of unread notifications. Their pages are cached per member
and read the member's own stamp (core.pagecache `bump_reader`): every change of their notifications
bumps it, so the count is rendered only when a page is rendered, never queried for a cached copy.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from dailypapers.core import pagecache
from dailypapers.core.members import require_member
from dailypapers.papers.models import Paper
from dailypapers.papers.signals import CODE, NEW_VERSION


class Watch(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="watches")
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="watches")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "paper"], name="one_watch_per_paper")]

    def __str__(self) -> str:
        return f"{self.user} watches {self.paper.arxiv_id}"

    @classmethod
    def set(cls, user: Any, paper: Paper, on: bool) -> bool:
        """Watch (on) or stop watching; idempotent. Returns whether the member watches it now."""
        if on:
            require_member(user, "watch papers")
            if paper.hidden:
                raise PermissionDenied("This paper is hidden; it cannot be watched.")
            try:
                with transaction.atomic():
                    cls.objects.create(user=user, paper=paper)
            except IntegrityError:
                pass  # watched already (or a racing click)
        elif user is not None and user.is_authenticated:
            cls.objects.filter(user=user, paper=paper).delete()
        else:
            raise PermissionDenied("Sign in to watch papers.")
        pagecache.bump_reader(user.pk)  # their copy of the paper page shows the button
        return on

    @classmethod
    def watches(cls, user: Any, paper: Paper) -> bool:
        return bool(user and user.is_authenticated and cls.objects.filter(user=user, paper=paper).exists())


class WatchMail(models.Model):
    """A member's choice to get their notifications by e-mail too (off unless they turn it on)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="watch_mail")
    email = models.BooleanField(default=False)
    changed_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.user}: e-mail {'on' if self.email else 'off'}"

    @classmethod
    def wanted(cls, user: Any) -> bool:
        return bool(user and user.is_authenticated and cls.objects.filter(user=user, email=True).exists())

    @classmethod
    def choose(cls, user: Any, email: bool) -> None:
        require_member(user, "watch papers")
        cls.objects.update_or_create(user=user, defaults={"email": email})
        if not email:  # what waits for the next mail goes no more
            Notification.objects.filter(user=user, mail_state=Notification.Mail.PENDING).update(
                mail_state=Notification.Mail.NONE
            )


class Notification(models.Model):
    class Kind(models.TextChoices):
        VERSION = NEW_VERSION, "new version"
        CODE = CODE, "code"
        COMMENT = "comment", "comment"

    class Mail(models.TextChoices):
        NONE = "", "not to send"
        PENDING = "pending", "to send"
        SENDING = "sending", "being sent"
        SENT = "sent", "sent"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    comment = models.ForeignKey(
        "community.Comment", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    version = models.PositiveSmallIntegerField(null=True, blank=True)  # for a new version
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    # The e-mail: claimed by a worker (pending -> sending, a conditional UPDATE), then sent.
    mail_state = models.CharField(max_length=10, choices=Mail.choices, default=Mail.NONE, blank=True)
    mail_claimed_by = models.CharField(max_length=100, blank=True)
    mail_claimed_at = models.DateTimeField(null=True, blank=True)
    mailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "-created_at"]),
            models.Index(fields=["user", "read_at"]),
            models.Index(fields=["mail_state", "user"]),
        ]

    def __str__(self) -> str:
        return f"{self.kind} on {self.paper_id} for {self.user_id}"

    def describe(self) -> str:
        """One sentence for the page and the e-mail."""
        if self.kind == self.Kind.VERSION:
            return f"A new arXiv version (v{self.version})" if self.version else "A new arXiv version"
        if self.kind == self.Kind.CODE:
            return "Code was linked"
        author = self.comment.author.get_username() if self.comment and self.comment.author else "Someone"
        return f"{author} commented"

    @property
    def url(self) -> str:
        if self.comment_id:
            return f"{self.paper.get_absolute_url()}#comment-{self.comment_id}"
        return self.paper.get_absolute_url()

    # --- making them ------------------------------------------------------------------------------

    @classmethod
    def tell_watchers(
        cls, paper_ids: Iterable[int], kind: str, comment: Any = None, skip_user: int | None = None
    ) -> int:
        """One notification for every active watcher of these papers (not `skip_user`, the one who
        made the news); returns how many."""
        watches = Watch.objects.filter(paper_id__in=list(paper_ids), user__is_active=True)
        if skip_user is not None:
            watches = watches.exclude(user_id=skip_user)
        rows = list(watches.values_list("user_id", "paper_id", "paper__version"))
        if not rows:
            return 0
        mailed = set(
            WatchMail.objects.filter(user_id__in={u for u, _, _ in rows}, email=True).values_list(
                "user_id", flat=True
            )
        )
        now = timezone.now()
        cls.objects.bulk_create(
            cls(
                user_id=user_id,
                paper_id=paper_id,
                kind=kind,
                comment=comment,
                version=version if kind == cls.Kind.VERSION else None,
                created_at=now,
                mail_state=cls.Mail.PENDING if user_id in mailed else cls.Mail.NONE,
            )
            for user_id, paper_id, version in rows
        )
        for user_id in {u for u, _, _ in rows}:
            pagecache.bump_reader(user_id)  # their header's count
        return len(rows)

    # --- reading them -----------------------------------------------------------------------------

    @classmethod
    def unread_count(cls, user: Any) -> int:
        if not (user and user.is_authenticated):
            return 0
        return cls.objects.filter(user=user, read_at__isnull=True).count()

    @classmethod
    def mark_all_read(cls, user: Any) -> int:
        _require_member_signed_in(user)
        marked = cls.objects.filter(user=user, read_at__isnull=True).update(read_at=timezone.now())
        if marked:
            pagecache.bump_reader(user.pk)
        return marked


def _require_member_signed_in(user: Any) -> None:
    if user is None or not user.is_authenticated:
        raise PermissionDenied("Sign in to see your notifications.")


def paper_news(sender: Any, kind: str, paper_ids: frozenset[int], **kwargs: Any) -> None:
    """Receiver of papers.signals.paper_news."""
    Notification.tell_watchers(paper_ids, kind)


# --- The e-mail's unsubscribe link --------------------------------------------------------------------

_SALT = "dailypapers.community.watch-mail-off"


def mail_off_token(user: Any) -> str:
    """A signed link token that turns the member's notification e-mail off without signing in."""
    return signing.dumps([user.pk], salt=_SALT, compress=False)


def read_mail_off_token(token: str) -> Any:
    """The member a valid token names, or None."""
    from django.contrib.auth import get_user_model

    if not token or len(token) > 200:
        return None
    try:
        payload = signing.loads(token, salt=_SALT)
    except signing.BadSignature:
        return None
    if not (isinstance(payload, list) and len(payload) == 1 and isinstance(payload[0], int)):
        return None
    return get_user_model().objects.filter(pk=payload[0]).first()
