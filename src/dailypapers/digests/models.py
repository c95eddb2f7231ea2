"""Digest subscriptions and the ledger of digests sent.

A subscription belongs to an e-mail address (one per address), with or without an account. It is
`pending` until the confirmation link is followed (double opt-in), then `active` until the reader
unsubscribes or the address bounces. `next_due` is when its next digest is due; workers claim it
with a conditional UPDATE (see dailypapers.digests.sending) and write one Delivery per subscription
and period, so a digest is never sent twice and never skipped.
"""

from __future__ import annotations

import datetime as dt
import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from dailypapers.papers import arxiv_categories
from dailypapers.papers.filters import PaperFilter


def split_lines(text: str) -> list[str]:
    """One entry per line (commas also separate), blanks dropped, duplicates removed, order kept."""
    items: dict[str, None] = {}
    for raw in re.split(r"[\n,]", text or ""):
        item = " ".join(raw.split())
        if item and item.casefold() not in {i.casefold() for i in items}:
            items[item] = None
    return list(items)


def normalise_categories(value: str) -> str:
    """The category codes in `value` (spaces or commas between them), once each, spelt as arXiv
    spells them ("cs.cl" → "cs.CL"); ValidationError naming every code arXiv does not have."""
    codes = list(dict.fromkeys(value.replace(",", " ").split()))
    spelling = arxiv_categories.known(codes)
    unknown = [code for code in codes if code not in spelling]
    if unknown:
        shown = ", ".join(unknown[:5]) + (f" and {len(unknown) - 5} more" if len(unknown) > 5 else "")
        raise ValidationError(
            f"Not an arXiv category: {shown}. Write codes like cs.CL or hep-th, as arXiv lists them.",
            code="unknown_category",
        )
    return " ".join(dict.fromkeys(spelling[code] for code in codes))


def validate_categories(value: str) -> None:
    normalise_categories(value)


class SubscriptionQuerySet(models.QuerySet):
    def active(self) -> SubscriptionQuerySet:
        return self.filter(status=Subscription.Status.ACTIVE)

    def for_address(self, email: str) -> SubscriptionQuerySet:
        return self.filter(email__iexact=email.strip())


class Subscription(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "waiting for confirmation"
        ACTIVE = "active", "active"
        UNSUBSCRIBED = "unsubscribed", "unsubscribed"
        BOUNCED = "bounced", "bounced"

    class Frequency(models.TextChoices):
        DAILY = "daily", "Daily (each feed day)"
        WEEKLY = "weekly", "Weekly (Mondays, the week before)"

    email = models.EmailField(max_length=254)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="digest_subscriptions",
        help_text="The account that subscribed, if the reader was signed in.",
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True)
    frequency = models.CharField(max_length=10, choices=Frequency.choices, default=Frequency.DAILY)
    max_papers = models.PositiveSmallIntegerField(
        "papers per digest", default=10, validators=[MinValueValidator(1), MaxValueValidator(50)]
    )
    categories = models.CharField(
        max_length=500,
        blank=True,
        validators=[validate_categories],
        help_text="Space-separated arXiv categories, e.g. “cs.CL cs.LG”.",
    )
    keywords = models.TextField(
        blank=True, help_text="One per line; whole words, any case, in the title or abstract."
    )
    search_query = models.CharField("saved search", max_length=300, blank=True)
    authors = models.TextField("followed authors", blank=True, help_text="One name per line.")
    # A member's own digest: the period's papers in their "For you" order (recommend.ranking), with
    # what they hid or muted left out; the filters above still apply. Only for a subscription made
    # from an account (there is no taste to rank by otherwise).
    for_you = models.BooleanField(
        "ranked for you",
        default=False,
        help_text="Your “For you” order (your saves, votes and follows mixed with the community’s votes).",
    )

    next_due = models.DateTimeField(null=True, blank=True, db_index=True)
    # The worker that last claimed this subscription's schedule, and when (for the operator).
    claimed_by = models.CharField(max_length=100, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    confirmation_sent_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    bounced_at = models.DateTimeField(null=True, blank=True)
    bounce_reason = models.CharField(max_length=500, blank=True)

    objects = SubscriptionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(Lower("email"), name="one_subscription_per_address")]
        indexes = [models.Index(fields=["status", "next_due"])]

    def __str__(self) -> str:
        return f"{self.email} ({self.get_status_display()})"

    # --- filters -------------------------------------------------------------------------------

    @property
    def category_list(self) -> list[str]:
        return self.categories.split()

    @property
    def keyword_list(self) -> list[str]:
        return split_lines(self.keywords)

    @property
    def author_list(self) -> list[str]:
        return split_lines(self.authors)

    @property
    def paper_filter(self) -> PaperFilter:
        """Categories, keywords and followed authors (the saved search goes through the search app)."""
        return PaperFilter.of(
            categories=self.category_list, keywords=self.keyword_list, authors=self.author_list
        )

    @property
    def ranked_for_you(self) -> bool:
        """A personal digest, of an account that can still have one."""
        return self.for_you and self.user_id is not None

    @property
    def has_filters(self) -> bool:
        return bool(self.category_list or self.keyword_list or self.author_list or self.search_query.strip())

    def filter_key(self) -> tuple:
        """Subscriptions with equal keys get the same papers (a pass composes each set once)."""
        return (
            tuple(sorted(self.category_list)),
            tuple(sorted(k.lower() for k in self.keyword_list)),  # as PeriodPapers.matching_keyword
            tuple(sorted(self.paper_filter.authors)),
            " ".join(self.search_query.split()).casefold(),
            self.max_papers,
            self.user_id if self.ranked_for_you else None,
        )

    def describe_filters(self) -> str:
        parts = []
        if self.category_list:
            parts.append("in " + ", ".join(self.category_list))
        topic = self.keyword_list + ([f"“{self.search_query}”"] if self.search_query.strip() else [])
        if topic:
            parts.append("matching " + ", ".join(topic))
        text = " and ".join(parts)
        if self.author_list:
            by = "by " + ", ".join(self.author_list)
            text = f"{text}, and anything {by}" if text else f"only papers {by}"
        if self.ranked_for_you:
            return f"ranked for you, {text}" if text else "the papers ranked for you"
        return text or "the top papers by votes"

    # --- life cycle ----------------------------------------------------------------------------

    def confirm(self, now: dt.datetime | None = None) -> bool:
        """Activate (idempotent); True when this call changed anything."""
        if self.status == self.Status.ACTIVE:
            return False
        from dailypapers.digests.schedule import next_due_after

        now = now or timezone.now()
        self.status = self.Status.ACTIVE
        self.confirmed_at = now
        self.unsubscribed_at = self.bounced_at = None
        self.bounce_reason = ""
        self.next_due = next_due_after(self.frequency, now)
        self.save()
        return True

    def unsubscribe(self, now: dt.datetime | None = None) -> bool:
        """Stop all mail (idempotent); True when this call changed anything."""
        if self.status == self.Status.UNSUBSCRIBED:
            return False
        self.status = self.Status.UNSUBSCRIBED
        self.unsubscribed_at = now or timezone.now()
        self.next_due = None
        self.save(update_fields=["status", "unsubscribed_at", "next_due"])
        return True

    def reschedule(self, now: dt.datetime | None = None) -> None:
        """After a change of frequency: the next digest of the new kind."""
        from dailypapers.digests.schedule import next_due_after

        if self.status == self.Status.ACTIVE:
            self.next_due = next_due_after(self.frequency, now or timezone.now())


class Delivery(models.Model):
    """One digest (subscription × period) in the send ledger.

    pending → sending → sent | empty | bounced | failed. A row is created in the same transaction
    that claims the subscription's schedule, so a claimed digest is never lost; the unique
    constraint means a period can never be claimed twice.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "waiting to be sent"
        SENDING = "sending", "being sent"
        SENT = "sent", "sent"
        EMPTY = "empty", "nothing to send"
        BOUNCED = "bounced", "refused for good"
        FAILED = "failed", "gave up"
        CANCELLED = "cancelled", "cancelled (unsubscribed)"

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="deliveries")
    kind = models.CharField(max_length=10)  # "day" | "week"
    period_start = models.DateField()
    period_end = models.DateField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_by = models.CharField(max_length=100, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    message_id = models.CharField(max_length=250, blank=True)
    paper_count = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "kind", "period_start"], name="one_delivery_per_period"
            )
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.period_start} to {self.subscription.email}: {self.status}"
