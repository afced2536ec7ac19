from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "leadflow.customers"
    label = "customers"
    verbose_name = "Customers"

    def ready(self) -> None:
        # Declare the customer settings and permissions, register the sweeps.
        from . import access, cadence, confidentiality, grading, permissions, profiles, risk  # noqa: F401
