"""How arXiv writes its metadata, whichever interface serves it: author lists, TeX accents in names,
category codes, DOIs, withdrawal notices. Plain Python (no Django), so import workers can use it."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

_CATEGORY = re.compile(r"[a-z]+(?:-[a-z]+)*(?:\.[A-Za-z]+(?:-[A-Za-z]+)*)?")

# How arXiv and authors mark a withdrawn paper: the comment of the withdrawing version ("This paper
# has been withdrawn by the authors due to ...", "Withdrawn"), and often the abstract, which is
# replaced by such a sentence. The abstract is only trusted when it opens with the notice, so an
# abstract about, say, drugs withdrawn from the market does not count.
_WITHDRAWN_COMMENT = re.compile(
    r"\b(?:has|have|had|is|was|are|were|being) (?:been )?withdrawn\b|^\W*withdrawn\b|\bwithdrawn by\b",
    re.IGNORECASE,
)
_WITHDRAWN_ABSTRACT = re.compile(
    r"^\W*(?:withdrawn\b|(?:this|the) (?:paper|article|manuscript|submission|preprint|work|version|"
    r"note|report|abstract)\b[^.]{0,40}?\b(?:has been|have been|is|was|is being) withdrawn\b)",
    re.IGNORECASE,
)
_NAME_SUFFIXES = {"jr", "jr.", "sr", "sr.", "ii", "iii", "iv"}
# "A, B, and C": the serial comma's "and" belongs to the separator.
_AUTHOR_SEPARATORS = re.compile(r"\s*[,;]\s*(?:and\s+)?|\s+and\s+|\s*&\s*")
_TEX_ACCENTS = {
    '"': "\u0308",
    "'": "\u0301",
    "`": "\u0300",
    "^": "\u0302",
    "~": "\u0303",
    "=": "\u0304",
    ".": "\u0307",
    "u": "\u0306",
    "v": "\u030c",
    "H": "\u030b",
    "c": "\u0327",
    "k": "\u0328",
    "r": "\u030a",
}
_TEX_ACCENT = re.compile(
    r"""\\(?P<sym>["'`^~=.])\s*\{?\s*(?P<a>\\i|[A-Za-z])\s*\}?"""  # \"u, \"{u}, \'{\i}
    r"|\\(?P<word>[uvHckr])(?:\s*\{\s*(?P<b>\\i|[A-Za-z])\s*\}|\s+(?P<c>[A-Za-z]))"  # \v{s}, \c c
)
_TEX_LETTERS = {"ss": "ß", "aa": "å", "AA": "Å", "ae": "æ", "AE": "Æ", "oe": "œ", "OE": "Œ", "o": "ø"}
_TEX_LETTERS |= {"O": "Ø", "l": "ł", "L": "Ł", "i": "ı"}
_TEX_LETTER = re.compile(r"\\(ss|aa|AA|ae|AE|oe|OE|o|O|l|L|i)(?![A-Za-z])\s*")


def is_withdrawn(comment: str | None, abstract: str | None) -> bool:
    """True when the comment, or the opening of the abstract, says the paper was withdrawn."""
    if "ithdr" not in (comment or "") and "ithdr" not in (abstract or "")[:300]:
        return False  # the common case, without the regular expressions
    return bool(
        (comment and _WITHDRAWN_COMMENT.search(comment)) or (abstract and _WITHDRAWN_ABSTRACT.match(abstract))
    )


def category_codes(terms: Iterable[str | None]) -> list[str]:
    """arXiv category codes in their given order, each once; anything else is dropped."""
    return list(dict.fromkeys(t.strip() for t in terms if t and _CATEGORY.fullmatch(t.strip())))


def first_doi(value: str | None) -> str | None:
    """arXiv allows several DOIs separated by spaces; the catalogue keeps the first."""
    words = (value or "").split()
    return words[0][:200] if words else None


def split_authors(text: str) -> list[str]:
    """arXivRaw's author line ("A. One (MIT), B. Two and C. Three") as display names."""
    names: list[str] = []
    for part in _AUTHOR_SEPARATORS.split(_without_parentheses(" ".join(text.split()))):
        part = part.strip()
        if part.lower() in _NAME_SUFFIXES and names:
            names[-1] = f"{names[-1]} {part}"  # "Smith, Jr." is one author
        elif any(ch.isalnum() for ch in part):
            names.append(detex(part))
    return names


def _without_parentheses(text: str) -> str:
    """Drop affiliations in parentheses, nested ones included ("A ((1) MIT, (2) CERN)")."""
    kept, depth = [], 0
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth = max(0, depth - 1)
        elif depth == 0:
            kept.append(ch)
    return " ".join("".join(kept).split())


def detex(name: str) -> str:
    """TeX accents in names as Unicode (M\\"uller → Müller), so authors match their spelling elsewhere.

    All or nothing: a name with a command not known here is returned exactly as written."""
    if "\\" not in name:
        return name

    def accent(match: re.Match) -> str:
        letter = match.group("a") or match.group("b") or match.group("c")
        letter = "i" if letter == "\\i" else letter
        return letter + _TEX_ACCENTS[match.group("sym") or match.group("word")]

    decoded = _TEX_ACCENT.sub(accent, name)
    decoded = _TEX_LETTER.sub(lambda m: _TEX_LETTERS[m.group(1)], decoded)
    if "\\" in decoded:
        # A command this does not know (\d{o}, a stray "\\"): the name stays as written, braces
        # and all, rather than half decoded with its braces lost.
        return name
    return " ".join(unicodedata.normalize("NFC", decoded.replace("{", "").replace("}", "")).split())
