"""End-to-end tests drive the real app in Debian's chromium (headless) through Playwright.

The app runs as users run it: `leadflow serve` in a child process on a free port, with its
own database (SQLite in a temporary folder, or a scratch PostgreSQL database beside
DATABASE_URL), its demo company and its background worker. The tests touch no database
themselves: what they check is what the browser shows. Screenshots of every step go to
var/e2e/ (or LEADFLOW_E2E_ARTIFACTS).
"""

import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from tests.conftest import Mailbox, free_port

CHROMIUM = Path(os.environ.get("LEADFLOW_CHROMIUM", "/usr/bin/chromium"))
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("LEADFLOW_E2E_ARTIFACTS", ROOT / "var" / "e2e"))
STARTUP_SECONDS = 90


@dataclass
class App:
    url: str
    passwords: dict[str, str]
    mailbox: Mailbox  # what the app sent by SMTP (a real server on loopback)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _scratch_postgres(url: str, stack: ExitStack) -> str:
    sys.path.insert(0, str(ROOT / "bench"))
    from scratch_db import fresh_postgres

    return stack.enter_context(fresh_postgres(url, "leadflow_e2e"))


@pytest.fixture(scope="session")
def app() -> Iterator[App]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium (.ci/run does)")
    with tempfile.TemporaryDirectory() as folder, ExitStack() as stack:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("DJANGO_", "LEADFLOW_", "SQLITE_"))
        }
        env.update(DJANGO_SETTINGS_MODULE="leadflow.settings", LEADFLOW_VAR_DIR=folder)
        if os.environ.get("DATABASE_URL"):
            env["DATABASE_URL"] = _scratch_postgres(os.environ["DATABASE_URL"], stack)
        port = _free_port()
        env["SITE_URL"] = f"http://127.0.0.1:{port}"  # the links the app writes (surveys)
        mailbox = Mailbox()
        smtp = Controller(mailbox, hostname="127.0.0.1", port=free_port())
        smtp.start()
        stack.callback(smtp.stop)
        env.update(EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(smtp.port), EMAIL_ENABLED="true")
        log_path = Path(folder) / "serve.log"
        log = stack.enter_context(log_path.open("w"))
        server = subprocess.Popen(  # noqa: S603 - our own command
            [sys.executable, "-m", "leadflow.cli", "serve", "--bind", f"127.0.0.1:{port}"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_until_up(url, server, log_path)
            yield App(url=url, passwords=_passwords(log_path.read_text()), mailbox=mailbox)
        finally:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()


def _wait_until_up(url: str, server: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"leadflow serve stopped:\n{log_path.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as answer:  # noqa: S310
                if answer.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)  # waiting for a real server to start, not for the code under test
    raise RuntimeError(f"leadflow serve did not answer:\n{log_path.read_text()[-3000:]}")


def _passwords(output: str) -> dict[str, str]:
    """The demo passwords `leadflow serve` printed once."""
    return dict(re.findall(r"^\s+([a-z.]+)\s+(\S+)\s*$", output, flags=re.MULTILINE))


@pytest.fixture(scope="session")
def browser(app):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"]
        )
        yield chromium
        chromium.close()


@pytest.fixture
def shots(request):
    """shoot(page, "step") saves var/e2e/<test>/<n>-step.png."""
    folder = ARTIFACTS / request.node.name
    folder.mkdir(parents=True, exist_ok=True)
    counter = iter(range(1, 100))

    def shoot(page, step: str) -> None:
        page.screenshot(path=str(folder / f"{next(counter):02d}-{step}.png"), full_page=True)

    return shoot
