"""Return addresses: where a form sends the reader back to once its POST is done, and where a
stranger is sent to sign in first (for plain forms and htmx requests alike)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
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


def is_htmx(request: HttpRequest) -> bool:
    """Whether htmx sent the request (it swaps the answer into the page)."""
    return request.headers.get("HX-Request") == "true"


def return_address(request: HttpRequest, default: str) -> str:
    """After a plain POST: the page it came from (its `next` field, else the Referer), if ours."""
    for target in (request.POST.get("next", ""), request.headers.get("Referer", "")):
        if is_own_page(request, target):
            return target
    return default


def sign_in_first(request: HttpRequest, then: str) -> HttpResponse:
    """Anonymous readers go to the sign-in page (htmx: by a full-page redirect), then to `then`."""
    login = redirect_to_login(then, reverse(settings.LOGIN_URL))
    if is_htmx(request):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = login["Location"]
        return response
    return login
