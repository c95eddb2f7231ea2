from django.urls import path

from dailypapers.recommend import onboarding_views as views

app_name = "onboarding"

urlpatterns = [
    path("for-you/start", views.start, name="start"),
    path("for-you/start/papers", views.papers, name="papers"),
    path("for-you/start/papers/paste", views.paste, name="paste"),
    path("for-you/start/papers/upload", views.upload, name="upload"),
    path("for-you/start/rate", views.rate, name="rate"),
]
