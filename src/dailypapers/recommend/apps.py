from django.apps import AppConfig


class RecommendConfig(AppConfig):
    name = "dailypapers.recommend"
    label = "recommend"
    verbose_name = "Recommendations"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from dailypapers.community.models import Upvote
        from dailypapers.core.member_data import register
        from dailypapers.recommend import member_data
        from dailypapers.recommend.receivers import upvote_changed

        register(self.label, export=member_data.export, erase=member_data.erase)
        # An upvote is a signal too, given in the community app below this one: it is heard here.
        post_save.connect(upvote_changed, sender=Upvote, dispatch_uid="recommend-upvote-save")
        post_delete.connect(upvote_changed, sender=Upvote, dispatch_uid="recommend-upvote-delete")
