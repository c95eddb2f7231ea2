"""What goes into a digest, and the e-mail that carries it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.utils import format_datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import Prefetch, Q, prefetch_related_objects
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from dailypapers.digests.models import Delivery, Subscription
from dailypapers.digests.tokens import make_token
from dailypapers.papers.models import Authorship, Listing, Paper, PaperCategory
from dailypapers.papers.periods import Period

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9(“\"])")


def site_domain() -> str:
    """Our domain, for Message-IDs and List-Id (from SITE_URL)."""
    return urlsplit(settings.SITE_URL).hostname or "localhost"


def absolute(path: str) -> str:
    return settings.SITE_URL + path


def one_line_summary(paper: Paper, limit: int = 300) -> str:
    """The imported AI summary when there is one, else the abstract's first sentence."""
    text = " ".join((paper.ai_summary or "").split())
    if not text:
        abstract = " ".join((paper.abstract or "").split())
        text = _SENTENCE_END.split(abstract, maxsplit=1)[0] if abstract else ""
    if len(text) > limit:
        text = text[: limit - 1].rsplit(" ", 1)[0] + "…"
    return text


def keyword_pattern(keywords: list[str]) -> str:
    """A regex matching any keyword as whole words, valid in Python's re (SQLite's REGEXP) and in
    PostgreSQL's ARE alike: lookarounds on \\w instead of \\b, which means backspace to PostgreSQL."""
    words = [r"\s+".join(re.escape(part) for part in k.split()) for k in keywords]
    return r"(?<!\w)(?:" + "|".join(words) + r")(?!\w)"


def papers_for(subscription: Subscription, period: Period) -> list[Paper]:
    """The digest's papers: the period's feed, filtered, ranked as the feed ranks them (votes)."""
    listings = Listing.objects.visible().between(period.start, period.end).latest_per_paper()
    topic = Q()
    if subscription.category_list:
        in_categories = PaperCategory.objects.filter(category_id__in=subscription.category_list)
        topic &= Q(paper__in=in_categories.values("paper_id"))
    if subscription.keyword_list:
        # REGEXP on SQLite is Python's re; on PostgreSQL ~*. Both match whole words in the database.
        pattern = keyword_pattern(subscription.keyword_list)
        topic &= Q(paper__title__iregex=pattern) | Q(paper__abstract__iregex=pattern)
    authors = subscription.author_keys
    if authors:
        by_authors = Q(paper__in=Authorship.objects.filter(author__key__in=authors).values("paper_id"))
        # Papers by followed authors always come; others must match the topic filters, if any.
        listings = listings.filter(by_authors | topic if topic else by_authors)
    else:
        listings = listings.filter(topic)
    ranked = listings.ranked("votes").select_related("paper")[: subscription.max_papers]
    papers = [listing.paper for listing in ranked]
    prefetch_related_objects(
        papers,
        Prefetch("authorships", queryset=Authorship.objects.select_related("author").order_by("position")),
    )
    return papers


@dataclass
class DigestBody:
    """The part of a digest that depends only on the papers: rendered once, shared by every
    subscriber who gets the same papers."""

    papers_text: str
    papers_html: str
    count: int


def render_papers(papers: list[Paper]) -> DigestBody:
    items = []
    for rank, paper in enumerate(papers, 1):
        names = [a.author.name for a in paper.authorships.all()]
        items.append(
            {
                "rank": rank,
                "title": " ".join(paper.title.split()),
                "url": absolute(paper.get_absolute_url()),
                "authors": ", ".join(names[:6]) + (f" and {len(names) - 6} more" if len(names) > 6 else ""),
                "votes": paper.total_votes,
                "summary": one_line_summary(paper),
            }
        )
    context = {"items": items}
    return DigestBody(
        render_to_string("digests/email/papers.txt", context),
        render_to_string("digests/email/papers.html", context),
        len(items),
    )


def digest_subject(period: Period) -> str:
    if period.kind == "week":
        return f"{settings.SITE_NAME}: the top papers of {period.title} ({period.range_label})"
    return f"{settings.SITE_NAME}: the top papers of {period.title}"


def message_id(delivery: Delivery) -> str:
    # Fixed per ledger row: a digest sent again after a crash carries the same Message-ID, so mail
    # systems that drop duplicates by Message-ID show it once.
    return f"<digest.{delivery.pk}.{delivery.kind}-{delivery.period_start:%Y%m%d}@{site_domain()}>"


def list_headers(subscription: Subscription) -> dict[str, str]:
    unsubscribe = absolute(reverse("digests:unsubscribe", args=[make_token(subscription, "unsubscribe")]))
    return {
        "List-Unsubscribe": f"<{unsubscribe}>",
        # RFC 8058: mail clients may POST "List-Unsubscribe=One-Click" to the URL above.
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "List-Id": f"{settings.SITE_NAME} digests <digests.{site_domain()}>",
    }


def links(subscription: Subscription) -> dict[str, str]:
    return {
        "manage_url": absolute(reverse("digests:manage", args=[make_token(subscription, "manage")])),
        "unsubscribe_url": absolute(
            reverse("digests:unsubscribe", args=[make_token(subscription, "unsubscribe")])
        ),
    }


def digest_message(
    subscription: Subscription, delivery: Delivery, period: Period, body: DigestBody, connection_=None
) -> EmailMultiAlternatives:
    context = {
        "site_name": settings.SITE_NAME,
        "site_url": settings.SITE_URL,
        "period": period,
        "period_url": absolute(period.url()),
        "subscription": subscription,
        "filters": subscription.describe_filters(),
        "papers_text": body.papers_text,
        "papers_html": body.papers_html,
        "count": body.count,
        **links(subscription),
    }
    message = EmailMultiAlternatives(
        subject=digest_subject(period),
        body=render_to_string("digests/email/digest.txt", context),
        from_email=settings.DIGEST_FROM_EMAIL,
        to=[subscription.email],
        headers={
            **list_headers(subscription),
            "Message-ID": message_id(delivery),
            "Date": format_datetime(timezone.now()),
        },
        connection=connection_,
    )
    message.attach_alternative(render_to_string("digests/email/digest.html", context), "text/html")
    return message


def confirmation_message(subscription: Subscription) -> EmailMultiAlternatives:
    context = {
        "site_name": settings.SITE_NAME,
        "site_url": settings.SITE_URL,
        "subscription": subscription,
        "filters": subscription.describe_filters(),
        "already_active": subscription.status == Subscription.Status.ACTIVE,
        "confirm_url": absolute(reverse("digests:confirm", args=[make_token(subscription, "confirm")])),
        **links(subscription),
    }
    subject = (
        f"Your {settings.SITE_NAME} digest settings"
        if context["already_active"]
        else f"Confirm your {settings.SITE_NAME} digest"
    )
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("digests/email/confirm.txt", context),
        from_email=settings.DIGEST_FROM_EMAIL,
        to=[subscription.email],
        headers={
            "Message-ID": f"<confirm.{subscription.pk}.{timezone.now():%Y%m%d%H%M%S%f}@{site_domain()}>",
            "Date": format_datetime(timezone.now()),
            "Auto-Submitted": "auto-generated",
        },
    )
    message.attach_alternative(render_to_string("digests/email/confirm.html", context), "text/html")
    return message
