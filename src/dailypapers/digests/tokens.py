"""Signed links that let a reader confirm, manage and unsubscribe without signing in.

A token is signed with SECRET_KEY and a salt of its own per purpose (a manage link cannot be used as
a confirm link), and binds the subscription id AND a digest of the address: a token minted for one
address never acts on another, and changing a subscription's address voids its old links. The
address digest is keyed (salted HMAC) so links do not reveal the address.
"""

from __future__ import annotations

from django.core import signing
from django.utils.crypto import constant_time_compare, salted_hmac

from dailypapers.digests.models import Subscription

PURPOSES = {"confirm", "manage", "unsubscribe"}
# A confirmation link is good for two weeks; manage and unsubscribe links in old mails keep working.
MAX_AGE = {"confirm": 14 * 24 * 3600, "manage": None, "unsubscribe": None}


def _salt(purpose: str) -> str:
    return f"dailypapers.digests.{purpose}"


def _address_digest(email: str) -> str:
    return salted_hmac("dailypapers.digests.address", email.strip().lower()).hexdigest()[:20]


def make_token(subscription: Subscription, purpose: str) -> str:
    assert purpose in PURPOSES
    payload = [subscription.pk, _address_digest(subscription.email)]
    return signing.dumps(payload, salt=_salt(purpose), compress=False)


def read_token(token: str, purpose: str) -> Subscription | None:
    """The subscription a valid token names, or None (tampered, expired, other purpose or address)."""
    assert purpose in PURPOSES
    if not token or len(token) > 300:
        return None
    try:
        payload = signing.loads(token, salt=_salt(purpose), max_age=MAX_AGE[purpose])
    except signing.BadSignature:  # includes SignatureExpired
        return None
    if not (isinstance(payload, list) and len(payload) == 2 and isinstance(payload[0], int)):
        return None
    subscription = Subscription.objects.filter(pk=payload[0]).first()
    if subscription is None or not constant_time_compare(
        str(payload[1]), _address_digest(subscription.email)
    ):
        return None
    return subscription
