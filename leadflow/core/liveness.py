"""Claims that last exactly as long as the process holding them (an import, say): another
process learns at once whether the holder is alive, not after a timeout.

On PostgreSQL the claim is a session advisory lock, which the server drops with the
holder's connection; on SQLite, a file lock beside the database, which the kernel drops
with the holder's process (and with its children, which must not outlive it: see
`leads.bulk.importer`).
"""

import os
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection

try:
    import fcntl
except ImportError:  # not POSIX: no file locks; is_alive says alive (the safe answer)
    fcntl = None  # type: ignore[assignment]

LIVENESS_LOCK = 7_401_100  # advisory lock class id


def _key_id(key: str) -> int:
    return zlib.crc32(key.encode()) - 2**31


def _path(key: str) -> str:
    return f"{connection.settings_dict['NAME']}.{key}.alive"


@contextmanager
def alive_while(key: str) -> Iterator[None]:
    """Hold the claim `key` for the duration of the block (and no longer than this process)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s, %s)", [LIVENESS_LOCK, _key_id(key)])
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [LIVENESS_LOCK, _key_id(key)])
        return
    if fcntl is None:
        yield
        return
    handle = os.open(_path(key), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        os.close(handle)  # the lock goes with the last descriptor


def is_alive(key: str) -> bool:
    """Whether some process holds the claim `key` now."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [LIVENESS_LOCK, _key_id(key)])
            taken = cursor.fetchone()[0]
            if taken:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [LIVENESS_LOCK, _key_id(key)])
        return not taken
    if fcntl is None:
        return True
    return not file_lock_free(_path(key))


def file_lock_free(path: str, *, within: float = 0.0, create: bool = False) -> bool:
    """Whether an exclusive flock on `path` could be had now, or within `within` seconds
    (it is let go at once). A file that is not there is free, unless `create`. Without
    flock (not POSIX): free."""
    if fcntl is None:
        return True
    try:
        handle = os.open(path, os.O_RDWR | os.O_CLOEXEC | (os.O_CREAT if create else 0), 0o600)
    except FileNotFoundError:
        return True
    deadline = time.monotonic() + within
    try:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    return False
                time.sleep(0.05)  # a holder that lets go soon (a writer's transaction)
                continue
            fcntl.flock(handle, fcntl.LOCK_UN)
            return True
    finally:
        os.close(handle)
