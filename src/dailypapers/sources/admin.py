from django.contrib import admin
from django.http import HttpRequest

from dailypapers.sources.models import HarvestState


@admin.register(HarvestState)
class HarvestStateAdmin(admin.ModelAdmin):
    """Where each harvest stands. Written by the harvesters only; deleting a row restarts that harvest
    from its default window."""

    list_display = [
        "source",
        "scope",
        "completed_until",
        "list_from",
        "list_cursor",
        "list_size",
        "in_progress",
        "consecutive_failures",
        "last_error_short",
        "updated_at",
    ]
    list_filter = ["source"]
    search_fields = ["scope", "last_error"]

    def get_readonly_fields(self, request: HttpRequest, obj: HarvestState | None = None) -> list[str]:
        return [field.name for field in HarvestState._meta.concrete_fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(boolean=True, description="list in progress")
    def in_progress(self, obj: HarvestState) -> bool:
        return bool(obj.next_token)

    @admin.display(description="last error")
    def last_error_short(self, obj: HarvestState) -> str:
        return obj.last_error[:120]
