"""SQLite with writers queued on a file lock instead of SQLite's busy-wait.

SQLite lets one transaction write at a time. A second writer that finds the lock taken
sleeps and retries (1, 2, 5, 10 … ms), so under steady load two web workers spend much of
a capture asleep. Here every transaction first takes an exclusive lock on a file beside
the database, then runs BEGIN IMMEDIATE: waiting writers queue in the kernel and the
next starts the moment the last one commits. The lock ends with the transaction (commit,
rollback, close) and with the process, should it die.
"""

import os
import re
from itertools import chain

from django.db.backends.sqlite3 import base, operations

try:
    import fcntl
except ImportError:  # not POSIX: SQLite's own busy timeout alone
    fcntl = None  # type: ignore[assignment]


TRIGGER_WRITES = re.compile(r"INSERT\s+INTO\s+\"?(\w+)", re.IGNORECASE)


class DatabaseOperations(operations.DatabaseOperations):
    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        """Empty the tables that triggers write into last (SQLite has no TRUNCATE, and a
        DELETE fires the triggers), so what they add while the others empty goes too."""
        with self.connection.cursor() as cursor:
            cursor.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger'")
            written = {name for (sql,) in cursor.fetchall() for name in TRIGGER_WRITES.findall(sql)}
        if allow_cascade:  # as Django does it, before the order is set
            graph = self._references_graph  # type: ignore[attr-defined]
            tables = set(chain.from_iterable(graph(table) for table in tables))
        ordered = sorted(tables, key=lambda table: table in written)
        return super().sql_flush(style, ordered, reset_sequences=reset_sequences)


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations
    _lock_file: int | None = None
    _locked = False

    def _lock_path(self) -> str | None:
        name = str(self.settings_dict["NAME"])
        if fcntl is None or name == ":memory:" or name.startswith("file:"):
            return None
        return f"{name}.writelock"

    def _take_write_lock(self) -> None:
        if self._locked:
            return
        if self._lock_file is None:
            path = self._lock_path()
            if path is None:
                return
            self._lock_file = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(self._lock_file, fcntl.LOCK_EX)
        self._locked = True

    def _release_write_lock(self) -> None:
        if self._locked and self._lock_file is not None:
            fcntl.flock(self._lock_file, fcntl.LOCK_UN)
        self._locked = False

    def _start_transaction_under_autocommit(self):
        self._take_write_lock()
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]
        except BaseException:
            self._release_write_lock()
            raise

    def _commit(self):
        try:
            return super()._commit()  # type: ignore[misc]
        finally:
            self._release_write_lock()

    def _rollback(self):
        try:
            return super()._rollback()  # type: ignore[misc]
        finally:
            self._release_write_lock()

    def _close(self):
        try:
            return super()._close()  # type: ignore[misc]
        finally:
            self._release_write_lock()
            if self._lock_file is not None:
                os.close(self._lock_file)
                self._lock_file = None
