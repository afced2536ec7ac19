from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "leadflow.analytics"
    label = "analytics"
    verbose_name = "Analytics"
