"""Who is asking: the one rule every per-client limit uses (API reads and writes, sign-in, sign-up,
digest subscriptions)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """The client's address. Behind a reverse proxy every request comes from the proxy, so with
    settings.CLIENT_IP_HEADER set, the rightmost entry of that header names the client: the one our
    own proxy added (a client can forge the entries before it)."""
    address = request.META.get("REMOTE_ADDR") or "unknown"
    if settings.CLIENT_IP_HEADER:
        forwarded = request.META.get(settings.CLIENT_IP_HEADER, "")
        address = forwarded.split(",")[-1].strip() or address
    return address
