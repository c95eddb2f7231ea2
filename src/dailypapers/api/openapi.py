"""The OpenAPI 3.1 description of the API, written as data: the docs page and the fuzz tests read it."""

from __future__ import annotations

from typing import Any

from django.conf import settings


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(kind: str, **extra: Any) -> dict[str, Any]:
    return {"type": [kind, "null"], **extra}


def _json(schema: dict[str, Any], description: str, headers: dict | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"description": description, "content": {"application/json": {"schema": schema}}}
    if headers:
        out["headers"] = headers
    return out


def _error(description: str, headers: dict | None = None) -> dict[str, Any]:
    return _json(_ref("Error"), description, headers)


def _param(name: str, description: str, schema: dict[str, Any], where: str = "query", **extra) -> dict:
    return {"name": name, "in": where, "description": description, "schema": schema, **extra}


LINK = {
    "Link": {
        "description": 'The next page, as `<url>; rel="next"`, when there is one.',
        "schema": {"type": "string"},
    }
}
RETRY = {
    "Retry-After": {"description": "Seconds to wait before trying again.", "schema": {"type": "integer"}}
}
ARXIV_ID = _param(
    "ref",
    "An arXiv id (2406.01574, hep-th/9901001; a version suffix is ignored).",
    {"type": "string"},
    "path",
    required=True,
)


def _limit(high: int) -> dict[str, Any]:
    default = min(max(settings.API_DEFAULT_LIMIT, 1), high)
    return _param(
        "limit",
        f"How many results (1 to {high}, as Hugging Face allows).",
        {"type": "integer", "minimum": 1, "maximum": high, "default": default},
    )


CATEGORY = _param(
    "category",
    "Only papers in this arXiv category (e.g. cs.CL); several, comma-separated, match any of them.",
    {"type": "string"},
)
SINCE = _param("since", "From this day on (YYYY-MM-DD, inclusive).", {"type": "string", "format": "date"})
UNTIL = _param("until", "Up to this day (YYYY-MM-DD, inclusive).", {"type": "string", "format": "date"})

COMMON_ERRORS = {
    "400": _error("Bad parameters: the message says which and why."),
    "429": _error("Too many requests from this client; wait as Retry-After says.", RETRY),
}
AUTH_ERRORS = {
    "401": _error("No API token, or one that is unknown or revoked."),
    "403": _error("The token's member may not do this."),
    "415": _error("The body is neither JSON nor a form."),
}
BEARER = [{"bearer": []}]

USER = {
    "type": "object",
    "description": "A member (of this site, or of the site a listing was imported from).",
    "properties": {
        "_id": {"type": "string"},
        "user": {"type": "string", "description": "The username."},
        "name": {"type": "string", "description": "The username (Hugging Face sends both)."},
        "fullname": {"type": "string"},
        "avatarUrl": {"type": "string"},
        "type": {"type": "string", "enum": ["user"]},
        "isPro": {"type": "boolean"},
    },
    "required": ["user", "name", "fullname"],
}

_IMPORTED = "As the site the paper was imported from (Hugging Face) gave it; absent otherwise."
ORGANIZATION = {
    "type": "object",
    "description": _IMPORTED,
    "properties": {n: {"type": "string"} for n in ("_id", "name", "fullname", "avatar")},
}
IMPORTED_PAPER_FIELDS = {
    "organization": ORGANIZATION,
    "mediaUrls": {"type": "array", "items": {"type": "string"}, "description": _IMPORTED},
    "githubRepoAddedBy": {"type": "string", "description": _IMPORTED},
    "ai_summary_model": {"type": "string", "description": _IMPORTED},
}

PAPER = {
    "type": "object",
    "description": (
        "A paper. `upvotes` and `numComments` are what the site shows: this site's own plus those "
        "imported from Hugging Face; `upvotesHere` and `importedUpvotes` are the two parts."
    ),
    "properties": {
        "id": {"type": "string", "description": "arXiv id without version."},
        "authors": {"type": "array", "items": _ref("Author")},
        "publishedAt": _nullable("string", format="date-time", description="First version on arXiv."),
        "updatedAt": _nullable("string", format="date-time", description="Latest version on arXiv."),
        "submittedOnDailyAt": _nullable(
            "string", format="date-time", description="When it reached the feed."
        ),
        "submittedOnDailyBy": {"oneOf": [_ref("User"), {"type": "null"}]},
        "title": {"type": "string"},
        "summary": {"type": "string", "description": "The abstract."},
        "upvotes": {"type": "integer", "minimum": 0},
        "upvotesHere": {"type": "integer", "minimum": 0},
        "importedUpvotes": {"type": "integer", "minimum": 0},
        "numComments": {"type": "integer", "minimum": 0},
        "discussionId": {"type": "string"},
        "projectPage": _nullable("string"),
        "githubRepo": _nullable("string"),
        "githubStars": _nullable("integer"),
        "ai_summary": _nullable("string"),
        "ai_keywords": {"type": "array", "items": {"type": "string"}},
        "thumbnail": _nullable("string"),
        "primaryCategory": _nullable("string"),
        "categories": {"type": "array", "items": {"type": "string"}},
        "doi": _nullable("string"),
        "withdrawn": {"type": "boolean"},
        "url": {"type": "string", "description": "The paper's page on this site."},
        "arxivUrl": {"type": "string"},
        "pdfUrl": {"type": "string"},
        **IMPORTED_PAPER_FIELDS,
    },
    "required": ["id", "authors", "publishedAt", "title", "summary", "upvotes", "url"],
}

# Copies of the paper's fields at the item's top level, where huggingface_hub's PaperInfo reads them.
LIFTED = {
    name: {**PAPER["properties"][name], "description": f"The same as paper.{name}."}
    for name in ("githubRepo", "githubStars", "projectPage", "ai_summary", "ai_keywords")
}

DAILY_ITEM = {
    "type": "object",
    "description": (
        "A paper's appearance on the daily feed, with that day's figures. `publishedAt` is when it "
        "was listed (the feed day at 00:00Z where the source does not say)."
    ),
    "properties": {
        "paper": _ref("Paper"),
        "publishedAt": {"type": "string", "format": "date-time"},
        "title": {"type": "string"},
        "summary": {"type": "string"},
        "thumbnail": _nullable("string"),
        "numComments": {"type": "integer", "minimum": 0},
        "submittedBy": {"oneOf": [_ref("User"), {"type": "null"}]},
        "isAuthorParticipating": {"type": "boolean"},
        "note": _nullable("string", description="The submitter's note."),
        **LIFTED,
        "listingSource": {"type": "string", "enum": ["import", "submission", "auto"]},
        "organization": ORGANIZATION,
        "submitterOrganization": {**ORGANIZATION, "description": _IMPORTED},
        "mediaUrls": IMPORTED_PAPER_FIELDS["mediaUrls"],
        "mediaUrl": {"type": "string", "description": _IMPORTED},
        "forYou": {
            "type": "object",
            "description": "With sort=for_you only: where the member's ranking puts the paper, and why.",
            "properties": {
                "score": {
                    "type": "number",
                    "description": "The member's share mixed with the community's (0 to 1); higher first.",
                },
                "personalRank": _nullable(
                    "integer",
                    description="Its place by the member's taste alone (null: nothing learned yet).",
                ),
                "communityRank": {"type": "integer", "description": "Its place by the community's votes."},
                "reasons": {"type": "array", "items": {"type": "string"}, "description": '"Why here?"'},
            },
            "required": ["score", "communityRank", "reasons"],
        },
    },
    "required": ["paper", "publishedAt", "title", "summary", "numComments"],
}

SEARCH_ITEM = {
    "type": "object",
    "description": "A search result, shaped like a daily item; `publishedAt` is the paper's date.",
    "properties": {
        "paper": _ref("Paper"),
        "publishedAt": _nullable("string", format="date-time"),
        "title": {"type": "string"},
        "summary": {"type": "string"},
        "thumbnail": _nullable("string"),
        "numComments": {"type": "integer"},
        "submittedBy": {"oneOf": [_ref("User"), {"type": "null"}]},
        "score": {"type": "number", "description": "Relevance; higher is better."},
        **LIFTED,
    },
    "required": ["paper", "title", "summary"],
}

COMMENT_FIELDS = {
    "id": {"type": "integer"},
    "removed": {"type": "boolean", "description": "Removed by its author; kept for its replies."},
    "parentId": _nullable("integer"),
    "author": {"oneOf": [_ref("User"), {"type": "null"}]},
    "body": {"type": "string", "description": "As written (Markdown)."},
    "bodyHtml": {"type": "string", "description": "Rendered and sanitised."},
    "createdAt": {"type": "string", "format": "date-time"},
    "editedAt": _nullable("string", format="date-time"),
}
COMMENT = {
    "type": "object",
    "properties": COMMENT_FIELDS,
    "required": ["id", "body", "bodyHtml", "createdAt"],
}
THREAD = {
    "type": "object",
    "properties": {**COMMENT_FIELDS, "replies": {"type": "array", "items": _ref("Comment")}},
    "required": ["id", "body", "bodyHtml", "createdAt", "replies"],
}


# --- collections (dailypapers.api.collections) --------------------------------------------------------

OWNER = _param("username", "The owner's username: the first part of the slug.", {"type": "string"}, "path",
               required=True)  # fmt: skip
TAIL = _param(
    "tail", "The rest of the slug, `title-<id>` (the id decides).", {"type": "string"}, "path", required=True
)
ITEM_ID = _param(
    "item_id", "The item's `_id` (item_object_id), or the paper's arXiv id.", {"type": "string"}, "path",
    required=True,
)  # fmt: skip
NOTE = {
    "type": "object",
    "properties": {"text": {"type": "string"}, "html": {"type": "string"}},
    "required": ["text", "html"],
}
COLLECTION_ITEM = {
    "type": "object",
    "description": "A paper in a collection (Hugging Face's collection item, type paper).",
    "properties": {
        "_id": {"type": "string", "description": "The item's id (huggingface_hub's item_object_id)."},
        "id": {"type": "string", "description": "The paper's arXiv id."},
        "type": {"type": "string", "enum": ["paper"]},
        "position": {"type": "integer"},
        "title": {"type": "string"},
        "upvotes": {"type": "integer"},
        "publishedAt": _nullable("string", format="date-time"),
        "addedAt": {"type": "string", "format": "date-time"},
        "note": NOTE,
    },
    "required": ["_id", "id", "type", "position"],
}
COLLECTION = {
    "type": "object",
    "properties": {
        "slug": {"type": "string", "description": "`owner/title-<id>`."},
        "id": {"type": "string"},
        "title": {"type": "string"},
        "description": {"type": "string"},
        "owner": _ref("User"),
        "items": {"type": "array", "items": _ref("CollectionItem")},
        "lastUpdated": {"type": "string", "format": "date-time"},
        "position": {"type": "integer", "description": "Among the owner's (not in lists)."},
        "private": {"type": "boolean"},
        "theme": {"type": "string"},
        "upvotes": {"type": "integer"},
        "gating": {"type": "boolean"},
        "url": {"type": "string"},
        "numberItems": {"type": "integer"},
    },
    "required": ["slug", "title", "owner", "items", "lastUpdated", "private", "theme", "upvotes"],
}
CHANGED = {
    "type": "object",
    "properties": {"success": {"type": "boolean"}, "data": _ref("Collection")},
    "required": ["success"],
}
COLLECTION_FIELDS = {
    "title": {"type": "string", "maxLength": 100},
    "description": {"type": "string", "maxLength": 500},
    "private": {"type": "boolean"},
    "theme": {"type": "string", "enum": ["orange", "blue", "green", "purple", "pink", "indigo"]},
}
OPTIONAL_READ_TOKEN = [{}, {"bearer": []}]


def _collection_paths() -> dict[str, Any]:
    one = [OWNER, TAIL]
    missing = {"404": _error("No such collection, or a private one of another member.")}
    return {
        "/api/whoami-v2": {
            "get": {
                "operationId": "whoami",
                "summary": "The token's member",
                "description": "As Hugging Face answers it (`huggingface_hub`'s `whoami`).",
                "tags": ["collections"],
                "security": BEARER,
                "responses": {"200": _json(_ref("User"), "The member."), **COMMON_ERRORS, **AUTH_ERRORS},
            }
        },
        "/api/collections": {
            "get": {
                "operationId": "listCollections",
                "summary": "Collections",
                "description": (
                    "Public collections (with a token, the token member's private ones too), each with "
                    "its first items. Shaped like Hugging Face's (`list_collections`)."
                ),
                "tags": ["collections"],
                "security": OPTIONAL_READ_TOKEN,
                "parameters": [
                    _param("owner", "Only these members' (comma-separated or repeated).", {"type": "string"}),
                    _param("item", "Only those holding this paper: `papers/<arXiv id>`.", {"type": "string"}),
                    _param(
                        "sort",
                        "The order.",
                        {"type": "string", "enum": ["lastModified", "trending", "upvotes"]},
                    ),
                    _limit(settings.API_MAX_LIMIT),
                    _param("p", "The page, from 0.", {"type": "integer", "minimum": 0, "maximum": 100_000}),
                ],
                "responses": {
                    "200": _json({"type": "array", "items": _ref("Collection")}, "Collections.", LINK),
                    **COMMON_ERRORS,
                    "401": AUTH_ERRORS["401"],
                },
            },
            "post": {
                "operationId": "createCollection",
                "summary": "Make a collection",
                "tags": ["collections"],
                "security": BEARER,
                "requestBody": _body({**COLLECTION_FIELDS, "namespace": {"type": "string"}}, ["title"]),
                "responses": {
                    "201": _json(_ref("Collection"), "The new collection."),
                    "409": _error(
                        "You have a collection of that title already (its `slug` is in the answer)."
                    ),
                    **COMMON_ERRORS,
                    **AUTH_ERRORS,
                },
            },
        },
        "/api/collections/{username}/{tail}": {
            "get": {
                "operationId": "getCollection",
                "summary": "A collection with its papers",
                "tags": ["collections"],
                "security": OPTIONAL_READ_TOKEN,
                "parameters": one,
                "responses": {
                    "200": _json(_ref("Collection"), "The collection."),
                    **missing,
                    **COMMON_ERRORS,
                    "401": AUTH_ERRORS["401"],
                },
            },
            "patch": {
                "operationId": "updateCollection",
                "summary": "Change a collection's title, description, privacy, theme or position",
                "tags": ["collections"],
                "security": BEARER,
                "parameters": one,
                "requestBody": _body(
                    {**COLLECTION_FIELDS, "position": {"type": "integer", "minimum": 0}}, []
                ),
                "responses": {
                    "200": _json(CHANGED, "The collection now, as `data`."),
                    **missing,
                    **COMMON_ERRORS,
                    **AUTH_ERRORS,
                },
            },
            "delete": {
                "operationId": "deleteCollection",
                "summary": "Delete a collection",
                "tags": ["collections"],
                "security": BEARER,
                "parameters": one,
                "responses": {
                    "200": _json(CHANGED, "Deleted."),
                    **missing,
                    **COMMON_ERRORS,
                    **AUTH_ERRORS,
                },
            },
        },
        "/api/collections/{username}/{tail}/items": {
            "post": {
                "operationId": "addCollectionItem",
                "summary": "Add a paper to a collection",
                "tags": ["collections"],
                "security": BEARER,
                "parameters": one,
                "requestBody": _body(
                    {
                        "item": {
                            "type": "object",
                            "properties": {
                                "type": {"type": "string", "enum": ["paper"]},
                                "id": {"type": "string"},
                            },
                            "required": ["type", "id"],
                        },
                        "note": {"type": "string", "maxLength": 500},
                    },
                    ["item"],
                ),
                "responses": {
                    "200": _json(_ref("Collection"), "The collection with the paper."),
                    "404": _error("No such collection, or no such paper here."),
                    "409": _error("The paper is in the collection already."),
                    **COMMON_ERRORS,
                    **AUTH_ERRORS,
                },
            }
        },
        "/api/collections/{username}/{tail}/items/{item_id}": {
            "patch": {
                "operationId": "updateCollectionItem",
                "summary": "Change a paper's note or position (0: first)",
                "tags": ["collections"],
                "security": BEARER,
                "parameters": [*one, ITEM_ID],
                "requestBody": _body(
                    {
                        "note": {"type": "string", "maxLength": 500},
                        "position": {"type": "integer", "minimum": 0},
                    },
                    [],
                ),
                "responses": {
                    "200": _json(CHANGED, "The collection now, as `data`."),
                    "404": _error("No such collection or item."),
                    **COMMON_ERRORS,
                    **AUTH_ERRORS,
                },
            },
            "delete": {
                "operationId": "deleteCollectionItem",
                "summary": "Take a paper out of a collection",
                "tags": ["collections"],
                "security": BEARER,
                "parameters": [*one, ITEM_ID],
                "responses": {
                    "200": _json(CHANGED, "Taken out."),
                    "404": _error("No such collection or item."),
                    **COMMON_ERRORS,
                    **AUTH_ERRORS,
                },
            },
        },
    }


def _body(schema: dict[str, Any], required: list[str]) -> dict[str, Any]:
    full = {"type": "object", "properties": schema, "required": required}
    return {
        "required": True,
        "content": {
            "application/json": {"schema": full},
            "application/x-www-form-urlencoded": {"schema": full},
        },
    }


def schema(base_url: str = "") -> dict[str, Any]:
    paper_paths = {
        "/api/daily_papers": {
            "get": {
                "operationId": "listDailyPapers",
                "summary": "The daily feed",
                "description": (
                    "Papers on the daily feed, one item per paper (its latest listing in the span). "
                    "With none of `date`, `week` and `month`, every feed day; `sort` sets the order."
                ),
                "tags": ["papers"],
                "parameters": [
                    _param("date", "One feed day, YYYY-MM-DD.", {"type": "string", "format": "date"}),
                    _param(
                        "week",
                        "An ISO week, YYYY-Www (e.g. 2025-W09).",
                        {"type": "string", "pattern": r"^\d{4}-W(0[1-9]|[1-4]\d|5[0-2])$"},
                    ),
                    _param(
                        "month",
                        "A month, YYYY-MM.",
                        {"type": "string", "pattern": r"^\d{4}-(0[1-9]|1[0-2])$"},
                    ),
                    SINCE,
                    UNTIL,
                    _param("submitter", "Only papers this username submitted.", {"type": "string"}),
                    _param(
                        "sort",
                        "The order of the items. `publishedAt` (the default): newest feed day first, "
                        "most upvoted first within a day. `trending`: highest trending score first, "
                        "the score being votes and comments weighed down by age, as on the site's "
                        "Trending page (see /about/ranking). `for_you`: the token's member's own "
                        "ranking, as on their For you page (their taste mixed with the community's "
                        "votes; papers they hid or muted left out), of the span asked for (with no "
                        "`date`, `week`, `month`, `since` or `until`: the latest feed day); it needs "
                        "`Authorization: Bearer <token>` (401 without), and each item carries `forYou`.",
                        {
                            "type": "string",
                            "enum": ["publishedAt", "trending", "for_you"],
                            "default": "publishedAt",
                        },
                    ),
                    CATEGORY,
                    _param("p", "Page, from 0.", {"type": "integer", "minimum": 0, "maximum": 100000}),
                    _limit(settings.API_MAX_LIMIT),
                ],
                # A token is needed only for sort=for_you: anonymous reads are fine otherwise.
                "security": [{}, *BEARER],
                "responses": {
                    "200": _json({"type": "array", "items": _ref("DailyItem")}, "Feed items.", LINK),
                    **COMMON_ERRORS,
                    "401": _error(
                        "sort=for_you without an API token, or with one that is unknown or revoked."
                    ),
                },
            }
        },
        "/api/papers": {
            "get": {
                "operationId": "listPapers",
                "summary": "Every paper in the catalogue",
                "description": "Newest arrival first; follow the Link header for the next page.",
                "tags": ["papers"],
                "parameters": [
                    _param(
                        "cursor", "Where the previous page ended (from its Link header).", {"type": "string"}
                    ),
                    CATEGORY,
                    SINCE,
                    UNTIL,
                    _limit(settings.API_MAX_LIMIT),
                ],
                "responses": {
                    "200": _json({"type": "array", "items": _ref("Paper")}, "Papers.", LINK),
                    **COMMON_ERRORS,
                },
            }
        },
        "/api/papers/search": {
            "get": {
                "operationId": "searchPapers",
                "summary": "Search papers",
                "description": "Hybrid search: words (BM25) and meaning (embeddings), best first. A query is "
                "ranked once: `offset` and `limit` page through that one ranking, so no paper comes twice. "
                "Without `q`, the latest papers (newest first arXiv version first), paged the same way.",
                "tags": ["papers"],
                "parameters": [
                    _param(
                        "q",
                        "What to look for: words, a title, an arXiv id. Leave it out for the latest papers.",
                        {"type": "string", "maxLength": 1000},
                    ),
                    CATEGORY,
                    SINCE,
                    UNTIL,
                    _param(
                        "has_code", "Only papers with (or without) a code repository.", {"type": "boolean"}
                    ),
                    _param(
                        "offset",
                        "Skip this many results (paging stops at 1000).",
                        {"type": "integer", "minimum": 0, "maximum": 1000},
                    ),
                    _limit(settings.API_SEARCH_MAX_LIMIT),
                ],
                "responses": {
                    "200": _json(
                        {"type": "array", "items": _ref("SearchItem")},
                        "Results.",
                        {
                            **LINK,
                            "X-Total-Count": {
                                "description": "How many papers match (at least, for very common words); "
                                "without `q`, how many papers pass the filters.",
                                "schema": {"type": "integer"},
                            },
                        },
                    ),
                    **COMMON_ERRORS,
                    "503": _error(
                        "Search is busy (too many searches at once); try again as Retry-After says.", RETRY
                    ),
                },
            }
        },
        "/api/papers/{ref}": {
            "get": {
                "operationId": "getPaper",
                "summary": "One paper",
                "tags": ["papers"],
                "parameters": [ARXIV_ID],
                "responses": {
                    "200": _json(_ref("Paper"), "The paper."),
                    "404": _error("Not an arXiv id, or not in this catalogue."),
                    **COMMON_ERRORS,
                },
            }
        },
        "/api/papers/{ref}/similar": {
            "get": {
                "operationId": "similarPapers",
                "summary": "Papers like this one",
                "tags": ["papers"],
                "parameters": [
                    ARXIV_ID,
                    _param("limit", "How many (1 to 50).", {"type": "integer", "minimum": 1, "maximum": 50}),
                ],
                "responses": {
                    "200": _json({"type": "array", "items": _ref("Paper")}, "Similar papers, closest first."),
                    "404": _error("No such paper."),
                    **COMMON_ERRORS,
                },
            }
        },
        "/api/papers/{ref}/comments": {
            "get": {
                "operationId": "listComments",
                "summary": "The discussion of a paper",
                "tags": ["community"],
                "parameters": [ARXIV_ID],
                "responses": {
                    "200": _json(
                        {"type": "array", "items": _ref("Thread")}, "Top-level comments, oldest first."
                    ),
                    "404": _error("No such paper."),
                    **COMMON_ERRORS,
                },
            },
            "post": {
                "operationId": "postComment",
                "summary": "Comment on a paper (or reply to a comment)",
                "tags": ["community"],
                "security": BEARER,
                "parameters": [ARXIV_ID],
                "requestBody": _body(
                    {
                        "body": {"type": "string", "description": "Markdown."},
                        "parent": {"type": "integer", "description": "The top-level comment replied to."},
                    },
                    ["body"],
                ),
                "responses": {
                    "201": _json(_ref("Comment"), "The comment as posted."),
                    "404": _error("No such paper."),
                    **COMMON_ERRORS,
                    **AUTH_ERRORS,
                },
            },
        },
        "/api/papers/{ref}/upvote": {
            "post": {
                "operationId": "upvote",
                "summary": "Upvote a paper, or take the vote back",
                "tags": ["community"],
                "security": BEARER,
                "parameters": [ARXIV_ID],
                "requestBody": {
                    "required": False,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "properties": {
                                    "on": {
                                        "type": "boolean",
                                        "description": "true votes, false unvotes, absent toggles.",
                                    }
                                },
                            }
                        }
                    },
                },
                "responses": {
                    "200": _json(_ref("Vote"), "The vote now."),
                    "404": _error("No such paper."),
                    **COMMON_ERRORS,
                    **AUTH_ERRORS,
                },
            }
        },
        "/papers/{ref}.md": {
            "get": {
                "operationId": "paperMarkdown",
                "summary": "A paper as Markdown",
                "description": "The paper page as Markdown (title, authors, links, abstract), what "
                "`huggingface_hub`'s `read_paper` reads.",
                "tags": ["papers"],
                "parameters": [ARXIV_ID],
                "responses": {
                    "200": {
                        "description": "The paper in Markdown.",
                        "content": {"text/markdown": {"schema": {"type": "string"}}},
                    },
                    "404": {
                        "description": "Not an arXiv id, or not in this catalogue (a line of plain text).",
                        "content": {"text/plain": {"schema": {"type": "string"}}},
                    },
                },
            }
        },
        "/api/papers/submit": {
            "post": {
                "operationId": "submitPaper",
                "summary": "Submit a paper to today's feed",
                "description": "The same rules as the site's submission form (which papers, how many a day).",
                "tags": ["community"],
                "security": BEARER,
                "requestBody": _body(
                    {
                        "id": {"type": "string", "description": "An arXiv id or arxiv.org URL."},
                        "note": {"type": "string", "description": "Why it is worth reading."},
                        "githubRepo": {"type": "string"},
                        "projectPage": {"type": "string"},
                        "organization": {
                            "type": "string",
                            "description": "The name of one of your organisations, to submit on its behalf.",
                        },
                    },
                    ["id"],
                ),
                "responses": {
                    "201": _json(_ref("DailyItem"), "The paper's listing on the feed."),
                    **COMMON_ERRORS,
                    **AUTH_ERRORS,
                },
            }
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": f"{settings.SITE_NAME} API",
            "version": "1.0",
            "description": (
                "Read the daily feed and the catalogue, shaped like Hugging Face's papers API (the "
                "`huggingface_hub` client works with `HfApi(endpoint=...)`), and write with a "
                "personal API token from your account page. Reads are open to everyone (CORS "
                'allows any origin). Errors are `{"error": "..."}` with a 4xx status; too many '
                "requests answer 429 with Retry-After."
            ),
        },
        "servers": [{"url": base_url or "/"}],
        "paths": {**paper_paths, **_collection_paths()},
        "components": {
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An API token made on your account page: `Authorization: Bearer dp_...`.",
                }
            },
            "schemas": {
                "Error": {
                    "type": "object",
                    "properties": {
                        "error": {"type": "string", "description": "What went wrong, for a person."},
                        "code": {"type": "string", "description": "For programs, where there is one."},
                    },
                    "required": ["error"],
                },
                "Author": {
                    "type": "object",
                    "properties": {
                        "_id": {"type": "string"},
                        "name": {"type": "string", "description": "As this paper spells it."},
                        "hidden": {"type": "boolean"},
                        "user": {
                            "type": "object",
                            "description": "The Hugging Face account that claimed this authorship.",
                        },
                        "status": {"type": "string"},
                        "statusLastChangedAt": {"type": "string", "format": "date-time"},
                    },
                    "required": ["name", "hidden"],
                },
                "User": USER,
                "Paper": PAPER,
                "DailyItem": DAILY_ITEM,
                "SearchItem": SEARCH_ITEM,
                "Comment": COMMENT,
                "Thread": THREAD,
                "Collection": COLLECTION,
                "CollectionItem": COLLECTION_ITEM,
                "Vote": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "string"},
                        "voted": {"type": "boolean"},
                        "upvotesHere": {"type": "integer"},
                        "upvotes": {"type": "integer"},
                    },
                    "required": ["id", "voted", "upvotesHere", "upvotes"],
                },
            },
        },
    }
