from django.urls import path

from dailypapers.digests import views

app_name = "digests"

urlpatterns = [
    path("digests/", views.home, name="home"),
    path("digests/subscribe", views.subscribe, name="subscribe"),
    path("digests/confirm/<str:token>", views.confirm, name="confirm"),
    path("digests/manage/<str:token>", views.manage, name="manage"),
    path("digests/manage/<str:token>/address", views.change_address, name="change_address"),
    path("digests/unsubscribe/<str:token>", views.unsubscribe, name="unsubscribe"),
]
