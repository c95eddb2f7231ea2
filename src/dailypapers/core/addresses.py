"""Return addresses: where a form sends the reader back to once its POST is done."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme


def is_own_page(request: HttpRequest, target: str) -> bool:
    """Whether `target` is a page of this site: a path from the site's root ("/papers/…") or a full
    address on this host. Another site is not, and neither is text that is no address at all (an
    object a template printed by mistake): redirected to, it would be read relative to the form's
    address and end on a 404."""
    if not target.startswith(("/", "http://", "https://")):
        return False
    return url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
