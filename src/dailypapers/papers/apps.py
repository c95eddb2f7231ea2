from django.apps import AppConfig


class PapersConfig(AppConfig):
    name = "dailypapers.papers"
    label = "papers"
    verbose_name = "Papers"

    def ready(self) -> None:
        from dailypapers.core import pagecache
        from dailypapers.core.member_data import register
        from dailypapers.papers import member_data
        from dailypapers.papers.models import CodeRepository, StarCount
        from dailypapers.papers.signals import catalogue_changed

        register(self.label, export=member_data.export, erase=member_data.erase)
        # Feeds, paper pages, the API and RSS show these rows: a change renews the shared pages.
        # Not the stars worker's rows: it bumps the stamps of what changed itself, once a pass.
        pagecache.watch(*(m for m in self.get_models() if m not in (CodeRepository, StarCount)))
        catalogue_changed.connect(pagecache._changed, weak=False, dispatch_uid="pagecache-catalogue")
