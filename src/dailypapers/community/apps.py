from django.apps import AppConfig


class CommunityConfig(AppConfig):
    name = "dailypapers.community"
    label = "community"
    verbose_name = "Community"

    def ready(self) -> None:
        from dailypapers.community import member_data, watching
        from dailypapers.community.models import Comment, Upvote
        from dailypapers.core import pagecache
        from dailypapers.core.member_data import register
        from dailypapers.papers import stamps
        from dailypapers.papers.signals import paper_news

        register(self.label, export=member_data.export, erase=member_data.erase)
        # Votes and comments show on their paper's pages and the feeds it is listed on.
        # (Watches and notifications show only on their member's pages: those bump that member's
        # own stamp, not the paper's.)
        pagecache.watch(Upvote, Comment, stamps=stamps.of_row)
        # A new arXiv version or code on a paper: its watchers are told.
        paper_news.connect(watching.paper_news, weak=False, dispatch_uid="community-watchers")
