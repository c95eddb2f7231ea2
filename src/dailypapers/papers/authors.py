"""Matching author names across sources. Plain Python, so import workers can use it."""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Iterable


@functools.lru_cache(maxsize=262_144)  # names repeat a lot in large imports
def author_key(name: str) -> str:
    """How two spellings of one author's name are matched: case, accents and spacing ignored."""
    if not name.isascii():
        name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode() or name
    key = " ".join(name.casefold().replace(".", ". ").split())[:300]
    return key or " ".join(name.split())[:300]  # a name of dots alone is still someone's


def keyed_names(names: Iterable[str]) -> dict[str, str]:
    """Matching key -> first spelling, for each distinct author in order: an authorship list."""
    names = list(names)
    keys = list(map(author_key, names))
    keyed = dict(zip(keys, names, strict=True))
    if len(keyed) == len(keys) and "" not in keyed:
        return keyed  # the common case: no name twice, none empty
    keyed = {}
    for key, name in zip(keys, names, strict=True):
        if key and key not in keyed:
            keyed[key] = name
    return keyed
