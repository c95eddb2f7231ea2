"""Recognising arXiv identifiers in the forms people paste them."""

from __future__ import annotations

import re
from dataclasses import dataclass

_NEW = r"\d{2}(?:0[1-9]|1[0-2])\.\d{4,5}"  # 0704.0001 .. 2608.19880
_OLD = r"[a-z]+(?:-[a-z]+)*(?:\.[A-Z]{2})?/\d{2}(?:0[1-9]|1[0-2])\d{3}"  # hep-th/9901001, math.AG/0309136
_ID = re.compile(rf"(?P<id>{_NEW}|{_OLD})(?:v(?P<version>[1-9]\d{{0,3}}))?")
_PREFIX = re.compile(
    r"""^(?:
        arxiv:                                                   # arXiv:2405.15738
      | (?:https?:/+)?(?:www\.|export\.)?arxiv\.org/(?:abs|pdf|html|format)/
      | (?:https?:/+)?(?:www\.)?huggingface\.co/papers/
    )""",
    re.IGNORECASE | re.VERBOSE,
)
_SUFFIX = re.compile(r"(?:\.pdf)?/?(?:[?#].*)?$", re.IGNORECASE)


@dataclass(frozen=True)
class ArxivRef:
    """An arXiv id without its version, and the version if one was given."""

    id: str
    version: int | None = None

    @property
    def versioned(self) -> str:
        return f"{self.id}v{self.version}" if self.version else self.id


def parse_arxiv_id(text: str) -> ArxivRef | None:
    """Read an arXiv id, versioned id or arXiv/Hugging Face URL; None when it is none of them."""
    if not isinstance(text, str):
        return None
    text = text.strip()
    if len(text) > 300:
        return None
    match = _ID.fullmatch(text)  # most ids come bare; skip the URL clean-up for them
    if not match:
        text = _SUFFIX.sub("", _PREFIX.sub("", text, count=1), count=1)
        match = _ID.fullmatch(text)
    if not match or not _plausible(match.group("id")):
        return None
    version = match.group("version")
    return ArxivRef(match.group("id"), int(version) if version else None)


def _plausible(arxiv_id: str) -> bool:
    """New-style ids began in April 2007 with 4 digits after the dot, and have had 5 since 2015."""
    if "/" in arxiv_id:
        return True
    yymm, number = arxiv_id.split(".")
    return yymm >= "0704" and len(number) == (4 if yymm < "1501" else 5)


def is_arxiv_id(text: str) -> bool:
    """True for a bare, unversioned arXiv id (the catalogue's key)."""
    ref = parse_arxiv_id(text)
    return ref is not None and ref.id == text
