from django.contrib import admin

from dailypapers.community.models import Comment, Upvote


@admin.register(Upvote)
class UpvoteAdmin(admin.ModelAdmin):
    list_display = ["paper", "user", "created_at"]
    raw_id_fields = ["paper", "user"]


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ["paper", "author", "created_at", "hidden"]
    list_filter = ["hidden"]
    search_fields = ["body", "paper__arxiv_id"]
    raw_id_fields = ["paper", "author", "parent"]
