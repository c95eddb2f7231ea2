from django.urls import path, re_path

from dailypapers.front import for_you, health, paper_files, views

app_name = "front"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("papers/week", views.latest, {"kind": "week"}, name="latest_week"),
    path("papers/month", views.latest, {"kind": "month"}, name="latest_month"),
    # "For you": the same spans as the feeds, ranked for the signed-in member.
    path("for-you", for_you.for_you_home, name="for_you"),
    path("for-you/week", for_you.for_you_latest, {"kind": "week"}, name="for_you_latest_week"),
    path("for-you/month", for_you.for_you_latest, {"kind": "month"}, name="for_you_latest_month"),
    re_path(r"^for-you/date/(?P<slug>\d{4}-\d{2}-\d{2})/?$", for_you.for_you_day, name="for_you_day"),
    re_path(r"^for-you/week/(?P<slug>\d{4}-W\d{2})/?$", for_you.for_you_week, name="for_you_week"),
    re_path(r"^for-you/month/(?P<slug>\d{4}-\d{2})/?$", for_you.for_you_month, name="for_you_month"),
    path("papers/date", views.go_to_date, name="go_to_date"),
    re_path(r"^papers/date/(?P<slug>\d{4}-\d{2}-\d{2})/?$", views.day_feed, name="day"),
    re_path(r"^papers/week/(?P<slug>\d{4}-W\d{2})/?$", views.week_feed, name="week"),
    re_path(r"^papers/month/(?P<slug>\d{4}-\d{2})/?$", views.month_feed, name="month"),
    path("papers/trending", views.trending_page, name="trending"),
    path("about/ranking", views.about_ranking, name="about_ranking"),
    path("authors/<path:key>", views.author_page, name="author"),
    path("orgs/<str:name>", views.organization_page, name="organization"),
    path("u/<str:username>", views.profile, name="profile"),
    # The imported site's submitter of that name, even where a member holds the name above.
    path("u/<str:username>/huggingface", views.imported_submitter_page, name="imported_submitter"),
    # Before the paper page's catch-all: "2401.00001.bib" is no arXiv id, so that one would 404.
    re_path(r"^papers/(?P<ref>.+)\.bib$", paper_files.paper_bib, name="paper_bib"),
    path("papers/<path:ref>", views.paper_detail, name="paper"),
    # Images addressed by their content (`<hash>/<arXiv id>.webp`, `.svg`): cached for a year.
    re_path(r"^thumbnails/(?P<name>.+)$", paper_files.thumbnail, name="thumbnail"),
    re_path(r"^covers/(?P<name>.+)$", paper_files.cover, name="cover"),
    # arXiv-style addresses: swap the host of an arXiv link for ours and land on the paper.
    re_path(r"^(?:abs|pdf|html)/(?P<ref>.+)$", views.paper_detail),
]
