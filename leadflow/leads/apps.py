from django.apps import AppConfig


class LeadsConfig(AppConfig):
    name = "leadflow.leads"
    label = "leads"
    verbose_name = "Leads"

    def ready(self) -> None:
        # Declare the leads settings and permissions, register the index sweep.
        from . import capture, indexes, permissions  # noqa: F401
