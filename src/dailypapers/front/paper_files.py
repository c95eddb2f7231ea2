"""A paper's files beside its page: the thumbnail of its first page, its generated cover, and its
BibTeX. Images are addressed by a hash of what they show, so browsers may keep them a year."""

from __future__ import annotations

import re

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect

from dailypapers.papers.arxiv_ids import parse_arxiv_id
from dailypapers.papers.citing import bib_response
from dailypapers.papers.covers import cover_key, cover_svg
from dailypapers.papers.models import Paper
from dailypapers.sources.thumbnails import image_path

# The address names the image's content: a new render or a new cover is a new address.
FOREVER = "public, max-age=31536000, immutable"
# An address whose content has changed since (an old page, a copied link): sent on, briefly.
BRIEFLY = "public, max-age=300"
_THUMBNAIL = re.compile(r"([0-9a-f]{16})/(.+)\.webp")
_COVER = re.compile(r"([0-9a-f]{12})/(.+)\.svg")


def _paper(ref: str) -> Paper:
    paper = Paper.objects.visible().filter(arxiv_id=ref).first()
    if paper is None:
        raise Http404("No such paper here.")
    return paper


def _moved(paper: Paper) -> HttpResponse:
    response = redirect(paper.thumbnail_url)
    response["Cache-Control"] = BRIEFLY
    return response


def thumbnail(request: HttpRequest, name: str) -> HttpResponse:
    """The rendered first page, `<key>/<arXiv id>.webp`."""
    match = _THUMBNAIL.fullmatch(name)
    if not match:
        raise Http404("No such thumbnail.")
    key, ref = match.groups()
    paper = _paper(ref)
    if paper.thumbnail_key != key:
        return _moved(paper)
    try:
        handle = open(image_path(paper.arxiv_id, key), "rb")  # noqa: SIM115 (FileResponse closes it)
    except FileNotFoundError:
        # Rendered on a node whose thumbnail folder this one does not share: the cover stands in.
        paper.thumbnail_key = ""
        return _moved(paper)
    response = FileResponse(handle, content_type="image/webp")
    response["Cache-Control"] = FOREVER
    return response


def cover(request: HttpRequest, name: str) -> HttpResponse:
    """The generated cover, `<key>/<arXiv id>.svg`: served for any key (an old one briefly cached),
    so an image on a page is never broken."""
    match = _COVER.fullmatch(name)
    if not match:
        raise Http404("No such cover.")
    key, ref = match.groups()
    paper = _paper(ref)
    response = HttpResponse(cover_svg(paper), content_type="image/svg+xml; charset=utf-8")
    response["Cache-Control"] = FOREVER if key == cover_key(paper) else BRIEFLY
    # Opened on its own, an SVG is a document: this one may load and run nothing.
    response["Content-Security-Policy"] = "default-src 'none'; frame-ancestors 'none'"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def paper_bib(request: HttpRequest, ref: str) -> HttpResponse:
    """`/papers/<arXiv id>.bib`: the paper's BibTeX entry."""
    parsed = parse_arxiv_id(ref)
    if parsed is None:
        raise Http404(f"“{ref[:100]}” is not an arXiv id.")
    if parsed.id != ref:
        return redirect("front:paper_bib", ref=parsed.id, permanent=True)
    paper = Paper.objects.visible().for_cards().by_ref(parsed)
    if paper is None:
        raise Http404("No such paper here.")
    return bib_response([paper], paper.arxiv_id.replace("/", "_") + ".bib")
