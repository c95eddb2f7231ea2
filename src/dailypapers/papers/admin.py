from django.contrib import admin, messages

from dailypapers.core.models import ModerationAction
from dailypapers.papers.models import (
    Author,
    AutoListRule,
    Category,
    CodeRepository,
    Listing,
    Membership,
    Organization,
    Paper,
    PaperCategory,
    StarCount,
)
from dailypapers.papers.signals import catalogue_changed_on_commit


class CategoryInline(admin.TabularInline):
    model = PaperCategory
    extra = 0
    raw_id_fields = ["category"]


class ListingInline(admin.TabularInline):
    model = Listing
    extra = 0
    fields = ["day", "source", "submitted_by", "submitter_name", "submitted_at", "hidden"]
    raw_id_fields = ["submitted_by"]


class HidingAdmin(admin.ModelAdmin):
    """Hiding is moderation: every change of `hidden`, by form or by action, joins the audit trail."""

    hide_kind = show_kind = noun = ""
    actions = ["hide", "show"]

    def save_model(self, request, obj, form, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if change and "hidden" in form.changed_data:
            kind = self.hide_kind if obj.hidden else self.show_kind
            ModerationAction.record(request.user, kind, obj, "edited in the admin")

    def set_hidden(self, request, queryset, hidden: bool) -> None:
        done = 0
        for obj in queryset.filter(hidden=not hidden):
            obj.hidden = hidden
            obj.save(update_fields=["hidden"])
            ModerationAction.record(
                request.user, self.hide_kind if hidden else self.show_kind, obj, "admin action"
            )
            done += 1
        self.message_user(
            request, f"{done} {self.noun}(s) {'hidden' if hidden else 'shown again'}.", messages.SUCCESS
        )


@admin.register(Paper)
class PaperAdmin(HidingAdmin):
    list_display = ["arxiv_id", "title", "published_at", "upvote_count", "imported_upvotes", "hidden"]
    list_filter = ["hidden", "withdrawn", "primary_category"]
    search_fields = ["arxiv_id", "title"]
    date_hierarchy = "published_at"
    raw_id_fields = ["primary_category"]
    readonly_fields = ["upvote_count", "comment_count", "added_at", "metadata_as_of"]
    inlines = [ListingInline, CategoryInline]
    hide_kind, show_kind, noun = ModerationAction.Kind.HIDE_PAPER, ModerationAction.Kind.SHOW_PAPER, "paper"

    # Hiding, showing, editing and deleting papers change what search may find.
    def save_model(self, request, obj, form, change: bool) -> None:
        super().save_model(request, obj, form, change)
        catalogue_changed_on_commit([obj.pk])

    def set_hidden(self, request, queryset, hidden: bool) -> None:
        changing = list(queryset.filter(hidden=not hidden).values_list("pk", flat=True))
        super().set_hidden(request, queryset, hidden)
        catalogue_changed_on_commit(changing)

    def delete_model(self, request, obj) -> None:
        pk = obj.pk
        super().delete_model(request, obj)
        catalogue_changed_on_commit([pk])

    def delete_queryset(self, request, queryset) -> None:
        pks = list(queryset.values_list("pk", flat=True))
        super().delete_queryset(request, queryset)
        catalogue_changed_on_commit(pks)

    def save_formset(self, request, form, formset, change: bool) -> None:
        super().save_formset(request, form, formset, change)
        # Listings hidden or shown from the paper's page are moderation too.
        for inline_form in formset.forms:
            obj = inline_form.instance
            if isinstance(obj, Listing) and obj.pk and "hidden" in inline_form.changed_data:
                kind = ListingAdmin.hide_kind if obj.hidden else ListingAdmin.show_kind
                ModerationAction.record(request.user, kind, obj, "edited in the admin")

    @admin.action(description="Hide the selected papers from every page", permissions=["change"])
    def hide(self, request, queryset) -> None:
        self.set_hidden(request, queryset, True)

    @admin.action(description="Show the selected papers again", permissions=["change"])
    def show(self, request, queryset) -> None:
        self.set_hidden(request, queryset, False)


@admin.register(Listing)
class ListingAdmin(HidingAdmin):
    list_display = ["day", "paper", "source", "submitter_name", "submitted_by", "hidden"]
    list_filter = ["source", "hidden"]
    search_fields = ["paper__arxiv_id", "paper__title", "submitter_name"]
    date_hierarchy = "day"
    raw_id_fields = ["paper", "submitted_by"]
    hide_kind, show_kind = ModerationAction.Kind.HIDE_LISTING, ModerationAction.Kind.SHOW_LISTING
    noun = "listing"

    @admin.action(description="Take the selected listings off the feed", permissions=["change"])
    def hide(self, request, queryset) -> None:
        self.set_hidden(request, queryset, True)

    @admin.action(description="Put the selected listings back on the feed", permissions=["change"])
    def show(self, request, queryset) -> None:
        self.set_hidden(request, queryset, False)


@admin.register(Author)
class AuthorAdmin(admin.ModelAdmin):
    search_fields = ["name", "key"]


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(AutoListRule)
class AutoListRuleAdmin(admin.ModelAdmin):
    list_display = ["name", "enabled", "categories"]
    list_filter = ["enabled"]


class StarCountInline(admin.TabularInline):
    model = StarCount
    extra = 0
    ordering = ["-day"]
    readonly_fields = ["day", "stars"]
    can_delete = False


@admin.register(CodeRepository)
class CodeRepositoryAdmin(admin.ModelAdmin):
    """What the stars worker knows of each repository (read only: the worker keeps it)."""

    list_display = ["url", "stars", "missing", "checked_at", "next_check_at"]
    list_filter = ["missing"]
    search_fields = ["url"]
    readonly_fields = ["url", "etag", "stars", "missing", "checked_at", "claimed_until"]
    inlines = [StarCountInline]


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1
    raw_id_fields = ["user"]


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    """Organisations (made by the Hugging Face import, or here) with their members."""

    list_display = ["name", "fullname", "hf_id", "created_at"]
    search_fields = ["name", "fullname"]
    inlines = [MembershipInline]
