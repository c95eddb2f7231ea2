from django.urls import path, re_path

from dailypapers.community import views

app_name = "community"

urlpatterns = [
    path("papers/submit", views.submit, name="submit"),
    # Old-style arXiv ids hold a slash ("hep-th/9901001"), so the paper part is a regex.
    re_path(r"^papers/(?P<ref>.+)/upvote$", views.upvote, name="upvote"),
    re_path(r"^papers/(?P<ref>.+)/comments$", views.post_comment, name="comment"),
    re_path(r"^papers/(?P<ref>.+)/watch$", views.watch, name="watch"),
    path("notifications", views.notifications, name="notifications"),
    path("notifications/read", views.notifications_read, name="notifications_read"),
    path("notifications/email", views.notifications_email, name="notifications_email"),
    path(
        "notifications/email-off/<str:token>", views.notifications_email_off, name="notifications_email_off"
    ),
    re_path(r"^papers/(?P<ref>.+)/claim$", views.claim_author, name="claim"),
    path("claims/<int:pk>/withdraw", views.withdraw_claim, name="withdraw_claim"),
    path("submissions/<int:pk>/links", views.submission_links, name="submission_links"),
    path("comments/<int:pk>/edit", views.edit_comment, name="edit_comment"),
    path("comments/<int:pk>/delete", views.delete_comment, name="delete_comment"),
    path("comments/<int:pk>/hide", views.hide_comment, name="hide_comment"),
]
