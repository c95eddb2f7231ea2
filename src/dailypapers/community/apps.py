from django.apps import AppConfig


class CommunityConfig(AppConfig):
    name = "dailypapers.community"
    label = "community"
    verbose_name = "Community"

    def ready(self) -> None:
        from dailypapers.community import member_data
        from dailypapers.core import pagecache
        from dailypapers.core.member_data import register

        register(self.label, export=member_data.export, erase=member_data.erase)
        pagecache.watch(*self.get_models())  # votes and comments are on the shared pages
