from django.apps import AppConfig


class MailingConfig(AppConfig):
    name = "leadflow.mailing"
    label = "mailing"
    verbose_name = "Email"

    def ready(self) -> None:
        # Declare the email settings and permissions; register the outbox sweep.
        from . import permissions, sending, tracking  # noqa: F401
