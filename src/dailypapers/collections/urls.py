from django.urls import path, re_path

from dailypapers.collections import views

app_name = "collections"

USER = r"(?P<username>[\w.@+-]+)"
TAIL = r"(?P<tail>[\w-]+)"

urlpatterns = [
    path("collections", views.index, name="index"),
    re_path(rf"^collections/{USER}$", views.member_collections, name="member"),
    re_path(rf"^collections/{USER}/{TAIL}$", views.detail, name="detail"),
    re_path(rf"^collections/{USER}/{TAIL}\.bib$", views.detail_bib, name="bib"),
    re_path(rf"^collections/{USER}/{TAIL}/edit$", views.edit, name="edit"),
    re_path(rf"^collections/{USER}/{TAIL}/delete$", views.delete, name="delete"),
    re_path(rf"^collections/{USER}/{TAIL}/upvote$", views.upvote, name="upvote"),
    re_path(rf"^collections/{USER}/{TAIL}/items/(?P<item_id>[0-9]{{1,18}})$", views.item, name="item"),
    # Old-style arXiv ids hold a slash ("hep-th/9901001"), so the paper part is a regex.
    re_path(r"^papers/(?P<ref>.+)/add-to-collection$", views.add, name="add"),
]
