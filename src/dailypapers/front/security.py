"""The Content-Security-Policy header on every response.

The policy is one constant: nothing is loaded from another site, and no inline script, event handler or
style runs; every page's script and style come from our own static files. Django 5.2 (our LTS) has no
CSP support of its own (6.0 adds it) and the policy needs no nonces, so a header is all it takes.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template import loader

HEADER = "Content-Security-Policy"

# default-src covers images, fonts and fetches too: neither our pages nor the admin use data: URLs.
POLICY = (
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'{styles}",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
)


def inline_style_hashes(template_name: str) -> list[str]:
    """CSP hash sources for the `<style>` blocks of a template, as written in its source."""
    source = loader.get_template(template_name).template.source
    blocks = re.findall(r"<style>(.*?)</style>", source, flags=re.DOTALL)
    return [f"'sha256-{base64.b64encode(hashlib.sha256(b.encode()).digest()).decode()}'" for b in blocks]


def policy() -> str:
    # The 500 page keeps its style inline: it is shown when something has failed, and must not depend
    # on anything else working, the static files' manifest included. Its hash, taken from the
    # template itself, lets just that style in.
    styles = "".join(f" {h}" for h in inline_style_hashes("500.html"))
    return "; ".join(POLICY).format(styles=styles)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.policy = policy()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # Django's own debug pages (DEBUG only, never in production) are built of inline styles and
        # scripts: under the policy they would be unreadable.
        if settings.DEBUG and response.status_code in (404, 500):
            return response
        response.headers.setdefault(HEADER, self.policy)
        return response
