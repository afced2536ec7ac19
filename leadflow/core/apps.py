from django.apps import AppConfig
from django.core.signals import request_finished
from django.db.models.signals import pre_save


class CoreConfig(AppConfig):
    name = "leadflow.core"
    label = "core"
    verbose_name = "Platform"

    def ready(self) -> None:
        from . import display, pickers, worker  # noqa: F401 - their settings, its sweep
        from .sqlite.base import checkpoint_after_response
        from .storable import refuse_unstorable

        request_finished.connect(checkpoint_after_response, dispatch_uid="sqlite-checkpoint")
        pre_save.connect(refuse_unstorable, dispatch_uid="refuse-unstorable-text")
