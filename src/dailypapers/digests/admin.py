from __future__ import annotations

import smtplib

from django.contrib import admin, messages
from django.utils import timezone

from dailypapers.core.admin import ReadOnlyAdmin
from dailypapers.digests.compose import confirmation_message
from dailypapers.digests.models import Delivery, Subscription


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ["email", "status", "frequency", "max_papers", "filters", "next_due", "created_at"]
    list_filter = ["status", "frequency"]
    search_fields = ["email", "user__username", "keywords", "authors", "categories"]
    date_hierarchy = "created_at"
    raw_id_fields = ["user"]
    readonly_fields = [
        "created_at",
        "confirmation_sent_at",
        "confirmed_at",
        "unsubscribed_at",
        "bounced_at",
        "bounce_reason",
        "claimed_by",
        "claimed_at",
    ]
    actions = ["resend_confirmation", "unsubscribe"]

    @admin.display(description="filters")
    def filters(self, obj: Subscription) -> str:
        return obj.describe_filters()

    @admin.action(description="Send the confirmation e-mail again")
    def resend_confirmation(self, request, queryset) -> None:
        sent = 0
        for subscription in queryset.filter(status=Subscription.Status.PENDING):
            try:
                confirmation_message(subscription).send(fail_silently=False)
            except (smtplib.SMTPException, OSError) as exc:
                self.message_user(request, f"SMTP error: {exc}", messages.ERROR)
                return
            Subscription.objects.filter(pk=subscription.pk).update(confirmation_sent_at=timezone.now())
            sent += 1
        self.message_user(request, f"{sent} confirmation e-mail(s) sent.")

    @admin.action(description="Unsubscribe")
    def unsubscribe(self, request, queryset) -> None:
        count = sum(subscription.unsubscribe() for subscription in queryset)
        self.message_user(request, f"{count} unsubscribed.")


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    """The send ledger: read-only, it is the record of what was sent."""

    list_display = ["subscription", "kind", "period_start", "status", "attempts", "paper_count", "sent_at"]
    list_filter = ["status", "kind", "period_start"]
    search_fields = ["subscription__email", "message_id"]
    date_hierarchy = "created_at"
    list_select_related = ["subscription"]
