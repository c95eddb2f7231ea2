from django.apps import AppConfig


class RecommendConfig(AppConfig):
    name = "dailypapers.recommend"
    label = "recommend"
    verbose_name = "Recommendations"

    def ready(self) -> None:
        from dailypapers.core.member_data import register
        from dailypapers.recommend import member_data

        register(self.label, export=member_data.export, erase=member_data.erase)
