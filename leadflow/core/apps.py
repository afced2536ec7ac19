from django.apps import AppConfig
from django.core.signals import request_finished


class CoreConfig(AppConfig):
    name = "leadflow.core"
    label = "core"
    verbose_name = "Platform"

    def ready(self) -> None:
        from .sqlite.base import checkpoint_after_response

        request_finished.connect(checkpoint_after_response, dispatch_uid="sqlite-checkpoint")
