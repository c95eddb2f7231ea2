"""Moderation of comments and authorship claims in the Django admin. Every hide and show is written
to the audit trail (core.ModerationAction), whether done by an admin action or by editing the
comment's form; every decision on a claim to the claims' own (community.ClaimEvent)."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.html import format_html

from dailypapers.community.models import AuthorClaim, ClaimEvent, Comment, Upvote


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


class ClaimEventInline(admin.TabularInline):
    model = ClaimEvent
    extra = 0
    can_delete = False
    fields = ["created_at", "actor_name", "kind", "reason"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(AuthorClaim)
class AuthorClaimAdmin(admin.ModelAdmin):
    """Members' "I am this author" claims: approved or denied with the actions, each decision
    recorded (the claim's history below its fields)."""

    list_display = ["pk", "user", "paper", "position", "name", "status", "created_at", "status_changed_at"]
    list_filter = ["status"]
    search_fields = ["user__username", "paper__arxiv_id", "name"]
    list_select_related = ["user", "paper"]
    fields = ["user", "paper", "position", "name", "status", "created_at", "status_changed_at", "decided_by"]
    readonly_fields = fields  # changed only through the actions, which check and record
    inlines = [ClaimEventInline]
    actions = ["approve", "deny"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # deny instead: the decision stays on record

    @admin.action(description="Approve the selected claims", permissions=["change"])
    def approve(self, request, queryset) -> None:
        self._decide(request, queryset, True)

    @admin.action(description="Deny the selected claims", permissions=["change"])
    def deny(self, request, queryset) -> None:
        self._decide(request, queryset, False)

    def _decide(self, request, queryset, approve: bool) -> None:
        done = 0
        wanted = AuthorClaim.Status.APPROVED if approve else AuthorClaim.Status.DENIED
        for claim in queryset.exclude(status__in=[wanted, AuthorClaim.Status.WITHDRAWN]).select_related(
            "paper"
        ):
            try:
                claim.decide(request.user, approve, reason="admin action")
            except ValidationError as exc:
                self.message_user(request, " ".join(exc.messages), messages.ERROR)
            else:
                done += 1
        self.message_user(
            request, f"{done} claim(s) {'approved' if approve else 'denied'}.", messages.SUCCESS
        )
