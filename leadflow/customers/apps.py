from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "leadflow.customers"
    label = "customers"
    verbose_name = "Customers"

    def ready(self) -> None:
        from . import permissions  # noqa: F401
