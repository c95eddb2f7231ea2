from django.urls import path, re_path

from dailypapers.recommend import views

app_name = "recommend"

urlpatterns = [
    # Old-style arXiv ids hold a slash ("hep-th/9901001"), so the paper part is a regex.
    re_path(r"^papers/(?P<ref>.+)/save$", views.save, name="save"),
    re_path(r"^papers/(?P<ref>.+)/not-interested$", views.not_interested, name="not_interested"),
    path("follow", views.follow, name="follow"),
    path("library", views.library, name="library"),
    path("library.bib", views.library_bib, name="library_bib"),
    re_path(r"^library/(?P<ref>.+)$", views.library_item, name="library_item"),
    path("for-you/settings", views.taste_settings, name="settings"),
    path("for-you/settings/mutes", views.mute, name="mute"),
    path("for-you/settings/mix", views.mix, name="mix"),
    path("for-you/settings/feed-key", views.feed_key, name="feed_key"),
    path("for-you/settings/reset", views.reset, name="reset"),
]
