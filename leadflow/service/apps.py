from django.apps import AppConfig


class ServiceConfig(AppConfig):
    name = "leadflow.service"
    label = "service"
    verbose_name = "Service"

    def ready(self) -> None:
        # Declare the service settings and permissions; register the sweeps.
        from . import clocks, permissions, surveys, tickets  # noqa: F401
