from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "dailypapers.api"
    label = "api"
    verbose_name = "API and feeds"

    def ready(self) -> None:
        from dailypapers.api import member_data, plumbing
        from dailypapers.core import pagecache
        from dailypapers.core.member_data import register

        register(self.label, export=member_data.export)
        pagecache.register_gate(
            plumbing.READ_GATE, plumbing.read_gate, along=plumbing.read_along, door=plumbing.read_door
        )
