"""The community pages through the views: submitting, voting with and without htmx, comments with
their permissions, trending and the ranking page, moderation in the admin, and XSS rendering inert."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User

from dailypapers.accounts.models import Profile
from dailypapers.community.models import Comment, Upvote
from dailypapers.core.models import ModerationAction
from dailypapers.papers.models import Listing, Paper
from tests.community.helpers import assert_inert
from tests.support.factories import add_user, listed_paper, recent_paper

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


# --- submitting ---


def test_submit_page_lists_the_paper_with_note(client):
    recent_paper("2611.00500", "Fresh results")
    client.force_login(add_user("ada"))
    response = client.post(
        "/papers/submit",
        {
            "paper": "https://arxiv.org/abs/2611.00500v1",
            "note": "Read section 3",
            "github_repo": "",
            "project_page": "",
        },
    )
    assert response.status_code == 302 and response["Location"] == "/papers/2611.00500"
    page = client.get("/papers/2611.00500").content.decode()
    assert "Thank you!" in page and "on today’s feed" in page
    page = client.get("/").content.decode()
    assert "Fresh results" in page and "Read section 3" in page and 'href="/u/ada"' in page


def test_submit_refusals_are_shown_on_the_form(client):
    listed_paper("2611.00501", "Already here")
    client.force_login(add_user("ada"))
    page = client.post("/papers/submit", {"paper": "2611.00501"}).content.decode()
    assert "is already on the feed (today)" in page
    page = client.post("/papers/submit", {"paper": "hello"}).content.decode()
    assert "not an arXiv id or arXiv link" in page


def test_submit_needs_sign_in(client):
    response = client.get("/papers/submit")
    assert response.status_code == 302 and response["Location"] == "/accounts/login?next=/papers/submit"
    response = client.post("/papers/submit", {"paper": "2611.00502"})
    assert response.status_code == 302 and not Listing.objects.exists()


# --- votes ---


def test_vote_without_javascript_redirects_back(client):
    paper = listed_paper("2611.00510", votes=3)
    client.force_login(add_user("ada"))
    response = client.post("/papers/2611.00510/upvote", {"on": "1", "next": "/?sort=new"})
    assert response.status_code == 302 and response["Location"] == "/?sort=new"
    assert Paper.objects.get(pk=paper.pk).upvote_count == 1
    page = client.get("/").content.decode()
    assert 'aria-pressed="true"' in page and ">4</strong>" in page
    # An address elsewhere is not followed.
    response = client.post("/papers/2611.00510/upvote", {"on": "0", "next": "https://evil.example/"})
    assert response["Location"] == "/papers/2611.00510"
    assert Paper.objects.get(pk=paper.pk).upvote_count == 0


def test_vote_with_htmx_returns_the_button(client):
    listed_paper("2611.00511", votes=3)
    client.force_login(add_user("ada"))
    response = client.post("/papers/2611.00511/upvote", {"on": "1", "next": "/"}, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200 and html.lstrip().startswith('<form class="vote-form"')
    assert 'aria-pressed="true"' in html and ">4</strong>" in html and 'name="on" value="0"' in html
    assert 'name="next" value="/"' in html and "csrfmiddlewaretoken" in html


def test_anonymous_vote_goes_to_sign_in(client):
    listed_paper("2611.00512")
    response = client.post("/papers/2611.00512/upvote", {"on": "1", "next": "/"})
    assert response.status_code == 302 and response["Location"] == "/accounts/login?next=/"
    response = client.post("/papers/2611.00512/upvote", {"on": "1", "next": "/"}, **HTMX)
    assert response["HX-Redirect"] == "/accounts/login?next=/"
    assert not Upvote.objects.exists()


def test_votes_need_post_and_csrf():
    from django.test import Client

    listed_paper("2611.00513")
    client = Client(enforce_csrf_checks=True)
    client.force_login(add_user("ada"))
    assert client.get("/papers/2611.00513/upvote").status_code == 405
    assert client.post("/papers/2611.00513/upvote", {"on": "1"}).status_code == 403
    assert not Upvote.objects.exists()


def test_parallel_vote_requests_count_exactly(transactional_db, live_server):
    """Real HTTP requests at once against the live test server (threads; one connection each)."""
    import threading

    import httpx

    listed_paper("2611.00514")
    members = [add_user(f"v{i}", password="pw for voters 123") for i in range(8)]
    clients = []
    for member in members:
        c = httpx.Client(base_url=live_server.url)
        c.get("/accounts/login")
        c.post(
            "/accounts/login",
            data={
                "username": member.username,
                "password": "pw for voters 123",
                "csrfmiddlewaretoken": c.cookies["csrftoken"],
            },
        )
        clients.append(c)
    barrier = threading.Barrier(len(clients))
    statuses: list[int] = []

    def vote(c):
        barrier.wait()
        r = c.post(
            "/papers/2611.00514/upvote",
            data={"on": "1", "csrfmiddlewaretoken": c.cookies["csrftoken"]},
            headers={"HX-Request": "true"},
        )
        statuses.append(r.status_code)

    threads = [threading.Thread(target=vote, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == [200] * 8
    assert Paper.objects.get(arxiv_id="2611.00514").upvote_count == 8 == Upvote.objects.count()


# --- comments ---


def test_comment_reply_edit_delete_through_pages(client):
    paper = listed_paper("2611.00520")
    ada, bob = add_user("ada"), add_user("bob")
    client.force_login(ada)
    response = client.post("/papers/2611.00520/comments", {"body": "Nice **results**"})
    top = Comment.objects.get()
    assert response["Location"] == f"/papers/2611.00520#comment-{top.pk}"
    page = client.get("/papers/2611.00520").content.decode()
    assert "Nice <strong>results</strong>" in page and "1 comment" in page
    client.force_login(bob)
    client.post("/papers/2611.00520/comments", {"body": "Agreed", "parent": str(top.pk)})
    assert Comment.objects.get(body="Agreed").parent == top
    # Bob cannot edit or delete Ada's comment, through the pages either.
    forbidden = client.get(f"/comments/{top.pk}/edit")
    assert forbidden.status_code == 403
    assert "Only its author can edit a comment." in forbidden.content.decode()
    assert client.post(f"/comments/{top.pk}/edit", {"body": "hijack"}).status_code == 403
    assert client.post(f"/comments/{top.pk}/delete").status_code == 403
    assert client.post(f"/comments/{top.pk}/hide").status_code == 403
    top.refresh_from_db()
    assert top.body == "Nice **results**" and not top.hidden
    client.force_login(ada)
    client.post(f"/comments/{top.pk}/edit", {"body": "Nice *results*, edited"})
    page = client.get("/papers/2611.00520").content.decode()
    assert "Nice <em>results</em>, edited" in page and "· edited" in page
    client.post(f"/comments/{top.pk}/delete")
    page = client.get("/papers/2611.00520").content.decode()
    assert "[removed]" in page and "Agreed" in page
    assert Paper.objects.get(pk=paper.pk).comment_count == 1
    # Cards show the count.
    assert re.search(
        r'data-testid="card-comments"[^>]*>.*?1<span class="sr-only"> comments',
        client.get("/").content.decode(),
        re.S,
    )


def test_comment_errors_come_back_with_the_draft(client, settings):
    listed_paper("2611.00521")
    settings.COMMENT_MAX_LENGTH = 5
    client.force_login(add_user("ada"))
    response = client.post("/papers/2611.00521/comments", {"body": "far too long"}, follow=True)
    page = response.content.decode()
    assert "at most 5 characters" in page and ">far too long</textarea>" in page


def test_anonymous_cannot_comment(client):
    listed_paper("2611.00522")
    response = client.post("/papers/2611.00522/comments", {"body": "hi"})
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login?next=")
    assert not Comment.objects.exists()
    assert "to join the discussion" in client.get("/papers/2611.00522").content.decode()


def test_staff_hide_from_the_page_and_hidden_is_gone_for_readers(client):
    paper = listed_paper("2611.00523")
    comment = Comment.post(add_user("ada"), paper, "buy cheap pills")
    mod = add_user("mod", is_staff=True)
    client.force_login(mod)
    client.post(f"/comments/{comment.pk}/hide", {"hidden": "1"})
    assert "hidden by a moderator" in client.get("/papers/2611.00523").content.decode()
    client.logout()
    assert "buy cheap pills" not in client.get("/papers/2611.00523").content.decode()
    assert ModerationAction.objects.get().moderator_name == "mod"


def test_hiding_a_comment_with_replies_keeps_the_count_and_the_list_in_step(client):
    paper = listed_paper("2611.00524")
    ada, bob, mod = add_user("ada"), add_user("bob"), add_user("mod", is_staff=True)
    top = Comment.post(ada, paper, "buy cheap pills")
    Comment.post(bob, paper, "Is this spam?", parent=top)
    Comment.post(bob, paper, "A fine paper")
    top.set_hidden(mod, True)

    def discussion(who) -> tuple[str, str, int]:  # (heading's count, hidden count, comments listed)
        page = who.get("/papers/2611.00524").content.decode()
        counted = re.search(r'data-testid="comment-count">([^<]*)<', page)[1]
        held_back = re.search(r'data-testid="held-back-count">([^<]*)<', page)
        return counted, held_back[1] if held_back else "", page.count('<article class="comment')

    # Readers: the hidden comment goes with its reply, and the count says what is left.
    assert discussion(client) == ("1 comment", "", 1)
    assert re.search(r'data-testid="card-comments"[^>]*>.*?</svg>1<', client.get("/").content.decode())
    # Moderators see all three, and the heading counts the two they hid apart.
    client.force_login(mod)
    assert discussion(client) == ("1 comment", "· 2 hidden by moderators", 3)
    # With the last shown comment hidden too, readers are told there is nothing, in agreement.
    Comment.objects.get(body="A fine paper").set_hidden(mod, True)
    client.logout()
    page = client.get("/papers/2611.00524").content.decode()
    assert "0 comments" in page and "No comments here yet" in page


def test_the_submitters_note_is_rendered_markdown(client):
    recent_paper("2611.00525")
    client.force_login(add_user("ada"))
    note = "Read **section 3**; the `loss` is new.\n\n<b>not bold</b>"
    client.post("/papers/submit", {"paper": "2611.00525", "note": note})
    for url in ["/papers/2611.00525", "/"]:
        page = client.get(url).content.decode()
        assert "<strong>section 3</strong>" in page and "<code>loss</code>" in page, url
        assert "**section" not in page and "`loss`" not in page and "<b>not bold</b>" not in page, url
        assert "&lt;b&gt;not bold&lt;/b&gt;" in page, url


# --- trending and ranking ---


def test_trending_page_sort_and_ranking_page(client):
    listed_paper("2611.00530", "Hot paper", votes=50)
    listed_paper("2611.00531", "Quiet paper", votes=1)
    page = client.get("/papers/trending").content.decode()
    assert page.index("Hot paper") < page.index("Quiet paper")
    assert "Why here?" in page and "by its trending score" in page
    page = client.get("/?sort=trending").content.decode()
    assert 'href="?sort=trending" aria-current="true"' in page and "by its trending score" in page
    page = client.get("/?sort=votes").content.decode()
    assert "because “Most votes” orders by votes: it has 50 votes" in page
    page = client.get("/about/ranking").content.decode()
    assert "score  = points / (hours since listed + 2) ^ 1.8" in page and "Gravity 1.8" in page


# --- moderation in the admin ---


def test_admin_moderation_is_audited(client):
    paper = listed_paper("2611.00540", "Spam paper")
    ada = add_user("ada")
    comment = Comment.post(ada, paper, "spam")
    mod = add_user("mod", is_staff=True, is_superuser=True)
    client.force_login(mod)
    client.post("/admin/papers/paper/", {"action": "hide", "_selected_action": [paper.pk]})
    client.post("/admin/community/comment/", {"action": "hide", "_selected_action": [comment.pk]})
    client.post("/admin/auth/user/", {"action": "deactivate", "_selected_action": [ada.pk, mod.pk]})
    assert Paper.objects.get(pk=paper.pk).hidden
    assert Comment.objects.get(pk=comment.pk).hidden
    assert not User.objects.get(pk=ada.pk).is_active and User.objects.get(pk=mod.pk).is_active
    trail = sorted(ModerationAction.objects.values_list("moderator_name", "kind", "target_type"))
    assert trail == [
        ("mod", "deactivate_user", "user"),
        ("mod", "hide_comment", "comment"),
        ("mod", "hide_paper", "paper"),
    ]
    assert "Spam paper" not in client.get("/").content.decode()
    assert client.get("/papers/2611.00540").status_code == 404
    assert client.get("/admin/core/moderationaction/").status_code == 200
    # The trail itself cannot be edited or deleted; showing the comment again joins it.
    entry = ModerationAction.objects.first()
    assert client.get(f"/admin/core/moderationaction/{entry.pk}/delete/").status_code == 403
    client.post("/admin/community/comment/", {"action": "show", "_selected_action": [comment.pk]})
    assert not Comment.objects.get(pk=comment.pk).hidden
    assert ModerationAction.objects.filter(kind="show_comment").count() == 1


# --- XSS ---

XSS = '"><script>alert(1)</script><img src=x onerror=alert(2)>'


def test_user_text_renders_inert_everywhere(client):
    recent_paper("2611.00550")
    ada = User.objects.create_user(username="ada", email="ada@example.org", password="x")
    Profile.objects.create(user=ada, display_name=XSS, email_verified=True)
    client.force_login(ada)
    client.post("/papers/submit", {"paper": "2611.00550", "note": XSS})
    paper = Paper.objects.get(arxiv_id="2611.00550")
    Comment.post(ada, paper, XSS + "\n\n[x](javascript:alert(3)) <a href='javascript:alert(4)'>y</a>")
    # A link someone else set on the paper (e.g. an import) is escaped in attributes too.
    Paper.objects.filter(pk=paper.pk).update(project_page='https://x.example/"onmouseover="alert(5)')
    for url in ["/", "/papers/2611.00550", "/u/ada", "/papers/trending", "/account/"]:
        page = client.get(url).content.decode()
        assert "<script>alert" not in page and "onerror=alert" not in page.replace("onerror=alert(2)&gt;", "")
        assert 'href="javascript:' not in page and '"onmouseover="' not in page
    page = client.get("/papers/2611.00550").content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert_inert(Comment.objects.get().body_html)
    # Submitter links must be web addresses.
    page = client.post("/papers/submit", {"paper": "2611.00550", "project_page": "javascript:alert(6)"})
    assert "must be a web address" in page.content.decode()


def test_submitter_adds_links_later_and_only_the_submitter(client):
    recent_paper("2611.00560")
    ada, bob = add_user("ada"), add_user("bob")
    client.force_login(ada)
    client.post("/papers/submit", {"paper": "2611.00560"})
    listing = Listing.objects.get()
    page = client.get("/papers/2611.00560").content.decode()
    assert f'action="/submissions/{listing.pk}/links"' in page
    client.post(
        f"/submissions/{listing.pk}/links",
        {"github_repo": "https://github.com/ada/code", "project_page": "https://ada.example/p"},
    )
    paper = Paper.objects.get(arxiv_id="2611.00560")
    assert (paper.github_repo, paper.project_page) == ("https://github.com/ada/code", "https://ada.example/p")
    response = client.post(
        f"/submissions/{listing.pk}/links", {"project_page": "javascript:alert(1)"}, follow=True
    )
    assert "must be a web address" in response.content.decode()
    client.force_login(bob)
    assert f"/submissions/{listing.pk}/links" not in client.get("/papers/2611.00560").content.decode()
    response = client.post(f"/submissions/{listing.pk}/links", {"github_repo": "https://github.com/bob/x"})
    assert response.status_code == 403
    assert Paper.objects.get(pk=paper.pk).github_repo == "https://github.com/ada/code"


def test_paper_pages_offer_submitting(client):
    recent_paper("2611.00570")
    assert "/papers/submit?paper=2611.00570" in client.get("/papers/2611.00570").content.decode()
    page = client.get("/papers/2611.09870")  # not in the catalogue
    assert page.status_code == 404 and "/papers/submit?paper=2611.09870" in page.content.decode()
    client.force_login(add_user("ada"))
    assert 'value="2611.00570"' in client.get("/papers/submit?paper=2611.00570").content.decode()
