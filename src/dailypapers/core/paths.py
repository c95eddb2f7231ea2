"""Site addresses made fast: what `reverse(name, args=[text])` gives, without reverse's work.

A page of 50 paper cards names ~600 addresses (each paper's, its authors', its vote, save and "not
interested" forms'), and Django's `reverse` takes tens of microseconds for each: a good share of the
page. For a route with one text argument, `<path:x>`, `<str:x>` (or `<x>`), `(?P<x>.+)` or
`(?P<x>[^/]+)` between fixed text, reverse makes  head + quote(argument) + tail  with head and tail
the same for every argument it takes, and it takes any non-empty argument without a line break (and,
for `str` and `[^/]+`, without a slash). `path_maker(name)` asks reverse once for head and tail and
then only quotes; whatever else it is given (another route, another argument) goes to reverse
itself. Either way the answer is reverse's, errors included.

This counts on each URL name belonging to one route (tests/core/test_paths.py holds the site to it).
"""

from __future__ import annotations

import functools
import re
from urllib.parse import quote

from django.urls import (
    NoReverseMatch,
    Resolver404,
    get_resolver,
    get_script_prefix,
    get_urlconf,
    resolve,
    reverse,
)
from django.utils.http import RFC3986_SUBDELIMS

# What reverse leaves unquoted in an address (the `pchar` characters of RFC 3986).
_SAFE = RFC3986_SUBDELIMS + "/~:@"
# Stands for the argument in the address reverse makes once: plain letters, which quoting keeps.
_MARK = "dpPathMark0"
# Route text around the argument: plain, so that it means itself both as a path() route and a regex.
_PLAIN = r"[A-Za-z0-9_/-]*"
# The argument's part of a route, and whether the argument may hold slashes.
_ARGUMENT = {
    r"<path:(\w+)>": True,
    r"<(?:str:)?(\w+)>": False,
    r"\(\?P<(\w+)>\.\+\)": True,
    r"\(\?P<(\w+)>\[\^/\]\+\)": False,
}
_ROUTES = [(re.compile(rf"\^?{_PLAIN}{form}{_PLAIN}\$?"), slashes) for form, slashes in _ARGUMENT.items()]


class PathMaker:
    """`maker(text)` == `reverse(viewname, args=[text], current_app=current_app)`, for the current
    URL configuration and script prefix (`path_maker` keeps one per these)."""

    def __init__(self, viewname: str, current_app: str | None = None) -> None:
        self.viewname = viewname
        self.current_app = current_app
        self.head: str | None = None  # None: every call goes to reverse
        self.tail = ""
        self.slashes = False
        try:
            marked = self._reverse(_MARK)
            prefix = get_script_prefix()
            match = resolve("/" + marked.removeprefix(prefix)) if marked.startswith(prefix) else None
        except (NoReverseMatch, Resolver404):
            return
        if match is None:
            return
        if match.view_name != viewname or match.args or len(match.kwargs) != 1:
            return
        ((param, value),) = match.kwargs.items()
        shape = next(((route, slashes) for route, slashes in _ROUTES if route.fullmatch(match.route)), None)
        if value != _MARK or shape is None or shape[0].fullmatch(match.route).group(1) != param:
            return
        head, tail = marked.split(_MARK)
        # A head of "/" would let an argument starting with "/" make "//", which reverse escapes.
        if marked.count(_MARK) != 1 or len(head) < 2 or not head.startswith("/") or head.startswith("//"):
            return
        self.head, self.tail, self.slashes = head, tail, shape[1]

    def _reverse(self, text: object) -> str:
        return reverse(self.viewname, args=[text], current_app=self.current_app)

    def __call__(self, text: object) -> str:
        if (
            self.head is None
            or type(text) is not str
            or not text  # matches no route: reverse says so
            or "\n" in text  # `.` stops at a line break, and `$` may match before one
            or ("/" in text and not self.slashes)
        ):
            return self._reverse(text)
        return self.head + quote(text, safe=_SAFE) + self.tail


def current_app(request: object) -> str | None:
    """The application instance {% url %} reverses for while rendering for this request."""
    try:
        return request.current_app  # type: ignore[attr-defined]
    except AttributeError:
        try:
            return request.resolver_match.namespace  # type: ignore[attr-defined]
        except AttributeError:
            return None


def path_maker(viewname: str, current_app: str | None = None) -> PathMaker:
    """The maker for this URL name under the request's URL configuration and script prefix."""
    return _maker(get_resolver(get_urlconf()), get_script_prefix(), viewname, current_app)


def fixed_path(viewname: str, current_app: str | None = None) -> str:
    """`reverse(viewname, current_app=current_app)` for a route without arguments, asked once."""
    return _fixed(get_resolver(get_urlconf()), get_script_prefix(), viewname, current_app)


# Keyed by the resolver itself: Django makes a new one when the URL configuration changes (tests).
@functools.lru_cache(maxsize=512)
def _maker(resolver: object, prefix: str, viewname: str, current_app: str | None) -> PathMaker:
    return PathMaker(viewname, current_app)


@functools.lru_cache(maxsize=512)
def _fixed(resolver: object, prefix: str, viewname: str, current_app: str | None) -> str:
    return reverse(viewname, current_app=current_app)
