from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("dailypapers.papers.urls")),
]

handler404 = "dailypapers.papers.views.not_found"
handler500 = "dailypapers.papers.views.server_error"
