"""A page of records in XML (OAI-PMH, Atom, RSS) where one record is not well-formed.

XML has no way to skip a broken element: the parser stops at the first bad byte, and the page's
other records would be lost with it. So a page that does not parse is cut into its records, each
record is parsed alone (inside the page's own root tag, for its namespaces), and the page is
parsed again without the records that failed, which are named.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from xml.parsers import expat

_ROOT_TAG = re.compile(rb"<([A-Za-z_][\w.:-]*)\b[^>]*>")
_NAMES = (
    rb"<(?:\w+:)?identifier>([^<]{1,200})<",
    rb"<(?:\w+:)?id>([^<]{1,200})<",
    rb"<guid\b[^>]*>([^<]{1,200})<",
)


def _reason(exc: ET.ParseError) -> str:
    return f"malformed XML: {expat.ErrorString(exc.code) if exc.code else exc}"


def parse_skipping_bad_records(body: bytes, tag: str) -> tuple[ET.Element, list[str]]:
    """The root of the page, and "<tag> N (name): reason" for each record left out.

    Raises ET.ParseError, as the parser does, when the page is broken outside its records."""
    try:
        return ET.fromstring(body), []
    except ET.ParseError as first:
        error = first
    records = list(
        re.finditer(rb"<(?:\w+:)?%s[\s>].*?</(?:\w+:)?%s>" % (tag.encode(), tag.encode()), body, re.S)
    )
    root = _ROOT_TAG.search(body, 0, records[0].start()) if records else None
    if root is None:
        raise error
    opening, closing = root.group(), b"</" + root.group(1) + b">"
    kept, problems = [], []
    for position, record in enumerate(records, start=1):
        try:
            ET.fromstring(opening + record.group() + closing)
        except ET.ParseError as exc:
            names = (re.search(pattern, record.group()) for pattern in _NAMES)
            found = next((m.group(1).decode("utf-8", "replace").strip() for m in names if m), "no identifier")
            problems.append(f"{tag} {position} ({found}): {_reason(exc)}")
            continue
        kept.append(record.group())
    if not problems:
        raise error  # the records are fine: the page itself is broken
    # The page without its bad records: the text before the first and after the last is kept.
    rebuilt = body[: records[0].start()] + b"\n".join(kept) + body[records[-1].end() :]
    try:
        return ET.fromstring(rebuilt), problems
    except ET.ParseError:
        raise error from None
