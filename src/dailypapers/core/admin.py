"""The audit trail in the admin, and the read-only base every history record uses."""

from django.contrib import admin

from dailypapers.core.models import ModerationAction


class ReadOnlyAdmin(admin.ModelAdmin):
    """For records that are history (the audit trail, the send ledger): shown, never edited."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ModerationAction)
class ModerationActionAdmin(ReadOnlyAdmin):
    """The audit trail: read-only, for every staff member to see."""

    list_display = ["created_at", "moderator_name", "kind", "target_type", "target_repr", "reason"]
    list_filter = ["kind", "target_type", "moderator_name"]
    search_fields = ["moderator_name", "target_repr", "reason"]
    date_hierarchy = "created_at"
