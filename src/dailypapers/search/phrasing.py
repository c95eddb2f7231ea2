"""What a query is about, without the words that only phrase the request.

"papers that avoid retraining" asks for papers about avoiding retraining. "papers that" says what kind
of thing is wanted, not what it is about, yet as search words "paper" matches every abstract that says
"this paper" and pulls those up, on the keyword side and on the semantic side alike (the embedding of
"papers that ..." sits near abstracts about papers). Both sides therefore search for `topic_of(q)`.

Only phrasing is dropped, never a topic: request openings at the start of a query ("show me", "find",
"looking for"), the nouns that name the results ("papers", "articles"), and the joining word that
follows such a noun ("papers that", "work on", "studies about"). A query that is nothing but such
words ("papers", "find") is searched as typed.
"""

from __future__ import annotations

import re

# Openings of a request, dropped at the start of a query (several may follow each other).
REQUEST_OPENINGS = (
    "please",
    "can you",
    "could you",
    "show me",
    "give me",
    "find me",
    "find",
    "search for",
    "searching for",
    "look for",
    "looking for",
    "i am looking for",
    "i'm looking for",
    "im looking for",
    "i want",
    "i need",
)
# Nouns that name the results: dropped wherever they stand ("retraining papers").
RESULT_NOUNS = frozenset(
    "paper papers article articles preprint preprints publication publications".split()  # noqa: SIM905
)
# Nouns that name the results only when a joining word follows ("work on", not "related work").
FRAMED_NOUNS = frozenset("work works research study studies".split())  # noqa: SIM905
# Joining words after a result noun ("papers that", "papers about"), dropped with it.
JOINERS = frozenset(
    "that which where about on regarding concerning discussing describing proposing".split()  # noqa: SIM905
)

_WORD = re.compile(r"[\w'-]+")  # "on-device" and "paper-writing" are words of their own
_OPENINGS = [tuple(phrase.split()) for phrase in REQUEST_OPENINGS]


def topic_of(query: str) -> str:
    """`query` without its request phrasing (see the module's docstring); unchanged when it has none."""
    spans = [(m.start(), m.end(), m.group().lower()) for m in _WORD.finditer(query)]
    words = [word for _, _, word in spans]
    dropped = _request_words(words)
    if not dropped or len(dropped) == len(words):
        return query
    kept, pos = [], 0
    for i in sorted(dropped):
        start, end, _ = spans[i]
        kept.append(query[pos:start])
        pos = end
    kept.append(query[pos:])
    return " ".join("".join(kept).split())


def _request_words(words: list[str]) -> set[int]:
    """Positions of the words in `words` that only phrase the request."""
    dropped: set[int] = set()
    i = _skip_openings(words, 0, dropped)
    while dropped and i < len(words) and words[i] in JOINERS:  # "find about X", after an opening
        dropped.add(i)
        i += 1
    for j, word in enumerate(words):
        followed_by_joiner = j + 1 < len(words) and words[j + 1] in JOINERS
        if word in RESULT_NOUNS or (word in FRAMED_NOUNS and followed_by_joiner):
            dropped.add(j)
            k = j + 1
            while k < len(words) and words[k] in JOINERS:
                dropped.add(k)
                k += 1
    return dropped


def _skip_openings(words: list[str], i: int, dropped: set[int]) -> int:
    """Past the request openings from position `i` on (adding them to `dropped`)."""
    found = True
    while found:
        found = False
        for phrase in _OPENINGS:
            if tuple(words[i : i + len(phrase)]) == phrase:
                dropped.update(range(i, i + len(phrase)))
                i += len(phrase)
                found = True
                break
    return i
