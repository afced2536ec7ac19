"""A throw-away PostgreSQL database for one benchmark run, dropped after, and the timing
helpers the page benchmarks share."""

import os
import tempfile
import time
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any


@contextmanager
def fresh_postgres(url: str, prefix: str) -> Iterator[str]:
    """A new empty database beside the one in `url`; yields its URL, drops it after."""
    import psycopg

    base, _, _ = url.rpartition("/")
    name = f"{prefix}_{os.getpid()}"
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name}")
        admin.execute(f"CREATE DATABASE {name}")
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@contextmanager
def scratch_environment(prefix: str) -> Iterator[None]:
    """A benchmark's own world: settings, a temporary var folder (SQLite database, keys),
    and with DATABASE_URL a fresh PostgreSQL database beside it; all gone after."""
    with tempfile.TemporaryDirectory() as folder, ExitStack() as cleanup:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadflow.settings")
        os.environ["LEADFLOW_VAR_DIR"] = folder
        if os.environ.get("DATABASE_URL"):
            os.environ["DATABASE_URL"] = cleanup.enter_context(
                fresh_postgres(os.environ["DATABASE_URL"], prefix)
            )
        yield


def lead_columns() -> tuple[str, ...]:
    """Every stored column of a lead, for benchmarks that fill the table with whole rows
    (`leads.bulk.sql.insert_leads`) instead of importing a file."""
    from leadflow.leads.models import Lead

    return tuple(field.attname for field in Lead._meta.concrete_fields)


def lead_row(n: int, stamp: str, **changes: Any) -> dict[str, Any]:
    """A whole accepted lead numbered `n`, every time `stamp` (a `db_moment`), for the
    benchmarks that fill the table: the fields a benchmark cares about come as changes."""
    row = {
        "id": n,
        "number": f"B{n:012d}",
        "kind": "company",
        "name": f"压测公司{n}",
        "company_key": f"压测公司{n}",
        "contact_name": "",
        "contact_title": "",
        "mobile": "",  # personal data is encrypted with keyed hashes: left empty here
        "landline": "",
        "email": "",
        "mobile_hash": "",
        "landline_hash": "",
        "email_hash": "",
        "industry": "制造业",
        "need": "采购设备",
        "region": "上海",
        "address": "",
        "annual_revenue": "",
        "budget": "",
        "purchase_timeline": "",
        "current_supplier": "",
        "channel_detail": "",
        "acquired_at": stamp,
        "status": "accepted",
        "non_target_reason": "",
        "score": 20,
        "grade": "B",
        "priority": "medium",
        "values_at": stamp,
        "created_at": stamp,
        "updated_at": stamp,
        "consent_notice_version": "",
        "consent_channel": "bench",
        "lawful_basis": "bench",
        "priority_reason": "",
        "assigned_at": stamp,
        "accepted_at": stamp,
        "waiting_reason": "",
        "stage": "initial",
        "stage_reason": "",
        "stage_changed_at": stamp,
        "furthest_stage": "initial",
        "overdue_stage": 0,
        "pool_warned": False,
        "captured_via": "import",
    }
    row.update(changes)
    return row


def insert_lead_rows(rows: Iterable[dict[str, Any]], *, batch: int = 50_000) -> int:
    """Insert whole leads with the importer's bulk insert (COPY on PostgreSQL), a batch
    at a time, then move the id sequence past them and ANALYZE; returns how many."""
    from django.db import connection

    from leadflow.leads.bulk.sql import insert_leads

    columns = lead_columns()
    pending, count, last = [], 0, 0
    for row in rows:
        pending.append([row.get(name) for name in columns])
        count, last = count + 1, max(last, row["id"])
        if len(pending) == batch:
            insert_leads(pending, columns)
            pending.clear()
    insert_leads(pending, columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT setval(pg_get_serial_sequence('leads_lead', 'id'), %s)", [last])
            cursor.execute("ANALYZE leads_lead")
        else:
            cursor.execute("ANALYZE")
    return count


def best_of(times: int, call) -> float:
    """The shortest of `times` runs of `call()`, in seconds."""
    best = float("inf")
    for _ in range(times):
        began = time.perf_counter()
        call()
        best = min(best, time.perf_counter() - began)
    return best


def bare_sql(sql: str) -> None:
    """Run a statement a page ran, on a plain cursor, and read its rows: a page's floor."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql)
        cursor.fetchall()
