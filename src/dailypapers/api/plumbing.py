"""The API's plumbing: JSON errors, methods, CORS, rate limits and bearer-token authentication.

Every endpoint is a plain function wrapped by `endpoint(...)`, which turns `ApiError` (and Django's
`Http404`) into `{"error": "..."}` with the right status, the shape `huggingface_hub` reads.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, TooManyFieldsSent
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from dailypapers.core import limits, pagecache
from dailypapers.core.clients import client_ip
from dailypapers.core.limits import Limit
from dailypapers.core.user_text import BadInput, parse_json

READ_METHODS = ("GET", "HEAD")
MAX_PARAM_CHARS = 2000  # far above any arXiv id, member name, cursor or search (1,000) the API reads
PATH_NAMES = {"ref": "The paper id"}


class ApiError(Exception):
    def __init__(
        self, status: int, message: str, headers: dict[str, str] | None = None, code: str = ""
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}
        self.code = code


def bad_request(message: str) -> ApiError:
    return ApiError(400, message)


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> JsonResponse:
    # Compact, as Hugging Face's API answers: the feed's 50 items are about 10 kB smaller.
    dumps = {"ensure_ascii": False, "separators": (",", ":")}
    response = JsonResponse(
        data, status=status, safe=False, encoder=DjangoJSONEncoder, json_dumps_params=dumps
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def error_response(
    status: int, message: str, headers: dict[str, str] | None = None, code: str = ""
) -> JsonResponse:
    data = {"error": message, "code": code} if code else {"error": message}
    return json_response(data, status=status, headers=headers)


def add_cors(response: HttpResponse) -> HttpResponse:
    # Reads are public: any web page may fetch them. No credentials are honoured cross-site
    # (no Allow-Credentials), so this opens nothing a plain `curl` could not already read.
    response["Access-Control-Allow-Origin"] = "*"
    response["Access-Control-Expose-Headers"] = "Link, Retry-After, X-RateLimit-Limit, X-RateLimit-Remaining"
    return response


def _client_key(request: HttpRequest) -> str:
    token = getattr(request, "api_token", None)
    if token is not None:
        return f"user:{token.user_id}"
    return "ip:" + client_ip(request)


def _limit(kind: str) -> Limit:
    # Reads count where their copies' stamps are read (PostgreSQL), in the same statement.
    store = limits.along_store() if kind == "read" else None
    return _made_limit(kind, getattr(settings, f"API_{kind.upper()}_RATE"), store)


@functools.lru_cache(maxsize=32)
def _made_limit(kind: str, rate: str, store: limits.Store | None) -> Limit:
    # A Limit keeps nothing between requests: one per rate and store, rather than parsing the rate
    # twice for every counted read (once for the statement that rides with the stamps, once in the
    # gate). `store` is the database or None (the default store, looked up when counting): a few keys.
    return Limit(f"api-{kind}", rate, store)


def _counted_as(kind: str) -> str:
    return f"dailypapers.api.{kind}_usage"


def check_rate(request: HttpRequest, kind: str) -> dict[str, str]:
    """Count this request against the caller's allowance; ApiError(429) when it is spent. A request
    is counted once: a read counted along with its copy's stamps (`read_along`) is not counted
    again, nor one the WSGI door counted before handing it to Django (the count is kept in the
    request's environ, which the door and Django share)."""
    limit = _limit(kind)
    if not limit.enabled:
        return {}
    usage = request.META.get(_counted_as(kind))
    if usage is None:
        row = pagecache.along_row(request) if kind == "read" else None
        if row is not None:
            usage = limit.usage_of(row, request._api_read_counted_at)
        else:
            usage = limit.hit(_client_key(request))
        request.META[_counted_as(kind)] = usage
    headers = {"X-RateLimit-Limit": str(usage.limit), "X-RateLimit-Remaining": str(usage.remaining)}
    if not usage.allowed:
        raise ApiError(
            429,
            f"Too many requests: at most {limit.text} for {kind}s. Try again in {usage.retry_after} s.",
            {**headers, "Retry-After": str(usage.retry_after)},
        )
    return headers


def _with_rate(response: HttpResponse, request: HttpRequest, rate_headers: dict[str, str]) -> HttpResponse:
    for name, value in rate_headers.items():
        response.setdefault(name, value)
    if request.method in READ_METHODS:
        add_cors(response)
    return response


# The shared copies of API reads (core.pagecache) are served through this gate before the view's
# middleware runs: each read is counted like any other, and the 429 is the endpoint's own.
READ_GATE = "api-read"


def read_along(request: HttpRequest) -> tuple[str, list] | None:
    """The statement that counts this read, to run with its copy's stamps: one round trip for both
    where the limit counts in PostgreSQL (core.limits.Limit.hit_along). None for a read counted
    already."""
    if _counted_as("read") in request.META:
        return None
    statement = _limit("read").hit_along(_client_key(request))
    if statement is None:
        return None
    sql, params, request._api_read_counted_at = statement
    return sql, params


def read_gate(request: HttpRequest, answer: Callable[[], HttpResponse]) -> HttpResponse:
    """Count an anonymous read of a shared copy against the client's allowance; the copy, or 429."""
    try:
        rate_headers = check_rate(request, "read")
    except ApiError as exc:
        return _with_rate(error_response(exc.status, exc.message, exc.headers, exc.code), request, {})
    return _with_rate(answer(), request, rate_headers)


def read_door(request: HttpRequest) -> dict[str, str] | None:
    """The gate's part at the WSGI door (core.door): count the read as `read_gate` does; the headers
    it adds to the copy, or None when it refuses (Django's `read_gate` then answers the 429, from
    the count made here)."""
    try:
        return check_rate(request, "read")
    except ApiError:
        return None


def bearer_token(request: HttpRequest) -> str | None:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def authenticate(request: HttpRequest) -> None:
    """Set request.api_token / request.api_user from `Authorization: Bearer ...`, or raise 401."""
    from dailypapers.api.models import ApiToken

    challenge = {"WWW-Authenticate": 'Bearer realm="api"'}
    raw = bearer_token(request)
    if raw is None:
        raise ApiError(401, "This needs an API token: send 'Authorization: Bearer <token>'.", challenge)
    token = ApiToken.objects.authenticate(raw)
    if token is None:
        raise ApiError(
            401, "The API token is not valid (unknown, revoked or its account is disabled).", challenge
        )
    request.api_token = token
    request.api_user = token.user


def request_data(request: HttpRequest) -> dict[str, Any]:
    """The body of a write: a JSON object, or an HTML form's fields."""
    content_type = request.content_type or ""
    if content_type == "application/json":
        try:
            data = parse_json(request.body or b"{}")
        except BadInput as exc:
            raise bad_request(str(exc)) from None
        if not isinstance(data, dict):
            raise bad_request("The body must be a JSON object.")
        return data
    if content_type in ("application/x-www-form-urlencoded", "multipart/form-data", ""):
        return request.POST.dict()  # its fields were checked as text by core.user_text's middleware
    raise ApiError(415, f"Send JSON (application/json) or a form, not {content_type}.")


def _check_params(request: HttpRequest, path_params: dict[str, Any]) -> None:
    """Refuse a value longer than any id, name, cursor or query this API reads. (Text that is not
    text, a NUL for one, is refused before: see dailypapers.core.user_text.)"""
    try:
        params = [(name, value) for name, values in request.GET.lists() for value in values]
    except TooManyFieldsSent:
        limit = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
        raise bad_request(f"The query string has too many parameters (at most {limit:,}).") from None
    # A value in the path is named as a reader knows it, not by the route's group name.
    params += [
        (PATH_NAMES.get(name, name), value) for name, value in path_params.items() if isinstance(value, str)
    ]
    for name, value in params:
        if len(value) > MAX_PARAM_CHARS:
            raise bad_request(
                f"{name[:40]} is {len(value):,} characters long; the API reads at most {MAX_PARAM_CHARS:,}."
            )


def endpoint(*methods: str, auth: bool = False) -> Callable:
    """Wrap a view as an API endpoint answering `methods` (reads also answer HEAD and OPTIONS)."""
    allowed = set(methods)
    if "GET" in allowed:
        allowed.add("HEAD")
    allow_header = ", ".join(sorted(allowed | {"OPTIONS"}))

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            request.api_token = None
            request.api_user = None
            if request.method == "OPTIONS":
                response = HttpResponse(status=204)
                response["Allow"] = allow_header
                response["Access-Control-Allow-Methods"] = allow_header
                response["Access-Control-Allow-Headers"] = "Authorization, Content-Type"
                response["Access-Control-Max-Age"] = "86400"
                return add_cors(response)
            rate_headers: dict[str, str] = {}
            try:
                if request.method not in allowed:
                    raise ApiError(
                        405,
                        f"{request.method} is not allowed here; use {allow_header}.",
                        {"Allow": allow_header},
                    )
                _check_params(request, kwargs)
                is_write = request.method not in READ_METHODS
                if auth or is_write:
                    authenticate(request)
                rate_headers = check_rate(request, "write" if is_write else "read")
                response = view(request, *args, **kwargs)
            except ApiError as exc:
                response = error_response(exc.status, exc.message, exc.headers, exc.code)
            except PermissionDenied as exc:
                response = error_response(403, str(exc) or "Not allowed.", code="forbidden")
            except Http404 as exc:
                message = exc.args[0] if exc.args and isinstance(exc.args[0], str) else "Not found."
                response = error_response(404, message)
            return _with_rate(response, request, rate_headers)

        # CSRF-exempt by design. Writes authenticate with a bearer token only, never with the session
        # cookie: a browser never attaches an Authorization header by itself, so a forged cross-site
        # request carries no credential and there is nothing for a CSRF token to protect. Members
        # signed in with a session write through the web forms, which keep Django's CSRF checks.
        # (Read-only endpoints are exempt too, so that a stray POST gets the API's JSON 405.)
        return csrf_exempt(wrapper)

    return decorate
