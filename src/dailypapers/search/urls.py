from django.urls import path

from . import views

app_name = "search"

urlpatterns = [
    path("papers/search", views.search, name="search"),
]
