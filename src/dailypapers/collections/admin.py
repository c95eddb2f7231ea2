"""Collections in the Django admin: a moderator hides a spam collection (only its owner then sees it)."""

from django.contrib import admin, messages
from django.db import transaction

from dailypapers.collections.models import Collection, CollectionItem
from dailypapers.core.models import ModerationAction


class ItemInline(admin.TabularInline):
    model = CollectionItem
    fields = ["position", "paper", "note", "added_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ["position", "id"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Collection)
class CollectionAdmin(admin.ModelAdmin):
    list_display = ["title", "owner", "private", "hidden", "upvote_count", "updated_at"]
    list_filter = ["hidden", "private"]
    search_fields = ["title", "description", "owner__username"]
    raw_id_fields = ["owner"]
    readonly_fields = ["owner", "title", "description", "private", "theme", "position", "upvote_count",
                       "created_at", "updated_at"]  # fmt: skip
    fields = [*readonly_fields, "hidden"]
    inlines = [ItemInline]
    actions = ["hide", "show"]

    def has_add_permission(self, request) -> bool:
        return False  # collections are the members' own; a moderator hides one, never writes one

    @admin.action(description="Hide the selected collections", permissions=["change"])
    def hide(self, request, queryset) -> None:
        self._set_hidden(request, queryset, True)

    @admin.action(description="Show the selected collections again", permissions=["change"])
    def show(self, request, queryset) -> None:
        self._set_hidden(request, queryset, False)

    def _set_hidden(self, request, queryset, hidden: bool) -> None:
        done = 0
        kind = ModerationAction.Kind.HIDE_COLLECTION if hidden else ModerationAction.Kind.SHOW_COLLECTION
        for collection in queryset.filter(hidden=not hidden):  # saved one by one: each renews its pages
            with transaction.atomic():
                collection.hidden = hidden
                collection.save(update_fields=["hidden"])
                ModerationAction.record(request.user, kind, collection, "admin action")
            done += 1
        self.message_user(
            request, f"{done} collection(s) {'hidden' if hidden else 'shown again'}.", messages.SUCCESS
        )
