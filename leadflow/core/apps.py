from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "leadflow.core"
    label = "core"
    verbose_name = "Platform"
