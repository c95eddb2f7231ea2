from django.apps import AppConfig


class CommunityConfig(AppConfig):
    name = "dailypapers.community"
    label = "community"
    verbose_name = "Community"

    def ready(self) -> None:
        from dailypapers.community import member_data, watching
        from dailypapers.community.models import AuthorClaim, Comment, Upvote, attach_claims
        from dailypapers.core import pagecache
        from dailypapers.core.member_data import register
        from dailypapers.papers import stamps
        from dailypapers.papers.models import add_card_extra
        from dailypapers.papers.signals import paper_news

        register(self.label, export=member_data.export, erase=member_data.erase)
        # Votes, comments and approved claims show on their paper's pages and the feeds it is listed
        # on (and on `pages`: authors', organisations' pages). The claims' audit trail shows nowhere.
        # (Watches and notifications show only on their member's pages: those bump that member's
        # own stamp, not the paper's.)
        pagecache.watch(Upvote, Comment, AuthorClaim, stamps=stamps.of_row)
        # A new arXiv version or code on a paper: its watchers are told.
        paper_news.connect(watching.paper_news, weak=False, dispatch_uid="community-watchers")
        # Cards link the authors whose claims are approved to their members' profiles.
        add_card_extra("approved claims", attach_claims)
