"""The paper card of the feed, trending, "For you", author, organisation and similar-papers pages,
written in Python.

A page shows up to 50 cards, and as a template each took 1-2 ms on a small server: some 150
variable lookups, tags, filters and addresses. Here it is one pass of string building, a tenth of
that. What a card writes is what front/_card.html wrote, byte for byte: each value is escaped and
localised as `{{ value }}` does, through the same filters (`truncatewords`, `intcomma`, `markdown`,
`truncatechars_html`, `urlencode`), and the vote, save, "add to collection" and "not interested"
forms are community/_vote.html's, recommend/_save.html's, collections/_add.html's and
recommend/_dismiss.html's as a card includes them (tests/front/test_cards.py holds the two alike:
change one, change the other).
"""

from __future__ import annotations

import contextlib
import html
from typing import Any

from django.conf import settings
from django.contrib.humanize.templatetags.humanize import intcomma
from django.template import Context
from django.template.defaultfilters import pluralize, slice_filter, truncatechars_html, urlencode
from django.template.defaulttags import CsrfTokenNode
from django.urls import NoReverseMatch
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator

from dailypapers.community.models import claim_at
from dailypapers.community.templatetags.markdown_text import markdown
from dailypapers.core.paths import current_app, fixed_path, path_maker
from dailypapers.front.visits import new_at
from dailypapers.papers.covers import HEIGHT, WIDTH
from dailypapers.papers.models import Listing, Paper

# Words of the abstract a card shows where the paper has no AI summary.
SUMMARY_WORDS = 45
# Keywords a card shows where the paper has no categories.
CARD_KEYWORDS = 3


class _Page:
    """What every card of one render shares: worked out at the first card."""

    def __init__(self, context: Context) -> None:
        request = context.get("request")
        app = current_app(getattr(context, "request", None))
        self.escape = _escape if context.autoescape else _plain
        self.csrf = CsrfTokenNode().render(context)
        self.next = self.escape(request.get_full_path() if request else "")
        user = context.get("user")
        self.member = bool(getattr(user, "is_authenticated", False))
        # "New since your last visit" (front.visits): the member's boundary, on feed pages only.
        self.new_since = context.get("new_since") if self.member else None
        self.paper = path_maker("front:paper", app)
        self.author = path_maker("front:author", app)
        self.profile = path_maker("front:profile", app)
        self.upvote = path_maker("community:upvote", app)
        self.save = path_maker("recommend:save", app)
        self.dismiss = path_maker("recommend:not_interested", app)
        self.collect = path_maker("collections:add", app)
        # A card's picture: its rendered first page or its cover (Paper.thumbnail_route says which).
        self.picture = {name: path_maker(name, app) for name in ("front:thumbnail", "front:cover")}
        self.about_ranking = self.escape(fixed_path("front:about_ranking", app))
        self.search = self.escape(fixed_path("search:search", app))


# The part of /about/ranking that explains a sort, where it has its own.
_RANKING_SECTIONS = {"trending": "#trending", "stars": "#stars"}


def _number(value: Any) -> str:
    """`localize(value)`, made quick for a whole number: that is its digits, unless thousands are
    grouped (USE_THOUSAND_SEPARATOR: see django.utils.numberformat.format)."""
    if type(value) is int and not settings.USE_THOUSAND_SEPARATOR:
        return str(value)
    return str(localize(value))


def _escape(value: Any) -> str:
    """What `{{ value }}` writes with autoescaping on (values here hold no datetimes): a string as
    conditional_escape writes it, anything else localised first."""
    if isinstance(value, str):
        return value.__html__() if hasattr(value, "__html__") else html.escape(value)
    if type(value) is int and not settings.USE_THOUSAND_SEPARATOR:
        return str(value)  # digits, and maybe a minus: nothing to escape
    return conditional_escape(_number(value))


def _plain(value: Any) -> str:
    return value if isinstance(value, str) else _number(value)


def _page(context: Context) -> _Page:
    # The bottom of the render context lasts the whole render, includes too ({% include %} keeps
    # its templates there).
    state = context.render_context.dicts[0]
    page = state.get(_Page)
    if page is None:
        page = state[_Page] = _Page(context)
    return page


def render_card(context: Context, paper: Paper, listing: Listing | None = None) -> SafeString:
    """One card: the paper (its authors and categories as prefetch_card_faces loads them, or read
    at first use), with the feed listing it is shown for (its note, submitter and "Why here?").
    The blank stretches of line are where the template had a tag on a line of its own: kept, so
    that pages read byte for byte as before."""
    page = _page(context)
    e = page.escape
    pk, url = e(paper.pk), e(page.paper(paper.arxiv_id))
    placement = getattr(listing, "placement", None) if listing else None
    authors = paper.card_authors
    names = ", ".join(_author(page, paper, name, key, position) for name, key, position in authors.named)
    more = f" and {e(authors.more)} more" if authors.more else ""
    summary = paper.ai_summary or Truncator(paper.abstract).words(SUMMARY_WORDS, truncate=" …")
    out = [
        f'<article class="card" aria-labelledby="t-{pk}">\n  ',
        _vote_form(page, context, paper, listing),
        '\n  <div class="card-body">\n',
        f'    <h2 class="card-title" id="t-{pk}">{_new_mark(page, listing)}'
        f'<a href="{url}">{e(paper.title)}</a></h2>\n    \n',
        f'    <p class="authors">{names}{more}</p>\n    \n',
        f'    <p class="summary">{e(summary)}</p>\n    ',
    ]
    if listing and listing.note:
        note = e(truncatechars_html(markdown(listing.note), 300))
        out.append(f'<div class="note"><span class="sr-only">The submitter says: </span>{note}</div>')
    out.append('\n    <div class="meta">\n      ')
    out.append(_chips(page, paper))
    out.append(f"\n      {_submitter(page, listing)}\n      ")
    comments = f"{_number(paper.comment_count)} comment{pluralize(paper.comment_count)} here"
    if paper.imported_site:
        comments += f", {_number(paper.imported_comments)} on {paper.imported_site_name}"
    out.append(
        f'<a class="stat" href="{url}#discussion" data-testid="card-comments" title="{e(comments)}">'
        f"{_SPEECH_BUBBLE}{e(paper.total_comments)}"
        '<span class="sr-only"> comments</span></a>\n      <span class="links">\n'
        f'        <a href="{e(paper.abs_url)}" rel="noopener">arXiv</a>\n'
        f'        <a href="{e(paper.pdf_url)}" rel="noopener">PDF</a>\n        '
    )
    if paper.github_repo:
        out.append(_code_badge(page, paper))
    out.append("\n        ")
    if paper.project_page:
        out.append(f'<a href="{e(paper.project_page)}" rel="noopener nofollow">Project</a>')
    out.append("\n      </span>\n      ")
    if page.member:
        forms = _save_form(page, context, paper) + _collect_form(page, paper) + _dismiss_form(page, paper)
        out.append(f'<span class="card-actions">{forms}</span>')
    out.append("\n      ")
    if placement:
        # community/_why.html; its sentences escaped one by one, as the `join` filter does.
        sentences = " ".join(e(s) for s in placement.sentences())
        out.append(
            f'<details class="why"><summary>Why here?</summary><p><span id="why-{e(listing.pk)}">'
            f'{sentences}</span>\n <a href="{page.about_ranking}{_RANKING_SECTIONS.get(placement.sort, "")}">'
            "How ranking works</a></p></details>"
        )
    out.append("\n    </div>\n  </div>\n  ")
    out.append(_thumbnail(page, paper, url))
    out.append("\n</article>")
    return mark_safe("".join(out))


def _code_badge(page: _Page, paper: Paper) -> str:
    """The link to the paper's code, with its GitHub stars written short ("Code ★ 1.2k") and in
    full in its title; front/_code_badge.html, which the paper page includes, writes the same."""
    e = page.escape
    if paper.github_stars is None:
        return f'<a class="code-badge" href="{e(paper.github_repo)}" rel="noopener nofollow">Code</a>'
    count = paper.github_stars
    title = f"{intcomma(count)} star{pluralize(count)} on GitHub"
    return (
        f'<a class="code-badge" href="{e(paper.github_repo)}" rel="noopener nofollow" title="{e(title)}">'
        f"Code ★ {e(paper.github_stars_short)}</a>"
    )


_NEW = (
    '<span class="new-mark" data-testid="new">New<span class="sr-only"> since your last visit:</span></span> '
)


def _new_mark(page: _Page, listing: Listing | None) -> str:
    """ "New" before the title of a paper that reached the feed since the member's last visit."""
    if page.new_since is None or listing is None:
        return ""
    arrived = new_at(listing)
    if arrived is None or arrived <= page.new_since:
        return ""
    return _NEW


def _thumbnail(page: _Page, paper: Paper, url: str) -> str:
    """The first page (or the generated cover), linked to the paper: lazy, and sized up front so
    nothing moves when it arrives. A repeat of the title's link, so kept out of the tab order and
    from screen readers."""
    e = page.escape
    name, (name_arg,) = paper.thumbnail_route
    src = page.picture[name](name_arg)
    return (
        f'<a class="card-thumb" href="{url}" tabindex="-1" aria-hidden="true">'
        f'<img src="{e(src)}" alt="" width="{WIDTH}" height="{HEIGHT}" loading="lazy" decoding="async"></a>'
    )


def _author(page: _Page, paper: Paper, name: str, key: str, position: int) -> str:
    """An author's name, linked to their page here; to the member's profile where a member's claim
    to be them is approved (as the paper page links them)."""
    e = page.escape
    claim = claim_at(paper, position, key)
    if claim is None:
        return f'<a href="{e(page.author(key))}">{e(name)}</a>'
    username = claim.user.get_username()
    return f'<a class="claimed" href="{e(page.profile(username))}" title="{e(username)} here">{e(name)}</a>'


_SPEECH_BUBBLE = (
    '<svg class="icon" viewBox="0 0 24 24" aria-hidden="true">'
    '<path d="M21 12a8 8 0 0 1-11.6 7.1L4 20l1-4.6A8 8 0 1 1 21 12z"/></svg>'
)


def _chips(page: _Page, paper: Paper) -> str:
    """The first categories; for a paper without any, the first keywords (front/_keywords.html),
    each a search for it."""
    e = page.escape
    if paper.card_categories:
        chips = "".join(f'<li class="chip chip-cat">{e(code)}</li>' for code in paper.card_categories)
        return f'\n      <ul class="chips" aria-label="Categories">{chips}</ul>\n      '
    if paper.ai_keywords:
        chips = "".join(
            f'<li><a class="chip" href="{page.search}?q={e(urlencode(k))}">{e(k)}</a></li>'
            for k in slice_filter(paper.ai_keywords, f":{CARD_KEYWORDS}")
        )
        return f'\n      <ul class="chips" aria-label="Keywords">{chips}</ul>\n\n      '
    return ""


def _vote_form(page: _Page, context: Context, paper: Paper, listing: Listing | None) -> str:
    """community/_vote.html with `vote_listing` the card's listing."""
    e = page.escape
    voted = paper.pk in (context.get("voted_ids") or ())
    action = e(page.upvote(paper.arxiv_id))
    placement = getattr(listing, "placement", None) if listing else None
    placed = ""
    if placement:
        rank = placement.rank if placement.rank is not None else ""
        placed = (
            f'<input type="hidden" name="listing" value="{e(listing.pk)}">'
            f'<input type="hidden" name="sort" value="{e(placement.sort)}">'
            f'<input type="hidden" name="rank" value="{e(rank)}">'
        )
    title = "Take back your upvote" if voted else "Upvote"
    title += f": {_number(paper.upvote_count)} vote{pluralize(paper.upvote_count)} here"
    if paper.imported_site:
        title += f", {_number(paper.imported_upvotes)} on {paper.imported_site_name}"
    said = ", you upvoted; press to take it back" if voted else "; press to upvote"
    return (
        f'<form class="vote-form" method="post" action="{action}" hx-post="{action}" hx-target="this" '
        f'hx-swap="outerHTML">{page.csrf}\n'
        f'  <input type="hidden" name="on" value="{"0" if voted else "1"}">\n'
        f'  <input type="hidden" name="next" value="{page.next}">\n'
        f"  \n  {placed}\n"
        f'  <button type="submit" class="votes{" voted" if voted else ""}" '
        f'aria-pressed="{"true" if voted else "false"}" data-testid="upvote"\n'
        f'    title="{e(title)}">\n'
        f'    <span class="arrow" aria-hidden="true">▲</span><strong data-testid="vote-count">'
        f'{e(intcomma(paper.total_votes))}</strong><span class="sr-only"> votes{said}</span>\n'
        "  </button>\n</form>\n"
    )


def _save_form(page: _Page, context: Context, paper: Paper) -> str:
    """recommend/_save.html."""
    saved = paper.pk in (context.get("saved_ids") or ())
    action = page.escape(page.save(paper.arxiv_id))
    if saved:
        state = (
            ' on" aria-pressed="true" data-testid="save" title="In your library; press to take it out">'
            f"{_BOOKMARK}Saved"
        )
    else:
        state = f'" aria-pressed="false" data-testid="save" title="Save to your library">{_BOOKMARK}Save'
    return (
        f'<form class="mark-form" method="post" action="{action}" hx-post="{action}" hx-target="this" '
        f'hx-swap="outerHTML">{page.csrf}\n'
        f'  <input type="hidden" name="on" value="{"0" if saved else "1"}">\n'
        f'  <input type="hidden" name="next" value="{page.next}">\n'
        f'  <button type="submit" class="mark{state}</button>\n</form>\n'
    )


_BOOKMARK = '<svg class="icon" viewBox="0 0 24 24" aria-hidden="true"><path d="M6 3h12v18l-6-4-6 4z"/></svg>'


def _collect_form(page: _Page, paper: Paper) -> str:
    """collections/_add.html: a GET to the page that adds the paper to a collection (htmx: inline)."""
    action = page.escape(page.collect(paper.arxiv_id))
    return (
        f'<form class="mark-form" method="get" action="{action}" hx-get="{action}" hx-target="this" '
        'hx-swap="outerHTML">\n'
        f'  <input type="hidden" name="next" value="{page.next}">\n'
        '  <button type="submit" class="mark" data-testid="add-to-collection" '
        f'title="Add to one of your collections">{_COLLECT}Add to collection</button>\n</form>\n'
    )


_COLLECT = (
    '<svg class="icon" viewBox="0 0 24 24" aria-hidden="true">'
    '<path d="M4 6h12M4 12h12M4 18h8M18 15v6M15 18h6"/></svg>'
)


def _dismiss_form(page: _Page, paper: Paper) -> str:
    """recommend/_dismiss.html for a card (`dismiss_card`) of a paper not dismissed."""
    action = page.escape(page.dismiss(paper.arxiv_id))
    return (
        f'<form class="mark-form" method="post" action="{action}" hx-post="{action}" '
        f'hx-target="closest .card" hx-swap="outerHTML">{page.csrf}\n'
        '  <input type="hidden" name="on" value="1">\n'
        f'  <input type="hidden" name="next" value="{page.next}">\n'
        '  <input type="hidden" name="card" value="1">\n'
        '  <button type="submit" class="mark" aria-pressed="false" data-testid="not-interested" '
        'title="Hide this paper from your feeds and see fewer like it">Not interested</button>\n</form>\n'
    )


def _submitter(page: _Page, listing: Listing | None) -> str:
    """A member who submitted it, linked to their profile; else the imported site's submitter,
    linked (to their page here) only for an imported listing."""
    if not listing:
        return ""
    e = page.escape
    if listing.submitted_by:
        name = listing.submitted_by.get_username()
        return f'<span>Submitted by <a href="{e(page.profile(name))}"><strong>{e(name)}</strong></a></span>'
    name = listing.submitter_display
    if not name:
        return ""
    url = ""
    if listing.source == "import":
        with contextlib.suppress(NoReverseMatch):  # no page for a name a profile cannot have
            url = page.profile(listing.submitter_name)
    if not url:
        return f"<span>Submitted by <strong>{e(name)}</strong></span>"
    return f'<span>Submitted by <a href="{e(url)}"><strong>{e(name)}</strong></a></span>'
