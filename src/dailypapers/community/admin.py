"""Moderation of comments in the Django admin. Every hide and show is written to the audit trail
(core.ModerationAction), whether done by an admin action or by editing the comment's form."""

from django.contrib import admin, messages
from django.utils.html import format_html

from dailypapers.community.models import Comment, Upvote


@admin.register(Upvote)
class UpvoteAdmin(admin.ModelAdmin):
    list_display = ["paper", "user", "created_at"]
    raw_id_fields = ["paper", "user"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # votes are the members' own; counts would drift if edited here

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ["pk", "paper", "author", "created_at", "hidden", "removed", "excerpt"]
    list_filter = ["hidden", "removed"]
    search_fields = ["body", "paper__arxiv_id", "author__username"]
    raw_id_fields = ["paper", "author", "parent"]
    readonly_fields = ["paper", "author", "parent", "body", "rendered", "created_at", "edited_at", "removed"]
    fields = ["paper", "author", "parent", "rendered", "body", "created_at", "edited_at", "removed", "hidden"]
    actions = ["hide", "show"]

    @admin.display(description="Body")
    def excerpt(self, obj: Comment) -> str:
        return obj.body[:80]

    @admin.display(description="As shown")
    def rendered(self, obj: Comment) -> str:
        return format_html('<div class="comment-body">{}</div>', obj.body_html)  # body_html is sanitised

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # hide instead: deleting is the author's own choice (or "Delete" on the site)

    def save_model(self, request, obj: Comment, form, change: bool) -> None:
        if change and "hidden" in form.changed_data:
            obj.set_hidden(request.user, obj.hidden, reason="edited in the admin")
        else:
            super().save_model(request, obj, form, change)

    @admin.action(description="Hide the selected comments", permissions=["change"])
    def hide(self, request, queryset) -> None:
        self._set_hidden(request, queryset, True)

    @admin.action(description="Show the selected comments again", permissions=["change"])
    def show(self, request, queryset) -> None:
        self._set_hidden(request, queryset, False)

    def _set_hidden(self, request, queryset, hidden: bool) -> None:
        done = 0
        for comment in queryset.filter(hidden=not hidden):
            comment.set_hidden(request.user, hidden, reason="admin action")
            done += 1
        self.message_user(
            request, f"{done} comment(s) {'hidden' if hidden else 'shown again'}.", messages.SUCCESS
        )
