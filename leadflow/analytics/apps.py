from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "leadflow.analytics"
    label = "analytics"
    verbose_name = "Analytics"

    def ready(self) -> None:
        # Declare the analytics settings (the churn period), register the report sweep.
        from . import customers, subscriptions  # noqa: F401
