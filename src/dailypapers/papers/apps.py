from django.apps import AppConfig


class PapersConfig(AppConfig):
    name = "dailypapers.papers"
    label = "papers"
    verbose_name = "Papers"

    def ready(self) -> None:
        from dailypapers.core.member_data import register
        from dailypapers.papers import member_data

        register(self.label, export=member_data.export, erase=member_data.erase)
