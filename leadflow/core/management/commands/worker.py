from django.core.management.base import BaseCommand

from leadflow.core.worker import run_worker


class Command(BaseCommand):
    help = "Run a background worker (tasks and the minute sweep). Run as many as you like."

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=1.0, help="seconds between polls")
        parser.add_argument("--batch", action="store_true", help="run what is due, then exit")

    def handle(self, *, interval: float, batch: bool, **options):
        run_worker(interval=interval, batch=batch)
