from django.apps import AppConfig


class JourneysConfig(AppConfig):
    name = "leadflow.journeys"
    label = "journeys"
    verbose_name = "Automation"

    def ready(self) -> None:
        # Register the trigger and step sweeps and the permission.
        from . import engine, permissions  # noqa: F401
