from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "dailypapers.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from django.contrib.auth import get_user_model

        from dailypapers.core import pagecache

        # Names (and who is a moderator) are on the shared pages and the members' own copies.
        pagecache.watch(get_user_model(), *self.get_models())
