from django.apps import AppConfig


class SalesConfig(AppConfig):
    name = "leadflow.sales"
    label = "sales"
    verbose_name = "Sales"

    def ready(self) -> None:
        # Register the grade review sweep and its setting.
        from . import contracts, permissions, reviews, targets  # noqa: F401
