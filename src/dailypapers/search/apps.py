from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "dailypapers.search"
    label = "search"
    verbose_name = "Search"

    def ready(self) -> None:
        from dailypapers.papers.signals import catalogue_changed

        from .receivers import index_changed_papers

        # The one place indexing is started from: the catalogue says what changed.
        catalogue_changed.connect(index_changed_papers, dispatch_uid="search.index_changed_papers")
