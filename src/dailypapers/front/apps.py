from django.apps import AppConfig


class FrontConfig(AppConfig):
    name = "dailypapers.front"
    label = "front"
    verbose_name = "Pages"
