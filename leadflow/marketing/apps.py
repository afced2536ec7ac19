from django.apps import AppConfig


class MarketingConfig(AppConfig):
    name = "leadflow.marketing"
    label = "marketing"
    verbose_name = "Marketing"

    def ready(self) -> None:
        # Declare the marketing settings and permissions; register the kinds and sweeps.
        from . import budgets, campaigns, expenses, permissions, receipts, research  # noqa: F401
