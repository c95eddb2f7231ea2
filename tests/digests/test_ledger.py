"""The ledger's states: work left mid-send by a dead worker, cancelled digests, the schedule."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import pytest
from django.core.management import call_command
from django.utils import timezone

from dailypapers.digests.models import Delivery, Subscription
from dailypapers.digests.schedule import last_due_at_or_before, next_due_after, period_due_at
from dailypapers.digests.sending import HOST, Journal, Sender, host_identity
from tests.digests.helpers import active_subscribers, due_period
from tests.support.factories import add_paper

pytestmark = pytest.mark.django_db


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _left_sending(sub: Subscription, worker: str, claimed_at: dt.datetime) -> Delivery:
    period = due_period()
    return Delivery.objects.create(
        subscription=sub,
        kind=period.kind,
        period_start=period.start,
        period_end=period.end,
        status="sending",
        attempts=1,
        claimed_by=worker,
        claimed_at=claimed_at,
    )


def test_work_left_by_a_dead_worker_is_sent_again_with_the_same_message_id(smtp_server):
    add_paper("2601.00401", "A paper", day=due_period().start, votes=1)
    [sub] = active_subscribers(1)
    Subscription.objects.update(next_due=timezone.now() + dt.timedelta(days=1))
    delivery = _left_sending(sub, f"{HOST}:{_dead_pid()}:feedbeef", timezone.now())
    result = Sender().run_pass()
    assert (result.recovered, result.sent) == (1, 1)
    [received] = smtp_server.wait_for(1)
    delivery.refresh_from_db()
    assert delivery.status == "sent" and delivery.attempts == 2
    assert received.message["Message-ID"] == delivery.message_id


def test_a_live_worker_elsewhere_keeps_its_claim_until_the_timeout(smtp_server, settings):
    add_paper("2601.00402", "A paper", day=due_period().start, votes=1)
    [sub] = active_subscribers(1)
    Subscription.objects.update(next_due=timezone.now() + dt.timedelta(days=1))
    delivery = _left_sending(sub, "other-host:123:cafe", timezone.now())
    assert Sender().run_pass().recovered == 0
    assert smtp_server.messages == []
    Delivery.objects.filter(pk=delivery.pk).update(
        claimed_at=timezone.now() - dt.timedelta(seconds=settings.DIGEST_CLAIM_TIMEOUT + 1)
    )
    assert Sender().run_pass().sent == 1


def test_a_dead_worker_of_another_node_on_this_machine_is_left_to_the_timeout(smtp_server, tmp_path):
    # Two nodes on one machine with separate homes: the other node's journal (which may say the
    # server accepted the digest) is out of this sender's reach, so its pid alone must not requeue it.
    other_node = host_identity(tmp_path / "other-home")
    assert other_node != HOST and other_node.split("~")[0] == HOST.split("~")[0]
    add_paper("2601.00404", "A paper", day=due_period().start, votes=1)
    [sub] = active_subscribers(1)
    Subscription.objects.update(next_due=timezone.now() + dt.timedelta(days=1))
    _left_sending(sub, f"{other_node}:{_dead_pid()}:feedbeef", timezone.now())
    assert Sender().run_pass().recovered == 0
    assert smtp_server.messages == []


def test_unsubscribing_after_the_claim_cancels_the_digest(smtp_server):
    add_paper("2601.00403", "A paper", day=due_period().start, votes=1)
    [sub] = active_subscribers(1)
    sender = Sender()
    from dailypapers.digests.sending import PassResult

    sender.claim_due(PassResult())
    sub.unsubscribe()
    call_command("digest", "send")
    assert smtp_server.messages == []
    assert Delivery.objects.get().status == "cancelled"


def test_schedule(settings):
    settings.FEED_TIMEZONE = "America/New_York"
    settings.DIGEST_SEND_HOUR = 6
    zone = dt.timezone(dt.timedelta(hours=-5))  # New York in November
    tuesday_night = dt.datetime(2026, 11, 24, 22, 0, tzinfo=zone)
    due = next_due_after("daily", tuesday_night)
    assert due == dt.datetime(2026, 11, 25, 6, 0, tzinfo=zone)
    assert period_due_at("daily", due).start == dt.date(2026, 11, 24)
    weekly = next_due_after("weekly", tuesday_night)
    assert weekly == dt.datetime(2026, 11, 30, 6, 0, tzinfo=zone)
    week = period_due_at("weekly", weekly)
    assert (week.start, week.end) == (dt.date(2026, 11, 23), dt.date(2026, 11, 29))
    # Exactly at the send time, that send is the latest due; a worker down for days sends only it.
    assert last_due_at_or_before("daily", due) == due
    assert last_due_at_or_before("weekly", dt.datetime(2026, 12, 9, 12, 0, tzinfo=zone)) == dt.datetime(
        2026, 12, 7, 6, 0, tzinfo=zone
    )


def test_a_long_stopped_worker_sends_the_latest_period_only(smtp_server):
    period = due_period()
    add_paper("2601.00404", "Old", day=period.start - dt.timedelta(days=3), votes=1)
    add_paper("2601.00405", "Latest", day=period.start, votes=1)
    [sub] = active_subscribers(1)
    Subscription.objects.update(next_due=timezone.now() - dt.timedelta(days=4))
    call_command("digest", "send")
    [received] = smtp_server.wait_for(1)
    assert "Latest" in received.text and "Old" not in received.text
    sub.refresh_from_db()
    assert sub.next_due > timezone.now()


def test_a_failing_digest_does_not_stop_the_others_or_loop_forever(smtp_server, settings, monkeypatch):
    settings.DIGEST_MAX_ATTEMPTS = 3
    add_paper("2601.00406", "A paper", day=due_period().start, votes=1)
    bad, good = active_subscribers(2)
    from dailypapers.digests import sending

    real = sending.digest_message

    def broken_for_bad(subscription, *args, **kwargs):
        if subscription.pk == bad.pk:
            raise RuntimeError("a bug")
        return real(subscription, *args, **kwargs)

    monkeypatch.setattr(sending, "digest_message", broken_for_bad)
    result = Sender(connections=1).run_pass()
    assert (result.sent, result.failed, result.retried) == (1, 1, 2)
    assert [m.recipients for m in smtp_server.messages] == [[good.email]]
    assert dict(Delivery.objects.values_list("subscription__email", "status")) == {
        bad.email: "failed",
        good.email: "sent",
    }


def test_a_digest_the_server_accepted_is_marked_sent_not_sent_again(smtp_server, settings):
    # A worker killed between the server's 250 and its `sent` commit: its journal (a file in the
    # data folder, written right after the 250) tells the next sender that the server has it.
    add_paper("2601.00407", "A paper", day=due_period().start, votes=1)
    [sub] = active_subscribers(1)
    Subscription.objects.update(next_due=timezone.now() + dt.timedelta(days=1))
    dead = f"{HOST}:{_dead_pid()}:feedbeef"
    delivery = _left_sending(sub, dead, timezone.now())
    journal = Journal(dead)
    journal.accepted(delivery.pk, 1)
    os.close(journal.fd)  # as the kill leaves it
    result = Sender().run_pass()
    assert (result.recovered, result.sent) == (1, 0)
    assert smtp_server.messages == []
    delivery.refresh_from_db()
    assert (delivery.status, delivery.paper_count, delivery.attempts) == ("sent", 1, 1)
    assert delivery.message_id.startswith(f"<digest.{delivery.pk}.")
    assert not journal.path.exists()  # read into the ledger, then removed
