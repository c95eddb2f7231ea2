"""What every app shares: the moderators' audit trail and the per-client limits' counters."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class ModerationAction(models.Model):
    """The audit trail: which moderator did what to what, when, and why."""

    class Kind(models.TextChoices):
        HIDE_PAPER = "hide_paper", "hid a paper"
        SHOW_PAPER = "show_paper", "showed a paper again"
        HIDE_LISTING = "hide_listing", "took a paper off a feed day"
        SHOW_LISTING = "show_listing", "put a paper back on a feed day"
        HIDE_COMMENT = "hide_comment", "hid a comment"
        SHOW_COMMENT = "show_comment", "showed a comment again"
        DELETE_COMMENT = "delete_comment", "deleted a comment"
        DEACTIVATE_USER = "deactivate_user", "deactivated a user"
        REACTIVATE_USER = "reactivate_user", "reactivated a user"
        HIDE_COLLECTION = "hide_collection", "hid a collection"
        SHOW_COLLECTION = "show_collection", "showed a collection again"

    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="moderation_actions"
    )
    # Kept as text too, so the trail still reads right after an account is deleted.
    moderator_name = models.CharField(max_length=150)
    kind = models.CharField(max_length=30, choices=Kind.choices)
    target_type = models.CharField(max_length=30)
    target_id = models.BigIntegerField()
    target_repr = models.CharField(max_length=300)
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        # The table kept its name when the model moved here from `community`.
        db_table = "community_moderationaction"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(moderator_name=""), name="moderation_names_moderator")
        ]

    def __str__(self) -> str:
        return f"{self.moderator_name} {self.get_kind_display()}: {self.target_repr}"

    @classmethod
    def record(cls, moderator, kind: str, target: models.Model, reason: str = "") -> ModerationAction:
        return cls.objects.create(
            moderator=moderator if moderator and moderator.pk else None,
            moderator_name=moderator.get_username() if moderator and moderator.pk else "system",
            kind=kind,
            target_type=target._meta.model_name,
            target_id=target.pk,
            target_repr=str(target)[:300],
            reason=reason,
        )


class RateCounter(models.Model):
    """Events counted for one client of one per-client limit (core.limits) until `expires_at`."""

    # "<limit name>:<sha256 of the client key>": names and addresses are not kept in the clear.
    key = models.CharField(max_length=150, unique=True)
    count = models.PositiveIntegerField()
    # Unix time the window ends: a plain number, read and written alike by the one raw statement
    # that counts on SQLite and on PostgreSQL. Indexed for the sweep of expired rows.
    expires_at = models.FloatField(db_index=True)

    def __str__(self) -> str:
        return f"{self.key}: {self.count}"


class ContentVersion(models.Model):
    """A stamp that moves whenever what the shared pages show changes (core.pagecache): a vote, a
    comment, a listing, a paper edited or hidden. Cached pages are keyed by it, so one indexed row read
    tells every server process, on every node, whether its copy is still right."""

    name = models.CharField(max_length=40, primary_key=True)
    # Random per row: a stamp recreated (a flushed or restored database) never meets an older copy.
    epoch = models.CharField(max_length=32)
    value = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name}: {self.epoch}.{self.value}"
