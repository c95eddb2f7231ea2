from django.contrib import admin

from dailypapers.papers.models import Author, AutoListRule, Category, Listing, Paper, PaperCategory


class CategoryInline(admin.TabularInline):
    model = PaperCategory
    extra = 0
    raw_id_fields = ["category"]


class ListingInline(admin.TabularInline):
    model = Listing
    extra = 0
    fields = ["day", "source", "submitted_by", "submitter_name", "submitted_at", "hidden"]
    raw_id_fields = ["submitted_by"]


@admin.register(Paper)
class PaperAdmin(admin.ModelAdmin):
    list_display = ["arxiv_id", "title", "published_at", "upvote_count", "imported_upvotes", "hidden"]
    list_filter = ["hidden", "withdrawn", "primary_category"]
    search_fields = ["arxiv_id", "title"]
    date_hierarchy = "published_at"
    raw_id_fields = ["primary_category"]
    readonly_fields = ["upvote_count", "comment_count", "added_at", "metadata_as_of"]
    inlines = [ListingInline, CategoryInline]


@admin.register(Listing)
class ListingAdmin(admin.ModelAdmin):
    list_display = ["day", "paper", "source", "submitter_name", "submitted_by", "hidden"]
    list_filter = ["source", "hidden"]
    search_fields = ["paper__arxiv_id", "paper__title", "submitter_name"]
    date_hierarchy = "day"
    raw_id_fields = ["paper", "submitted_by"]


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
