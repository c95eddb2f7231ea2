"""A reader subscribes, confirms, gets a correct digest and leaves with one click."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from django.test import Client

from dailypapers.accounts.models import Profile
from dailypapers.digests.models import Delivery, Subscription
from tests.digests.helpers import due_period, ledger, link, make_due
from tests.digests.helpers import titles as paper_titles
from tests.support.factories import add_paper, add_user

pytestmark = pytest.mark.django_db


def _catalogue(day):
    add_paper(
        "2601.00001",
        "Sparse attention at scale",
        day=day,
        votes=40,
        categories=["cs.CL"],
        abstract="We study sparse attention. It helps a lot.",
        authors=["Grace Hopper", "Ada Lovelace"],
    )
    add_paper(
        "2601.00002",
        "Fragments of vision",
        day=day,
        votes=25,
        categories=["cs.CV"],
        ai_summary="A summary written by a model.",
        authors=["Alan Turing"],
    )
    add_paper(
        "2601.00003",
        "Retrieval for RAG systems",
        day=day,
        votes=10,
        categories=["cs.CL", "cs.IR"],
        abstract="Retrieval-augmented generation (RAG) is popular. We improve it.",
        authors=["Kurt Gödel"],
    )
    add_paper(
        "2601.00004",
        "A paper nobody voted for",
        day=day,
        votes=0,
        categories=["cs.LG"],
        authors=["Emmy Noether"],
    )


def test_subscribe_confirm_digest_unsubscribe(client, smtp_server):
    period = due_period("daily")
    _catalogue(period.start)

    # Every page carries the form, with a CSRF token.
    page = client.get("/").content.decode()
    assert 'action="/digests/subscribe"' in page and "csrfmiddlewaretoken" in page

    csrf_client = Client(enforce_csrf_checks=True)
    assert csrf_client.post("/digests/subscribe", {"email": "reader@example.org"}).status_code == 403

    response = client.post("/digests/subscribe", {"email": "Reader@Example.org"})
    assert response.status_code == 200 and b"Check your inbox" in response.content
    [confirmation] = smtp_server.wait_for(1)
    assert confirmation.recipients == ["Reader@Example.org"]
    assert "Confirm" in confirmation.message["Subject"]
    subscription = Subscription.objects.get()
    assert subscription.status == Subscription.Status.PENDING

    # Double opt-in: nothing is sent before confirmation.
    make_due(subscription)
    call_command("digest", "send")
    assert len(smtp_server.messages) == 1 and not Delivery.objects.exists()

    response = client.post(link(confirmation.text, "confirm"))
    assert response.status_code == 200 and b"subscribed" in response.content
    subscription.refresh_from_db()
    assert subscription.status == Subscription.Status.ACTIVE and subscription.next_due

    make_due(subscription)
    call_command("digest", "send")
    [_, digest] = smtp_server.wait_for(2)
    assert digest.recipients == ["Reader@Example.org"]
    message = digest.message
    assert period.title in message["Subject"]
    assert message.get_content_type() == "multipart/alternative"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe_url = message["List-Unsubscribe"].strip().strip("<>")
    assert unsubscribe_url.startswith("https://papers.example.org/digests/unsubscribe/")
    assert re.fullmatch(r"<digest\.\d+\.day-\d{8}@papers\.example\.org>", message["Message-ID"])
    assert message["Date"]

    text, html = digest.text, digest.html
    # Ranked by votes, each with its link, authors, votes and one-line summary.
    order = [text.index(t) for t in ["Sparse attention", "Fragments of vision", "Retrieval for RAG"]]
    assert order == sorted(order)
    assert "https://papers.example.org/papers/2601.00001" in text
    assert "Grace Hopper, Ada Lovelace" in text and "40 votes" in text
    assert "We study sparse attention." in text and "It helps a lot" not in text
    assert "A summary written by a model." in text
    assert 'href="https://papers.example.org/papers/2601.00002"' in html
    assert "<img" not in html and "<link" not in html and 'style="' in html
    assert "/digests/manage/" in html and "/digests/unsubscribe/" in html

    # The manage link works without signing in.
    manage = client.get(link(text, "manage"))
    assert manage.status_code == 200 and b"Reader@Example.org" in manage.content

    # RFC 8058 one-click: a POST with no cookies and no CSRF token; twice is fine.
    one_click = Client(enforce_csrf_checks=True)
    path = unsubscribe_url.removeprefix("https://papers.example.org")
    for _ in range(2):
        response = one_click.post(path, {"List-Unsubscribe": "One-Click"})
        assert response.status_code == 200
    subscription.refresh_from_db()
    assert subscription.status == Subscription.Status.UNSUBSCRIBED and subscription.next_due is None

    make_due(subscription)
    call_command("digest", "send")
    assert len(smtp_server.messages) == 2


def test_unsubscribe_link_asks_before_acting(client, smtp_server):
    subscription = Subscription.objects.create(email="a@example.org")
    subscription.confirm()
    from dailypapers.digests.tokens import make_token

    path = f"/digests/unsubscribe/{make_token(subscription, 'unsubscribe')}"
    page = client.get(path)
    assert page.status_code == 200 and b"Unsubscribe" in page.content
    subscription.refresh_from_db()
    assert subscription.status == Subscription.Status.ACTIVE  # link scanners GET; only a POST acts
    client.post(path)
    subscription.refresh_from_db()
    assert subscription.status == Subscription.Status.UNSUBSCRIBED


def test_confirmation_link_asks_before_confirming(client, smtp_server):
    client.post("/digests/subscribe", {"email": "reader@example.org"})
    [confirmation] = smtp_server.wait_for(1)
    path = link(confirmation.text, "confirm")
    subscription = Subscription.objects.get()

    # Mail scanners fetch every link: a GET shows a button and changes nothing.
    scanner = Client()
    for _ in range(2):
        page = scanner.get(path).content.decode()
        assert "Confirm your digest" in page and f'<form method="post" action="{path}"' in page
    subscription.refresh_from_db()
    assert subscription.status == Subscription.Status.PENDING and subscription.next_due is None

    # The button POSTs with a CSRF token; a forged POST from elsewhere has none.
    browser = Client(enforce_csrf_checks=True)
    assert browser.post(path).status_code == 403
    page = browser.get(path).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    response = browser.post(path, {"csrfmiddlewaretoken": token})
    assert response.status_code == 200 and "You’re subscribed" in response.content.decode()
    subscription.refresh_from_db()
    assert subscription.status == Subscription.Status.ACTIVE and subscription.next_due
    # Followed again later, the link says so and offers the settings.
    assert "You’re subscribed" in scanner.get(path).content.decode()


def _verified_member(username: str, verified: bool = True):
    user = add_user(username)
    Profile.objects.create(user=user, email_verified=verified)
    return user


def test_a_member_with_a_confirmed_address_subscribes_it_at_once(client, smtp_server):
    client.force_login(_verified_member("grace"))
    response = client.post("/digests/subscribe", {"email": "Grace@Example.org"})
    assert response.status_code == 200 and "You’re subscribed" in response.content.decode()
    subscription = Subscription.objects.get()
    assert subscription.status == Subscription.Status.ACTIVE and subscription.next_due
    assert subscription.user.username == "grace"
    assert smtp_server.messages == []  # no confirmation e-mail to follow

    # Another address still needs its own confirmation, as does an unconfirmed one.
    response = client.post("/digests/subscribe", {"email": "someone.else@example.org"})
    assert "Check your inbox" in response.content.decode()
    unconfirmed = Client()
    unconfirmed.force_login(_verified_member("alan", verified=False))
    response = unconfirmed.post("/digests/subscribe", {"email": "alan@example.org"})
    assert "Check your inbox" in response.content.decode()
    pending = Subscription.objects.filter(status=Subscription.Status.PENDING)
    assert sorted(pending.values_list("email", flat=True)) == ["alan@example.org", "someone.else@example.org"]
    assert sorted(m.recipients[0] for m in smtp_server.wait_for(2)) == [
        "alan@example.org",
        "someone.else@example.org",
    ]


def test_filters_and_counts(smtp_server):
    period = due_period("daily")
    _catalogue(period.start)
    add_paper("2501.00009", "Old paper on sparse attention", day=period.start.replace(year=2025), votes=99)
    cases = {
        "top@example.org": {},
        "two@example.org": {"max_papers": 2},
        "cl@example.org": {"categories": "cs.CL"},
        "rag@example.org": {"keywords": "rag"},  # a whole word: not "Fragments"
        "phrase@example.org": {"keywords": "sparse   ATTENTION"},
        "turing@example.org": {"authors": "alan turing"},
        "mixed@example.org": {"categories": "cs.IR", "authors": "Grace Hopper"},
        "nothing@example.org": {"keywords": "quantum"},
    }
    subs = []
    for email, fields in cases.items():
        s = Subscription.objects.create(email=email, **fields)
        s.confirm()
        subs.append(s)
    make_due(*subs)
    call_command("digest", "send")
    titles = {}
    for received in smtp_server.messages:
        titles[received.recipients[0]] = paper_titles(received)
    assert titles["top@example.org"] == [
        "Sparse attention at scale",
        "Fragments of vision",
        "Retrieval for RAG systems",
        "A paper nobody voted for",
    ]
    assert titles["two@example.org"] == ["Sparse attention at scale", "Fragments of vision"]
    assert titles["cl@example.org"] == ["Sparse attention at scale", "Retrieval for RAG systems"]
    assert titles["rag@example.org"] == ["Retrieval for RAG systems"]
    assert titles["phrase@example.org"] == ["Sparse attention at scale"]
    assert titles["turing@example.org"] == ["Fragments of vision"]
    assert titles["mixed@example.org"] == ["Sparse attention at scale", "Retrieval for RAG systems"]
    # An empty digest is not sent, and is recorded as such.
    assert "nothing@example.org" not in titles
    assert ledger() == {"sent": 7, "empty": 1}


def test_weekly_digest_covers_the_previous_week(smtp_server):
    period = due_period("weekly")
    assert period.kind == "week" and period.start.weekday() == 0
    add_paper("2601.00011", "Monday paper", day=period.start, votes=3)
    add_paper("2601.00012", "Sunday paper", day=period.end, votes=5)
    add_paper(
        "2601.00013", "Next week's paper", day=period.end.fromordinal(period.end.toordinal() + 1), votes=50
    )
    s = Subscription.objects.create(email="weekly@example.org", frequency="weekly")
    s.confirm()
    make_due(s)
    call_command("digest", "send")
    [received] = smtp_server.messages
    assert paper_titles(received) == ["Sunday paper", "Monday paper"]
    assert f"Week {period.start.isocalendar()[1]}" in received.message["Subject"]


def test_each_period_is_sent_once(smtp_server):
    period = due_period("daily")
    add_paper("2601.00021", "Only paper", day=period.start, votes=1)
    s = Subscription.objects.create(email="once@example.org")
    s.confirm()
    for _ in range(3):
        make_due(s)  # as if the schedule were reset: the ledger still holds the period
        call_command("digest", "send")
    assert len(smtp_server.messages) == 1


def test_signed_in_member_manages_from_the_account(client, smtp_server):
    user = add_user("grace")
    client.force_login(user)
    page = client.get("/digests/")
    assert b"grace@example.org" in page.content  # the form is filled in with their address
    client.post("/digests/subscribe", {"email": "grace@example.org"})
    [confirmation] = smtp_server.wait_for(1)  # Grace's address is not confirmed on her account
    client.post(link(confirmation.text, "confirm"))
    response = client.post(
        "/digests/",
        {
            "frequency": "weekly",
            "max_papers": 5,
            "categories": "cs.CL cs.CL cs.LG",
            "keywords": "a, b\nb",
            "authors": "",
        },
    )
    assert response.status_code == 200 and b"Saved" in response.content
    s = Subscription.objects.get()
    assert (s.user, s.frequency, s.max_papers, s.categories, s.keywords) == (
        user,
        "weekly",
        5,
        "cs.CL cs.LG",
        "a\nb",
    )
    # Someone else signed in sees only a subscribe form, not Grace's settings.
    other = Client()
    other.force_login(add_user("alan"))
    page = other.get("/digests/").content.decode()
    assert "grace@example.org" not in page and "Saved" not in page
    assert other.post("/digests/", {"frequency": "daily", "max_papers": 1}).status_code == 405
    s.refresh_from_db()
    assert s.frequency == "weekly"


def test_admin_lists_subscriptions_and_a_read_only_ledger(client, smtp_server):
    from django.contrib.auth import get_user_model

    admin = get_user_model().objects.create_superuser("boss", "boss@example.org", "correct horse battery")
    client.force_login(admin)
    add_paper("2601.00031", "A paper", day=due_period().start, votes=1)
    sub = Subscription.objects.create(email="listed@example.org", keywords="paper")
    sub.confirm()
    make_due(sub)
    call_command("digest", "send")
    delivery = Delivery.objects.get()
    page = client.get("/admin/digests/subscription/?status=active")
    assert page.status_code == 200 and b"listed@example.org" in page.content
    assert b"matching paper" in page.content
    ledger_page = client.get("/admin/digests/delivery/")
    assert ledger_page.status_code == 200 and b"listed@example.org" in ledger_page.content
    detail = client.get(f"/admin/digests/delivery/{delivery.pk}/change/")
    assert detail.status_code == 200 and b'name="_save"' not in detail.content
    assert client.get("/admin/digests/delivery/add/").status_code == 403
    response = client.post(
        "/admin/digests/subscription/",
        {"action": "unsubscribe", "_selected_action": [sub.pk]},
    )
    assert response.status_code == 302
    sub.refresh_from_db()
    assert sub.status == "unsubscribed"


def test_account_partial(rf):
    from django.contrib.auth.models import AnonymousUser
    from django.template.loader import render_to_string

    user = add_user("emmy")
    request = rf.get("/account/")
    request.user = user
    html = render_to_string("digests/_account.html", {"user": user, "request": request})
    assert 'action="/digests/subscribe"' in html and 'value="emmy@example.org"' in html
    sub = Subscription.objects.create(email="emmy@example.org", user=user)
    sub.confirm()
    html = render_to_string("digests/_account.html", {"user": user, "request": request})
    assert "emmy@example.org" in html and "active" in html and 'href="/digests/"' in html
    request.user = AnonymousUser()
    assert "digests/subscribe" in render_to_string("digests/_account.html", {"user": request.user})


def test_preview_command_shows_the_digest_without_sending(smtp_server):
    from io import StringIO

    from django.core.management import CommandError

    add_paper("2601.00041", "Preview me", day=due_period().start, votes=4)
    sub = Subscription.objects.create(email="pre@example.org", keywords="preview")
    sub.confirm()
    out = StringIO()
    call_command("digest", "preview", "PRE@example.org", stdout=out)
    assert "1. Preview me" in out.getvalue() and "matching preview" in out.getvalue()
    assert smtp_server.messages == [] and not Delivery.objects.exists()
    with pytest.raises(CommandError, match="no subscription"):
        call_command("digest", "preview", "nobody@example.org")
