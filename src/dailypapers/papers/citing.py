"""BibTeX for papers, as arXiv's "Export BibTeX citation" writes it: an @misc entry with the eprint
fields (eprint, archivePrefix, primaryClass) and the abstract page's url, plus the DOI where known.

Differences from arXiv's export, on purpose: the year is the first version's (the one the arXiv id
and every citation of the paper carry; arXiv gives the latest version's), and the text is made safe
for classic BibTeX: LaTeX specials that are meant as text are escaped (`&`, `%`, `#`, `_`, ...),
math between `$` signs and TeX commands already in arXiv's metadata are kept, accented Latin
letters are written as TeX accents (`M{\\"u}ller`, so BibTeX sorts and abbreviates them), and other
non-ASCII text stays UTF-8 (the file's encoding).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from django.http import HttpResponse

from dailypapers.papers.models import Paper, one_line, prefetch_cards

# Combining marks -> the TeX accent command that writes them.
_ACCENTS = {
    "\u0300": "`",
    "\u0301": "'",
    "\u0302": "^",
    "\u0303": "~",
    "\u0304": "=",
    "\u0306": "u",
    "\u0307": ".",
    "\u0308": '"',
    "\u030a": "r",
    "\u030b": "H",
    "\u030c": "v",
    "\u0327": "c",
    "\u0328": "k",
}
# Letters with no decomposition, and their TeX.
_LETTERS = {
    "ß": r"{\ss}",
    "ø": r"{\o}",
    "Ø": r"{\O}",
    "æ": r"{\ae}",
    "Æ": r"{\AE}",
    "œ": r"{\oe}",
    "Œ": r"{\OE}",
    "ł": r"{\l}",
    "Ł": r"{\L}",
    "ı": r"{\i}",
    "đ": r"{\dj}",
    "Đ": r"{\DJ}",
}
# Text characters with a meaning in TeX, written so they print as themselves.
_SPECIALS = {
    "&": r"\&",
    "%": r"\%",
    "#": r"\#",
    "_": r"\_",
    "^": r"\^{}",
    "~": r"\textasciitilde{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
}
# After a backslash, what makes a TeX command (kept as arXiv's metadata writes it): a control word, an
# accent or an escaped special.
_COMMAND = re.compile(r"\\(?:[A-Za-z]+|[`'^\"~=.&%$#_{}\\ ,;!])")


def _char(ch: str) -> str:
    if ch in _SPECIALS:
        return _SPECIALS[ch]
    if ch.isascii():
        return ch
    if ch in _LETTERS:
        return _LETTERS[ch]
    decomposed = unicodedata.normalize("NFD", ch)
    base, marks = decomposed[0], decomposed[1:]
    if len(marks) == 1 and base.isascii() and base.isalpha() and marks in _ACCENTS:
        command = _ACCENTS[marks]
        base = r"\i" if base == "i" and command not in "ck" else base  # the dotless i under an accent
        return "{\\" + command + base + "}" if not command.isalpha() else "{\\" + command + "{" + base + "}}"
    return ch  # UTF-8 as it is: Greek, CJK, ... have no ASCII spelling


def _balanced(text: str) -> bool:
    depth = 0
    for match in re.finditer(r"\\.|[{}]", text):
        token = match.group()
        if token == "{":
            depth += 1
        elif token == "}":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


def tex(text: str) -> str:
    """Text from the catalogue as a BibTeX field value (inside its braces)."""
    text = one_line(text)
    braces = _balanced(text)
    # `$...$` is math when the dollars pair up: kept as written. Otherwise a dollar is a dollar.
    dollars = len(re.findall(r"(?<!\\)\$", text))
    out: list[str] = []
    math = False
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\":
            command = _COMMAND.match(text, i)
            if command:
                out.append(command.group())
                i = command.end()
                continue
            out.append(r"\textbackslash{}")
        elif ch == "$":
            if dollars % 2 == 0:
                math = not math
                out.append(ch)
            else:
                out.append(r"\$")
        elif math:
            out.append(ch)
        elif ch in "{}":
            out.append(ch if braces else "\\" + ch)
        else:
            out.append(_char(ch))
        i += 1
    return "".join(out)


# Words a key skips at the start of a title.
_STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "on",
        "of",
        "for",
        "in",
        "to",
        "and",
        "with",
        "from",
        "by",
        "at",
        "as",
        "is",
        "are",
        "do",
        "does",
        "how",
        "what",
        "why",
        "when",
        "which",
        "towards",
        "toward",
        "via",
        "into",
        "beyond",
    ]
)


# Letters NFKD does not take apart into an ASCII letter and an accent.
_FOLD = str.maketrans(
    {"ß": "ss", "ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "æ": "ae", "Æ": "AE",
     "œ": "oe", "Œ": "OE", "þ": "th", "Þ": "Th", "ı": "i"}
)  # fmt: skip
KEY_PART = 20  # letters at most of the name and of the word in a key


def _ascii_word(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text.translate(_FOLD))
    return re.sub(r"[^a-z0-9]", "", folded.encode("ascii", "ignore").decode().lower())[:KEY_PART]


def _year(paper: Paper) -> str:
    """The first version's year; without a date, the one the arXiv id carries (2401.00001: 2024;
    hep-th/9901001: 1999)."""
    if paper.published_at:
        return str(paper.published_at.year)
    found = re.search(r"(?:^|/)(\d{2})\d{2}", paper.arxiv_id)
    if not found:
        return ""
    yy = int(found.group(1))
    return str(1900 + yy if yy >= 91 else 2000 + yy)  # arXiv began in 1991


def key(paper: Paper) -> str:
    """The entry's key: first author's last name, year, first word of the title that says something
    (`vaswani2017attention`). Only ASCII letters and digits, as every BibTeX tool accepts."""
    names = [a.name for a in paper.authorships.all()[:1]]
    last = _ascii_word(names[0].split()[-1]) if names and names[0].split() else ""
    year = _year(paper)
    words = [_ascii_word(w) for w in re.split(r"[\s\-–—/:]+", paper.title_line)]
    words = [w for w in words if w]
    first = next((w for w in words if w not in _STOPWORDS), words[0] if words else "")
    return (last or "anonymous") + year + first


def entry(paper: Paper, key_: str | None = None) -> str:
    """One @misc entry for the paper (under `key_`, else `key(paper)`)."""
    fields = [
        ("title", tex(paper.title)),
        ("author", " and ".join(tex(a.name) for a in paper.authorships.all())),
        ("year", _year(paper)),
        ("eprint", paper.arxiv_id),
        ("archivePrefix", "arXiv"),
        ("primaryClass", paper.primary_category_id or ""),
        ("doi", tex(paper.doi)),
        ("url", paper.abs_url),
    ]
    body = "".join(f"  {name}={{{value}}},\n" for name, value in fields if value)
    return f"@misc{{{key_ or key(paper)},\n{body}}}\n"


def bibtex(papers: Iterable[Paper]) -> str:
    """A BibTeX file of these papers, one entry each in their order; keys unique within the file (a
    second `smith2024learning` is `smith2024learninga`, then `...b`, as Google Scholar does)."""
    seen: set[str] = set()
    entries = []
    for paper in papers:
        base = key(paper)
        candidate, n = base, 0
        while candidate in seen:
            candidate = base + _suffix(n)
            n += 1
        seen.add(candidate)
        entries.append(entry(paper, candidate))
    return "\n".join(entries)


def _suffix(n: int) -> str:
    """a, b, ..., z, aa, ab, ..."""
    letters = ""
    n += 1
    while n:
        n, rest = divmod(n - 1, 26)
        letters = chr(ord("a") + rest) + letters
    return letters


def bib_response(papers: Iterable[Paper], filename: str, private: bool = False) -> HttpResponse:
    """These papers as a BibTeX file, shown in the browser (`inline`) under a name a download keeps;
    `private`: one member's own (their library, a private collection), never kept by a shared cache."""
    papers = list(papers)
    prefetch_cards(papers)  # every paper's authors in one query
    response = HttpResponse(bibtex(papers), content_type="text/x-bibtex; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    if private:
        response["Cache-Control"] = "private, no-store"
    return response
