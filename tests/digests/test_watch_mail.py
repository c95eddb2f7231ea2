"""Notification e-mail through a real SMTP server: one mail per member with everything new, an
unsubscribe link that works, never a notification mailed twice by two workers, none for members who
did not ask."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command

from dailypapers.community.models import Comment, Notification, Watch, WatchMail
from dailypapers.digests.watch_mail import WatchMailer
from dailypapers.papers.models import Paper
from tests.support.factories import add_paper, add_user

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 8, 21)


def test_one_mail_per_member_with_all_news_and_an_unsubscribe_link(client, smtp_server):
    add_paper("2608.00001", "First watched", DAY)
    add_paper("2608.00002", "Second watched", DAY)
    first, second = Paper.objects.order_by("arxiv_id")
    ada, bob, cy = add_user("ada"), add_user("bob"), add_user("cy")
    for paper in (first, second):
        Watch.set(ada, paper, True)
        Watch.set(cy, paper, True)
    client.force_login(ada)
    assert client.post("/notifications/email", {"email": "1"}).status_code == 302
    assert WatchMail.wanted(ada) and not WatchMail.wanted(cy)  # Cy never asked
    Comment.post(bob, first, "On the first.")
    Comment.post(bob, second, "On the second.")
    Comment.post(ada, second, "My own reply.")  # no news for Ada, no mail for it

    call_command("watchmail", verbosity=0)
    [mail] = smtp_server.wait_for(1)
    assert mail.recipients == ["ada@example.org"]
    assert "2 new on papers you watch" in mail.message["Subject"]
    assert "bob commented on “First watched”" in mail.text
    assert "bob commented on “Second watched”" in mail.text
    assert "My own reply" not in mail.text and "ada commented" not in mail.text
    assert set(Notification.objects.filter(user=ada).values_list("mail_state", flat=True)) == {"sent"}
    assert set(Notification.objects.filter(user=cy).values_list("mail_state", flat=True)) == {""}

    # A second pass has nothing new to send.
    call_command("watchmail", verbosity=0)
    assert len(smtp_server.messages) == 1

    # The link in the mail asks first (GET), then turns the e-mail off (the one-click POST, no CSRF).
    unsubscribe = mail.message["List-Unsubscribe"].strip("<>")
    path = unsubscribe.split("://", 1)[1].split("/", 1)[1]
    client.logout()
    assert client.get("/" + path).status_code == 200 and WatchMail.wanted(ada)
    assert client.post("/" + path, {"List-Unsubscribe": "One-Click"}).status_code == 200
    assert not WatchMail.wanted(ada)
    assert client.get("/notifications/email-off/forged").status_code == 404
    Comment.post(bob, first, "Again.")
    call_command("watchmail", verbosity=0)
    assert len(smtp_server.messages) == 1
    assert Notification.objects.filter(user=ada, read_at__isnull=True).count() == 3  # still on the site


def test_two_workers_never_send_the_same_notification(smtp_server):
    add_paper("2608.00001", "Watched", DAY)
    paper = Paper.objects.get()
    ada, bob = add_user("ada"), add_user("bob")
    Watch.set(ada, paper, True)
    WatchMail.choose(ada, True)
    Comment.post(bob, paper, "News.")
    first, second = WatchMailer("host:1:a"), WatchMailer("host:2:b")
    assert first.claim(ada.pk) == 1
    assert second.claim(ada.pk) == 0  # the first worker's conditional UPDATE took them
    assert second.run_pass().sent == 0
    assert smtp_server.messages == []
    # The first worker dies holding them: after the claim timeout another sends them, once.
    Notification.objects.update(mail_claimed_at=dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
    result = second.run_pass()
    assert (result.recovered, result.sent) == (1, 1)
    assert len(smtp_server.wait_for(1)) == 1
    assert second.run_pass().sent == 0


def test_a_refused_mail_is_retried_later(smtp_server):
    add_paper("2608.00001", "Watched", DAY)
    paper = Paper.objects.get()
    ada, bob = add_user("ada"), add_user("bob")
    Watch.set(ada, paper, True)
    WatchMail.choose(ada, True)
    Comment.post(bob, paper, "News.")
    smtp_server.refuse_next("451 4.3.0 try later")
    result = WatchMailer().run_pass()
    assert (result.sent, result.retried) == (0, 1)
    assert Notification.objects.get().mail_state == "pending"
    assert WatchMailer().run_pass().sent == 1
    assert len(smtp_server.wait_for(1)) == 1
