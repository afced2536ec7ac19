"""Benchmark: the funnel by channel over 1,000,000 leads (issue #7, ANA-2).

    .venv/bin/python bench/funnel.py [--leads 1000000]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/funnel.py

Builds a fresh database (SQLite in a temporary folder, or a new PostgreSQL database next to
DATABASE_URL) with N leads over a year, twelve channels, grades and furthest stages in
realistic proportions, counts the funnel tally from them (the fill writes worked leads
by INSERT, which the tally's triggers do not watch), then times
`analytics.queries.funnel_by_channel` for a whole year and for one month, as an
administrator (no scope filter) and as a manager (department scope), best of five.
Target: ≤ 300 ms on SQLite and on PostgreSQL.
"""

import argparse
import random
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scratch_db import insert_lead_rows, lead_row, scratch_environment  # noqa: E402 - this folder, found as the script's own


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=1_000_000)
    args = parser.parse_args()
    with scratch_environment("leadflow_funnel"):
        run(args)


def run(args) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    admin, manager = fill_year_of_leads(args.leads)
    print(
        f"database          {connection.vendor}, {args.leads:,} leads "
        f"(filled in {time.perf_counter() - started:.0f} s)"
    )
    from leadflow.analytics.queries import Period, funnel_by_channel
    from leadflow.leads.bulk.funnel_tally import recount_funnel_tally

    began = time.perf_counter()
    rows = recount_funnel_tally()  # the fill wrote worked leads by INSERT, which no trigger sees
    print(f"tally recounted   {(time.perf_counter() - began) * 1000:,.0f} ms ({rows:,} rows)")

    year = Period(date(2026, 1, 1), date(2026, 12, 31))
    month = Period(date(2026, 6, 1), date(2026, 6, 30))
    for label, user, period in (
        ("year, all", admin, year),
        ("month, all", admin, month),
        ("year, department", manager, year),
    ):
        best = float("inf")
        for _ in range(5):
            began = time.perf_counter()
            rows = funnel_by_channel(user, period)
            best = min(best, time.perf_counter() - began)
        reached = sum(row["initial"] for row in rows)
        print(f"{label:<17} {best * 1000:,.0f} ms   {len(rows)} channels, {reached:,} leads worked")
    connection.close()


def fill_year_of_leads(leads: int):
    """N leads over 2026: twelve channels, grades A–C, furthest stages in proportion, 20
    reps of one department, its manager and an administrator; (administrator, manager)."""
    from django.db import connection, transaction

    from leadflow.accounts.models import Role, User
    from leadflow.accounts.org import department_create
    from leadflow.leads.bulk.sql import db_moment
    from leadflow.leads.models import Channel

    sales = department_create(by=None, name="销售部")
    rep_role = Role.objects.get(code="sales_rep")
    reps = [
        User.objects.create(
            username=f"rep{n}", display_name=f"销售{n}", role=rep_role, department=sales
        ).pk
        for n in range(20)
    ]
    manager = User.objects.create(
        username="manager", role=Role.objects.get(code="sales_manager"), department=sales
    )
    admin = User.objects.create(username="root", is_superuser=True)
    channels = list(Channel.objects.values_list("id", flat=True))
    vendor = connection.vendor
    rng = random.Random(7)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    stages = ["", "initial", "needs", "comparing", "negotiating", "won"]
    weights = [30, 30, 15, 10, 8, 7]

    def row(n: int) -> dict:
        furthest = rng.choices(stages, weights)[0]
        return lead_row(
            n,
            db_moment(start + timedelta(minutes=n * 525_600 // leads), vendor),
            name=f"漏斗公司{n}",
            company_key=f"漏斗公司{n}",
            channel_id=channels[n % len(channels)],
            grade="ABC"[n % 3],
            owner_id=reps[n % len(reps)] if furthest else None,
            status="accepted" if furthest else "to_assign",
            stage=furthest,
            furthest_stage=furthest,
        )

    with transaction.atomic():
        insert_lead_rows(row(n) for n in range(1, leads + 1))
    return admin, manager


if __name__ == "__main__":
    main()
