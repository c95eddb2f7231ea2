"""Nasty input to every form and every API write: NULs, lone surrogates, bytes that are not UTF-8, huge
values and JSON nested 5,000 deep. The answer is never a 5xx, and under /api/ every error is JSON.

Nothing here is listed by hand. The routes come from the URL resolver; each is visited (signed in) and
every POST form on its page is collected, so a new form is fuzzed as soon as a page shows it; every
route is also sent the payloads as a form and, under /api/, as JSON, whether a page shows a form for
it or not. The API's field names come from its OpenAPI schema. Forms are posted with their CSRF token.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from html.parser import HTMLParser
from urllib.parse import quote, quote_from_bytes, urlsplit

import pytest
from django.db import connection
from django.test import Client
from django.urls import resolve
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from dailypapers.api.models import ApiToken
from dailypapers.community.models import AuthorClaim, Comment
from dailypapers.community.submissions import submit_paper
from dailypapers.digests import tokens as digest_tokens
from dailypapers.digests.models import Subscription
from dailypapers.papers.models import Listing
from tests.front.test_every_route import ROUTES, Route
from tests.support.factories import add_paper, add_user, recent_paper

DEEP = 5000
# Raw urlencoded values: a NUL, a surrogate written as UTF-8 (not UTF-8), stray bytes, raw bytes, huge.
FORM_VALUES = [
    b"a%00b",
    b"%ED%A0%80",
    b"%FF%FE",
    b"\xff\xc3",
    b"x" * 200_000,
    b"%5B" * DEEP,
    quote_from_bytes("日本語 <b>&amp;</b>\n".encode()).encode(),
]
# Raw JSON values, each given to every field the API reads at once; then whole bodies.
JSON_VALUES = [
    b'"a\\u0000b"',
    b'"\\ud800"',
    b'"\\udfff\\ud800x"',
    b'"\xff"',
    b'"' + b"x" * 200_000 + b'"',
    b"[" * DEEP + b"]" * DEEP,
    b'{"a": ' * DEEP + b"1" + b"}" * DEEP,
    b"1e999999",
    b'{"a\\u0000": "\\ud800"}',
]
JSON_BODIES = [b"[" * DEEP + b"]" * DEEP, b'{"a\\u0000": 1}', b"null", b"\xef\xbb\xbf{}", b"{"]


class PostForms(HTMLParser):
    """The POST forms of a page: (action path, {field name: value})."""

    def __init__(self, page_path: str) -> None:
        super().__init__()
        self.page_path, self.forms, self.current = page_path, [], None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("method") or "").lower() == "post":
            action = urlsplit(attrs.get("action") or self.page_path).path or self.page_path
            self.current = (action, {})
            self.forms.append(self.current)
        elif tag in ("input", "textarea", "select", "button") and self.current and attrs.get("name"):
            self.current[1].setdefault(attrs["name"], attrs.get("value") or "")

    def handle_endtag(self, tag):
        if tag == "form":
            self.current = None


@pytest.fixture
def site(db, settings):
    """A member with a comment, a submission and an API token; a digest subscription; rate limits off."""
    settings.API_READ_RATE = settings.API_WRITE_RATE = ""
    settings.SUBMIT_FETCH_FROM_ARXIV = False  # never reach arXiv
    settings.COMMENTS_PER_HOUR = 0
    settings.SUBMIT_PER_DAY = 0
    add_paper("2608.00001", "A listed paper", day=dt.date(2026, 8, 20), votes=3, categories=["cs.CL"])
    recent_paper("2608.00002")
    member = add_user("member")
    paper = recent_paper("2608.00003")
    comment = Comment.post(member, paper, "A first comment")
    listing = submit_paper(member, "2608.00003", note="mine")
    claim = AuthorClaim.ask(member, paper, paper.authorships.order_by("position").first().position)
    token, raw = ApiToken.issue(member, "fuzz")
    subscription = Subscription.objects.create(email="reader@example.org")
    values = {
        "ref": "2608.00003",
        "username": "member",
        "token_id": str(token.pk),
        "fmt": "rss",
        "date": "2026-08-20",
        "code": "cs.CL",
        "slug": "2026-08-20",
    }
    return {
        "member": member,
        "bearer": raw,
        "values": values,
        "pks": {"comments": comment.pk, "submissions": listing.pk, "claim": claim.pk},
        "subscription": subscription,
    }


def _url(route: Route, site) -> str | None:
    parts = []
    for piece in route.pieces:
        if not isinstance(piece, tuple):
            parts.append(re.sub(r"\\(.)", r"\1", piece.replace("/?", "/")))
            continue
        name, regex = piece
        value = site["values"].get(name)
        if name == "pk":
            value = next(str(pk) for key, pk in site["pks"].items() if key in route.name)
        elif name == "token" and "digests:" in route.name:
            purpose = route.name.split(":")[1].split("_")[0]
            purpose = purpose if purpose in digest_tokens.PURPOSES else "manage"
            value = digest_tokens.make_token(site["subscription"], purpose)
        elif value is None or not re.fullmatch(regex, value):
            value = next((v for v in ("x", "2026-W34", "2026-08", "1") if re.fullmatch(regex, v)), None)
        if value is None:
            return None
        parts.append(quote(value, safe=""))
    url = "/" + "".join(parts)
    return url if re.fullmatch(r"[\w/.%:~@-]*", url) else None


def _assert_fine(response, what: str) -> None:
    what = what if len(what) < 300 else what[:150] + " … " + what[-150:]
    assert response.status_code < 500, what
    if urlsplit(what.split()[-1]).path.startswith("/api/") and response.status_code >= 400:
        assert response["Content-Type"].startswith("application/json"), what
        assert "error" in json.loads(response.content), what


def _member(site) -> Client:
    if "client" in site:
        return site["client"]
    client = site["client"] = Client(enforce_csrf_checks=True)
    client.force_login(site["member"])
    client.get("/")  # a CSRF cookie
    return client


def _stranger() -> Client:
    client = Client(enforce_csrf_checks=True)
    client.get("/accounts/signup")  # a CSRF cookie
    return client


def _post_form(client: Client, site, path: str, fields: dict[str, bytes], signed_in: bool) -> None:
    if signed_in and not client.session.get("_auth_user_id"):
        client.force_login(site["member"])  # a form may have signed the member out (logout)
    token = client.cookies["csrftoken"].value
    pairs = [quote(name).encode() + b"=" + value for name, value in fields.items()]
    body = b"&".join([*pairs, b"csrfmiddlewaretoken=" + token.encode()])
    response = client.generic(
        "POST",
        path,
        body,
        content_type="application/x-www-form-urlencoded",
        HTTP_REFERER="http://testserver/",
    )
    _assert_fine(
        response, f"form {sorted(fields)[:6]} {fields and next(iter(fields.values()))[:20]!r} {path}"
    )


def _post_json(client: Client, path: str, body: bytes, bearer: str) -> None:
    response = client.generic(
        "POST", path, body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {bearer}"
    )
    _assert_fine(response, f"json {body[:40]!r} {path}")


def _api_fields(client: Client) -> list[str]:
    schema = client.get("/api/openapi.json").json()
    names = set()
    for operation in schema["paths"].values():
        body = operation.get("post", {}).get("requestBody", {}).get("content", {})
        for media in body.values():
            names |= set(media.get("schema", {}).get("properties", {}))
    assert names, "the schema names no fields of any write"
    return sorted(names)


def test_no_form_and_no_api_write_fails_on_nasty_input(site):
    client, stranger = _member(site), _stranger()
    urls = [url for route in ROUTES if (url := _url(route, site)) is not None]
    assert len(urls) > 40, "most routes should get a URL"
    # Each form is posted by whoever the page showed it to: a member (comments, votes, submissions,
    # account, API tokens), a stranger (sign-up, sign-in, password reset, digest subscriptions).
    forms: dict[tuple[str, bool], dict[str, str]] = {}
    for url in urls:
        for visitor in (client, stranger):
            page = visitor.get(url)
            if page.get("Content-Type", "").startswith("text/html"):
                parser = PostForms(url)
                parser.feed(page.content.decode())
                for action, fields in parser.forms:
                    forms.setdefault((action, visitor is client), {}).update(fields)
            if page.status_code == 200:
                break  # a page a member sees: a stranger sees the same forms there, or fewer
    found = {action for action, _ in forms}
    assert {"/accounts/signup", "/papers/submit", "/digests/subscribe", "/account/api-tokens/new"} <= found
    shown = set(forms)
    for url in urls:  # every route gets a form, whether a page shows one for it or not
        forms.setdefault((url, True), {"body": "", "q": "", "email": "", "username": "", "password": ""})
    for (path, signed_in), fields in forms.items():
        visitor = client if signed_in else stranger
        names = [name for name in fields if name != "csrfmiddlewaretoken"]
        # A route no page shows a form for gets the values that reach furthest: a NUL, bytes that are
        # not UTF-8, a huge value. (Each refusal renders a whole page: the fuzz's main cost.)
        for value in FORM_VALUES if (path, signed_in) in shown else FORM_VALUES[0:5:2]:
            _post_form(visitor, site, path, {name: value for name in names}, signed_in)
        # One nasty field among good values, for the checks after the first field's.
        for name in names if (path, signed_in) in shown else []:
            good = {other: quote(fields[other]).encode() for other in names}
            _post_form(visitor, site, path, {**good, name: b"a%00b%ED%A0%80"}, signed_in)
    fields = _api_fields(client)
    api_urls = [url for url in urls if url.startswith("/api/")]
    for url in api_urls:
        bodies = [
            b"{" + b", ".join(json.dumps(f).encode() + b": " + v for f in fields) + b"}" for v in JSON_VALUES
        ]
        for body in bodies + JSON_BODIES:
            _post_json(client, url, body, site["bearer"])
        for value in FORM_VALUES:
            response = client.generic(
                "POST",
                url,
                b"&".join(name.encode() + b"=" + value for name in fields),
                content_type="application/x-www-form-urlencoded",
                HTTP_AUTHORIZATION=f"Bearer {site['bearer']}",
            )
            _assert_fine(response, f"api form {value[:20]!r} {url}")
    for url in urls:  # and as a query string
        for value in FORM_VALUES[:3:2]:
            _assert_fine(client.get(f"{url}?q={value.decode('latin-1')}&x%00=1"), f"query {value!r} {url}")


# Any text at all, with lone surrogates and NULs drawn often (they are rare among all characters).
any_text = st.lists(
    st.one_of(
        st.sampled_from("\x00\ud800\udbff\udc00\udfff"), st.characters(codec=None, exclude_categories=())
    ),
    max_size=30,
).map("".join)  # st.text() would leave out the surrogates


@hypothesis_settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_any_text_in_a_write_is_stored_as_given_or_refused(site, data):
    """Text is either kept exactly (read back the same) or refused with a 400: nothing in between, and
    the same on SQLite and PostgreSQL."""
    text = data.draw(any_text, label="text")
    client = _member(site)
    body = json.dumps({"body": text}).encode()  # \\ud800 and \\u0000 as JSON escapes
    response = client.post(
        "/api/papers/2608.00001/comments",
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {site['bearer']}",
    )
    _assert_fine(response, f"json {text!r} /api/papers/2608.00001/comments")
    bad = re.search("[\x00\ud800-\udfff]", text)
    if bad:
        assert response.status_code == 400 and "holds a" in response.json()["error"]
    elif text.strip():
        assert response.status_code == 201 and response.json()["body"] == text.strip()
    form_body = "body=" + quote(text.encode("utf-8", "surrogatepass"), safe="")
    form_body += "&csrfmiddlewaretoken=" + client.cookies["csrftoken"].value
    response = client.generic(
        "POST", "/papers/2608.00001/comments", form_body, content_type="application/x-www-form-urlencoded"
    )
    _assert_fine(response, f"form {text!r} /papers/2608.00001/comments")
    if bad:
        assert response.status_code == 400


@pytest.mark.parametrize(
    "url, message",
    [
        ("/u/%00", "The address holds a NUL character (U+0000)"),
        ("/u/a%00b/huggingface", "The address holds a NUL character"),
        ("/papers/search?q=a%00", "The query parameter “q” holds a NUL character"),
        ("/papers/search?q=caf%E9", "The query string is not UTF-8 text"),
    ],
)
def test_pages_refuse_what_is_not_text_with_a_clear_400(site, url, message):
    response = Client().get(url)
    assert response.status_code == 400
    assert message in response.content.decode()


@pytest.mark.parametrize(
    "body, message",
    [
        (b'{"body": "a\\u0000b"}', "The body’s field “body” holds a NUL character (U+0000)"),
        (b'{"body": "a\\ud800b"}', "The body’s field “body” holds a lone surrogate (U+D800)"),
        (b'{"body": "x", "a\\ud800": 1}', "A field name in the body holds a lone surrogate"),
        (b'{"body": "\xff"}', "The body is not UTF-8"),
        (b'{"body": ' + b"[" * DEEP + b"]" * DEEP + b"}", "nested too deeply"),
    ],
)
def test_api_writes_refuse_what_is_not_text_with_a_json_400(site, body, message):
    response = Client().post(
        "/api/papers/2608.00001/comments",
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {site['bearer']}",
    )
    assert response.status_code == 400 and message in response.json()["error"]
    assert not Comment.objects.filter(paper__arxiv_id="2608.00001").exists()


def test_a_form_with_a_nul_is_refused_and_nothing_is_stored(site):
    client = _member(site)
    response = client.post(
        "/papers/submit",
        {"paper": "2608.00002", "note": "a\x00b", "csrfmiddlewaretoken": client.cookies["csrftoken"].value},
    )
    assert response.status_code == 400
    assert "The field “note” holds a NUL character" in response.content.decode()
    assert not Listing.objects.filter(paper__arxiv_id="2608.00002").exists()


def test_a_server_error_under_the_api_is_json(site):
    """A real fault (the comments table gone, inside this test's transaction): the API answers JSON."""
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE community_comment RENAME TO community_comment_gone")
    client = Client(raise_request_exception=False)
    response = client.get("/api/papers/2608.00003/comments")
    assert response.status_code == 500
    assert response["Content-Type"].startswith("application/json")
    assert "went wrong" in response.json()["error"]
    page = client.get("/papers/2608.00003")
    assert page.status_code == 500 and page["Content-Type"].startswith("text/html")
    assert resolve("/api/papers/2608.00003/comments").url_name == "comments"
