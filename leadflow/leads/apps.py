from django.apps import AppConfig


class LeadsConfig(AppConfig):
    name = "leadflow.leads"
    label = "leads"
    verbose_name = "Leads"

    def ready(self) -> None:
        from . import capture, permissions  # noqa: F401 - declare the leads settings and permissions
