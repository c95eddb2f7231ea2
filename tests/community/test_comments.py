"""Comments: posting, replies one level deep, edit and delete by the author, moderators hiding, counts."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError

from dailypapers.community.models import Comment
from dailypapers.core.models import ModerationAction
from dailypapers.papers.models import Paper
from tests.community.helpers import assert_inert
from tests.support.factories import add_user, listed_paper

pytestmark = pytest.mark.django_db


def count(paper: Paper) -> int:
    return Paper.objects.get(pk=paper.pk).comment_count


def test_post_reply_and_counts():
    paper = listed_paper("2611.00200")
    ada, bob = add_user("ada"), add_user("bob")
    first = Comment.post(ada, paper, "  **Great** paper  ")
    assert first.body == "**Great** paper" and first.body_html == "<p><strong>Great</strong> paper</p>\n"
    reply = Comment.post(bob, paper, "Agreed", parent=first)
    # A reply to a reply joins the same thread: one level deep.
    deeper = Comment.post(ada, paper, "Thanks", parent=reply)
    assert reply.parent == first and deeper.parent == first
    assert count(paper) == 3


def test_bad_bodies_and_parents(settings):
    paper, other = listed_paper("2611.00201"), listed_paper("2611.00202")
    ada = add_user("ada")
    with pytest.raises(ValidationError, match="Write something"):
        Comment.post(ada, paper, "   \n ")
    settings.COMMENT_MAX_LENGTH = 10
    with pytest.raises(ValidationError, match="at most 10 characters"):
        Comment.post(ada, paper, "x" * 11)
    elsewhere = Comment.post(ada, other, "hello")
    with pytest.raises(ValidationError, match="another paper"):
        Comment.post(ada, paper, "hi", parent=elsewhere)
    assert count(paper) == 0


def test_rate_limit(settings):
    settings.COMMENTS_PER_HOUR = 2
    paper = listed_paper("2611.00203")
    ada = add_user("ada")
    Comment.post(ada, paper, "one")
    Comment.post(ada, paper, "two")
    with pytest.raises(ValidationError, match="2 comments in the last hour"):
        Comment.post(ada, paper, "three")


def test_anonymous_and_deactivated_cannot_comment():
    paper = listed_paper("2611.00204")
    with pytest.raises(PermissionDenied):
        Comment.post(AnonymousUser(), paper, "hi")
    with pytest.raises(PermissionDenied):
        Comment.post(add_user("gone", is_active=False), paper, "hi")


def test_only_the_author_edits_and_only_author_or_staff_deletes():
    paper = listed_paper("2611.00205")
    ada, bob = add_user("ada"), add_user("bob")
    mod = add_user("mod", is_staff=True)
    comment = Comment.post(ada, paper, "first draft")
    with pytest.raises(PermissionDenied):
        comment.edit(bob, "hijacked")
    with pytest.raises(PermissionDenied):
        comment.edit(mod, "moderators do not rewrite members")
    with pytest.raises(PermissionDenied):
        comment.remove(bob)
    comment.edit(ada, "second *draft*")
    comment.refresh_from_db()
    assert comment.body == "second *draft*" and comment.edited_at is not None
    assert "<em>draft</em>" in comment.body_html
    comment.remove(mod)
    assert not Comment.objects.exists() and count(paper) == 0
    assert ModerationAction.objects.get().kind == ModerationAction.Kind.DELETE_COMMENT


def test_removed_comment_with_replies_stays_as_a_placeholder():
    paper = listed_paper("2611.00206")
    ada, bob = add_user("ada"), add_user("bob")
    top = Comment.post(ada, paper, "top")
    reply = Comment.post(bob, paper, "reply", parent=top)
    top.remove(ada)
    top.refresh_from_db()
    assert top.removed and top.body == "" and top.author is None
    assert count(paper) == 1
    with pytest.raises(ValidationError, match="no longer there"):
        Comment.post(bob, paper, "another", parent=top)
    reply.remove(bob)  # the last reply goes: so does the placeholder
    assert not Comment.objects.exists() and count(paper) == 0


def test_staff_hide_and_show_is_audited():
    paper = listed_paper("2611.00207")
    ada, mod = add_user("ada"), add_user("mod", is_staff=True)
    comment = Comment.post(ada, paper, "spam")
    with pytest.raises(PermissionDenied):
        comment.set_hidden(ada, True)
    comment.set_hidden(mod, True, reason="spam")
    assert count(paper) == 0 and not Comment.objects.shown().exists()
    comment.set_hidden(mod, False)
    assert count(paper) == 1
    trail = list(ModerationAction.objects.order_by("id").values_list("moderator_name", "kind", "reason"))
    assert trail == [("mod", "hide_comment", "spam"), ("mod", "show_comment", "")]


def test_threads_group_replies_under_their_comment_and_leave_out_hidden_ones():
    paper, other = listed_paper("2611.00210"), listed_paper("2611.00211")
    ada, bob, mod = add_user("ada"), add_user("bob"), add_user("mod", is_staff=True)
    first = Comment.post(ada, paper, "First")
    second = Comment.post(bob, paper, "Second")
    reply = Comment.post(bob, paper, "Reply to first", parent=first)
    hidden_reply = Comment.post(ada, paper, "Reply to second", parent=second)
    later = Comment.post(ada, paper, "Later reply to first", parent=first)
    Comment.post(ada, other, "Elsewhere")
    second.set_hidden(mod, True)

    threads = Comment.objects.threads(paper)
    assert threads == [first]  # the hidden comment goes, and its replies with it
    assert threads[0].thread_replies == [reply, later]

    threads = Comment.objects.threads(paper, include_hidden=True)  # what moderators see
    assert threads == [first, second]
    assert [t.thread_replies for t in threads] == [[reply, later], [hidden_reply]]

    reply.set_hidden(mod, True)
    first.remove(ada)  # a placeholder keeps its remaining reply's context
    threads = Comment.objects.threads(paper)
    assert threads == [first] and threads[0].removed and threads[0].thread_replies == [later]


def test_what_readers_see_is_what_the_count_counts():
    paper = listed_paper("2611.00212")
    ada, bob, mod = add_user("ada"), add_user("bob"), add_user("mod", is_staff=True)
    top = Comment.post(ada, paper, "Top")
    replies = [Comment.post(bob, paper, f"Reply {n}", parent=top) for n in range(2)]

    def shown() -> int:  # what a reader's page lists
        return sum(1 + len(t.thread_replies) for t in Comment.objects.threads(paper) if not t.removed)

    top.set_hidden(mod, True)  # its replies go out of sight with it, and out of the count
    assert count(paper) == shown() == 0 and Comment.objects.held_back().count() == 3
    top.set_hidden(mod, False)
    assert count(paper) == shown() == 3 and not Comment.objects.held_back().exists()
    # A "[removed]" placeholder whose replies are all hidden has nothing left to show.
    top.remove(ada)
    for reply in replies:
        reply.set_hidden(mod, True)
    assert count(paper) == shown() == 0 and Comment.objects.threads(paper) == []
    assert [t.removed for t in Comment.objects.threads(paper, include_hidden=True)] == [True]


@pytest.mark.parametrize(
    "payload",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "[click](javascript:alert(1))",
        "[click](JaVaScRiPt:alert(1))",
        "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        '<a href="https://x" onclick="alert(1)">x</a>',
        "![img](https://tracker.example/pixel.png)",
        "<iframe src=https://evil.example></iframe>",
        '<svg onload="alert(1)">',
        "```\n</code><script>alert(1)</script>\n```",
    ],
)
def test_markdown_is_sanitised(payload):
    assert_inert(Comment(body=payload).body_html)


def test_links_are_nofollow():
    html = Comment(body="see [the code](https://github.com/a/b) and <https://example.org>").body_html
    assert html.count('rel="nofollow ugc noopener noreferrer"') == 2


@pytest.mark.django_db(transaction=True)
def test_parallel_comments_keep_the_count_exact():
    import threading

    from django.db import connection

    paper = listed_paper("2611.00290")
    members = [add_user(f"c{i}") for i in range(8)]
    barrier = threading.Barrier(len(members))
    errors: list[BaseException] = []

    def post(member) -> None:
        try:
            barrier.wait()
            Comment.post(member, paper, f"from {member.username}")
            Comment.post(member, paper, "and again")
        except BaseException as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(m,)) for m in members]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert count(paper) == 16 == Comment.objects.count()
