from django.apps import AppConfig


class CollectionsConfig(AppConfig):
    name = "dailypapers.collections"
    label = "collections"
    verbose_name = "Collections"

    def ready(self) -> None:
        from dailypapers.collections import member_data
        from dailypapers.collections.models import Collection, CollectionItem, paper_stamps
        from dailypapers.core import pagecache
        from dailypapers.core.member_data import register

        register(self.label, export=member_data.export, erase=member_data.erase)
        # A paper page lists the collections holding the paper: a collection renamed, made private or
        # hidden, and an item added or taken out, renew the pages of the papers concerned.
        pagecache.watch(Collection, CollectionItem, stamps=paper_stamps)
