"""Members' Markdown as safe HTML: CommonMark (markdown-it-py) with raw HTML off, then nh3 (ammonia).

Raw HTML in a comment is shown as text, never passed through; the sanitiser is the second wall, in
case the renderer ever emits something unexpected: only the tags Markdown produces survive, links
keep only http(s)/mailto addresses and get rel="nofollow ugc noopener noreferrer", images are not
allowed (they would let a commenter track readers).
"""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable(
    ["strikethrough", "table"]
)

TAGS = {
    "p", "br", "hr", "em", "strong", "del", "s", "code", "pre", "blockquote", "ul", "ol", "li",
    "a", "h1", "h2", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "th": {"align"}, "td": {"align"}}
URL_SCHEMES = {"http", "https", "mailto"}


def render(text: str) -> str:
    """Sanitised HTML for a member's Markdown text."""
    return _clean(_md.render(text or ""))


def render_inline(text: str) -> str:
    """Sanitised HTML for one line of Markdown (`code`, *emphasis*, links), with no paragraph around
    it: for text that sits inside a sentence or a table cell."""
    return _clean(_md.renderInline(text or ""))


def _clean(html: str) -> str:
    return nh3.clean(
        html,
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="nofollow ugc noopener noreferrer",
        strip_comments=True,
    )
