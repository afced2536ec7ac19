"""A set of ids as one statement parameter, for sweeps that act on thousands of rows at
once: `= ANY(array)` on PostgreSQL, `IN (SELECT value FROM json_each(…))` on SQLite.
A list of ten thousand `%s` costs the driver more to parse than the database to run."""

import json

from django.db import connection


def ids_in(column: str, ids: list[int]) -> tuple[str, list]:
    """(SQL condition, its one parameter) selecting the rows whose `column` is in `ids`."""
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s)", [list(ids)]
    return f"{column} IN (SELECT value FROM json_each(%s))", [json.dumps(list(ids))]  # noqa: S608 - a column name of ours
