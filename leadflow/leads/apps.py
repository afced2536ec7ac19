from django.apps import AppConfig


class LeadsConfig(AppConfig):
    name = "leadflow.leads"
    label = "leads"
    verbose_name = "Leads"

    def ready(self) -> None:
        from . import permissions  # noqa: F401 - declares the leads permission codes
