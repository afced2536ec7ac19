"""SQLite writers queue on a file lock beside the database (core.sqlite)."""

import fcntl
import os

import pytest
from django.db import connection, transaction

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
