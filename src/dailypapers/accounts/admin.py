"""Members in the admin: moderators deactivate (and reactivate) accounts, with the audit trail."""

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from dailypapers.accounts.models import Profile
from dailypapers.core.models import ModerationAction

User = get_user_model()


class ProfileInline(admin.StackedInline):
    model = Profile
    can_delete = False
    extra = 0


admin.site.unregister(User)


@admin.register(User)
class MemberAdmin(UserAdmin):
    inlines = [ProfileInline]
    list_display = ["username", "email", "is_active", "is_staff", "date_joined", "last_login"]
    actions = ["deactivate", "reactivate"]

    def save_model(self, request, obj, form, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if change and "is_active" in form.changed_data:
            kind = (
                ModerationAction.Kind.REACTIVATE_USER
                if obj.is_active
                else ModerationAction.Kind.DEACTIVATE_USER
            )
            ModerationAction.record(request.user, kind, obj, "edited in the admin")

    @admin.action(
        description="Deactivate the selected members (they can no longer sign in)", permissions=["change"]
    )
    def deactivate(self, request, queryset) -> None:
        done = 0
        for user in queryset.filter(is_active=True).exclude(pk=request.user.pk):
            user.is_active = False
            user.save(update_fields=["is_active"])
            ModerationAction.record(request.user, ModerationAction.Kind.DEACTIVATE_USER, user, "admin action")
            done += 1
        self.message_user(request, f"{done} member(s) deactivated.", messages.SUCCESS)

    @admin.action(description="Reactivate the selected members", permissions=["change"])
    def reactivate(self, request, queryset) -> None:
        done = 0
        for user in queryset.filter(is_active=False):
            user.is_active = True
            user.save(update_fields=["is_active"])
            Profile.objects.update_or_create(user=user, defaults={"email_verified": True})
            ModerationAction.record(request.user, ModerationAction.Kind.REACTIVATE_USER, user, "admin action")
            done += 1
        self.message_user(request, f"{done} member(s) reactivated.", messages.SUCCESS)
