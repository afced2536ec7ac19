"""SQLite with writers queued on a file lock instead of SQLite's busy-wait.

SQLite lets one transaction write at a time. A second writer that finds the lock taken
sleeps and retries (1, 2, 5, 10 … ms), so under steady load two web workers spend much of
a capture asleep. Here every transaction first takes an exclusive lock on a file beside
the database, then runs BEGIN IMMEDIATE: waiting writers queue in the kernel and the
next starts the moment the last one commits. The lock ends with the transaction (commit,
rollback, close) and with the process, should it die.

A connection that serves web requests also checkpoints the WAL after the response
instead of inside a commit. SQLite's own checkpoint runs inside the COMMIT that lets the
WAL reach 1000 pages: every 40th or so capture took 15 ms longer, with the write lock
held, so the other web worker waited too (see `checkpoint_after_response`).
"""

import os
import re
from itertools import chain

from django.db import connections
from django.db.backends.sqlite3 import base, operations

from leadflow.core.liveness import file_lock_free

try:
    import fcntl
except ImportError:  # not POSIX: SQLite's own busy timeout alone
    fcntl = None  # type: ignore[assignment]


# A web-serving connection checkpoints after the response once it has committed this many
# transactions since its last checkpoint: a capture writes about 25 pages, so this is
# close to SQLite's own 1000 pages.
COMMITS_PER_CHECKPOINT = 40
TRIGGER_WRITES = re.compile(r"INSERT\s+INTO\s+\"?(\w+)", re.IGNORECASE)
REFUSES_DELETE = re.compile(r"BEFORE\s+DELETE\b.*RAISE\s*\(\s*ABORT", re.IGNORECASE | re.DOTALL)


# Built on Django internals (the SQLite DatabaseWrapper's _start_transaction_under_autocommit,
# _commit, _rollback, _close and get_new_connection; DatabaseOperations.sql_flush): re-read
# them against the new Django and then raise this (tests/core/test_django_internals.py).
CHECKED_WITH_DJANGO = (5, 2)


class DatabaseOperations(operations.DatabaseOperations):
    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        """Empty the tables that triggers write into last (SQLite has no TRUNCATE, and a
        DELETE fires the triggers), so what they add while the others empty goes too.
        A trigger that refuses deletes (the append-only audit log) is set aside while
        the table is emptied, as PostgreSQL's TRUNCATE passes it: emptying a table whole
        is the database owner's act, not a user's delete."""
        with self.connection.cursor() as cursor:
            cursor.execute("SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger'")
            triggers = cursor.fetchall()
        written = {name for (_, _, sql) in triggers for name in TRIGGER_WRITES.findall(sql)}
        if allow_cascade:  # as Django does it, before the order is set
            graph = self._references_graph  # type: ignore[attr-defined]
            tables = set(chain.from_iterable(graph(table) for table in tables))
        ordered = sorted(tables, key=lambda table: table in written)
        refusing = [
            (name, sql)
            for (name, table, sql) in triggers
            if table in tables and REFUSES_DELETE.search(sql)
        ]
        statements = super().sql_flush(style, ordered, reset_sequences=reset_sequences)
        if not refusing:
            return statements
        return [
            *(f'DROP TRIGGER "{name}"' for name, _ in refusing),
            *statements,
            *(sql for _, sql in refusing),
        ]


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations
    _lock_file: int | None = None
    _locked = False
    _commits_unchecked = 0  # commits since this connection's last checkpoint
    _checkpoints_after_response = False  # SQLite's own checkpoint is off on this connection

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

    def writers_lock_free_within(self, seconds: float) -> bool:
        """Whether a writer would get the writers' lock within `seconds` (for /healthz): a
        process that holds it and never lets go freezes every write."""
        path = self._lock_path()
        if path is None or self._locked:
            return True
        return file_lock_free(path, within=seconds, create=True)

    def get_new_connection(self, conn_params):
        self._checkpoints_after_response = False  # a new connection checkpoints as SQLite does
        self._commits_unchecked = 0
        database = str(conn_params.get("database", ""))
        if database and not self.is_in_memory_db() and not database.startswith("file:"):
            # SQLite makes the file on first connect; its folder is made here, not by settings.
            os.makedirs(os.path.dirname(os.path.abspath(database)), exist_ok=True)
        return super().get_new_connection(conn_params)

    def checkpoint_after_response(self) -> None:
        """Called when a request has ended (its response sent): from then on this connection
        leaves checkpoints to this call, which copies the WAL into the database after every
        COMMITS_PER_CHECKPOINT commits. PASSIVE: it waits for no one, and writers go on
        meanwhile. Connections that never serve a request (the worker, an import, a
        command) keep SQLite's own checkpoint."""
        if self.connection is None or self.in_atomic_block:
            return
        if not self._checkpoints_after_response:
            self.connection.execute("PRAGMA wal_autocheckpoint=0")
            self._checkpoints_after_response = True
        if self._commits_unchecked >= COMMITS_PER_CHECKPOINT:
            self.connection.execute("PRAGMA wal_checkpoint(PASSIVE)")
            self._commits_unchecked = 0

    def _commit(self):
        try:
            return super()._commit()  # type: ignore[misc]
        finally:
            self._release_write_lock()
            self._commits_unchecked += 1

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


def checkpoint_after_response(**kwargs) -> None:
    """request_finished: the WAL checkpoint of each SQLite connection the request used."""
    for wrapper in connections.all(initialized_only=True):
        if isinstance(wrapper, DatabaseWrapper):
            wrapper.checkpoint_after_response()
