from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "leadflow.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from leadflow.core.config_cache import forget_config

        from . import login  # noqa: F401 - declares the security settings
        from .models import ApiToken, Department, Role, Team, User

        # API tokens keep their user per process (accounts.tokens): any change to who the
        # user is, what their role allows or where they sit counts here at once.
        def forget(**kwargs) -> None:
            forget_config()

        for model in (ApiToken, Department, Role, Team, User):
            for signal in (post_save, post_delete):
                signal.connect(forget, sender=model, weak=False)  # a local function: keep it
