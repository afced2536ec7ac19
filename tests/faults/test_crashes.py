"""Crashes of real processes at named points (SEC, LEAD-CAP-2, AUT-2: nothing lost,
nothing frozen, nothing sent twice under a new Message-ID).

Each test runs leadflow as users do, in child processes over a scratch database of its own
(a SQLite file, or with DATABASE_URL a PostgreSQL database made from a migrated
template), kills one with SIGKILL where `core.faults.fault_point` names the moment, and
checks what the next process finds. A process that hangs fails its test by its timeout.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import Mailbox, free_port

ROOT = Path(__file__).resolve().parents[2]
PREAMBLE = """
import os, sys, json
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadflow.settings")
import django
django.setup()
"""


@dataclass
class World:
    env: dict[str, str]

    def run(self, code: str, *, timeout: float = 90, **env: str) -> subprocess.CompletedProcess:
        """Python code in a fresh leadflow process; fails the test if it hangs."""
        return subprocess.run(  # noqa: S603 - our own interpreter and code
            [sys.executable, "-c", PREAMBLE + textwrap.dedent(code)],
            env={**self.env, **env},
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def leadflow(self, *args: str, timeout: float = 180, **env: str) -> subprocess.CompletedProcess:
        return subprocess.run(  # noqa: S603 - our own command
            [sys.executable, "-m", "leadflow.cli", *args],
            env={**self.env, **env},
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
        )


def _base_env(folder: Path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "LEADFLOW_", "SQLITE_", "EMAIL_"))
    }
    env.update(DJANGO_SETTINGS_MODULE="leadflow.settings", LEADFLOW_VAR_DIR=str(folder))
    return env


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """A migrated database to copy from: a SQLite file, or a PostgreSQL database."""
    folder = tmp_path_factory.mktemp("template")
    env = _base_env(folder)
    url = os.environ.get("DATABASE_URL", "")
    if url:
        import psycopg

        name = f"leadflow_faults_{os.getpid()}"
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name}")
            admin.execute(f"CREATE DATABASE {name}")
        env["DATABASE_URL"] = f"{url.rpartition('/')[0]}/{name}"
    migrated = World(env).leadflow("migrate", "-v0")
    assert migrated.returncode == 0, migrated.stderr
    yield folder, env
    if url:
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def world(template, tmp_path, request):
    """A fresh copy of the migrated database, with its own var folder (keys included)."""
    source, source_env = template
    folder = tmp_path / "var"
    shutil.copytree(source, folder)
    env = {**source_env, "LEADFLOW_VAR_DIR": str(folder)}
    url = source_env.get("DATABASE_URL", "")
    if not url:
        yield World(env)
        return
    import psycopg

    base, _, template_name = url.rpartition("/")
    name = f"{template_name}_{abs(hash(request.node.name)) % 10**8}"
    admin_url = os.environ["DATABASE_URL"]
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name}")
        admin.execute(f"CREATE DATABASE {name} TEMPLATE {template_name}")
    env["DATABASE_URL"] = f"{base}/{name}"
    yield World(env)
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _lead_file(path: Path, rows: int) -> Path:
    lines = ["客户名称,手机,行业,需求,渠道"]
    lines += [f"苏州第{n}机械有限公司,139{n:08d},制造业,采购设备,Z" for n in range(rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _processes_reading(path: Path) -> list[int]:
    """Processes whose command line names `path` (the importer and its children)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if str(path).encode() in command:
            found.append(int(entry.name))
    return found


CAPTURE = """
from leadflow.leads.cleaning import Consent
from leadflow.leads.capture import lead_capture
result = lead_capture(
    values={"name": "杭州某某贸易有限公司", "mobile": "13812345678", "industry": "零售",
            "need": "咨询", "channel": "G"},
    consent=Consent(notice_version="privacy-2026-01"),
    via="api",
)
print(result.lead.number)
"""


def test_a_killed_import_frees_every_write_and_is_marked_failed(world, tmp_path):
    # SPEC: LEAD-CAP-2, SEC-5 — the cleaning children kept the writers' lock (SQLite) or
    # the open transaction and its locks (PostgreSQL) after the importer was killed, and
    # every capture waited forever
    path = _lead_file(tmp_path / "名单.csv", 60_000)
    killed = world.leadflow(
        "import", "leads", str(path), "--basis", "合同履行", LEADFLOW_KILL_AT="import.chunk_written"
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]

    captured = world.run(CAPTURE, timeout=60)
    assert captured.returncode == 0, captured.stderr[-2000:]
    assert captured.stdout.strip().startswith("G")
    assert _processes_reading(path) == []  # no cleaning child outlived the importer

    swept = world.run(
        """
        from django.utils import timezone
        from leadflow.core.health import health_report
        from leadflow.core.sweeps import run_all_sweeps
        from leadflow.leads.models import ImportBatch, Lead
        run_all_sweeps(timezone.now())
        batch = ImportBatch.objects.get()
        _, report = health_report(deep=True)
        print(json.dumps({"state": batch.state, "failure": batch.failure,
                          "rows_done": batch.rows_done, "leads": Lead.objects.count(),
                          "writable": report["database"]["writable"]}))
        """
    )
    assert swept.returncode == 0, swept.stderr[-2000:]
    outcome = json.loads(swept.stdout.strip().splitlines()[-1])
    assert outcome["state"] == "failed"
    # The failure states the rows that arrived, in the company's language.
    assert "60000" in outcome["failure"]
    assert str(outcome["rows_done"]) in outcome["failure"]
    # What the killed transaction wrote is gone whole; the capture after it stayed.
    assert outcome["leads"] == outcome["rows_done"] + 1
    assert outcome["writable"] is True


HOLD_THE_WRITE_LOCK = """
from django.db import transaction
from leadflow.core.models import WorkerHeartbeat
from leadflow.leads.locks import lock_all_captures
from django.utils import timezone
with transaction.atomic():
    lock_all_captures()  # PostgreSQL: what an import holds; SQLite: any write transaction
    WorkerHeartbeat.objects.create(worker_id="holder", hostname="h", pid=1,
                                   started_at=timezone.now(), last_seen=timezone.now())
    print("held", flush=True)
    sys.stdin.readline()
"""


def test_healthz_reports_writes_that_cannot_start(world):
    # SPEC: SEC-5 — /healthz said ok while every capture was failing
    holder = subprocess.Popen(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", PREAMBLE + HOLD_THE_WRITE_LOCK],
        env=world.env,
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        checked = world.run(
            """
            from leadflow.core.health import health_report
            ok, report = health_report(deep=True)
            print(json.dumps({"ok": ok, "status": report["status"],
                              "writable": report["database"]["writable"]}))
            """
        )
    finally:
        holder.communicate("\n", timeout=30)
    assert checked.returncode == 0, checked.stderr[-2000:]
    assert json.loads(checked.stdout.strip().splitlines()[-1]) == {
        "ok": True,
        "status": "degraded",
        "writable": False,
    }


@pytest.fixture
def smtp(world):
    from aiosmtpd.controller import Controller

    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    world.env.update(EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(controller.port))
    yield mailbox
    controller.stop()


QUEUE_A_NOTICE = """
from django.db import transaction
from leadflow.accounts.models import User
from leadflow.notify.delivery import Message, notify
from leadflow.notify.models import Delivery
user = User.objects.create(username="li", email="li@example.cn", display_name="李明")
notify(user, Message(title="新线索 G20261130001", body="苏州某某机械有限公司"))
delivery = Delivery.objects.get(channel="email")
print(json.dumps({"id": delivery.pk, "message_id": delivery.message_id}))
"""

# Another worker, three minutes later: the dead worker's lease has run out.
TAKE_OVER = """
from datetime import timedelta
import time_machine
from django.utils import timezone
from leadflow.core.sweeps import run_all_sweeps
from leadflow.core.worker import run_worker
with time_machine.travel(timezone.now() + timedelta(minutes=3), tick=True):
    run_all_sweeps(timezone.now())
    run_worker(batch=True, interval=0)
"""
RECOVER = (
    TAKE_OVER
    + """
from leadflow.notify.models import Delivery
print(json.dumps(list(Delivery.objects.values_list("status", "message_id"))))
"""
)


@pytest.mark.parametrize(
    ("point", "sent_times"),
    [("delivery.claimed", 1), ("delivery.accepted", 2), ("delivery.recorded", 1)],
)
def test_a_worker_killed_mid_send_sends_once_or_again_under_the_same_message_id(
    world, smtp, point, sent_times
):
    # SPEC: AUT-2, SEC-3 — a reclaimed send went out again with a new Message-ID, and the
    # killed worker's task stayed RUNNING, counted nowhere
    queued = world.run(QUEUE_A_NOTICE)
    assert queued.returncode == 0, queued.stderr[-2000:]
    delivery = json.loads(queued.stdout.strip().splitlines()[-1])

    killed = world.leadflow("worker", "--batch", LEADFLOW_KILL_AT=point)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]

    recovered = world.run(RECOVER)
    assert recovered.returncode == 0, recovered.stderr[-2000:]
    assert json.loads(recovered.stdout.strip().splitlines()[-1]) == [
        ["sent", delivery["message_id"]]
    ]
    assert len(smtp.messages) == sent_times
    assert {message["Message-ID"] for message in smtp.messages} == {delivery["message_id"]}
    left = world.run(
        """
        from django_tasks_db.models import DBTaskResult
        print(DBTaskResult.objects.filter(status="RUNNING").count())
        """
    )
    assert left.stdout.strip().splitlines()[-1] == "0"


QUEUE_AN_UPLOAD = """
from pathlib import Path
from leadflow.accounts.models import Role, User
from leadflow.leads.imports import import_start
user = User.objects.create(username="zhao", role=Role.objects.get(code="marketing"))
batch = import_start(path=Path(sys.argv[1]), file_name="名单.csv", basis="展会登记时书面同意",
                     channel=None, by=user)
print(batch.pk)
"""


def test_a_worker_killed_mid_import_leaves_a_failed_batch_and_free_writes(world, tmp_path):
    # SPEC: LEAD-CAP-2 — a UI import whose worker died stayed 'running' with its task
    path = _lead_file(tmp_path / "名单.csv", 60_000)
    queued = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", PREAMBLE + textwrap.dedent(QUEUE_AN_UPLOAD), str(path)],
        env=world.env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert queued.returncode == 0, queued.stderr[-2000:]

    killed = world.leadflow("worker", "--batch", LEADFLOW_KILL_AT="import.chunk_written")
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]

    recovered = world.run(
        TAKE_OVER
        + """
from django_tasks_db.models import DBTaskResult
from leadflow.leads.models import ImportBatch
batch = ImportBatch.objects.get()
print(json.dumps({"state": batch.state, "failure": batch.failure,
                  "running": DBTaskResult.objects.filter(status="RUNNING").count()}))
"""
    )
    assert recovered.returncode == 0, recovered.stderr[-2000:]
    outcome = json.loads(recovered.stdout.strip().splitlines()[-1])
    assert (outcome["state"], outcome["running"]) == ("failed", 0)
    assert "60000" in outcome["failure"]
    captured = world.run(CAPTURE, timeout=60)
    assert captured.returncode == 0, captured.stderr[-2000:]


ENROL_A_THOUSAND = """
from leadflow.accounts.models import Role, User
from leadflow.core.company_settings import settings_update
from leadflow.journeys.journeys import journey_enrol_by_hand, journey_save, journey_state_set
from leadflow.mailing.sending import template_save
from tests.mailing.conftest import lead
marketer = User.objects.create(username="zhao", role=Role.objects.get(code="marketing"))
settings_update(changes={"mailing.per_minute": 5000}, by=marketer)
template = template_save(values={"name": "方案", "purpose": "marketing", "subject": "定制方案",
                                 "html": "<p>您好</p>", "text": "您好"}, by=marketer)
journey = journey_save(values={"name": "快速转化", "trigger": {"kind": "manual"},
                               "quiet_hours": False},
                       steps=[{"id": "s1", "kind": "email", "template": template.pk}], by=marketer)
journey_state_set(journey=journey, state="active", by=marketer)
leads = [lead(f"公司{n}", f"buyer{n}@example.cn") for n in range(1000)]
print(journey_enrol_by_hand(journey=journey, leads=leads, by=marketer))
"""
RUN_THE_JOURNEY = """
from django.utils import timezone
from leadflow.journeys.engine import run_due_steps
from leadflow.mailing.sending import sweep_outbox
run_due_steps(timezone.now())
sweep_outbox(timezone.now())
"""
# Another worker, eleven minutes later: the dead worker's leases (5 and 10 minutes) are over.
FINISH_THE_JOURNEY = """
from datetime import timedelta
import time_machine
from django.utils import timezone
from leadflow.journeys.engine import run_due_steps
from leadflow.journeys.models import Enrollment, StepRun
from leadflow.mailing.models import EmailMessage
from leadflow.mailing.sending import sweep_outbox
with time_machine.travel(timezone.now() + timedelta(minutes=11), tick=True):
    run_due_steps(timezone.now())
    sweep_outbox(timezone.now())
print(json.dumps({
    "states": sorted(set(Enrollment.objects.values_list("state", flat=True))),
    "runs": StepRun.objects.count(),
    "messages": sorted(set(EmailMessage.objects.values_list("status", flat=True))),
    "ids": dict(EmailMessage.objects.values_list("address", "message_id")),
}))
"""


@pytest.mark.parametrize(
    ("point", "after"), [("journeys.step_acted", 400), ("mailing.accepted", 400)]
)
def test_a_worker_killed_mid_journey_sends_each_lead_one_email(world, smtp, point, after):
    # SPEC: AUT-2 — a worker killed in the middle of a batch of 1,000 journey emails: a new
    # worker finishes it, every lead gets exactly one message, counted at the SMTP server
    # (a second copy only of the one in flight, under the same Message-ID)
    enrolled = world.run(ENROL_A_THOUSAND, timeout=300)
    assert enrolled.returncode == 0, enrolled.stderr[-2000:]
    assert enrolled.stdout.strip().splitlines()[-1] == "1000"

    killed = world.run(
        RUN_THE_JOURNEY, timeout=300, LEADFLOW_KILL_AT=point, LEADFLOW_KILL_AFTER=str(after)
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    finished = world.run(FINISH_THE_JOURNEY, timeout=300)
    assert finished.returncode == 0, finished.stderr[-2000:]
    after_all = json.loads(finished.stdout.strip().splitlines()[-1])
    assert (after_all["states"], after_all["runs"], after_all["messages"]) == (
        ["finished"],
        1000,
        ["sent"],
    )
    received: dict[str, set[str]] = {}
    for message in smtp.messages:
        received.setdefault(message["X-Envelope-To"], set()).add(message["Message-ID"])
    assert len(received) == 1000  # every lead got its email
    assert all(received[to] == {after_all["ids"][to]} for to in received)  # one Message-ID each
    assert len(smtp.messages) == 1000 + (point == "mailing.accepted")
