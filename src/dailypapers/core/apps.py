from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "dailypapers.core"
    label = "core"
    verbose_name = "Site"
