from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    # Each app owns its own addresses; front comes last because /papers/<id> catches the rest.
    path("", include("dailypapers.api.urls")),
    path("", include("dailypapers.recommend.onboarding_urls")),
    path("", include("dailypapers.accounts.urls")),
    path("", include("dailypapers.digests.urls")),
    path("", include("dailypapers.community.urls")),
    path("", include("dailypapers.collections.urls")),
    path("", include("dailypapers.recommend.urls")),
    path("", include("dailypapers.search.urls")),
    path("", include("dailypapers.front.urls")),
]

handler400 = "dailypapers.front.views.bad_request"
handler403 = "dailypapers.front.views.forbidden"
handler404 = "dailypapers.front.views.not_found"
handler500 = "dailypapers.front.views.server_error"
