from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "leadflow.web"
    label = "web"
    verbose_name = "Web UI"
