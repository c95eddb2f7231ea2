from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "dailypapers.search"
    label = "search"
    verbose_name = "Search"
