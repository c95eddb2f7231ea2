from django.apps import AppConfig


class SourcesConfig(AppConfig):
    name = "dailypapers.sources"
    label = "sources"
    verbose_name = "Sources"
