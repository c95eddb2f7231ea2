"""Members' signals in the Django admin, to look at: they are the members' own, written only through
the site (and the models' methods), so the admin neither adds nor edits them."""

from django.contrib import admin

from dailypapers.recommend.models import Dismissal, Follow, Mute, Rating, Save, Taste


class _LookOnly(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Save)
class SaveAdmin(_LookOnly):
    list_display = ["user", "paper", "saved_at"]
    raw_id_fields = ["user", "paper"]
    search_fields = ["user__username", "paper__arxiv_id"]


@admin.register(Dismissal)
class DismissalAdmin(_LookOnly):
    list_display = ["user", "paper", "at"]
    raw_id_fields = ["user", "paper"]
    search_fields = ["user__username", "paper__arxiv_id"]


@admin.register(Rating)
class RatingAdmin(_LookOnly):
    list_display = ["user", "paper", "value", "at"]
    raw_id_fields = ["user", "paper"]
    search_fields = ["user__username", "paper__arxiv_id"]


@admin.register(Follow)
class FollowAdmin(_LookOnly):
    list_display = ["user", "kind", "target", "at"]
    list_filter = ["kind"]
    search_fields = ["user__username", "target"]


@admin.register(Mute)
class MuteAdmin(_LookOnly):
    list_display = ["user", "kind", "value", "at"]
    list_filter = ["kind"]
    search_fields = ["user__username", "value"]


@admin.register(Taste)
class TasteAdmin(_LookOnly):
    list_display = ["user", "model_kind", "trained_at", "signals_changed_at", "mix", "claimed_until"]
    # The model's bytes mean nothing on screen, and the feed key is the member's secret.
    fields = ["user", "model_kind", "trained_at", "signals_changed_at", "mix", "claimed_until"]
    readonly_fields = fields
    search_fields = ["user__username"]
