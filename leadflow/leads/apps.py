from django.apps import AppConfig


class LeadsConfig(AppConfig):
    name = "leadflow.leads"
    label = "leads"
    verbose_name = "Leads"

    def ready(self) -> None:
        # Declare the leads settings and permissions, register the sweeps.
        from . import (  # noqa: F401
            assignment,
            capture,
            followup,
            permissions,
            pool,
            prediction,
            reassignment,
        )
        from .bulk import funnel_tally, indexes  # noqa: F401
