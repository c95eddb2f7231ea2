"""Members' actions: submit, upvote (htmx or plain POST), comments, claims of authorship, watching
papers, notifications."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from dailypapers.community.models import AuthorClaim, Comment, Notification, Upvote, Watch, WatchMail
from dailypapers.community.submissions import (
    NOTE_MAX_LENGTH,
    SubmissionRefused,
    add_links,
    submit_paper,
)
from dailypapers.community.watching import read_mail_off_token
from dailypapers.core.addresses import is_htmx, return_address, sign_in_first
from dailypapers.papers import ranking
from dailypapers.papers.models import Listing, Organization, Paper, organizations_of
from dailypapers.papers.periods import feed_day


def _paper(ref: str) -> Paper:
    paper = Paper.objects.visible().by_ref(ref)
    if paper is None:
        raise Http404("There is no such paper here.")
    return paper


# --- Upvotes ----------------------------------------------------------------------------------


@require_POST
def upvote(request: HttpRequest, ref: str) -> HttpResponse:
    paper = _paper(ref)
    back = return_address(request, paper.get_absolute_url())
    if not request.user.is_authenticated:
        return sign_in_first(request, back)
    wanted = request.POST.get("on")
    on = None if wanted is None else wanted == "1"
    try:
        voted, _ = Upvote.toggle(request.user, paper, on=on)
    except PermissionDenied as exc:
        if is_htmx(request):
            return HttpResponse(str(exc), status=403)
        messages.error(request, str(exc))
        return redirect(back)
    if is_htmx(request):
        return _vote_fragment(request, paper, voted, back)
    return redirect(back)


def _vote_fragment(request: HttpRequest, paper: Paper, voted: bool, back: str) -> HttpResponse:
    """The new vote button, and (htmx out-of-band swaps) the other figures on the page that count
    this vote: the paper page's side panel, or the card's "Why here?"."""
    paper.refresh_from_db(fields=["upvote_count", "imported_upvotes"])
    on_paper_page = request.POST.get("size") == "big"  # the paper page's button is the big one
    return render(
        request,
        "community/_vote_response.html",
        {
            "paper": paper,
            "voted": voted,
            "vote_size": "big" if on_paper_page else "",
            "vote_next": back,
            "vote_listing": _placed_listing(request, paper),
            "side_panel": on_paper_page,
        },
    )


def _placed_listing(request: HttpRequest, paper: Paper) -> Listing | None:
    """The feed card's listing, placed again with the new count, when the vote came from a card
    that explains its place (its form names the listing, the feed's sort and the card's rank)."""
    listing_pk, rank = _count(request.POST.get("listing", "")), _count(request.POST.get("rank", ""))
    sort = request.POST.get("sort", "")
    if listing_pk is None or sort not in ranking.SORTS:
        return None
    listing = Listing.objects.visible().filter(pk=listing_pk, paper=paper).first()
    if listing is None:
        return None
    listing.paper = paper  # with the count just read
    listing.placement = ranking.explain(listing, sort, rank=rank)
    return listing


def _count(text: str) -> int | None:
    """A form's whole number (an id, a rank), or None for anything else, too long ones included."""
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 9 else None


# --- Submissions -----------------------------------------------------------------------------


class SubmitForm(forms.Form):
    paper = forms.CharField(
        label="arXiv id or link",
        max_length=300,
        widget=forms.TextInput(
            attrs={"placeholder": "2401.12345 or https://arxiv.org/abs/2401.12345", "autofocus": True}
        ),
    )
    note = forms.CharField(
        label="Why read it? (optional)",
        required=False,
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Shown with the paper on today’s feed.",
    )
    github_repo = forms.CharField(label="GitHub repository (optional)", required=False, max_length=500)
    project_page = forms.CharField(label="Project page (optional)", required=False, max_length=500)
    organization = forms.ModelChoiceField(
        label="On behalf of (optional)",
        queryset=Organization.objects.none(),
        required=False,
        empty_label="Myself only",
        to_field_name="name",
    )

    def __init__(self, *args, user=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Only a member of organisations picks one; the others never see the field.
        orgs = organizations_of(user)
        if orgs.exists():
            self.fields["organization"].queryset = orgs
        else:
            del self.fields["organization"]


@require_http_methods(["GET", "POST"])
def submit(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), reverse(settings.LOGIN_URL))
    form = SubmitForm(
        request.POST or None, initial={"paper": request.GET.get("paper", "")}, user=request.user
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            listing = submit_paper(
                request.user,
                data["paper"],
                note=data["note"],
                github_repo=data["github_repo"],
                project_page=data["project_page"],
                organization=data.get("organization"),
            )
        except SubmissionRefused as exc:
            form.add_error(
                "paper"
                if exc.code in {"not_an_id", "not_found", "already_listed", "too_old", "not_an_author"}
                else None,
                exc.message,
            )
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Thank you! “{listing.paper.title}” is on today’s feed.")
            return redirect(listing.paper.get_absolute_url())
    return render(
        request,
        "community/submit.html",
        {
            "form": form,
            "max_age": settings.SUBMIT_MAX_AGE_DAYS,
            "per_day": settings.SUBMIT_PER_DAY,
            "requires_claim": settings.SUBMIT_REQUIRES_CLAIM and not request.user.is_staff,
            "today": feed_day(),
            "made_today": Listing.objects.filter(
                submitted_by=request.user, source=Listing.Source.SUBMISSION, day=feed_day()
            ).count(),
        },
    )


@login_required
@require_POST
def submission_links(request: HttpRequest, pk: int) -> HttpResponse:
    """The submitter adds the paper's GitHub repository and project page after submitting."""
    listing = get_object_or_404(Listing.objects.select_related("paper"), pk=pk, paper__hidden=False)
    try:
        add_links(
            request.user,
            listing,
            github_repo=request.POST.get("github_repo", ""),
            project_page=request.POST.get("project_page", ""),
        )
    except SubmissionRefused as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "The links are saved.")
    return redirect(listing.paper.get_absolute_url())


# --- Authorship claims -----------------------------------------------------------------------


@require_POST
def claim_author(request: HttpRequest, ref: str) -> HttpResponse:
    """ "I am this author": the member claims one place in the paper's author list (a moderator
    decides in the admin)."""
    paper = _paper(ref)
    back = paper.get_absolute_url() + "#authorship"
    if not request.user.is_authenticated:
        return sign_in_first(request, back)
    position = _count(request.POST.get("position", ""))
    try:
        if position is None:
            raise ValidationError("Pick the author you are.", code="no_such_author")
        claim = AuthorClaim.ask(request.user, paper, position)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc))
    else:
        messages.success(
            request, f"Thank you! A moderator will check that you are {claim.name} and approve the claim."
        )
    return redirect(back)


@require_POST
def withdraw_claim(request: HttpRequest, pk: int) -> HttpResponse:
    claim = get_object_or_404(AuthorClaim.objects.select_related("paper"), pk=pk)
    back = claim.paper.get_absolute_url() + "#authorship"
    if not request.user.is_authenticated:
        return sign_in_first(request, back)
    try:
        claim.withdraw(request.user)  # PermissionDenied (403) for anyone but the claimant
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Your claim is withdrawn.")
    return redirect(back)


# --- Comments --------------------------------------------------------------------------------


@require_POST
def post_comment(request: HttpRequest, ref: str) -> HttpResponse:
    paper = _paper(ref)
    if not request.user.is_authenticated:
        return sign_in_first(request, paper.get_absolute_url() + "#discussion")
    parent = None
    if request.POST.get("parent"):
        parent_id = request.POST["parent"]
        # Not a number (a hand-made form): no comment to reply to, as for one that was removed.
        parent = Comment.objects.filter(pk=parent_id, paper=paper).first() if parent_id.isdigit() else None
        if parent is None:
            messages.error(request, "That comment is no longer there to reply to.")
            return redirect(paper.get_absolute_url() + "#discussion")
    try:
        comment = Comment.post(request.user, paper, request.POST.get("body", ""), parent=parent)
    except (ValidationError, PermissionDenied) as exc:
        text = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        messages.error(request, text)
        request.session["comment_draft"] = request.POST.get("body", "")[:10_000]
        return redirect(paper.get_absolute_url() + "#discussion")
    return redirect(comment.get_absolute_url())


def _own_comment(request: HttpRequest, pk: int) -> Comment:
    return get_object_or_404(Comment.objects.select_related("paper", "author"), pk=pk, paper__hidden=False)


@login_required
@require_http_methods(["GET", "POST"])
def edit_comment(request: HttpRequest, pk: int) -> HttpResponse:
    comment = _own_comment(request, pk)
    if not comment.can_change(request.user) or comment.removed:
        raise PermissionDenied("Only its author can edit a comment.")
    error = ""
    if request.method == "POST":
        try:
            comment.edit(request.user, request.POST.get("body", ""))
        except ValidationError as exc:
            error = " ".join(exc.messages)
            comment.body = request.POST.get("body", "")
        else:
            return redirect(comment.get_absolute_url())
    return render(request, "community/edit_comment.html", {"comment": comment, "error": error})


@login_required
@require_http_methods(["GET", "POST"])
def delete_comment(request: HttpRequest, pk: int) -> HttpResponse:
    comment = _own_comment(request, pk)
    if not comment.can_remove(request.user):
        raise PermissionDenied("Only its author or a moderator can delete a comment.")
    if request.method == "POST":
        url = comment.paper.get_absolute_url() + "#discussion"
        comment.remove(request.user)
        messages.success(request, "The comment is deleted.")
        return redirect(url)
    return render(request, "community/delete_comment.html", {"comment": comment})


@login_required
@require_POST
def hide_comment(request: HttpRequest, pk: int) -> HttpResponse:
    comment = _own_comment(request, pk)
    comment.set_hidden(
        request.user, request.POST.get("hidden", "1") == "1", reason=request.POST.get("reason", "")
    )
    return redirect(comment.paper.get_absolute_url() + "#discussion")


# --- Watching and notifications ----------------------------------------------------------------


@require_POST
def watch(request: HttpRequest, ref: str) -> HttpResponse:
    """Watch a paper (on=1) or stop (on=0): a plain form, or htmx swapping the button in place."""
    paper = _paper(ref)
    back = return_address(request, paper.get_absolute_url())
    if not request.user.is_authenticated:
        return sign_in_first(request, back)
    try:
        on = Watch.set(request.user, paper, request.POST.get("on", "1") == "1")
    except PermissionDenied as exc:
        if is_htmx(request):
            return HttpResponse(str(exc), status=403)
        messages.error(request, str(exc))
        return redirect(back)
    if is_htmx(request):
        return render(request, "community/_watch.html", {"paper": paper, "watching": on, "watch_next": back})
    if on:
        messages.success(
            request,
            "You are watching this paper: new versions, code and comments show in your notifications.",
        )
    return redirect(back)


NOTIFICATIONS_PER_PAGE = 50


@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    """The member's notifications, newest first, the unread ones marked (not cached: it is theirs)."""
    from django.core.paginator import Paginator

    rows = (
        Notification.objects.filter(user=request.user)
        .select_related("paper", "comment__author")
        .order_by("-created_at", "-id")
    )
    page = Paginator(rows, NOTIFICATIONS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "community/notifications.html",
        {
            "page": page,
            "unread": Notification.unread_count(request.user),
            "email_on": WatchMail.wanted(request.user),
            "watched": Watch.objects.filter(user=request.user)
            .select_related("paper")
            .order_by("-created_at")[:200],
        },
    )


@login_required
@require_POST
def notifications_read(request: HttpRequest) -> HttpResponse:
    Notification.mark_all_read(request.user)
    return redirect("community:notifications")


@login_required
@require_POST
def notifications_email(request: HttpRequest) -> HttpResponse:
    """Turn the notification e-mail on or off (the checkbox of the notifications page)."""
    on = request.POST.get("email") == "1"
    try:
        WatchMail.choose(request.user, on)
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    else:
        if on and not request.user.email:
            messages.warning(request, "Your account has no e-mail address yet: add one under Account.")
        messages.success(
            request, "Notifications will be e-mailed to you." if on else "No more notification e-mails."
        )
    return redirect("community:notifications")


# RFC 8058 one-click unsubscribe: mail clients POST here with no cookies and no CSRF token, so the
# view is csrf_exempt; the signed token in the address is the authorisation, and turning mail off is
# harmless to repeat. A GET (link scanners fetch links) only shows the button.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def notifications_email_off(request: HttpRequest, token: str) -> HttpResponse:
    member = read_mail_off_token(token)
    if member is None:
        return render(request, "community/email_off.html", {"bad_link": True}, status=404)
    if request.method == "POST":
        WatchMail.objects.update_or_create(user=member, defaults={"email": False})
        Notification.objects.filter(user=member, mail_state=Notification.Mail.PENDING).update(
            mail_state=Notification.Mail.NONE
        )
        return render(request, "community/email_off.html", {"done": True})
    return render(request, "community/email_off.html", {"token": token})
