"""SQLite writers queue on a file lock beside the database (core.sqlite)."""

import fcntl
import hashlib
import os
from pathlib import Path

import pytest
from django.db import connection, transaction

from leadflow.core.sqlite.base import COMMITS_PER_CHECKPOINT
from tests.scoped_app.models import Memo

pytestmark = [
    # serialized_rollback, like the other transactional test: the next one expects it.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite only"),
]


def _lock_is_free() -> bool:
    probe = os.open(f"{connection.settings_dict['NAME']}.writelock", os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(probe)
    return True


def test_a_transaction_holds_the_write_lock_until_it_ends():
    # SPEC: LEAD-CAP (API speed) — concurrent captures queue instead of sleeping on SQLite's lock.
    assert _lock_is_free()
    with transaction.atomic():
        assert not _lock_is_free()
    assert _lock_is_free()
    held_while_failing = []

    def failing_transaction():
        with transaction.atomic():
            held_while_failing.append(not _lock_is_free())
            raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        failing_transaction()
    assert held_while_failing == [True]
    assert _lock_is_free()  # a failed transaction releases the lock too


def _database_file() -> tuple[int, str]:
    """The main database file's size and digest: in WAL mode only a checkpoint writes it."""
    content = Path(connection.settings_dict["NAME"]).read_bytes()
    return len(content), hashlib.sha256(content).hexdigest()


def test_a_web_connection_checkpoints_after_the_response_not_inside_a_commit(client, make_user):
    # SPEC: LEAD-CAP (API speed) — SQLite's own checkpoint ran inside every 40th or so
    # capture's COMMIT (15 ms, the write lock held): the p99 of the capture API.
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_autocheckpoint")
        assert cursor.fetchone()[0] == 1000  # SQLite's own until the connection serves a request
    owner = make_user()
    client.get("/healthz")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # start from an empty WAL
    before = _database_file()
    for batch in range(COMMITS_PER_CHECKPOINT):
        with transaction.atomic():  # 1,000 rows a commit: 40 commits fill far over 1000 pages
            Memo.objects.bulk_create(
                Memo(owner=owner, title=f"{batch}-{row}-" + "备忘" * 40) for row in range(1000)
            )
    assert _database_file() == before  # every commit went to the WAL only
    client.get("/healthz")
    size, _ = _database_file()
    assert size > before[0] + 1000 * 4096  # the 40 commits are in the database now
