"""Numbers handed out in order per prefix (lead numbers, contract numbers): one upsert per
call reserves a block, and the row lock it takes lasts until the caller's transaction
ends, so concurrent callers queue on it and never share a number."""

from django.db import connection


def reserve_blocks(table: str, counts: dict[str, int]) -> dict[str, int]:
    """{prefix: the first number of its block} for blocks under several prefixes ({prefix:
    how many}) in `table` (columns prefix, last), reserved in one statement."""
    if not counts:
        return {}
    prefixes = sorted(counts)  # a fixed order, so two transactions never lock crosswise
    amounts = [counts[prefix] for prefix in prefixes]
    if connection.vendor == "postgresql":
        # Two arrays, not a VALUES list: an import's chunk reserves blocks under thousands
        # of prefixes, and psycopg parsed a statement of thousands of placeholders in Python.
        rows = "SELECT * FROM unnest(%s::text[], %s::integer[]) AS given (prefix, last)"
        params: list = [prefixes, amounts]
    else:
        rows = "VALUES " + ", ".join(["(%s, %s)"] * len(prefixes))
        params = [item for pair in zip(prefixes, amounts, strict=True) for item in pair]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (prefix, last) {rows} "  # noqa: S608 - our tables
            f"ON CONFLICT (prefix) DO UPDATE SET last = {table}.last + EXCLUDED.last "
            "RETURNING prefix, last",
            params,
        )
        lasts = dict(cursor.fetchall())
    return {prefix: lasts[prefix] - count + 1 for prefix, count in counts.items()}


def next_number(pattern: str, day, table: str) -> str:
    """The next number by a pattern like "HT-{YYYY}{MM}{DD}-{NNN}" ({NNN}: the day's
    sequence, as many digits as N), from `table`; call inside the creating transaction."""
    width = pattern.count("N") if "{N" in pattern else 3
    prefix = (
        pattern.replace("{YYYY}", f"{day:%Y}")
        .replace("{MM}", f"{day:%m}")
        .replace("{DD}", f"{day:%d}")
        .split("{N", 1)[0]
    )
    sequence = reserve_blocks(table, {prefix: 1})[prefix]
    return f"{prefix}{sequence:0{width}d}"
