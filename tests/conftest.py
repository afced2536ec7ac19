import email.policy
import json
import socket
import threading
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import pytest
from aiosmtpd.controller import Controller
from django.test import Client
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from leadflow.accounts.org import department_create, team_create
from leadflow.accounts.tokens import token_create
from leadflow.core import config_cache
from tests.factories import UserFactory


@pytest.fixture
def org(db):
    """Company → 销售部 (teams 华东, 华北) and 市场部; enough tree for scope rules."""
    company = department_create(by=None, name="测试公司")
    sales = department_create(by=None, name="销售部", parent=company)
    east_region = department_create(by=None, name="华东大区", parent=sales)
    marketing = department_create(by=None, name="市场部", parent=company)
    east = team_create(by=None, name="华东一组", department=east_region)
    north = team_create(by=None, name="华北组", department=sales)
    return SimpleNamespace(
        company=company,
        sales=sales,
        east_region=east_region,
        marketing=marketing,
        east=east,
        north=north,
    )


@pytest.fixture
def make_user(db):
    def make(role: str = "sales_rep", **fields):
        return UserFactory(role_code=role, **fields)

    return make


@pytest.fixture
def admin_user(make_user):
    return make_user("admin", username="root", is_superuser=True)


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def client_for():
    return logged_in


@pytest.fixture
def api_for(db):
    """A test client that calls the API with a bearer token of `user`."""

    def make(user) -> Client:
        _, raw = token_create(user=user, name="test")
        return Client(headers={"Authorization": f"Bearer {raw}"})

    return make


@pytest.fixture
def run_tasks(db, monkeypatch):
    """Run every task that is due, as a worker would, and fail the test if one fails.

    The worker drops stale connections between tasks; inside a test's transaction that
    would drop the test's own connection, so (as Django's test client does) it is unhooked.
    """
    monkeypatch.setattr(
        "django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None
    )

    def run() -> list[DBTaskResult]:
        finished = DBTaskResult.objects.filter(finished_at__isnull=False)
        before = set(finished.values_list("id", flat=True))
        Worker(
            queue_names=["*"],
            interval=0,
            batch=True,
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id="pytest",
            excluded_queue_names=[],
        ).run()
        failed = list(DBTaskResult.objects.filter(status="FAILED"))
        assert not failed, [(r.task_path, r.exception_class_path, r.traceback) for r in failed]
        return list(finished.exclude(id__in=before))

    return run


@dataclass
class Mailbox:
    messages: list[Message] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        message = message_from_bytes(envelope.content, policy=email.policy.default)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 OK"


def free_port() -> int:
    # aiosmtpd needs a concrete port to check its server came up.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server on loopback; Django's SMTP backend delivers to it."""
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    yield mailbox
    controller.stop()


class WebhookServer:
    """A real HTTP server on loopback that records posts and answers as told."""

    def __init__(self):
        self.requests: list[dict] = []
        self.replies: list[tuple[int, dict]] = []  # consumed in order; then {"errcode": 0}
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's hook name
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                outer.requests.append(
                    {
                        "path": self.path,
                        "headers": dict(self.headers),
                        "json": json.loads(body or b"null"),
                    }
                )
                status, reply = (
                    outer.replies.pop(0) if outer.replies else (200, {"errcode": 0, "code": 0})
                )
                payload = json.dumps(reply).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def webhook_server():
    with WebhookServer() as server:
        yield server


@pytest.fixture
def config_clock(monkeypatch):
    """The per-process configuration cache (core.config_cache) empty, on a clock the test
    moves: `config_clock[0] += 2.5` is two and a half seconds later."""
    now = [1000.0]
    monkeypatch.setattr(config_cache, "_clock", lambda: now[0])
    monkeypatch.setattr(config_cache, "_VALUES", {})
    return now
