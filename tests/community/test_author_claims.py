"""Claims of authorship: a member says "I am this author" on the paper page; a moderator approves or
denies it in the admin, on record; only the claimant or a moderator changes a claim. An approved
claim links the author to the member's profile on the paper page and its cards, fills the API's
`user` and `status`, and (SUBMIT_REQUIRES_CLAIM) lets the member submit the paper."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from dailypapers.community.models import AuthorClaim, ClaimEvent
from dailypapers.community.submissions import SubmissionRefused, submit_paper
from dailypapers.core.models import ContentVersion
from dailypapers.papers.models import Authorship, Paper
from tests.support.factories import add_paper, add_user, recent_paper

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 8, 21)
REF = "2608.00777"


@pytest.fixture
def paper() -> Paper:
    add_paper(
        REF, "Engines of analysis", DAY, votes=3, authors=["Ada Lovelace", "Alan Turing", "Grace Hopper"]
    )
    return Paper.objects.get(arxiv_id=REF)


@pytest.fixture
def mod():
    return add_user("mod", is_staff=True, is_superuser=True)


def claim(client, position: int | str):
    return client.post(f"/papers/{REF}/claim", {"position": str(position)})


def test_a_member_claims_an_author_from_the_paper_page_without_javascript(client, paper):
    page = client.get(f"/papers/{REF}").content.decode()
    assert "Sign in</a> to claim" in page and 'name="position"' not in page  # strangers: sign in first
    assert claim(client, 1)["Location"].startswith("/accounts/login")
    ada = add_user("ada")
    client.force_login(ada)
    page = client.get(f"/papers/{REF}").content.decode()
    form = re.search(r'<form method="post" action="/papers/2608.00777/claim".*?</form>', page, re.S).group(0)
    assert "csrfmiddlewaretoken" in form and '<option value="2">Alan Turing</option>' in form
    answer = client.post(f"/papers/{REF}/claim", {"position": "1"}, follow=True)
    assert "A moderator will check that you are Ada Lovelace" in answer.content.decode()
    claim_row = AuthorClaim.objects.get()
    assert (claim_row.user, claim_row.position, claim_row.name, claim_row.status) == (
        ada,
        1,
        "Ada Lovelace",
        "pending",
    )
    assert "You claimed to be Ada Lovelace (author 1)" in client.get(f"/papers/{REF}").content.decode()
    # A second claim on the paper, a place that is not there, or nonsense: a clear message, no 500.
    for position in (2, 9, "x"):
        answer = client.post(f"/papers/{REF}/claim", {"position": str(position)}, follow=True)
        assert answer.status_code == 200
        assert re.search("already claimed|Pick one of the paper|Pick the author", answer.content.decode())
    assert AuthorClaim.objects.count() == 1


def test_the_claim_form_needs_its_csrf_token(paper):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(add_user("ada"))
    assert claim(client, 1).status_code == 403
    assert not AuthorClaim.objects.exists()


def test_only_the_claimant_withdraws_and_only_a_moderator_decides(client, paper, mod):
    ada, bob = add_user("ada"), add_user("bob")
    asked = AuthorClaim.ask(ada, paper, 1)
    with pytest.raises(PermissionDenied):
        asked.withdraw(bob)
    with pytest.raises(PermissionDenied):
        asked.decide(ada, approve=True)  # not even on one's own claim
    with pytest.raises(PermissionDenied):
        asked.decide(bob, approve=False)
    client.force_login(bob)
    assert client.post(f"/claims/{asked.pk}/withdraw").status_code == 403
    assert AuthorClaim.objects.get().status == "pending"
    client.force_login(ada)
    client.post(f"/claims/{asked.pk}/withdraw")
    assert AuthorClaim.objects.get().status == "withdrawn"
    with pytest.raises(ValidationError):
        AuthorClaim.objects.get().decide(mod, approve=True)  # withdrawn: nothing to decide
    assert list(ClaimEvent.objects.order_by("id").values_list("actor_name", "kind")) == [
        ("ada", "asked"),
        ("ada", "withdrawn"),
    ]


def test_moderators_approve_and_deny_in_the_admin_on_record_and_a_denied_claim_is_asked_again(
    client, paper, mod
):
    ada, bob = add_user("ada"), add_user("bob")
    first, second = AuthorClaim.ask(ada, paper, 1), AuthorClaim.ask(bob, paper, 1)
    client.force_login(mod)
    assert client.get("/admin/community/authorclaim/").status_code == 200
    client.post("/admin/community/authorclaim/", {"action": "approve", "_selected_action": [first.pk]})
    client.post("/admin/community/authorclaim/", {"action": "deny", "_selected_action": [second.pk]})
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.decided_by, second.status) == ("approved", mod, "denied")
    decisions = ClaimEvent.objects.filter(kind__in=["approved", "denied"]).order_by("id")
    assert [(e.claim_id, e.actor_name, e.kind) for e in decisions] == [
        (first.pk, "mod", "approved"),
        (second.pk, "mod", "denied"),
    ]
    assert all(e.created_at for e in decisions)
    assert client.get(f"/admin/community/authorclaim/{first.pk}/change/").status_code == 200
    # A place approved for one member is not another's; a denied claim can be asked again elsewhere.
    with pytest.raises(ValidationError, match="already claimed by another member"):
        AuthorClaim.ask(bob, paper, 1)
    again = AuthorClaim.ask(bob, paper, 2)
    assert (again.pk, again.status, again.name) == (second.pk, "pending", "Alan Turing")
    # Approving a second claim on a taken place is refused with a message, not an error.
    answer = client.post(
        "/admin/community/authorclaim/",
        {"action": "approve", "_selected_action": [first.pk, again.pk]},
        follow=True,
    )
    assert answer.status_code == 200 and AuthorClaim.objects.get(pk=again.pk).status == "approved"


@pytest.mark.django_db(transaction=True)  # stamps move once a transaction commits
def test_approving_a_claim_renews_the_pages_that_show_the_paper(paper, mod):
    asked = AuthorClaim.ask(add_user("ada"), paper, 1)
    names = [f"paper:{REF}", f"day:{DAY}", "pages"]

    def stamps() -> dict:
        return dict(ContentVersion.objects.filter(name__in=names).values_list("name", "value"))

    before = stamps()
    asked.decide(mod, approve=True)
    after = stamps()
    assert all(after[name] != before.get(name) for name in names)


def test_an_approved_claim_links_the_author_to_the_member_on_the_page_cards_and_api(client, paper, mod):
    ada = add_user("ada", first_name="Ada", last_name="King")
    asked = AuthorClaim.ask(ada, paper, 1)
    assert 'href="/u/ada"' not in client.get(f"/papers/{REF}").content.decode()
    asked.decide(mod, approve=True)
    page = client.get(f"/papers/{REF}").content.decode()
    assert re.search(r'<a class="author claimed" href="/u/ada"[^>]*>Ada Lovelace</a>', page)
    assert '<a class="author" href="/authors/alan%20turing">Alan Turing</a>' in page
    for address in (f"/papers/date/{DAY}", "/authors/ada%20lovelace"):
        cards = client.get(address).content.decode()
        assert re.search(
            r'<p class="authors"><a class="claimed" href="/u/ada"[^>]*>Ada Lovelace</a>, ', cards
        )
    authors = client.get(f"/api/papers/{REF}").json()["authors"]
    assert authors[0]["user"]["user"] == "ada" and authors[0]["user"]["fullname"] == "Ada King"
    assert authors[0]["status"] == "claimed_verified"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", authors[0]["statusLastChangedAt"])
    assert "user" not in authors[1] and "status" not in authors[1]
    profile = client.get("/u/ada").content.decode()
    assert (
        'data-testid="authored"' in profile
        and 'Engines of analysis</a> <span class="muted">· as Ada Lovelace' in profile
    )
    item = client.get(f"/api/daily_papers?date={DAY}").json()[0]
    assert item["paper"]["authors"][0]["status"] == "claimed_verified"
    # Withdrawn: the link and the API's user go.
    asked.withdraw(ada)
    assert 'href="/u/ada"' not in client.get(f"/papers/{REF}").content.decode()
    assert "user" not in client.get(f"/api/papers/{REF}").json()["authors"][0]


def test_imported_claims_stay_as_they_came_unless_a_member_here_claims(client, paper, mod):
    theirs = {
        "_id": "abc",
        "user": {"user": "ada-hf", "fullname": "Ada"},
        "status": "admin_assigned",
        "statusLastChangedAt": "2024-05-27T07:54:25.329Z",
        "hidden": False,
    }
    Authorship.objects.filter(paper=paper, position=2).update(details=theirs)
    authors = client.get(f"/api/papers/{REF}").json()["authors"]
    assert {k: authors[1][k] for k in theirs} == theirs
    AuthorClaim.ask(add_user("alan"), paper, 2).decide(mod, approve=True)
    second = client.get(f"/api/papers/{REF}").json()["authors"][1]
    assert (second["_id"], second["user"]["user"], second["status"]) == ("abc", "alan", "claimed_verified")


def test_a_claim_no_longer_shows_once_an_import_puts_someone_else_there(client, paper, mod):
    AuthorClaim.ask(add_user("ada"), paper, 1).decide(mod, approve=True)
    add_paper(REF, "Engines of analysis", DAY, authors=["Charles Babbage", "Alan Turing"])
    assert 'href="/u/ada"' not in client.get(f"/papers/{REF}").content.decode()


def test_with_the_setting_only_claimed_authors_and_moderators_submit(settings, mod):
    settings.SUBMIT_REQUIRES_CLAIM = True
    paper = recent_paper("2611.00901", authors=["Ada Lovelace", "Alan Turing"])
    ada = add_user("ada")
    with pytest.raises(SubmissionRefused, match="Only the authors of") as refused:
        submit_paper(ada, "2611.00901")
    assert refused.value.code == "not_an_author"
    asked = AuthorClaim.ask(ada, paper, 1)
    with pytest.raises(SubmissionRefused, match="Only the authors of"):
        submit_paper(ada, "2611.00901")  # pending is not enough
    asked.decide(mod, approve=True)
    assert submit_paper(ada, "2611.00901").submitted_by == ada
    other = recent_paper("2611.00902")
    assert submit_paper(mod, "2611.00902").paper == other


def test_without_the_setting_anyone_submits_and_the_page_says_nothing(client):
    recent_paper("2611.00903")
    ada = add_user("ada")
    assert submit_paper(ada, "2611.00903").submitted_by == ada
    client.force_login(ada)
    assert 'data-testid="requires-claim"' not in client.get("/papers/submit").content.decode()


def test_the_submit_page_says_so_and_refuses_with_a_message(client, settings):
    settings.SUBMIT_REQUIRES_CLAIM = True
    recent_paper("2611.00904")
    client.force_login(add_user("ada"))
    assert 'data-testid="requires-claim"' in client.get("/papers/submit").content.decode()
    answer = client.post("/papers/submit", {"paper": "2611.00904"})
    assert answer.status_code == 200 and "Only the authors of" in answer.content.decode()


def test_with_every_author_claimed_the_page_offers_no_empty_form(client, mod):
    add_paper("2608.00778", "Alone", DAY, authors=["Ada Lovelace"])
    solo = Paper.objects.get(arxiv_id="2608.00778")
    AuthorClaim.ask(add_user("ada"), solo, 1).decide(mod, approve=True)
    client.force_login(add_user("bob"))
    page = client.get("/papers/2608.00778").content.decode()
    assert 'action="/papers/2608.00778/claim"' not in page  # a select with no option and a dead button
    assert "Every author of this paper is claimed" in page
