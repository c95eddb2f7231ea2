"""Helpers for the community tests."""

from __future__ import annotations

from html.parser import HTMLParser


def assert_inert(html: str) -> None:
    """Only harmless tags and attributes: no script, no event handlers, links only to web addresses."""

    class Check(HTMLParser):
        def handle_starttag(self, tag, attrs):
            assert tag not in {"script", "img", "iframe", "svg", "style", "object", "embed"}, html
            for name, value in attrs:
                assert not name.startswith("on") and name != "style", html
                if name in {"href", "src"}:
                    assert (value or "").startswith(("http://", "https://", "mailto:")), html

    Check().feed(html)
