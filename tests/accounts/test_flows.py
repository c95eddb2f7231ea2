"""Accounts end to end through the views: sign-up with a real e-mail, sign-in throttle, password reset,
address and password changes, account deletion, public profiles, Argon2."""

from __future__ import annotations

import re
import time

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from dailypapers.accounts.models import Profile
from dailypapers.community.models import Comment, Upvote
from dailypapers.core import limits
from dailypapers.papers.models import Listing, Paper
from tests.accounts.hashers import CountingHasher
from tests.support.factories import add_user, listed_paper

pytestmark = pytest.mark.django_db
User = get_user_model()
PASSWORD = "a long and unusual passphrase"


def link_in(message) -> str:
    match = re.search(r"https?://\S+", message.text)
    assert match, message.text
    return match.group(0)


def signup(client, username="ada", email="ada@example.org", password=PASSWORD, **extra):
    return client.post(
        "/accounts/signup",
        {"username": username, "email": email, "password1": password, "password2": password},
        **extra,
    )


@pytest.mark.usefixtures("site_password_hashers")  # it checks the stored hash is Argon2's
def test_sign_up_verify_and_sign_in(client, smtp_server):
    response = signup(client)
    assert response.status_code == 302 and response["Location"] == "/accounts/signup/sent"
    user = User.objects.get(username="ada")
    assert not user.is_active and not user.profile.email_verified
    assert user.password.startswith("argon2$")
    # Not yet: the address is unconfirmed, and the page says so.
    response = client.post("/accounts/login", {"username": "ada", "password": PASSWORD})
    assert (
        response.status_code == 200
        and "Please confirm your e-mail address first" in response.content.decode()
    )

    (message,) = smtp_server.wait_for(1)
    assert (
        message.recipients == ["ada@example.org"]
        and "Confirm your e-mail address" in message.message["Subject"]
    )
    link = link_in(message)
    path = link.split("testserver", 1)[1]
    assert client.get(path).status_code == 200  # a page with a button: mail scanners only GET
    assert not User.objects.get(pk=user.pk).is_active
    response = client.post(path)
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.is_active and user.profile.email_verified
    assert client.get("/").wsgi_request.user == user  # signed in by confirming
    # A link works once.
    assert "already confirmed" in client.post(path).content.decode()
    client.post("/accounts/logout")
    response = client.post("/accounts/login", {"username": "ada", "password": PASSWORD})
    assert response.status_code == 302


def test_sign_up_rules(client, smtp_server):
    add_user("bob", email="bob@example.org")
    response = signup(client, username="bob", email="new@example.org")
    assert "A user with that username already exists" in response.content.decode()
    response = signup(client, username="carol", email="carol@example.org", password="password")
    assert "This password is too common" in response.content.decode()
    assert not User.objects.filter(username="carol").exists() and smtp_server.messages == []


def test_sign_up_does_not_tell_whether_an_address_has_an_account(client, smtp_server):
    add_user("bob", email="bob@example.org")
    newcomer = Client()
    taken = signup(client, username="bob2", email="BOB@example.org")
    free = signup(newcomer, username="carol", email="carol@example.org")
    assert (taken.status_code, taken["Location"]) == (free.status_code, free["Location"])
    assert taken["Location"] == "/accounts/signup/sent"

    def sent_page(who, email: str) -> str:  # the page after sign-up, the address and tokens blanked
        page = who.get("/accounts/signup/sent").content.decode().replace(email, "…")
        return re.sub(r'value="[^"]{32,}"', "", page)

    assert sent_page(client, "BOB@example.org") == sent_page(newcomer, "carol@example.org")
    assert "exists" not in sent_page(client, "BOB@example.org")
    assert list(User.objects.filter(username__in=["bob2", "carol"]).values_list("username", flat=True)) == [
        "carol"
    ]
    # The address's owner hears of it, with what to do; the newcomer gets the usual link.
    notice, verify = smtp_server.wait_for(2)
    assert notice.recipients == ["bob@example.org"] and "tried to sign up" in notice.message["Subject"]
    assert "your account, bob" in notice.text and "http://testserver/accounts/password/reset" in notice.text
    assert verify.recipients == ["carol@example.org"] and "/accounts/verify/" in verify.text


def test_every_sign_up_and_failed_sign_in_costs_one_password_hash(client, smtp_server, settings):
    """Timing tells nothing: a taken address costs what a free one does, and a failed sign-in costs
    the same whether the name is unknown, the password wrong, or the account unconfirmed or
    deactivated (checking an inactive account's password twice once took ~334 ms against ~178 ms)."""
    settings.PASSWORD_HASHERS = ["tests.accounts.hashers.CountingHasher"]
    add_user("bob", email="bob@example.org", password=PASSWORD)
    Profile.objects.create(user=add_user("pending", password=PASSWORD, is_active=False))
    gone = add_user("gone", password=PASSWORD, is_active=False)
    Profile.objects.create(user=gone, email_verified=True)
    hashes = CountingHasher.count_during

    def sign_in(username: str, password: str):
        return Client().post("/accounts/login", {"username": username, "password": password})

    assert hashes(signup, Client(), username="bob2", email="BOB@example.org")[0] == 1
    assert hashes(signup, Client(), username="carol", email="carol@example.org")[0] == 1
    for name, password, says in [
        ("nobody", "wrong", "Please enter a correct username"),
        ("bob", "wrong", "Please enter a correct username"),
        ("bob@example.org", "wrong", "Please enter a correct username"),
        ("pending", "wrong", "Please enter a correct username"),
        ("gone", "wrong", "Please enter a correct username"),
        # Refused as well, but told why: the password was right.
        ("pending", PASSWORD, "confirm your e-mail address first"),
        ("gone", PASSWORD, "deactivated by a moderator"),
    ]:
        count, response = hashes(sign_in, name, password)
        assert count == 1 and response.status_code == 200, (name, password, count)
        assert says in response.content.decode(), (name, password)
    count, response = hashes(sign_in, "bob", PASSWORD)
    assert count == 1 and response.status_code == 302


def test_sign_in_with_the_e_mail_address_or_the_username(client):
    ada = add_user("ada", email="Ada.Lovelace@Example.org", password=PASSWORD)
    add_user("mail@example.org", email="other@example.org", password="another long passphrase")
    page = client.get("/accounts/login").content.decode()
    assert "Username or e-mail address" in page

    for typed in ["ada", "ada.lovelace@example.org", " Ada.Lovelace@Example.org "]:
        response = client.post("/accounts/login", {"username": typed, "password": PASSWORD})
        assert response.status_code == 302, typed
        assert client.get("/").wsgi_request.user == ada
        client.post("/accounts/logout")
    # A username holding an "@" is still a username first.
    response = client.post("/accounts/login", {"username": "mail@example.org", "password": PASSWORD})
    assert response.status_code == 200
    assert "correct username or e-mail address" in response.content.decode()


def test_sign_in_by_address_is_throttled_as_typed(client, settings):
    settings.LOGIN_RATE = "3/15m"
    add_user("ada", email="ada@example.org", password=PASSWORD)
    signed_in = client.post("/accounts/login", {"username": "ada@example.org", "password": PASSWORD})
    assert signed_in.status_code == 302
    client.post("/accounts/logout")
    for _ in range(3):
        response = client.post("/accounts/login", {"username": "ada@example.org", "password": "wrong"})
        assert response.status_code == 200
    response = client.post("/accounts/login", {"username": "ada@example.org", "password": PASSWORD})
    assert response.status_code == 429 and "Too many failed sign-in attempts" in response.content.decode()
    # Failures count against what was typed; the per-address limit bounds a guesser who alternates.
    assert client.post("/accounts/login", {"username": "ada", "password": PASSWORD}).status_code == 302


def test_bad_and_expired_links(client, settings):
    assert "not valid" in client.get("/accounts/verify/nonsense").content.decode()
    from dailypapers.accounts import verification

    user = add_user("ada", is_active=False)
    token = verification.make_token(user, user.email, "signup")
    settings.VERIFY_HOURS = -1
    response = client.get(f"/accounts/verify/{token}")
    assert response.status_code == 400 and "expired" in response.content.decode()


def test_sign_in_is_throttled(client, settings, monkeypatch):
    settings.LOGIN_RATE = "3/15m"
    add_user("ada", password=PASSWORD)
    for _ in range(3):
        response = client.post("/accounts/login", {"username": "ada", "password": "wrong"})
        assert response.status_code == 200
    # The right password is refused too while throttled: guessing gains nothing.
    response = client.post("/accounts/login", {"username": "ada", "password": PASSWORD})
    assert response.status_code == 429 and "Too many failed sign-in attempts" in response.content.decode()
    # It says when to come back: the window's end, counted from the first failure.
    assert 890 <= int(response["Retry-After"]) <= 900
    assert "Please wait 15 minutes" in response.content.decode()
    # Another account from the same address still signs in: its own allowance is untouched...
    add_user("bob", password=PASSWORD)
    assert client.post("/accounts/login", {"username": "bob", "password": PASSWORD}).status_code == 302
    client.post("/accounts/logout")
    monkeypatch.setattr(limits, "clock", lambda: time.time() + 900)  # the window passes
    assert client.post("/accounts/login", {"username": "ada", "password": PASSWORD}).status_code == 302


def test_sign_in_is_throttled_per_address(client, settings):
    settings.LOGIN_RATE_PER_ADDRESS = "4/15m"
    add_user("zed", password=PASSWORD)
    for _ in range(5):  # each attempt is counted before its check; a right password gives it back
        assert client.post("/accounts/login", {"username": "zed", "password": PASSWORD}).status_code == 302
        client.post("/accounts/logout")
    for n in range(4):  # a guesser trying many names from one address
        assert client.post("/accounts/login", {"username": f"u{n}", "password": "x"}).status_code == 200
    response = client.post("/accounts/login", {"username": "zed", "password": PASSWORD})
    assert response.status_code == 429
    # From another address the account is reachable.
    response = client.post(
        "/accounts/login", {"username": "zed", "password": PASSWORD}, REMOTE_ADDR="10.0.0.9"
    )
    assert response.status_code == 302


def test_behind_a_proxy_sign_in_attempts_count_per_forwarded_client(client, settings):
    settings.LOGIN_RATE_PER_ADDRESS = "2/15m"
    settings.CLIENT_IP_HEADER = "HTTP_X_FORWARDED_FOR"
    add_user("zed", password=PASSWORD)
    guesser = {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "203.0.113.9"}
    for n in range(2):
        assert (
            client.post("/accounts/login", {"username": f"u{n}", "password": "x"}, **guesser).status_code
            == 200
        )
    assert (
        client.post("/accounts/login", {"username": "zed", "password": PASSWORD}, **guesser).status_code
        == 429
    )
    # Another member behind the same proxy is not locked out by the guesser.
    member = {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "198.51.100.7"}
    assert (
        client.post("/accounts/login", {"username": "zed", "password": PASSWORD}, **member).status_code == 302
    )


def test_password_reset_by_email(client, smtp_server):
    add_user("ada", password=PASSWORD)
    response = client.post("/accounts/password/reset", {"email": "ada@example.org"})
    assert response.status_code == 302
    (message,) = smtp_server.wait_for(1)
    link = link_in(message)
    response = client.get(link.split("testserver", 1)[1], follow=True)
    assert "Choose a new password" in response.content.decode()
    new = "another fine passphrase"
    response = client.post(response.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    assert response.status_code == 302
    assert client.login(username="ada", password=new)


def test_change_email_needs_the_new_address_confirmed(client, smtp_server):
    ada = add_user("ada", password=PASSWORD)
    client.force_login(ada)
    response = client.post("/account/email", {"email": "ada@new.example", "password": "wrong"})
    assert "That is not your password" in response.content.decode()
    response = client.post("/account/email", {"email": "ada@new.example", "password": PASSWORD})
    assert response.status_code == 302
    ada.refresh_from_db()
    assert ada.email == "ada@example.org"  # not until confirmed
    (message,) = smtp_server.wait_for(1)
    assert message.recipients == ["ada@new.example"]
    client.post(link_in(message).split("testserver", 1)[1])
    ada.refresh_from_db()
    assert ada.email == "ada@new.example"


def test_change_password(client):
    ada = add_user("ada", password=PASSWORD)
    client.force_login(ada)
    new = "yet another passphrase"
    response = client.post(
        "/account/password", {"old_password": PASSWORD, "new_password1": new, "new_password2": new}
    )
    assert response.status_code == 302
    assert client.get("/account/").status_code == 200  # still signed in
    ada.refresh_from_db()
    assert ada.check_password(new)


def test_account_page_includes_the_other_apps_slots(client):
    client.force_login(add_user("ada"))
    response = client.get("/account/")
    assert response.status_code == 200
    names = [t.name for t in response.templates]
    assert "api/_account.html" in names and "digests/_account.html" in names


def test_account_pages_need_sign_in(client):
    for url in ["/account/", "/account/email", "/account/password", "/account/delete"]:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login?next=")


def test_delete_account_as_the_privacy_page_says(client):
    ada, bob = add_user("ada", password=PASSWORD), add_user("bob")
    paper = listed_paper("2611.00400")
    other = listed_paper("2611.00401")
    Upvote.toggle(ada, paper)
    Upvote.toggle(bob, paper)
    top = Comment.post(ada, paper, "ada's thread")
    Comment.post(bob, paper, "bob replies", parent=top)
    Comment.post(ada, other, "alone")
    Listing.objects.filter(paper=other).update(submitted_by=ada, submitter_name="ada")
    client.force_login(ada)
    response = client.post("/account/delete", {"password": "wrong", "confirm": "on"})
    assert "That is not your password" in response.content.decode()
    response = client.post("/account/delete", {"password": PASSWORD, "confirm": "on"})
    assert response.status_code == 302
    assert not User.objects.filter(username="ada").exists()
    paper.refresh_from_db()
    other.refresh_from_db()
    assert (paper.upvote_count, paper.comment_count, other.comment_count) == (1, 1, 0)
    top.refresh_from_db()
    assert top.removed and top.body == "" and top.author is None
    listing = Listing.objects.get(paper=other)
    assert listing.submitted_by is None and listing.submitter_display == ""
    assert client.get("/account/").status_code == 302  # signed out
    privacy = client.get("/about/privacy").content.decode()
    assert "Votes</strong> are withdrawn" in privacy and "[removed]" in privacy


def test_public_profile_lists_submissions_and_comments(client):
    ada = add_user("ada")
    Profile.objects.create(user=ada, display_name="Ada L.", email_verified=True)
    paper = listed_paper("2611.00410", "A paper Ada submitted")
    Listing.objects.filter(paper=paper).update(submitted_by=ada, source=Listing.Source.SUBMISSION)
    Comment.post(ada, paper, "My *own* comment")
    hidden = Comment.post(ada, paper, "hidden one")
    hidden.set_hidden(add_user("mod", is_staff=True), True)
    page = client.get("/u/ada").content.decode()
    assert "Ada L." in page and "A paper Ada submitted" in page and "<em>own</em>" in page
    assert "hidden one" not in page
    assert client.get("/u/nobody").status_code == 404
    User.objects.filter(pk=ada.pk).update(is_active=False)
    assert client.get("/u/ada").status_code == 404


def test_nav_shows_account_links(client):
    page = client.get("/about/ranking").content.decode()
    assert "Sign in" in page and "Sign up" in page
    client.force_login(add_user("ada"))
    page = client.get("/about/ranking").content.decode()
    assert 'data-testid="signed-in-as">ada<' in page and "Sign out" in page
    assert re.search(
        r'<form method="post" action="/accounts/logout"[^>]*>\s*'
        r'<input type="hidden" name="csrfmiddlewaretoken"',
        page,
    )


def test_deactivated_member_is_signed_out_and_told(client):
    ada = add_user("ada", password=PASSWORD)
    Profile.objects.create(user=ada, email_verified=True)
    client.force_login(ada)
    User.objects.filter(pk=ada.pk).update(is_active=False)
    assert client.get("/account/").status_code == 302
    response = client.post("/accounts/login", {"username": "ada", "password": PASSWORD})
    assert "deactivated by a moderator" in response.content.decode()
    assert Paper.objects.count() == 0


def test_resend_confirmation_link_discloses_nothing(client, smtp_server):
    signup(client)
    smtp_server.wait_for(1)
    response = client.post("/accounts/resend", {"email": "ada@example.org"})
    assert response.status_code == 302
    response = client.post("/accounts/resend", {"email": "nobody@example.org"})
    assert response.status_code == 302  # the same answer for an address with no account
    messages = smtp_server.wait_for(2)
    assert [m.recipients for m in messages] == [["ada@example.org"], ["ada@example.org"]]
    # The newer link works as well as the first.
    client.post(link_in(messages[1]).split("testserver", 1)[1])
    assert User.objects.get(username="ada").is_active


def test_sign_ups_are_limited_per_address(client, smtp_server, settings):
    settings.SIGNUP_RATE = "3/h"
    add_user("taken", email="taken@example.org")
    # Refused forms count too: each one could test a name or an address.
    assert signup(client, username="taken", email="x@example.org").status_code == 200
    for n in range(2):
        assert signup(client, username=f"u{n}", email=f"u{n}@example.org").status_code == 302
    response = signup(client, username="u2", email="u2@example.org")
    assert response.status_code == 429 and "Too many accounts" in response.content.decode()
    assert 3590 <= int(response["Retry-After"]) <= 3600
    assert not User.objects.filter(username="u2").exists()
    # Probing addresses gets nowhere once the allowance is spent: a taken one is answered the same.
    assert signup(client, username="u3", email="taken@example.org").status_code == 429
    # Another address still gets its own allowance.
    assert signup(client, username="u3", email="u3@example.org", REMOTE_ADDR="10.0.0.9").status_code == 302
    smtp_server.wait_for(3)
    # Asking for new links is limited too, silently: the page says the same, no mail goes out.
    assert client.post("/accounts/resend", {"email": "u0@example.org"}).status_code == 302
    assert len(smtp_server.wait_for(4, timeout=0.5)) == 3


def test_sign_up_survives_a_mail_server_refusal(client, smtp_server):
    smtp_server.refuse_next("451 4.3.0 try again later")
    response = signup(client, username="eve", email="eve@example.org")
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    # The page tells the truth: the account is made, no link is on its way, and how to get one.
    assert "Your account is made, but the e-mail is not sent" in page
    assert "we sent it a link" not in page and "Check your e-mail" not in page
    assert 'href="/accounts/resend"' in page
    assert User.objects.filter(username="eve", is_active=False).exists()
    # Asking for a new link once the server is back works, and the form knows the address.
    assert 'value="eve@example.org"' in client.get("/accounts/resend").content.decode()
    client.post("/accounts/resend", {"email": "eve@example.org"})
    [message] = smtp_server.wait_for(1)
    assert message.recipients == ["eve@example.org"] and "/accounts/verify/" in message.text
    assert "Check your e-mail" in client.get("/accounts/signup/sent").content.decode()
