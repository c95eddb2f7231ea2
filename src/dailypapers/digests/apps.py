from django.apps import AppConfig


class DigestsConfig(AppConfig):
    name = "dailypapers.digests"
    label = "digests"
    verbose_name = "E-mail digests"

    def ready(self) -> None:
        from dailypapers.core.member_data import register
        from dailypapers.digests import member_data

        register(self.label, export=member_data.export)
