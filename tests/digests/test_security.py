"""Bad input: invalid addresses, tampered or misused links, header injection, mail bombing."""

from __future__ import annotations

import time

import pytest
from django.core import signing
from django.core.management import call_command
from django.test import Client

from dailypapers.digests import tokens
from dailypapers.digests.models import Delivery, Subscription
from dailypapers.digests.tokens import make_token, read_token
from dailypapers.papers.models import Category
from tests.digests.helpers import active_subscribers, due_period, link, make_due
from tests.support.factories import add_paper

pytestmark = pytest.mark.django_db

BAD_ADDRESSES = [
    "",
    "not-an-address",
    "a@",
    "@example.org",
    "a@b@example.org",
    "a b@example.org",
    "x" * 250 + "@example.org",
    "a@example.org\r\nBcc: evil@example.org",
    "a@example.org\nSubject: hello",
    "a@example.org%0d%0aBcc:evil@example.org",
    '"a\r\nb"@example.org',
    "a@example.org, evil@example.org",
    "Evil <evil@example.org>",
]


@pytest.mark.parametrize("address", BAD_ADDRESSES)
def test_invalid_addresses_are_refused(client, smtp_server, address):
    response = client.post("/digests/subscribe", {"email": address})
    assert response.status_code == 400
    assert any(
        reason in response.content
        for reason in [b"valid e-mail address", b"This field is required", b"at most 254 characters"]
    )
    assert not Subscription.objects.exists()
    assert smtp_server.messages == []


def test_header_injection_in_settings_stays_in_the_body(smtp_server):
    add_paper(
        "2601.00301", "Injected paper", day=due_period().start, votes=1, abstract="Bcc injection here. More."
    )
    sub = Subscription.objects.create(
        email="reader@example.org",
        keywords="injection\r\nBcc: evil@example.org",
        authors="X\r\nBcc: evil@example.org",
    )
    sub.confirm()
    make_due(sub)
    call_command("digest", "send")
    [received] = smtp_server.wait_for(1)
    assert received.recipients == ["reader@example.org"]
    assert received.message["Bcc"] is None
    assert all("evil" not in value for value in received.message.values())


def test_a_stored_bad_address_is_never_sent_to(smtp_server):
    add_paper("2601.00302", "A paper", day=due_period().start, votes=1)
    # Written around the form (e.g. by a script): the sender validates again before SMTP.
    bad = Subscription.objects.create(email="a@example.org\r\nBcc: evil@example.org")
    bad.confirm()
    make_due(bad)
    call_command("digest", "send")
    assert smtp_server.messages == []
    bad.refresh_from_db()
    assert bad.status == "bounced" and "valid" in bad.bounce_reason
    assert Delivery.objects.get().status == "bounced"


def test_a_bad_site_name_cannot_inject_headers(client, smtp_server, settings):
    settings.SITE_NAME = "Papers\r\nBcc: evil@example.org"
    [sub] = active_subscribers(1)
    add_paper("2601.00303", "A paper", day=due_period().start, votes=1)
    call_command("digest", "send")
    assert smtp_server.messages == []
    delivery = Delivery.objects.get()
    assert delivery.status == "failed" and "BadHeaderError" in delivery.error
    response = client.post("/digests/subscribe", {"email": "new@example.org"})
    assert response.status_code == 503 and smtp_server.messages == []


def test_tampered_and_misused_tokens(client):
    sub = Subscription.objects.create(email="a@example.org")
    other = Subscription.objects.create(email="b@example.org")
    good = make_token(sub, "manage")
    assert client.get(f"/digests/manage/{good}").status_code == 200

    tampered = good[:-3] + ("AAA" if not good.endswith("AAA") else "BBB")
    forged_payload = signing.dumps(
        [other.pk, tokens._address_digest(other.email)], key="not-our-key", salt="dailypapers.digests.manage"
    )
    payload, rest = good.split(":", 1)
    swapped = signing.b64_encode(f'[{other.pk},"x"]'.encode()).decode() + ":" + rest
    for token in [tampered, forged_payload, swapped, "", "x" * 400, "WzFd:abc:def"]:
        assert read_token(token, "manage") is None
        assert client.get(f"/digests/manage/{token}").status_code == 404
    # Each purpose has its own salt: a manage link cannot unsubscribe or confirm.
    assert client.post(f"/digests/unsubscribe/{good}").status_code == 404
    assert client.get(f"/digests/confirm/{good}").status_code == 404
    sub.refresh_from_db()
    assert sub.status == "pending"

    # Bound to the address: after a change of address the old links are void.
    unsubscribe = make_token(sub, "unsubscribe")
    Subscription.objects.filter(pk=sub.pk).update(email="new@example.org")
    assert read_token(good, "manage") is None and read_token(unsubscribe, "unsubscribe") is None
    assert client.post(f"/digests/unsubscribe/{unsubscribe}").status_code == 404


def test_confirmation_links_expire(client, monkeypatch):
    sub = Subscription.objects.create(email="slow@example.org")
    real_time = time.time
    monkeypatch.setattr(signing.time, "time", lambda: real_time() - 15 * 24 * 3600)
    old = make_token(sub, "confirm")
    monkeypatch.setattr(signing.time, "time", real_time)
    assert client.get(f"/digests/confirm/{old}").status_code == 404
    assert client.get(f"/digests/confirm/{make_token(sub, 'confirm')}").status_code == 200


def test_the_answer_does_not_reveal_who_is_subscribed(client, smtp_server):
    active = Subscription.objects.create(email="known@example.org")
    active.confirm()
    known = client.post("/digests/subscribe", {"email": "known@example.org"})
    unknown = client.post("/digests/subscribe", {"email": "unknown@example.org"})
    assert known.status_code == unknown.status_code == 200

    def main(response, address: bytes) -> bytes:  # the page less its footer (a fresh CSRF token)
        return response.content.split(b"</main>")[0].replace(address, b"X@")

    assert main(known, b"known@") == main(unknown, b"unknown@")
    mails = {m.recipients[0]: m for m in smtp_server.wait_for(2)}
    # The subscriber gets their manage link instead of a second confirmation.
    assert "/digests/manage/" in mails["known@example.org"].text
    assert "/digests/confirm/" not in mails["known@example.org"].text
    assert "/digests/confirm/" in mails["unknown@example.org"].text
    assert Subscription.objects.get(email="known@example.org").status == "active"


def test_no_mail_bombing(client, smtp_server, settings):
    settings.DIGEST_CONFIRM_RESEND = 300
    for _ in range(3):
        assert client.post("/digests/subscribe", {"email": "victim@example.org"}).status_code == 200
    assert len(smtp_server.wait_for(1)) == 1  # one confirmation per address per 5 minutes
    settings.DIGEST_SUBSCRIBE_RATE = "3/m"
    answers = [client.post("/digests/subscribe", {"email": f"v{i}@example.org"}) for i in range(5)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429, 429]
    assert 55 <= int(answers[-1]["Retry-After"]) <= 60


def test_behind_a_proxy_the_subscribe_limit_counts_each_client(client, smtp_server, settings):
    settings.DIGEST_SUBSCRIBE_RATE = "1/m"
    settings.CLIENT_IP_HEADER = "HTTP_X_FORWARDED_FOR"
    via_proxy = {"REMOTE_ADDR": "127.0.0.1"}

    def subscribe(email: str, forwarded: str) -> int:
        return client.post(
            "/digests/subscribe", {"email": email}, HTTP_X_FORWARDED_FOR=forwarded, **via_proxy
        ).status_code

    assert subscribe("a@example.org", "203.0.113.9") == 200
    assert subscribe("b@example.org", "203.0.113.9") == 429
    assert subscribe("c@example.org", "1.1.1.1, 203.0.113.9") == 429  # a forged first entry counts not
    assert subscribe("d@example.org", "198.51.100.7") == 200  # another reader behind the same proxy


def test_one_click_needs_no_csrf_but_settings_do(smtp_server):
    sub = Subscription.objects.create(email="a@example.org")
    sub.confirm()
    strict = Client(enforce_csrf_checks=True)
    manage = f"/digests/manage/{make_token(sub, 'manage')}"
    assert strict.post(manage, {"frequency": "weekly", "max_papers": 3}).status_code == 403
    sub.refresh_from_db()
    assert sub.frequency == "daily"
    assert (
        strict.post(
            f"/digests/unsubscribe/{make_token(sub, 'unsubscribe')}", {"List-Unsubscribe": "One-Click"}
        ).status_code
        == 200
    )
    sub.refresh_from_db()
    assert sub.status == "unsubscribed"


def test_settings_form_validates(client):
    sub = Subscription.objects.create(email="a@example.org")
    sub.confirm()
    manage = f"/digests/manage/{make_token(sub, 'manage')}"
    bad = client.post(manage, {"frequency": "hourly", "max_papers": 500, "categories": "cs.CL; DROP TABLE"})
    assert bad.status_code == 400
    sub.refresh_from_db()
    assert (sub.frequency, sub.max_papers, sub.categories) == ("daily", 10, "")


def test_categories_must_be_arxiv_categories(client):
    sub = Subscription.objects.create(email="a@example.org")
    sub.confirm()
    manage = f"/digests/manage/{make_token(sub, 'manage')}"
    fields = {"frequency": "daily", "max_papers": 10}

    bad = client.post(manage, {**fields, "categories": "cs.CL cs.XX notacat"})
    assert bad.status_code == 400
    assert "Not an arXiv category: cs.XX, notacat." in bad.content.decode()
    sub.refresh_from_db()
    assert sub.categories == ""

    # arXiv's codes in any case, spaces or commas between them; an archive of old papers that the
    # catalogue holds counts too.
    Category.objects.create(code="cmp-lg")
    good = client.post(manage, {**fields, "categories": "cs.cl, hep-th astro-ph.CO cs.CL cmp-lg"})
    assert good.status_code == 200 and b"Saved" in good.content
    sub.refresh_from_db()
    assert sub.categories == "cs.CL hep-th astro-ph.CO cmp-lg"


def test_changing_the_address_needs_the_new_one_confirmed_and_voids_old_links(client, smtp_server):
    sub = Subscription.objects.create(email="old@example.org")
    sub.confirm()
    other = Subscription.objects.create(email="taken@example.org")
    manage = make_token(sub, "manage")
    old_unsubscribe = make_token(sub, "unsubscribe")

    taken = client.post(f"/digests/manage/{manage}/address", {"email": "Taken@example.org"})
    assert taken.status_code == 400 and b"digest of its own" in taken.content
    bad = client.post(f"/digests/manage/{manage}/address", {"email": "new@example.org\r\nBcc: x@example.org"})
    assert bad.status_code == 400

    response = client.post(f"/digests/manage/{manage}/address", {"email": "new@example.org"})
    assert response.status_code == 200 and b"Check your inbox" in response.content
    [confirmation] = smtp_server.wait_for(1)
    assert confirmation.recipients == ["new@example.org"]
    sub.refresh_from_db()
    assert (sub.email, sub.status, sub.next_due) == ("new@example.org", "pending", None)
    # Every link made for the old address is void now.
    assert client.get(f"/digests/manage/{manage}").status_code == 404
    assert client.post(f"/digests/unsubscribe/{old_unsubscribe}").status_code == 404
    client.post(link(confirmation.text, "confirm"))
    sub.refresh_from_db()
    assert sub.status == "active"
    other.refresh_from_db()
    assert other.email == "taken@example.org"
