"""A generated cover for a paper whose first page we have no picture of (offline, the demo, a PDF
that failed): an SVG of its title, first author and primary category, in the colour of that
category's archive. The same size as a rendered thumbnail, so a card never changes shape when the
render arrives, and never a broken image."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

if TYPE_CHECKING:
    from dailypapers.papers.models import Paper

# The size of a thumbnail (sources.thumbnails renders the first page to it): US Letter's shape.
WIDTH, HEIGHT = 320, 414
# Bumped when the drawing changes, so that browsers holding the old one (cached for a year) refetch.
DRAWING = "2"

# Archive (the part of a category code before the dot) -> colour of the cover's band.
ARCHIVE_COLOURS = {
    "cs": "#2563eb",
    "stat": "#7c3aed",
    "math": "#059669",
    "eess": "#0891b2",
    "econ": "#b45309",
    "q-bio": "#16a34a",
    "q-fin": "#ca8a04",
    "physics": "#dc2626",
    "astro-ph": "#1e3a8a",
    "cond-mat": "#c2410c",
    "quant-ph": "#9333ea",
    "hep-th": "#be123c",
    "hep-ph": "#be123c",
    "hep-ex": "#be123c",
    "hep-lat": "#be123c",
    "gr-qc": "#4338ca",
    "nlin": "#0f766e",
    "nucl-th": "#9f1239",
    "nucl-ex": "#9f1239",
    "math-ph": "#047857",
}
# For a paper without a category, or an archive not named above: picked by the code's hash.
OTHER_COLOURS = ("#475569", "#0e7490", "#6d28d9", "#a16207", "#15803d")

# Characters XML 1.0 forbids (controls but tab and line breaks; lone surrogates; U+FFFE/U+FFFF): an
# SVG holding one is not an image at all.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

TITLE_LINES, TITLE_SIZE, AUTHOR_SIZE = 8, 21, 15
COLUMN = WIDTH - 2 * 24  # the text's column, in px, between the margins

# Advance widths in em, for wrapping text to the column without the font at hand: DejaVu Sans Bold's
# (Linux's usual sans-serif, and the widest of the cover's font stack), in four classes, each rounded
# up to its widest glyph. A line measured with them fits whichever font of the stack draws it.
_EM_CLASSES = (
    (0.5, frozenset(" '.,:;!|/\\()[]-ijlftrIJ\u2018\u2019")),
    (0.85, frozenset("#+<=>^~&ABDGHKNOQRUVX")),
    (1.1, frozenset("%@mwMW\u2014\u2026")),
)
_EM_OTHER = 0.73  # the rest of Latin: lowercase, digits, the narrower capitals
_EM_FULL = 1.25  # wide and fullwidth characters (CJK, most emoji), drawn by whatever font has them


def _em(char: str) -> float:
    """The (rounded-up) width of one character, in em."""
    if unicodedata.combining(char):
        return 0.0
    if unicodedata.east_asian_width(char) in "WF":
        return _EM_FULL
    base = unicodedata.normalize("NFD", char)[0]  # é as e, Ł as itself
    for width, chars in _EM_CLASSES:
        if base in chars:
            return width
    return _EM_OTHER


def text_width(text: str, size: float) -> float:
    """How wide `text` is at `size` px, at most (see _EM_CLASSES)."""
    return size * sum(_em(char) for char in text)


def _fitting(text: str, size: float, room: float) -> int:
    """How many of `text`'s first characters fit in `room` px."""
    used = 0.0
    for count, char in enumerate(text):
        used += size * _em(char)
        if used > room:
            return count
    return len(text)


def _cut(text: str, size: float, room: float, *, always: bool = False) -> str:
    """`text` if it fits in `room` px (and not `always`), else its longest start that fits with an
    ellipsis after it."""
    if not always and text_width(text, size) <= room:
        return text
    return text[: _fitting(text, size, room - text_width("\u2026", size))].rstrip() + "\u2026"


def wrap(text: str, size: float, room: float, lines: int) -> list[str]:
    """`text` in at most `lines` lines each at most `room` px wide at `size` px: broken between words,
    a word wider than a line broken where it must, and an ellipsis when the text does not all fit."""
    out: list[str] = []
    line = ""
    for word in text.split():
        candidate = f"{line} {word}" if line else word
        if text_width(candidate, size) <= room:
            line = candidate
            continue
        if line:
            out.append(line)
        line = word
        while text_width(line, size) > room:  # a word too long for any line: break it
            cut = max(1, _fitting(line, size, room))
            out.append(line[:cut])
            line = line[cut:]
    if line:
        out.append(line)
    if len(out) > lines:
        out = out[: lines - 1] + [_cut(out[lines - 1], size, room, always=True)]
    return out


def colour(category: str | None) -> str:
    if not category:
        return OTHER_COLOURS[0]
    archive = category.split(".", 1)[0]
    if archive in ARCHIVE_COLOURS:
        return ARCHIVE_COLOURS[archive]
    return OTHER_COLOURS[int(hashlib.sha1(archive.encode()).hexdigest(), 16) % len(OTHER_COLOURS)]


def _first_author(paper: Paper) -> str:
    named = paper.card_authors.named
    if not named:
        return ""
    more = " et al." if len(named) > 1 or paper.card_authors.more else ""
    return named[0][0] + more


def _text(value: str) -> str:
    """Text as SVG character data (or an attribute value): markup escaped, what XML forbids dropped."""
    return escape(_NOT_XML.sub("", value), {'"': "&quot;"})


def cover_key(paper: Paper) -> str:
    """A short hash of what the cover shows: part of its address, which changes when the cover does."""
    seen = "\x1f".join([DRAWING, paper.title_line, _first_author(paper), paper.primary_category_id or ""])
    return hashlib.sha256(seen.encode("utf-8", "surrogatepass")).hexdigest()[:12]


def cover_svg(paper: Paper) -> str:
    """The cover as an SVG document. Its only text is the paper's, escaped; nothing in it runs."""
    category = paper.primary_category_id or ""
    lines = wrap(_NOT_XML.sub("", paper.title_line), TITLE_SIZE, COLUMN, TITLE_LINES) or ["Untitled"]
    title = "".join(
        f'<tspan x="24" dy="{0 if i == 0 else 27}">{_text(line)}</tspan>' for i, line in enumerate(lines)
    )
    author = _cut(" ".join(_first_author(paper).split()), AUTHOR_SIZE, COLUMN)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{_text(paper.title_line[:200])}">'
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>'
        f'<rect width="{WIDTH}" height="64" fill="{colour(category)}"/>'
        '<g font-family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif">'
        f'<text x="24" y="40" font-size="18" font-weight="600" fill="#ffffff">{_text(category or "arXiv")}'
        "</text>"
        f'<text x="24" y="108" font-size="{TITLE_SIZE}" font-weight="700" fill="#111827">{title}</text>'
        f'<text x="24" y="{HEIGHT - 54}" font-size="{AUTHOR_SIZE}" fill="#374151">{_text(author)}</text>'
        f'<text x="24" y="{HEIGHT - 28}" font-size="13" fill="#6b7280">arXiv:{_text(paper.arxiv_id)}</text>'
        "</g></svg>"
    )
