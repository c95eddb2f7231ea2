"""SMTP trouble: 4xx and outages are retried with backoff; a 5xx stops mail to the address."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from dailypapers.digests.models import Delivery, Subscription
from tests.digests.helpers import active_subscribers, due_period, make_due
from tests.support.factories import add_paper
from tests.support.served import free_port

pytestmark = pytest.mark.django_db


@pytest.fixture
def papers():
    add_paper("2601.00201", "Today's paper", day=due_period("daily").start, votes=2)


def test_a_4xx_is_retried_and_then_delivered(smtp_server, papers):
    [sub] = active_subscribers(1)
    smtp_server.refuse_next("451 4.3.0 try again later")
    call_command("digest", "send")
    [received] = smtp_server.wait_for(1)
    assert received.recipients == [sub.email]
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("sent", 2)


def test_retries_wait_for_their_backoff(smtp_server, papers, settings):
    settings.DIGEST_RETRY_BACKOFF = 60
    active_subscribers(1)
    smtp_server.refuse_next("421 4.7.0 too busy")
    call_command("digest", "send")
    delivery = Delivery.objects.get()
    assert delivery.status == "pending" and "421" in delivery.error
    assert delivery.next_attempt_at > timezone.now() + dt.timedelta(seconds=50)
    call_command("digest", "send")  # too early: nothing happens
    assert smtp_server.messages == []
    Delivery.objects.update(next_attempt_at=timezone.now())
    call_command("digest", "send")
    assert len(smtp_server.wait_for(1)) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("sent", 2)


def test_transient_failures_give_up_after_the_last_attempt(smtp_server, papers, settings):
    settings.DIGEST_MAX_ATTEMPTS = 3
    [sub] = active_subscribers(1)
    smtp_server.refuse_next(*["450 4.2.1 mailbox busy"] * 3)
    call_command("digest", "send")
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("failed", 3)
    sub.refresh_from_db()
    assert sub.status == "active"  # a busy mailbox is not a dead one


@pytest.mark.parametrize("where", ["rcpt", "data"])
def test_a_5xx_marks_the_address_and_stops_mail(smtp_server, papers, where):
    gone, kept = active_subscribers(2)
    if where == "rcpt":
        smtp_server.handler.refuse_recipients[gone.email] = "550 5.1.1 no such user"
    else:
        smtp_server.refuse_next("554 5.7.1 message refused")  # whichever message comes first
    call_command("digest", "send")
    if where == "data" and Subscription.objects.get(pk=gone.pk).status == "active":
        gone, kept = kept, gone
    assert [m.recipients for m in smtp_server.wait_for(1)] == [[kept.email]]
    gone.refresh_from_db()
    assert gone.status == "bounced" and gone.next_due is None and "55" in gone.bounce_reason
    assert Delivery.objects.get(subscription=gone).status == "bounced"

    # The next period: the bounced address gets nothing, even if its schedule were due.
    Delivery.objects.all().delete()
    smtp_server.handler.refuse_recipients.clear()
    make_due(gone, kept)
    call_command("digest", "send")
    assert [m.recipients for m in smtp_server.messages] == [[kept.email], [kept.email]]


def test_server_down_keeps_the_digests_queued(smtp_server, papers, settings):
    active_subscribers(3)
    settings.EMAIL_PORT = free_port()  # nothing listens there
    with pytest.raises(CommandError, match="SMTP server could not be reached"):
        call_command("digest", "send")
    assert set(Delivery.objects.values_list("status", flat=True)) == {"pending"}
    settings.EMAIL_PORT = smtp_server.port
    call_command("digest", "send")
    assert len(smtp_server.wait_for(3)) == 3
    assert set(Delivery.objects.values_list("status", flat=True)) == {"sent"}


def test_confirmation_with_the_server_down(client, smtp_server, settings):
    settings.EMAIL_PORT = free_port()
    response = client.post("/digests/subscribe", {"email": "patient@example.org"})
    assert response.status_code == 503
    assert b"couldn" in response.content and b"patient@example.org" in response.content
    sub = Subscription.objects.get()
    assert sub.status == "pending" and sub.confirmation_sent_at is None
    settings.EMAIL_PORT = smtp_server.port
    assert client.post("/digests/subscribe", {"email": "patient@example.org"}).status_code == 200
    assert [m.recipients for m in smtp_server.wait_for(1)] == [["patient@example.org"]]
    assert Subscription.objects.count() == 1
