from django.apps import AppConfig


class DigestsConfig(AppConfig):
    name = "dailypapers.digests"
    label = "digests"
    verbose_name = "E-mail digests"
