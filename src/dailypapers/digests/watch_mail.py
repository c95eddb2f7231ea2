"""Notification e-mail: what the papers a member watches brought them, one mail per member per pass.

A member who turned the e-mail on (community.WatchMail) gets their new notifications marked `pending`.
A pass of the `watchmail` worker, for each member with pending rows:

1. Claims them: `UPDATE ... SET mail_state='sending', mail_claimed_by=<worker> WHERE user_id=? AND
   mail_state='pending'`. The rows this UPDATE moved are this worker's alone; another worker's
   UPDATE finds none of them pending, so two workers never send the same notification.
2. Sends one mail with all of them (the digests' mail machinery: SMTP connection, From, headers,
   one-click unsubscribe), then marks them `sent`.
3. On a transient SMTP failure they go back to `pending` for the next pass; a permanent refusal (5xx)
   gives up on them (still shown on the site). Rows left `sending` by a worker that vanished go back
   to `pending` after DIGEST_CLAIM_TIMEOUT, so a crash between the server's 250 and the `sent` mark
   may send them twice: better than losing them.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import smtplib
from dataclasses import dataclass, field
from email.utils import format_datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from dailypapers.community.models import Notification, WatchMail
from dailypapers.community.watching import mail_off_token
from dailypapers.digests.compose import absolute, site_domain
from dailypapers.digests.sending import ConnectionDown, Permanent, Transient, new_worker_id, send_classified

log = logging.getLogger("dailypapers.digests")
MEMBERS_PER_PASS = 500
SENDING = Notification.Mail.SENDING
PENDING = Notification.Mail.PENDING


@dataclass
class WatchMailResult:
    members: int = 0
    sent: int = 0
    notifications: int = 0
    dropped: int = 0
    retried: int = 0
    recovered: int = 0
    smtp_down: bool = False
    errors: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{self.sent} mails sent ({self.notifications} notifications) to {self.members} members, "
            f"{self.dropped} dropped, {self.retried} to retry, {self.recovered} recovered"
        )


class WatchMailer:
    def __init__(self, worker: str | None = None) -> None:
        self.worker = worker or new_worker_id()

    def run_pass(self) -> WatchMailResult:
        result = WatchMailResult()
        result.recovered = self.recover_stale()
        members = list(
            Notification.objects.filter(mail_state=PENDING)
            .order_by("user_id")
            .values_list("user_id", flat=True)
            .distinct()[:MEMBERS_PER_PASS]
        )
        connection = None
        try:
            for user_id in members:
                if not self.claim(user_id):
                    continue  # another worker has them
                result.members += 1
                if connection is None:
                    connection = get_connection(fail_silently=False)
                self.send_claimed(user_id, connection, result)
                if result.smtp_down:
                    break
        finally:
            if connection is not None:
                with contextlib.suppress(smtplib.SMTPException, OSError):
                    connection.close()
        return result

    def claim(self, user_id: int) -> int:
        """Take every pending notification of this member (a conditional UPDATE); how many."""
        return Notification.objects.filter(user_id=user_id, mail_state=PENDING).update(
            mail_state=SENDING, mail_claimed_by=self.worker, mail_claimed_at=timezone.now()
        )

    def recover_stale(self) -> int:
        stale = timezone.now() - dt.timedelta(seconds=settings.DIGEST_CLAIM_TIMEOUT)
        return Notification.objects.filter(mail_state=SENDING, mail_claimed_at__lt=stale).update(
            mail_state=PENDING, mail_claimed_by=""
        )

    def _mine(self, user_id: int):
        return Notification.objects.filter(user_id=user_id, mail_state=SENDING, mail_claimed_by=self.worker)

    def send_claimed(self, user_id: int, connection, result: WatchMailResult) -> None:  # noqa: ANN001
        member = get_user_model().objects.filter(pk=user_id).first()
        rows = list(
            self._mine(user_id).select_related("paper", "comment__author").order_by("created_at", "id")
        )
        if not rows:
            return
        if member is None or not member.is_active or not member.email or not WatchMail.wanted(member):
            self._mine(user_id).update(mail_state=Notification.Mail.NONE)  # nobody to send them to
            result.dropped += len(rows)
            return
        message = watch_message(member, rows, connection)
        try:
            send_classified(message)
        except Permanent as exc:
            self._mine(user_id).update(mail_state=Notification.Mail.NONE)
            result.dropped += len(rows)
            result.errors.append(str(exc))
            log.warning("notification mail to %s refused for good: %s", member.email, exc)
            return
        except Transient as exc:
            self._mine(user_id).update(mail_state=PENDING, mail_claimed_by="")
            result.retried += len(rows)
            result.smtp_down = isinstance(exc, ConnectionDown)
            result.errors.append(str(exc))
            return
        self._mine(user_id).update(mail_state=Notification.Mail.SENT, mailed_at=timezone.now())
        result.sent += 1
        result.notifications += len(rows)


def watch_message(member, rows: list[Notification], connection=None) -> EmailMultiAlternatives:  # noqa: ANN001
    """One member's mail: every notification claimed for them, oldest first, with the links."""
    unsubscribe = absolute(reverse("community:notifications_email_off", args=[mail_off_token(member)]))
    context = {
        "site_name": settings.SITE_NAME,
        "items": [(n.describe(), n.paper.title_line, absolute(n.url)) for n in rows],
        "notifications_url": absolute(reverse("community:notifications")),
        "unsubscribe_url": unsubscribe,
    }
    count = len(rows)
    message = EmailMultiAlternatives(
        subject=f"{settings.SITE_NAME}: {count} new on papers you watch"
        if count > 1
        else f"{settings.SITE_NAME}: {rows[0].describe().lower()} on “{rows[0].paper.title_line[:80]}”",
        body=render_to_string("digests/email/watch.txt", context),
        from_email=settings.DIGEST_FROM_EMAIL,
        to=[member.email],
        headers={
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "List-Id": f"{settings.SITE_NAME} notifications <notifications.{site_domain()}>",
            # Fixed by the rows it carries: sent again after a crash, it folds into the first.
            "Message-ID": f"<watch.{member.pk}.{rows[0].pk}-{rows[-1].pk}@{site_domain()}>",
            "Date": format_datetime(timezone.now()),
            "Auto-Submitted": "auto-generated",
        },
        connection=connection,
    )
    message.attach_alternative(render_to_string("digests/email/watch.html", context), "text/html")
    return message
