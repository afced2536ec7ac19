"""A throw-away PostgreSQL database for one benchmark run, dropped after."""

import os
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager


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
