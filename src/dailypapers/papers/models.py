"""The catalogue: papers, their authors and categories, and the daily feed listing."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import NamedTuple

from django.conf import settings
from django.db import connection, models
from django.db.models import F, OuterRef, Prefetch, Subquery, Value, prefetch_related_objects
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property

from dailypapers.core.timestamps import utc_date
from dailypapers.papers import code_links
from dailypapers.papers.arxiv_ids import ArxivRef, parse_arxiv_id
from dailypapers.papers.code_links import GIVEN, short_count
from dailypapers.papers.covers import cover_key
from dailypapers.papers.filters import PaperFilter
from dailypapers.papers.periods import feed_day
from dailypapers.papers.ranking import score_expressions


class Category(models.Model):
    code = models.CharField(max_length=40, primary_key=True)  # "cs.CL"
    name = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.code


class Author(models.Model):
    name = models.CharField(max_length=300)
    key = models.CharField(max_length=300, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class PaperQuerySet(models.QuerySet):
    def visible(self) -> PaperQuerySet:
        return self.filter(hidden=False)

    def with_votes(self) -> PaperQuerySet:
        return self.annotate(votes=F("upvote_count") + F("imported_upvotes"))

    def by_ref(self, ref: str | ArxivRef) -> Paper | None:
        """The paper an arXiv id, versioned id or arXiv/Hugging Face link names; None when the text is
        not one, or the paper is not here (in this queryset: `visible().by_ref(...)` skips hidden ones)."""
        parsed = ref if isinstance(ref, ArxivRef) else parse_arxiv_id(ref)
        return self.filter(arxiv_id=parsed.id).first() if parsed else None

    def for_cards(self, listings: bool = False) -> PaperQuerySet:
        """With what a paper card shows prefetched (see `prefetch_cards`)."""
        return self.prefetch_related(*_card_lookups(listings))


# Display names of the sites whose figures we import.
SITE_NAMES = {"huggingface": "Hugging Face"}


def one_line(text: str) -> str:
    """Text as one line: line breaks and runs of spaces as single spaces. Titles and abstracts are
    stored as their source writes them (arXiv wraps them); plain-text places (feed items, e-mails,
    Markdown, a page's <title>) show them this way."""
    return " ".join(text.split())


# A paper card names this many authors, then says how many more there are; it shows this many categories.
CARD_AUTHORS = 4
CARD_CATEGORIES = 3


class CardAuthors(NamedTuple):
    """What a paper card shows of the author list."""

    # The first CARD_AUTHORS: (the name as this paper writes it, author key, position in the list).
    named: list[tuple[str, str, int]]
    more: int  # how many authors follow them


class Paper(models.Model):
    arxiv_id = models.CharField("arXiv id", max_length=40, unique=True)  # without version
    version = models.PositiveSmallIntegerField(null=True, blank=True)  # latest known
    title = models.TextField()
    abstract = models.TextField(blank=True)
    authors = models.ManyToManyField(Author, through="Authorship", related_name="papers")
    categories = models.ManyToManyField(Category, through="PaperCategory", related_name="papers", blank=True)
    primary_category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.SET_NULL, related_name="primary_papers"
    )
    published_at = models.DateTimeField(null=True, blank=True)  # first version
    updated_at = models.DateTimeField(null=True, blank=True)  # latest version
    arxiv_comments = models.TextField(blank=True)  # the authors' comments on arXiv ("12 pages, 3 figures")
    journal_ref = models.TextField(blank=True)
    doi = models.CharField(max_length=200, blank=True)
    license = models.CharField(max_length=200, blank=True)
    github_repo = models.URLField(max_length=500, blank=True)
    # Where github_repo came from (papers.code_links): given by a submitter or an imported site
    # (empty), or found in the abstract or the arXiv comments. A given link is never replaced by a
    # found one.
    github_repo_origin = models.CharField(max_length=20, blank=True, default="")
    # The repository's stars, kept by `dailypapers stars` (CodeRepository) or imported.
    github_stars = models.PositiveIntegerField(null=True, blank=True)
    project_page = models.URLField(max_length=500, blank=True)
    thumbnail = models.URLField(max_length=500, blank=True)  # as imported (Hugging Face's CDN)
    # Our own render of the first page (sources.thumbnails): the hash of the image, which its
    # address carries (so a new render is a new address); empty until one is made.
    thumbnail_key = models.CharField(max_length=20, blank=True)
    ai_summary = models.TextField(blank=True)
    ai_keywords = models.JSONField(default=list, blank=True)
    withdrawn = models.BooleanField(default=False)
    hidden = models.BooleanField(default=False, help_text="Hidden by a moderator from every page.")
    # What the site the paper was imported from says of it beyond these fields (Hugging Face's
    # organization, mediaUrls, githubRepoAddedBy, ai_summary_model), served back as it came.
    source_details = models.JSONField(default=dict, blank=True)

    # Local community figures, kept in step with community.Upvote / community.Comment.
    upvote_count = models.PositiveIntegerField(default=0)
    comment_count = models.PositiveIntegerField(default=0)
    # Figures imported from another site (e.g. Hugging Face), never mixed into the local ones.
    imported_site = models.CharField(max_length=100, blank=True)
    imported_upvotes = models.PositiveIntegerField(default=0)
    imported_comments = models.PositiveIntegerField(default=0)
    imported_as_of = models.DateTimeField(null=True, blank=True)

    added_at = models.DateTimeField(auto_now_add=True)
    # When the source record behind the metadata was observed: older observations never overwrite newer.
    metadata_as_of = models.DateTimeField(null=True, blank=True)

    objects = PaperQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at"]
        # github_repo: the stars worker finds the papers of a repository by its address.
        indexes = [models.Index(fields=["published_at"]), models.Index(fields=["github_repo"])]

    def __str__(self) -> str:
        return f"{self.arxiv_id}: {self.title[:80]}"

    def save(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003
        super().save(*args, **kwargs)
        from dailypapers.papers.signals import news_of_saved

        news_of_saved(self)

    def get_absolute_url(self) -> str:
        return reverse("front:paper", args=[self.arxiv_id])

    @classmethod
    def from_db(cls, db, field_names, values):  # noqa: ANN001, ANN206 (Django's signature)
        paper = super().from_db(db, field_names, values)
        # What the watchers' news compares a save with (papers.signals.news_of_saved).
        if "version" in paper.__dict__ and "github_repo" in paper.__dict__:
            paper._news_loaded = (paper.version, paper.github_repo)
        return paper

    # Set for many papers at once by prefetch_card_faces; otherwise read from the authorships and
    # categories (prefetched or not) at the first use.
    @cached_property
    def card_authors(self) -> CardAuthors:
        authorships = self.authorships.all()
        named = [(a.name, a.author.key, a.position) for a in authorships[:CARD_AUTHORS]]
        return CardAuthors(named, max(0, len(authorships) - CARD_AUTHORS))

    @cached_property
    def card_categories(self) -> list[str]:
        """The codes of the first CARD_CATEGORIES categories, in code order."""
        return [c.code for c in self.categories.all()[:CARD_CATEGORIES]]

    @property
    def title_line(self) -> str:
        return one_line(self.title)

    @property
    def abstract_line(self) -> str:
        return one_line(self.abstract or "")

    @property
    def total_votes(self) -> int:
        return self.upvote_count + self.imported_upvotes

    @property
    def imported_site_name(self) -> str:
        return SITE_NAMES.get(self.imported_site, self.imported_site)

    @property
    def total_comments(self) -> int:
        return self.comment_count + self.imported_comments

    @property
    def published_on(self) -> dt.date | None:
        """The date of the first version, as arXiv gives it (shown as that date in every time zone)."""
        return utc_date(self.published_at)

    @property
    def updated_on(self) -> dt.date | None:
        """The date of the latest version, as arXiv gives it."""
        return utc_date(self.updated_at)

    @property
    def abs_url(self) -> str:
        return f"https://arxiv.org/abs/{self.arxiv_id}"

    @property
    def pdf_url(self) -> str:
        return f"https://arxiv.org/pdf/{self.arxiv_id}"

    @property
    def thumbnail_url(self) -> str:
        """The image a card and the paper page show: our render of the first page where the
        thumbnail worker made one, else the generated cover (papers.covers). Never a query: the
        cover reads the first author and primary category from what the card already has."""
        name, args = self.thumbnail_route
        return reverse(name, args=args)

    @property
    def thumbnail_route(self) -> tuple[str, list[str]]:
        """The URL name and argument of `thumbnail_url` (cards make it with a faster reverse)."""
        if self.thumbnail_key:
            return "front:thumbnail", [f"{self.thumbnail_key}/{self.arxiv_id}.webp"]
        return "front:cover", [f"{cover_key(self)}/{self.arxiv_id}.svg"]

    @property
    def doi_url(self) -> str:
        return f"https://doi.org/{self.doi}" if self.doi else ""

    @property
    def github_stars_short(self) -> str:
        """The stars as a badge writes them ("1.2k"); empty when unknown."""
        return short_count(self.github_stars) if self.github_stars is not None else ""

    def offer_github_repo(self, url: str, origin: str = GIVEN) -> bool:
        """Take this repository address (normalised by the caller) if it ranks at least as well as
        the one the paper has (code_links.replaces); True if it changed. Not saved. A new
        repository's stars are not the old one's: they are forgotten until the worker reads them."""
        if not code_links.replaces(self.github_repo, self.github_repo_origin, url, origin):
            if url and url == self.github_repo and origin == GIVEN and self.github_repo_origin != GIVEN:
                self.github_repo_origin = GIVEN  # the same link, now a submitter's choice
                return True
            return False
        if url != self.github_repo:
            self.github_stars = CodeRepository.objects.filter(url=url).values_list("stars", flat=True).first()
        self.github_repo, self.github_repo_origin = url, origin
        return True


class CodeRepositoryQuerySet(models.QuerySet):
    def due(self, now: dt.datetime) -> CodeRepositoryQuerySet:
        """Repositories whose stars are due a check and that no worker holds."""
        free = models.Q(claimed_until__isnull=True) | models.Q(claimed_until__lt=now)
        return self.filter(free, next_check_at__lte=now)

    def claim(self, pk: int, now: dt.datetime, seconds: float) -> bool:
        """Hold one due repository for `seconds` (a conditional UPDATE: of two workers, one wins)."""
        held = now + dt.timedelta(seconds=seconds)
        return self.due(now).filter(pk=pk).update(claimed_until=held) == 1


class CodeRepository(models.Model):
    """A GitHub repository that papers link to, and what the stars worker knows of it.

    One row per address (Paper.github_repo); `etag` makes the next check a conditional request,
    which GitHub answers 304 without counting it against the rate limit."""

    url = models.URLField(max_length=500, unique=True)
    etag = models.CharField(max_length=200, blank=True)
    stars = models.PositiveIntegerField(null=True, blank=True)
    missing = models.BooleanField(default=False, help_text="GitHub answered 404 at the last check.")
    checked_at = models.DateTimeField(null=True, blank=True)
    next_check_at = models.DateTimeField(db_index=True)
    claimed_until = models.DateTimeField(null=True, blank=True)  # a worker holds it until then

    objects = CodeRepositoryQuerySet.as_manager()

    class Meta:
        ordering = ["url"]
        verbose_name_plural = "code repositories"

    def __str__(self) -> str:
        return self.url


class StarCount(models.Model):
    """A repository's stars on one day (the last count read that day): trending by star growth."""

    repository = models.ForeignKey(CodeRepository, on_delete=models.CASCADE, related_name="star_counts")
    day = models.DateField()
    stars = models.PositiveIntegerField()

    class Meta:
        ordering = ["repository", "day"]
        constraints = [models.UniqueConstraint(fields=["repository", "day"], name="one_star_count_per_day")]

    def __str__(self) -> str:
        return f"{self.repository.url} on {self.day}: {self.stars}"


class Authorship(models.Model):
    """One place in a paper's author list, exactly as the paper's source gives it.

    `name` is this paper's spelling; `author` links the same person across papers by a normalised
    key (author pages, filters) and never changes what the paper shows. Two co-authors with one name
    are two authorships of one Author."""

    # No index of its own: the unique (paper, position) index serves lookups by paper.
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="authorships", db_index=False)
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="authorships")
    position = models.PositiveSmallIntegerField()
    # Unbounded: arXiv lines that lack their separators make "names" of hundreds of characters
    # (2506.02197: "Xiangyu Kongand Xiaoxia Xingand ..."), kept as written all the same.
    name = models.TextField()
    # What the source adds to the name (Hugging Face: hidden, _id, user, status, statusLastChangedAt).
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["paper", "position"], name="one_author_per_position")]

    def __str__(self) -> str:
        return f"{self.name} ({self.position}) on {self.paper_id}"


class PaperCategory(models.Model):
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, db_index=False)  # see Authorship.paper
    category = models.ForeignKey(Category, on_delete=models.CASCADE)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["paper", "category"], name="one_link_per_category")]

    def __str__(self) -> str:
        return f"{self.paper_id} in {self.category_id}"


class AutoListRule(models.Model):
    """An operator's rule that puts newly announced arXiv papers on the feed by themselves.

    A paper matches when it meets every criterion the rule fills in (any of the categories, any of
    the keywords, any of the authors); a rule with no criteria takes every new paper that the sync
    brings in. Community submissions always reach the feed, whatever the rules say.
    """

    name = models.CharField(max_length=100)
    enabled = models.BooleanField(default=True)
    categories = models.CharField(
        max_length=500, blank=True, help_text="Space-separated arXiv categories, e.g. “cs.CL cs.LG”."
    )
    keywords = models.TextField(
        blank=True, help_text="One per line; a whole-word, case-insensitive match in the title or abstract."
    )
    authors = models.TextField(blank=True, help_text="One name per line, matched however it is spelled.")

    class Meta:
        ordering = ["name"]
        verbose_name = "auto-listing rule"

    def __str__(self) -> str:
        return self.name

    @property
    def paper_filter(self) -> PaperFilter:
        return PaperFilter.of(
            categories=self.categories.split(),
            keywords=self.keywords.splitlines(),
            authors=self.authors.splitlines(),
        )


class Organization(models.Model):
    """A lab, company or group that puts papers on the feed: Hugging Face's organisations, made here
    by the import (`hf_id` is theirs), or by a moderator in the admin. Members belong through
    Membership."""

    # The handle in addresses (/orgs/<name>), as Hugging Face spells it ("ByteDance-Seed").
    name = models.CharField(max_length=100, unique=True)
    fullname = models.CharField(max_length=300, blank=True)
    avatar_url = models.URLField("avatar URL", max_length=500, blank=True)
    description = models.TextField(blank=True)
    hf_id = models.CharField("Hugging Face id", max_length=40, blank=True)  # its `_id` there
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(name="") & ~models.Q(name__contains="/"), name="organization_name"
            )
        ]

    def __str__(self) -> str:
        return self.fullname or self.name

    def get_absolute_url(self) -> str:
        return reverse("front:organization", args=[self.name])

    def as_hf(self) -> dict:
        """The object Hugging Face sends as an item's or a paper's `organization`, keys in its order;
        the avatar only where there is one (Hugging Face leaves it out then)."""
        data = {"_id": self.hf_id or self.name, "name": self.name, "fullname": self.fullname or self.name}
        if self.avatar_url:
            data["avatar"] = self.avatar_url
        return data


class Membership(models.Model):
    """A member belongs to an organisation, as one of its admins or as a plain member, and may
    submit papers on its behalf. Here, not in accounts: community's submissions check it, and
    accounts sits beside community, not below it."""

    class Role(models.TextChoices):
        ADMIN = "admin", "admin"
        MEMBER = "member", "member"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["organization__name", "user__username"]
        constraints = [
            models.UniqueConstraint(fields=["user", "organization"], name="one_membership_per_org")
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.organization.name} ({self.role})"


def organizations_of(user) -> models.QuerySet:
    """The organisations a member belongs to, by name (none for a stranger)."""
    if user is None or not user.is_authenticated:
        return Organization.objects.none()
    return Organization.objects.filter(memberships__user=user).order_by("name")


class ListingQuerySet(models.QuerySet):
    def visible(self) -> ListingQuerySet:
        return self.filter(hidden=False, paper__hidden=False)

    def between(self, start: dt.date, end: dt.date) -> ListingQuerySet:
        return self.filter(day__gte=start, day__lte=end)

    def latest_per_paper(self) -> ListingQuerySet:
        """One listing per paper (its latest): a paper on the feed twice in a week is shown once."""
        latest = self.values("paper").annotate(last=models.Max("id")).values("last")
        return self.filter(id__in=latest)

    def ranked(self, sort: str = "votes", now: dt.datetime | None = None) -> ListingQuerySet:
        """Ordered for a feed: "votes" (most first), "new" (latest listed first) or "trending".

        "trending" is the gravity score of dailypapers.papers.ranking (votes and comments over
        age); its figures come along as trend_points, trend_age_hours and trend_score.
        """
        qs = self.annotate(votes=F("paper__upvote_count") + F("paper__imported_upvotes"))
        if sort == "trending":
            return qs.trending(now)
        if sort == "stars":
            return qs.by_star_growth(now)
        if sort == "new":
            return qs.order_by(F("submitted_at").desc(nulls_last=True), "-day", "-votes", "paper__arxiv_id")
        return qs.order_by("-votes", "-day", F("submitted_at").desc(nulls_last=True), "paper__arxiv_id")

    def by_day_as_listed(self) -> ListingQuerySet:
        """Newest day first, each day in Hugging Face's order (the API's daily feed): that day's votes
        (local ones plus the imported figures of that listing), then the latest listed first. Its
        data has no key for the ties that remain (submission times explain most, not all), so they
        keep the order in which they reached the catalogue: an import keeps its source's."""
        day_votes = F("paper__upvote_count") + Coalesce("imported_upvotes", "paper__imported_upvotes")
        return self.annotate(votes=day_votes).order_by(
            "-day", "-votes", F("listed_at").desc(nulls_last=True), "id"
        )

    def trending(self, now: dt.datetime | None = None) -> ListingQuerySet:
        """Highest trending score first (see dailypapers.papers.ranking)."""
        qs = (
            self
            if "votes" in self.query.annotations
            else self.annotate(votes=F("paper__upvote_count") + F("paper__imported_upvotes"))
        )
        return qs.annotate(**score_expressions(now)).order_by(
            "-trend_score", "-votes", F("submitted_at").desc(nulls_last=True), "paper__arxiv_id"
        )

    def by_star_growth(self, now: dt.datetime | None = None) -> ListingQuerySet:
        """Listings of papers with a code repository, most GitHub stars gained first (see
        dailypapers.papers.ranking): star_count (the latest count), star_base (the count
        TRENDING_STAR_DAYS days ago, or the first one since) and star_growth come along."""
        qs = (
            self
            if "votes" in self.query.annotations
            else self.annotate(votes=F("paper__upvote_count") + F("paper__imported_upvotes"))
        )
        today = utc_date(now or timezone.now())
        since = today - dt.timedelta(days=settings.TRENDING_STAR_DAYS)
        counts = StarCount.objects.filter(repository__url=OuterRef("paper__github_repo"), day__lte=today)
        latest = Subquery(counts.order_by("-day").values("stars")[:1])
        before = Subquery(counts.filter(day__lte=since).order_by("-day").values("stars")[:1])
        first = Subquery(counts.filter(day__gt=since).order_by("day").values("stars")[:1])
        return (
            qs.exclude(paper__github_repo="")
            .annotate(star_count=Coalesce(latest, F("paper__github_stars"), Value(0)))
            .annotate(star_base=Coalesce(before, first, F("star_count")))
            .annotate(star_growth=F("star_count") - F("star_base"))
            .order_by("-star_growth", "-star_count", "-votes", "paper__arxiv_id")
        )

    def trending_window(self, now: dt.datetime | None = None) -> ListingQuerySet:
        """Listings of the TRENDING_DAYS days up to the latest feed day with papers (what
        /papers/trending ranks): a site whose last papers are weeks old still has its trending."""
        today = feed_day(now)
        latest = self.filter(day__lte=today).aggregate(latest=models.Max("day"))["latest"] or today
        return self.filter(day__gt=latest - dt.timedelta(days=settings.TRENDING_DAYS), day__lte=latest)


class Listing(models.Model):
    """A paper's appearance in the daily feed on one feed day."""

    class Source(models.TextChoices):
        IMPORT = "import", "imported"
        SUBMISSION = "submission", "submitted here"
        AUTO = "auto", "auto-listed"

    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="listings")
    day = models.DateField(db_index=True)
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.IMPORT)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="listings"
    )
    # Who submitted it on the site it was imported from (a handle there, not a local account).
    submitter_name = models.CharField(max_length=150, blank=True)
    submitter_fullname = models.CharField(max_length=300, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True)
    hidden = models.BooleanField(default=False)
    # What the imported site said of this appearance (Hugging Face's daily item): the moment it was
    # listed (item publishedAt, which orders ties), its own title when an editor changed it, and the
    # paper's figures on that day; None where the source does not say.
    listed_at = models.DateTimeField(null=True, blank=True)
    title = models.TextField(blank=True)
    imported_upvotes = models.PositiveIntegerField(null=True, blank=True)
    imported_comments = models.PositiveIntegerField(null=True, blank=True)
    # The rest of the item, served back as it came: submittedBy, submittedOnDailyBy, organization,
    # submitterOrganization, mediaUrls, isAuthorParticipating.
    source_details = models.JSONField(default=dict, blank=True)
    # On whose behalf it was submitted: the item's organization on Hugging Face, or one of the
    # submitter's organisations here.
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.SET_NULL, related_name="listings"
    )

    objects = ListingQuerySet.as_manager()

    class Meta:
        ordering = ["-day"]
        constraints = [models.UniqueConstraint(fields=["paper", "day"], name="one_listing_per_day")]
        indexes = [models.Index(fields=["day", "hidden"])]

    def __str__(self) -> str:
        return f"{self.paper.arxiv_id} on {self.day}"

    @property
    def submitter_display(self) -> str:
        if self.submitted_by_id:
            return self.submitted_by.get_username()
        return self.submitter_name


def listed_day_near(day: dt.date, before: bool) -> dt.date | None:
    """The nearest feed day with papers strictly before (or after) `day`."""
    qs = Listing.objects.visible()
    if before:
        return qs.filter(day__lt=day).aggregate(d=models.Max("day"))["d"]
    return qs.filter(day__gt=day).aggregate(d=models.Min("day"))["d"]


def _card_lookups(listings: bool) -> list:
    lookups: list = [
        # One query for the authors with their names: some papers have hundreds.
        Prefetch("authorships", queryset=Authorship.objects.select_related("author").order_by("position")),
        "categories",
    ]
    if listings:
        visible = (
            Listing.objects.visible().select_related("submitted_by", "organization").order_by("day", "id")
        )
        lookups.append(Prefetch("listings", queryset=visible, to_attr="visible_listings"))
    return lookups


def _first_authors(ids: list[int]) -> list[tuple[int, str, str, int, int]]:
    """(paper id, name, author key, position, the paper's number of authors) for the first CARD_AUTHORS
    authors of each paper, in order. Written in SQL: as a queryset (a window function filtered in
    a subquery) it took Django four times as long to build as the database to answer."""
    if not ids:
        return []
    q = connection.ops.quote_name
    sql = (
        f"SELECT f.{q('paper_id')}, f.{q('name')}, a.{q('key')}, f.{q('position')}, f.n FROM ("
        f"SELECT {q('paper_id')}, {q('name')}, {q('author_id')}, {q('position')}, "
        f"ROW_NUMBER() OVER (PARTITION BY {q('paper_id')} ORDER BY {q('position')}) AS place, "
        f"COUNT(*) OVER (PARTITION BY {q('paper_id')}) AS n "
        f"FROM {q(Authorship._meta.db_table)} WHERE {q('paper_id')} IN ({', '.join(['%s'] * len(ids))})"
        f") f JOIN {q(Author._meta.db_table)} a ON a.{q('id')} = f.{q('author_id')} "
        f"WHERE f.place <= %s ORDER BY f.{q('paper_id')}, f.{q('position')}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*ids, CARD_AUTHORS])
        return cursor.fetchall()


# What higher apps show on a card beside the catalogue's own parts (community: the members whose
# authorship claims are approved), each read for all of a page's papers at once. They register a
# loader in their AppConfig.ready(); prefetch_card_faces and prefetch_cards run them.
_card_extras: dict[str, Callable[[list[Paper]], object]] = {}


def add_card_extra(name: str, load: Callable[[list[Paper]], object]) -> None:
    _card_extras[name] = load


def load_card_extras(papers: Iterable[Paper]) -> list[Paper]:
    """Run every registered card extra for these papers (done by the prefetch functions; call it
    for papers a queryset's for_cards() loaded). Returns the papers."""
    papers = list(papers)
    if papers:
        for load in _card_extras.values():
            load(papers)
    return papers


def prefetch_card_faces(papers: Iterable[Paper]) -> list[Paper]:
    """What a paper card on a page shows of its authors and categories (`card_authors`,
    `card_categories`), for many papers in two queries. Unlike prefetch_cards, which reads every
    author for what lists them all (API items, feed entries), only the authors a card names: a
    page's cards otherwise read hundreds of authorships. Returns the papers."""
    papers = list(papers)
    ids = sorted({paper.pk for paper in papers})
    named: dict[int, list[tuple[str, str, int]]] = defaultdict(list)
    total: dict[int, int] = {}
    for paper_id, name, key, position, count in _first_authors(ids):
        named[paper_id].append((name, key, position))
        total[paper_id] = count
    codes: dict[int, list[str]] = defaultdict(list)
    # A category's code is its primary key: no join. In code order, as Category orders them.
    links = PaperCategory.objects.filter(paper_id__in=ids).order_by("paper_id", "category_id")
    for paper_id, code in links.values_list("paper_id", "category_id"):
        codes[paper_id].append(code)
    for paper in papers:
        shown = named.get(paper.pk, [])
        paper.card_authors = CardAuthors(shown, max(0, total.get(paper.pk, 0) - CARD_AUTHORS))
        paper.card_categories = codes.get(paper.pk, [])[:CARD_CATEGORIES]
    return load_card_extras(papers)


def prefetch_cards(papers: Iterable[Paper], listings: bool = False) -> list[Paper]:
    """Load what a paper card (page, API item, feed entry, e-mail) shows for many papers in a few
    queries, not a few per paper: authors in order and categories; with `listings`, also the
    paper's visible feed listings, oldest first, as `visible_listings`. Returns the papers."""
    papers = list(papers)
    prefetch_related_objects(papers, *_card_lookups(listings))
    return load_card_extras(papers)
