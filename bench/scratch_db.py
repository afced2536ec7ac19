"""A throw-away PostgreSQL database for one benchmark run, dropped after."""

import os
from collections.abc import Iterator
from contextlib import contextmanager


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
