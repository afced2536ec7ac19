from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "leadflow.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from . import login  # noqa: F401 - declares the security settings
