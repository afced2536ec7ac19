from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "leadflow.notify"
    label = "notify"
    verbose_name = "Notifications"

    def ready(self) -> None:
        from . import delivery  # noqa: F401 - registers the delivery sweep
