from django.apps import AppConfig


class CommunityConfig(AppConfig):
    name = "dailypapers.community"
    label = "community"
    verbose_name = "Community"

    def ready(self) -> None:
        from dailypapers.community import member_data
        from dailypapers.community.models import AuthorClaim, Comment, Upvote
        from dailypapers.core import pagecache
        from dailypapers.core.member_data import register
        from dailypapers.papers import stamps

        register(self.label, export=member_data.export, erase=member_data.erase)
        # Votes, comments and approved claims show on their paper's pages and the feeds it is listed
        # on (and on `pages`: authors', organisations' pages). The claims' audit trail shows nowhere.
        pagecache.watch(Upvote, Comment, AuthorClaim, stamps=stamps.of_row)
