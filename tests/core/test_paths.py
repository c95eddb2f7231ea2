"""core.paths: the addresses reverse() makes, and its errors, for every route of the site with one
argument (under a script prefix too, and after the URL configuration changes); and each URL name
names one route, which the fast way counts on."""

from __future__ import annotations

import pytest
from django.http import HttpResponse
from django.test import override_settings
from django.urls import (
    NoReverseMatch,
    URLPattern,
    URLResolver,
    get_resolver,
    get_script_prefix,
    path,
    reverse,
    set_script_prefix,
)

from dailypapers.core.paths import fixed_path, path_maker

# Arguments reverse treats each its own way: quoted, refused, escaped at the start, or not matched.
ARGS = [
    "2506.02197",
    "hep-th/9901001",
    "Ada Lovelace",
    "é/ü ß",
    "%41%",
    "a?b#c",
    "/lead",
    "//two",
    "trail/",
    "..",
    "a/../b",
    "&'\"<>",
    "~:@!$&()*+,;=",
    "tab\tin",
    "x\ny",
    "end\n",
    "",
    "\x00",
    "\ud800",  # a lone surrogate: no UTF-8 for it
    42,
]


def named_routes(resolver: URLResolver | None = None, namespace: str = "") -> list[tuple[str, URLPattern]]:
    resolver = resolver or get_resolver()
    found = []
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            found += named_routes(entry, inner)
        elif entry.name:
            found.append((namespace + entry.name, entry))
    return found


def one_argument_names() -> list[str]:
    return sorted({name for name, route in named_routes() if route.pattern.regex.groups == 1})


def outcome(make, *args, **kwargs) -> str:
    try:
        return make(*args, **kwargs)
    except Exception as exc:  # the same kind of failure is the same answer
        return f"raises {type(exc).__name__}"


def test_each_url_name_names_one_route():
    names = [name for name, _route in named_routes() if not name.startswith("admin:")]
    assert len(names) == len(set(names)), sorted({n for n in names if names.count(n) > 1})


@pytest.mark.parametrize("prefix", ["/", "/site/", "/a site/"])
def test_every_one_argument_route_gets_reverses_address(prefix):
    before = get_script_prefix()
    set_script_prefix(prefix)
    try:
        names = one_argument_names()
        assert len(names) > 10
        for name in names:
            make = path_maker(name)
            for arg in ARGS:
                assert outcome(make, arg) == outcome(reverse, name, args=[arg]), (name, arg)
    finally:
        set_script_prefix(before)


def test_the_cards_addresses_take_the_fast_way():
    # Were the routes to change shape, the answers would stay right but slow: say so here.
    for name in ["front:paper", "front:author", "front:profile", "community:upvote", "recommend:save"]:
        assert path_maker(name).head is not None, name
    before = get_script_prefix()
    set_script_prefix("/site/")
    try:
        assert path_maker("front:paper").head == "/site/papers/"
    finally:
        set_script_prefix(before)
    assert path_maker("recommend:not_interested")("2506.02197") == "/papers/2506.02197/not-interested"
    assert path_maker("front:author")("a b/c") == "/authors/a%20b/c"
    assert fixed_path("front:about_ranking") == reverse("front:about_ranking")


def _view(request):
    return HttpResponse()


urlpatterns = [path("things/<path:ref>", _view, name="thing")]


def test_another_url_configuration_is_its_own():
    assert path_maker("front:paper")("x") == "/papers/x"
    with override_settings(ROOT_URLCONF=__name__):
        assert path_maker("thing")("a b") == "/things/a%20b"
        with pytest.raises(NoReverseMatch):
            path_maker("front:paper")("x")
    assert path_maker("front:paper")("x") == "/papers/x"
