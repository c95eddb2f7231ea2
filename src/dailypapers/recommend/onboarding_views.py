"""The cold-start pages (/for-you/start): pick categories, bring papers you know (pasted ids, an
exported library), rate a few. Plain forms that work without JavaScript; the rules are
recommend.onboarding's and the models'."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from dailypapers.recommend import onboarding, rating_round
from dailypapers.recommend.library_files import MAX_BYTES, LibraryFileError

SUMMARY_KEY = "onboarding-summary"
# The archives' names, to group the categories on the page (arXiv's taxonomy).
ARCHIVES = {
    "astro-ph": "Astrophysics",
    "cond-mat": "Condensed matter",
    "cs": "Computer science",
    "econ": "Economics",
    "eess": "Electrical engineering and systems science",
    "math": "Mathematics",
    "nlin": "Nonlinear sciences",
    "physics": "Physics",
    "q-bio": "Quantitative biology",
    "q-fin": "Quantitative finance",
    "stat": "Statistics",
}
POPULAR = 12  # categories shown first, the catalogue's largest


def for_you_url() -> str:
    """The For you page (front's), where the cold start ends."""
    return reverse("front:for_you")


def _signin(request: HttpRequest) -> HttpResponse:
    return redirect_to_login(reverse("onboarding:start"), reverse(settings.LOGIN_URL))


# --- Step 1: categories ------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def start(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        try:
            followed, refused = onboarding.follow_categories(request.user, request.POST.getlist("category"))
        except (PermissionDenied, ValidationError) as exc:
            messages.error(request, exc.messages[0] if isinstance(exc, ValidationError) else str(exc))
            return redirect("onboarding:start")
        if refused:
            messages.error(request, f"Not arXiv categories, left out: {', '.join(refused[:10])}.")
        if followed:
            many = "categories" if len(followed) != 1 else "category"
            messages.success(request, f"You follow {len(followed)} {many}.")
        return redirect("onboarding:papers")
    choices = onboarding.category_choices()
    followed = {code.lower() for code in onboarding.followed_categories(request.user)}
    popular = [(code, n) for code, n in choices[:POPULAR] if n]
    shown = {code for code, _ in popular}
    groups: dict[str, list[tuple[str, int]]] = {}
    for code, n in sorted(choices, key=lambda c: c[0].lower()):
        if code not in shown:
            archive = code.split(".")[0]
            groups.setdefault(ARCHIVES.get(archive, "Other archives"), []).append((code, n))
    return render(
        request,
        "recommend/start_categories.html",
        {
            "step": 1,
            "popular": popular,
            # (archive, its categories, whether one is followed: that group is shown open)
            "groups": [
                (archive, codes, any(code.lower() in followed for code, _ in codes))
                for archive, codes in sorted(groups.items(), key=lambda g: (g[0] == "Other archives", g[0]))
            ],
            "followed": followed,
            "for_you_url": for_you_url(),
        },
    )


# --- Step 2: papers you know -------------------------------------------------------------------


@login_required
@require_http_methods(["GET"])
def papers(request: HttpRequest) -> HttpResponse:
    summary = request.session.pop(SUMMARY_KEY, None)
    return render(
        request,
        "recommend/start_papers.html",
        {
            "step": 2,
            "summary": onboarding.ImportSummary.from_dict(summary) if summary else None,
            "max_mb": MAX_BYTES // (1024 * 1024),
            "library_count": request.user.saves.count(),
            "for_you_url": for_you_url(),
        },
    )


def _report(request: HttpRequest, summary: onboarding.ImportSummary) -> HttpResponse:
    request.session[SUMMARY_KEY] = summary.as_dict()
    return redirect(reverse("onboarding:papers") + "#summary")


@require_POST
def paste(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return _signin(request)
    try:
        summary = onboarding.save_pasted(request.user, request.POST.get("ids", "")[:100_000])
    except (PermissionDenied, ValidationError) as exc:
        messages.error(request, exc.messages[0] if isinstance(exc, ValidationError) else str(exc))
        return redirect("onboarding:papers")
    return _report(request, summary)


@require_POST
def upload(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return _signin(request)
    # Django has streamed the file to a temporary file already (core.user_text reads every form
    # before the views): a large one costs disk for the request's length, never memory.
    upload = request.FILES.get("library")
    if upload is None:
        messages.error(request, "Choose a file to import: a BibTeX (.bib), RIS (.ris) or Zotero CSV export.")
        return redirect("onboarding:papers")
    name = (upload.name or "")[:100]
    if upload.size > MAX_BYTES:
        messages.error(
            request,
            f"{name}: the file is larger than {MAX_BYTES // (1024 * 1024)} MB. Export part of your "
            "library (a collection or folder) and import the parts one by one.",
        )
        return redirect("onboarding:papers")
    try:
        summary = onboarding.import_library(request.user, upload.read(), name)
    except LibraryFileError as exc:
        messages.error(request, f"{name}: {exc}")
        return redirect("onboarding:papers")
    except PermissionDenied as exc:
        messages.error(request, str(exc))
        return redirect("onboarding:papers")
    return _report(request, summary)


# --- Step 3: rate a few ------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def rate(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        shown = request.POST.getlist("shown")
        answers = {s: request.POST.get(f"rate-{s}", "") for s in shown[: rating_round.MAX_RATED_AT_ONCE + 1]}
        try:
            counts = rating_round.record(request.user, shown, answers)
        except (PermissionDenied, ValidationError) as exc:
            messages.error(request, exc.messages[0] if isinstance(exc, ValidationError) else str(exc))
            return redirect("onboarding:rate")
        rated = counts["up"] + counts["down"]
        if rated:
            messages.success(
                request,
                f"Thank you: {rated} rating{'s' if rated != 1 else ''} ({counts['up']} more like this, "
                f"{counts['down']} less). Your recommendations are being updated.",
            )
        if request.POST.get("then") == "again":
            return redirect("onboarding:rate")
        return redirect(for_you_url())
    return render(
        request,
        "recommend/start_rate.html",
        {
            "step": 3,
            "papers": rating_round.choose(request.user),
            "rated": request.user.ratings.exists(),
            "for_you_url": for_you_url(),
        },
    )
