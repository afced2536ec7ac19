"""`leadflow serve`: the embedded mode behind `make run`.

Migrates, seeds the defaults and a demo company on first start, then runs gunicorn and one
background worker side by side until Ctrl-C, which stops both cleanly.
"""

import os
import signal
import subprocess
import sys
import threading

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Migrate, seed, and run the web app with one background worker (embedded mode)."

    def add_arguments(self, parser):
        parser.add_argument("--bind", default=os.environ.get("BIND", "127.0.0.1:8000"))
        parser.add_argument("--no-demo", action="store_true", help="do not create the demo company")

    def handle(self, *, bind: str, no_demo: bool, **options):
        call_command("migrate", interactive=False, verbosity=0)
        call_command("seed", demo=not no_demo)
        call_command("collectstatic", interactive=False, verbosity=0)
        leadflow = [sys.executable, "-m", "leadflow.cli"]
        children = [
            subprocess.Popen([*leadflow, "web", "--bind", bind]),  # noqa: S603
            subprocess.Popen([*leadflow, "worker"]),  # noqa: S603
        ]
        stop = threading.Event()
        # Ctrl-C (SIGINT) in a terminal, SIGTERM from a service manager: both stop cleanly.
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
        self.stdout.write(
            self.style.SUCCESS(f"leadflow is running at http://{bind}/ (Ctrl-C stops)")
        )
        while not stop.is_set() and all(child.poll() is None for child in children):
            stop.wait(1)
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in children:
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()
        self.stdout.write("leadflow stopped.")
