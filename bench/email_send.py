"""Benchmark: a one-off email to 100,000 leads through a loopback SMTP sink (issue #24, AUT-3).

    .venv/bin/python bench/email_send.py [--leads 100000] [--hits 100000]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/email_send.py

Builds a fresh database (SQLite in a temporary folder, or a new PostgreSQL database next to
DATABASE_URL) with N leads who agreed to marketing, each with an email, and starts an SMTP
sink on loopback (aiosmtpd, counting what arrives). Then, in the same run:
- floor: a bare smtplib loop sending the same number of messages of the same size over
  one connection to the same sink;
- send: `send_create` → `prepare_send` (render, check consent, suppression and the cap,
  store each message) → the outbox sent in batches (`_deliver_batch`, rate set high);
prints messages/s of each and the ratio (goal ≤ 2×), the two phases apart.
Then `--hits` tracking hits (opens through the real view, URL routing and middleware
included, by Django's test client in this one process) and prints hits/s. The issue's
reference (≥ 1,000/s) is for two gunicorn workers; this measures one process, no HTTP.
"""

import argparse
import email.policy
import logging
import smtplib
import socket
import sys
import time
from datetime import UTC, datetime
from email.message import EmailMessage as Mail
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scratch_db import insert_lead_rows, lead_row, scratch_environment  # noqa: E402 - this folder, found as the script's own


class Sink:
    def __init__(self):
        self.count = 0

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.count += 1
        return "250 OK"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--hits", type=int, default=100_000)
    args = parser.parse_args()
    with scratch_environment("leadflow_email"):
        run(args)


def start_sink():
    """A loopback SMTP sink, started, and the app's email settings pointed at it (before
    Django is set up): (sink, controller, port)."""
    import os

    from aiosmtpd.controller import Controller

    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every command
    sink = Sink()
    with socket.socket() as probe:  # aiosmtpd needs a concrete port to check it came up
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    os.environ.update(EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(port), EMAIL_ENABLED="true")
    return sink, controller, port


def run(args) -> None:
    sink, controller, port = start_sink()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    marketer = _fill(args.leads)
    print(
        f"database          {connection.vendor}, {args.leads:,} leads with email "
        f"(filled in {time.perf_counter() - started:.0f} s)"
    )
    from leadflow.core.company_settings import settings_update
    from leadflow.mailing.models import EmailMessage
    from leadflow.mailing.sending import _deliver_batch, prepare_send, send_create, template_save

    settings_update(changes={"mailing.per_minute": 100_000}, by=marketer)
    template = template_save(
        values={
            "name": "压测",
            "purpose": "marketing",
            "subject": "{{ lead.name }}，新品发布",
            "html": '<p>{{ lead.contact_name|default:"您" }}好</p>'
            '<p><a href="https://example.cn/new">了解新品</a></p>' + "<p>正文。</p>" * 20,
            "text": "新品发布，详情见 https://example.cn/new\n" + "正文。" * 20,
        },
        by=marketer,
    )
    sample = None

    began = time.perf_counter()
    send = send_create(template=template, name="压测群发", filters={}, by=marketer)
    prepare_send.call(send.pk)
    prepared = time.perf_counter() - began
    sample = EmailMessage.objects.first()
    began = time.perf_counter()
    while EmailMessage.objects.filter(status="queued").exists():
        _deliver_batch(datetime.now(UTC))
    delivered = time.perf_counter() - began
    ours = prepared + delivered
    sent = EmailMessage.objects.filter(status="sent").count()
    received = sink.count  # before the floor sends its own to the same sink
    floor = _floor(port, sample, args.leads)
    print(f"floor (smtplib)   {floor:8.1f} s   {args.leads / floor:8,.0f} messages/s")
    print(
        f"send              {ours:8.1f} s   {sent / ours:8,.0f} messages/s   "
        f"{ours / floor:4.1f}× the floor (goal ≤ 2×)   "
        f"(made {prepared:.1f} s, sent {delivered:.1f} s; the sink got {received:,})"
    )
    _hits(args.hits)
    controller.stop()
    connection.close()  # so the scratch database can be dropped


def _floor(port: int, sample, count: int) -> float:
    """The same number of messages of the sample's size, one connection, nothing else."""
    mail = Mail()
    mail["From"], mail["To"], mail["Subject"] = "bench@example.cn", "x@example.cn", sample.subject
    mail.set_content(sample.text, cte="base64")
    mail.add_alternative(sample.html, subtype="html", cte="base64")
    payload = mail.as_bytes(policy=email.policy.SMTP)  # CRLF line ends, as on the wire
    began = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as client:
        for _ in range(count):
            client.sendmail("bench@example.cn", ["x@example.cn"], payload)
    return time.perf_counter() - began


def _hits(count: int) -> None:
    from django.test import Client

    from leadflow.mailing.models import EmailMessage

    tokens = list(EmailMessage.objects.values_list("token", flat=True)[:1000])
    client = Client()
    began = time.perf_counter()
    for n in range(count):
        client.get(f"/t/o/{tokens[n % len(tokens)]}.gif", HTTP_USER_AGENT="Mozilla/5.0 Foxmail")
    seconds = time.perf_counter() - began
    print(f"tracking hits     {seconds:8.1f} s   {count / seconds:8,.0f} hits/s (one process)")


def _fill(count: int, *, owner_role: str = ""):
    """The marketer who sends, and `count` leads who agreed to marketing, each with an
    email (owned by one rep of `owner_role` when given); the marketer."""
    from django.db import connection, transaction

    from leadflow.accounts.models import Role, User
    from leadflow.core.crypto import encrypt, lookup_hash
    from leadflow.leads.bulk.sql import db_moment
    from leadflow.leads.models import Channel

    marketer = User.objects.create(
        username="marketer",
        display_name="市场",
        role=Role.objects.get(code="marketing"),
        email="m@example.cn",
    )
    owner = {}
    if owner_role:
        rep = User.objects.create(
            username="rep", display_name="销售", role=Role.objects.get(code=owner_role)
        )
        owner = {"owner_id": rep.pk}
    channel = Channel.objects.get(code="E").pk
    stamp = db_moment(datetime.now(UTC), connection.vendor)
    with transaction.atomic():
        insert_lead_rows(
            lead_row(
                n,
                stamp,
                channel_id=channel,
                **owner,
                contact_name=f"联系人{n}",
                email=encrypt(f"buyer{n}@example.cn"),
                email_hash=lookup_hash(f"buyer{n}@example.cn"),
                lawful_basis="consent",
            )
            for n in range(1, count + 1)
        )
    return marketer


if __name__ == "__main__":
    main()
