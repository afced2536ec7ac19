from django.apps import AppConfig


class ApprovalsConfig(AppConfig):
    name = "leadflow.approvals"
    label = "approvals"
    verbose_name = "Approvals"

    def ready(self) -> None:
        # Declare the approvals settings and permissions, register the deadline sweep.
        from . import deadlines, permissions  # noqa: F401
