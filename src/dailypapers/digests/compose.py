"""What goes into a digest, and the e-mail that carries it."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from email.utils import format_datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe

from dailypapers.digests.models import Delivery, Subscription
from dailypapers.digests.saved_searches import search_period
from dailypapers.digests.tokens import make_token
from dailypapers.papers.filters import PaperFilter
from dailypapers.papers.models import Listing, Paper, one_line, prefetch_cards
from dailypapers.papers.periods import Period

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9(“\"])")


def site_domain() -> str:
    """Our domain, for Message-IDs and List-Id (from SITE_URL)."""
    return urlsplit(settings.SITE_URL).hostname or "localhost"


def absolute(path: str) -> str:
    return settings.SITE_URL + path


def one_line_summary(paper: Paper, limit: int = 300) -> str:
    """The imported AI summary when there is one, else the abstract's first sentence."""
    text = one_line(paper.ai_summary or "")
    if not text:
        abstract = paper.abstract_line
        text = _SENTENCE_END.split(abstract, maxsplit=1)[0] if abstract else ""
    if len(text) > limit:
        text = text[: limit - 1].rsplit(" ", 1)[0] + "…"
    return text


class PeriodPapers:
    """A feed period's papers, ranked as the feed ranks them (votes), with what filters look at.

    Built once per period in a sending pass and shared by every subscriber (and sender thread):
    a subscriber's digest is then a walk down one ranked list. Keywords are matched by the
    database (as papers.filters defines), once per distinct keyword; saved searches run through
    the search engine once per distinct query.
    """

    def __init__(self, period: Period) -> None:
        self.period = period
        listings = (
            Listing.objects.visible()
            .between(period.start, period.end)
            .latest_per_paper()
            .ranked("votes")
            .select_related("paper")
        )
        self.papers: list[Paper] = prefetch_cards(listing.paper for listing in listings)
        self.ids = [paper.pk for paper in self.papers]
        self.categories = {p.pk: {c.code for c in p.categories.all()} for p in self.papers}
        self.author_keys = {p.pk: {a.author.key for a in p.authorships.all()} for p in self.papers}
        self._keywords: dict[str, frozenset[int]] = {}
        self._searches: dict[str, frozenset[int]] = {}
        self._items: dict[int, tuple[str, str]] = {}
        self._lock = threading.Lock()

    def matching_keyword(self, keyword: str) -> frozenset[int]:
        # lower(), not casefold(): matching ignores case, but "ß" must stay "ß" to find "Straße".
        key = " ".join(keyword.split()).lower()
        with self._lock:
            found = self._keywords.get(key)
            if found is None:
                matches = Paper.objects.filter(id__in=self.ids).filter(
                    PaperFilter.of(keywords=[key]).keywords_q()
                )
                found = self._keywords[key] = frozenset(matches.values_list("id", flat=True))
        return found

    def matching_search(self, query: str) -> frozenset[int]:
        key = " ".join(query.split())
        with self._lock:
            found = self._searches.get(key)
            if found is None:
                found = self._searches[key] = frozenset(search_period(key, self.period) or ()) & set(self.ids)
        return found

    def select(self, subscription: Subscription) -> list[Paper]:
        """The subscriber's papers, best first: with no filters, the top papers by votes. Papers by
        followed authors always come; other papers must be in one of the categories (if any are
        set) and match one of the keywords or the saved search (if any are set)."""
        want = subscription.paper_filter
        topic_ids: set[int] | None = None
        if want.keywords or subscription.search_query.strip():
            topic_ids = set()
            for keyword in want.keywords:
                topic_ids |= self.matching_keyword(keyword)
            if subscription.search_query.strip():
                topic_ids |= self.matching_search(subscription.search_query)
        has_topic = bool(want.categories) or topic_ids is not None

        papers = self.papers
        if subscription.ranked_for_you:
            papers = self.ranked_for(subscription.user)

        def wanted(pk: int) -> bool:
            if want.authors and want.by_authors(self.author_keys[pk]):
                return True
            if not has_topic:
                return not want.authors  # no filters at all: every paper, best first
            if not want.in_categories(self.categories[pk]):
                return False
            return topic_ids is None or pk in topic_ids

        chosen = []
        for paper in papers:
            if wanted(paper.pk):
                chosen.append(paper)
                if len(chosen) == subscription.max_papers:
                    break
        return chosen

    def ranked_for(self, user) -> list[Paper]:
        """The period's papers in the member's "For you" order, without those they hid or muted."""
        from dailypapers.recommend.ranking import for_you

        if not user.is_active:
            return []
        by_id = {paper.pk: paper for paper in self.papers}
        picks = for_you(user, self.period).picks
        return [by_id[pick.paper_id] for pick in picks if pick.paper_id in by_id]

    def item(self, paper: Paper) -> tuple[str, str]:
        """A paper's entry, text and HTML, with RANK where its number goes (rendered once)."""
        rendered = self._items.get(paper.pk)
        if rendered is None:
            names = [a.name for a in paper.authorships.all()]
            context = {
                "items": [
                    {
                        "rank": RANK,
                        "title": _clean(paper.title_line),
                        "url": absolute(paper.get_absolute_url()),
                        "authors": _clean(", ".join(names[:6]))
                        + (f" and {len(names) - 6} more" if len(names) > 6 else ""),
                        "votes": paper.total_votes,
                        "summary": _clean(one_line_summary(paper)),
                    }
                ]
            }
            rendered = self._items[paper.pk] = (
                render_to_string("digests/email/papers.txt", context).strip("\n") + "\n\n",
                render_to_string("digests/email/papers.html", context),
            )
        return rendered

    def body(self, papers: list[Paper]) -> DigestBody:
        text, html = [], []
        for rank, paper in enumerate(papers, 1):
            item_text, item_html = self.item(paper)
            text.append(item_text.replace(RANK, str(rank)))
            html.append(item_html.replace(RANK, str(rank)))
        return DigestBody("".join(text), mark_safe("".join(html)), len(papers))  # noqa: S308 (rendered above)


# Stands for an entry's rank in the rendered entries; control characters are removed from paper text.
RANK = "\x00rank\x00"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _clean(text: str) -> str:
    return one_line(_CONTROL.sub("", text))


def papers_for(subscription: Subscription, period: Period) -> list[Paper]:
    """The digest's papers for one subscriber (the sender shares a PeriodPapers between many)."""
    return PeriodPapers(period).select(subscription)


@dataclass
class DigestBody:
    """The part of a digest that depends only on the papers."""

    papers_text: str
    papers_html: str
    count: int


def digest_subject(period: Period) -> str:
    if period.kind == "week":
        return f"{settings.SITE_NAME}: the top papers of {period.title} ({period.range_label})"
    return f"{settings.SITE_NAME}: the top papers of {period.title}"


def message_id(delivery: Delivery) -> str:
    # Fixed per ledger row: a digest sent again after a crash carries the same Message-ID, so mail
    # systems that drop duplicates by Message-ID show it once.
    return f"<digest.{delivery.pk}.{delivery.kind}-{delivery.period_start:%Y%m%d}@{site_domain()}>"


def list_headers(unsubscribe: str) -> dict[str, str]:
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
            **list_headers(context["unsubscribe_url"]),
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
