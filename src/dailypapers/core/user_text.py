"""Text from users and clients, checked in one place: the address, the query string, form bodies and
the API's JSON bodies.

Text that holds a NUL (U+0000) or a lone surrogate (U+D800 to U+DFFF) is refused with a 400 that names
the value, the same on SQLite and PostgreSQL: PostgreSQL cannot store a NUL, no database can store a
lone surrogate as UTF-8, and a person types neither. Bytes that are not UTF-8 in a query string or a
form body are refused too, rather than quietly turned into U+FFFD. `RefuseBadInput` (a middleware)
checks every request's address, query string and form fields; the API's `request_data` reads JSON
bodies through `parse_json`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote_to_bytes

from django.core.exceptions import BadRequest, TooManyFieldsSent
from django.http import HttpRequest, HttpResponse

_BAD_CHAR = re.compile("[\x00\ud800-\udfff]")
SHOWN_CHARS = 40  # of a field's name in a message


class BadInput(BadRequest):
    """Text this site does not accept; Django answers it with a 400 (handler400 shows the message)."""


def problem(text: str) -> str | None:
    """What is wrong with `text` as text (a NUL or a lone surrogate), or None."""
    match = _BAD_CHAR.search(text)
    if match is None:
        return None
    if match.group() == "\x00":
        return "a NUL character (U+0000)"
    return f"a lone surrogate (U+{ord(match.group()):04X})"


def shown(name: str) -> str:
    """`name` as a message can quote it: short, and with bad characters written as escapes."""
    return _BAD_CHAR.sub(lambda m: f"\\u{ord(m.group()):04x}", name[:SHOWN_CHARS])


def check_text(text: str, where: str) -> str:
    """`text` itself, or BadInput naming `where` (e.g. 'The field “body”')."""
    found = problem(text)
    if found is not None:
        raise BadInput(f"{where} holds {found}, which is not text this site accepts.")
    return text


def check_json(value: Any, where: str = "The body") -> Any:
    """`value` (parsed JSON) itself, or BadInput for the first string or key in it that is not text.
    Walked with a stack, not recursion: the nesting is the client's choice."""
    stack: list[tuple[str, Any]] = [("", value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, str):
            check_text(item, f"{where}’s field “{shown(path)}”" if path else where)
        elif isinstance(item, dict):
            for key, sub in item.items():
                check_text(key, f"A field name in {where.lower()}")
                stack.append((f"{path}.{key}" if path else key, sub))
        elif isinstance(item, list):
            stack.extend((f"{path}[{index}]", sub) for index, sub in enumerate(item))
    return value


def parse_json(body: bytes) -> Any:
    """A JSON body, checked by check_json; BadInput when it is not UTF-8, not JSON or nested deeper
    than Python's parser goes."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadInput(f"The body is not UTF-8 (byte {exc.start:,} is not).") from None
    try:
        data = json.loads(text)
    except RecursionError:
        raise BadInput("The body is not valid JSON: it is nested too deeply.") from None
    except ValueError:
        raise BadInput("The body is not valid JSON.") from None
    return check_json(data)


def _check_utf8(raw: str, where: str) -> None:
    """Refuse percent-escapes (or raw bytes, which WSGI hands over as Latin-1) that are not UTF-8."""
    try:
        unquote_to_bytes(raw.replace("+", " ").encode("latin-1")).decode("utf-8")
    except UnicodeEncodeError:
        return  # already decoded text (a test client may hand it over so): nothing to check here
    except UnicodeDecodeError:
        raise BadInput(f"{where} is not UTF-8 text.") from None


def check_request(request: HttpRequest) -> None:
    """BadInput for a request whose address, query string or form fields hold what is not text."""
    check_text(request.path_info, "The address")
    _check_utf8(request.META.get("QUERY_STRING", ""), "The query string")
    try:
        params = list(request.GET.lists())
    except TooManyFieldsSent:
        params = []  # the view that reads them answers with its own 400 and message
    for name, values in params:
        check_text(name, "A query parameter’s name")
        for value in values:
            check_text(value, f"The query parameter “{shown(name)}”")
    if request.method == "POST" and request.content_type in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        utf8 = (request.encoding or "utf-8").lower().replace("_", "-") in ("utf-8", "utf8")
        if request.content_type == "application/x-www-form-urlencoded" and utf8:
            _check_utf8(request.body.decode("latin-1"), "The form")
        for name, values in request.POST.lists():
            check_text(name, "A form field’s name")
            for value in values:
                check_text(value, f"The field “{shown(name)}”")
    # A cookie is not text anyone typed: one that is not text is dropped (an unknown session),
    # rather than refusing every request from that browser until its cookies are cleared.
    for name in [name for name, value in request.COOKIES.items() if problem(name) or problem(value)]:
        del request.COOKIES[name]


class RefuseBadInput:
    """Middleware: answer a request with a 400 when check_request finds text the site refuses."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        check_request(request)
        return self.get_response(request)
