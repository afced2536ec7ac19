"""Benchmark: a month of staff performance for 200 reps (issue #21, MKT-7).

    .venv/bin/python bench/performance.py [--reps 200] [--leads 1000000]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/performance.py

Builds a fresh database (SQLite in a temporary folder, or a new PostgreSQL database next to
DATABASE_URL) with `--reps` reps in teams of 20, `--leads` leads over a year (each with
its assignment, a third with a follow-up, one in twenty with a late first contact, one in
ten from one of 20 campaigns the first reps own), 100,000 deals, 50,000 signed contracts
(half drafted from a deal, half with a cost) and 100,000 receipts, all over 2026.

Then, best of three, for June 2026:
- floor: one SQL statement that aggregates, per owner, the same rows the figures read
  (contracts and deals signed, receipts, customers won, assignments, late first contacts,
  follow-ups, campaign leads), grouped, with no rules applied;
- figures: `analytics.performance.month_figures_of` for every rep;
- month: `analytics.performance.month_compute` (the figures, the score, the ranks, stored).
Prints each with its ratio to the floor. Goal: figures ≤ 3× the floor.
"""

import argparse
import random
import sys
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scratch_db import insert_lead_rows, lead_row, scratch_environment  # noqa: E402 - this folder, found as the script's own

YEAR_START = datetime(2026, 1, 1, tzinfo=UTC)
JUNE = date(2026, 6, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--deals", type=int, default=100_000)
    parser.add_argument("--receipts", type=int, default=100_000)
    args = parser.parse_args()
    with scratch_environment("leadflow_performance"):
        run(args)


def best_of(runs: int, work) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(runs):
        began = time.perf_counter()
        result = work()
        best = min(best, time.perf_counter() - began)
    return best, result


def run(args) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    boss, reps = _fill(args)
    print(
        f"database          {connection.vendor}, {len(reps)} reps, {args.leads:,} leads, "
        f"{args.deals:,} deals, {args.receipts:,} receipts "
        f"(filled in {time.perf_counter() - started:.0f} s)"
    )
    from leadflow.analytics.performance import month_compute, month_figures_of

    floor, rows = best_of(3, _floor)
    figures, computed = best_of(3, lambda: month_figures_of(reps, JUNE))
    month, results = best_of(3, lambda: month_compute(month=JUNE, by=boss))
    print(f"floor (one SQL)   {floor * 1000:8,.0f} ms   {len(rows):,} grouped rows")
    print(
        f"figures           {figures * 1000:8,.0f} ms   {figures / floor:4.1f}× the floor "
        f"(goal ≤ 3×)   {len(computed)} reps"
    )
    print(
        f"month computed    {month * 1000:8,.0f} ms   {month / floor:4.1f}× the floor   "
        f"{len(results)} results, top score {results[0].score}"
    )
    connection.close()  # so the scratch database can be dropped


def _floor() -> list[tuple]:
    """The same rows the figures read, per owner, in one statement with no rules."""
    from django.db import connection

    since, until = "2026-06-01", "2026-07-01"
    start, end = "2026-06-01", "2026-06-30"
    sql = f"""
        SELECT 'contract', owner_id, SUM(amount) FROM sales_contract
         WHERE signed_on BETWEEN '{start}' AND '{end}' GROUP BY owner_id
        UNION ALL SELECT 'deal', owner_id, SUM(amount) FROM sales_deal
         WHERE signed_on BETWEEN '{start}' AND '{end}' GROUP BY owner_id
        UNION ALL SELECT 'receipt', c.owner_id, SUM(r.amount) FROM sales_receipt r
          JOIN sales_contract c ON c.id = r.contract_id
         WHERE r.received_on BETWEEN '{start}' AND '{end}' GROUP BY c.owner_id
        UNION ALL SELECT 'customer', owner_id, COUNT(*) FROM customers_customer
         WHERE created_at >= '{since}' AND created_at < '{until}' GROUP BY owner_id
        UNION ALL SELECT 'assigned', rep_id, COUNT(accepted_at) FROM leads_leadassignment
         WHERE at >= '{since}' AND at < '{until}' GROUP BY rep_id
        UNION ALL SELECT 'late', rep_id, COUNT(*) FROM leads_followuplapse
         WHERE due_at >= '{since}' AND due_at < '{until}' GROUP BY rep_id
        UNION ALL SELECT 'followup', by_id, COUNT(*) FROM leads_followup
         WHERE contact_at >= '{since}' AND contact_at < '{until}' GROUP BY by_id
        UNION ALL SELECT 'campaign', m.owner_id, COUNT(*) FROM leads_lead l
          JOIN marketing_campaign m ON m.id = l.campaign_id
         WHERE l.acquired_at >= '{since}' AND l.acquired_at < '{until}' GROUP BY m.owner_id
    """
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchall()


def _fill(args):
    from django.db import connection, transaction

    from leadflow.accounts.models import Role, Team, User
    from leadflow.accounts.org import department_create
    from leadflow.customers.models import Customer
    from leadflow.leads.bulk.sql import db_moment
    from leadflow.leads.models import Channel
    from leadflow.marketing.models import Campaign
    from leadflow.sales.models import Contract, Deal, Receipt

    rng = random.Random(21)
    vendor = connection.vendor
    sales = department_create(by=None, name="销售部")
    rep_role = Role.objects.get(code="sales_rep")
    teams = [
        Team.objects.create(department=sales, name=f"销售{n + 1}组")
        for n in range((args.reps + 19) // 20)
    ]
    reps = [
        User.objects.create(
            username=f"rep{n}",
            display_name=f"销售{n}",
            role=rep_role,
            department=sales,
            team=teams[n // 20],
        ).pk
        for n in range(args.reps)
    ]
    boss = User.objects.create(username="boss", role=Role.objects.get(code="management"))
    channel = Channel.objects.get(code="E").pk
    campaigns = [
        Campaign.objects.create(name=f"活动{n}", owner_id=reps[n], state="running").pk
        for n in range(20)
    ]
    year = 365 * 24 * 60

    def moment(n: int, of: int) -> datetime:
        return YEAR_START + timedelta(minutes=n * year // of)

    with transaction.atomic():
        insert_lead_rows(
            lead_row(
                n,
                db_moment(moment(n, args.leads), vendor),
                channel_id=channel,
                owner_id=reps[n % len(reps)],
                campaign_id=campaigns[n % 20] if n % 10 == 0 else None,
            )
            for n in range(1, args.leads + 1)
        )
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO leads_leadassignment (lead_id, rep_id, kind, reason, match, at,"
                " accepted_at, decline_reason) SELECT id, owner_id, 'auto', '', '{}',"
                " created_at, CASE WHEN id % 7 = 0 THEN NULL ELSE accepted_at END, ''"
                " FROM leads_lead"
            )
            cursor.execute(
                "INSERT INTO leads_followup (lead_id, by_id, contact_at, method, feedback,"
                " intent, next_step, written_at, late) SELECT id, owner_id, created_at, 'phone',"
                " '', 'same', '', created_at, FALSE FROM leads_lead WHERE id % 3 = 0"
            )
            cursor.execute(
                "INSERT INTO leads_followuplapse (lead_id, rep_id, kind, due_at, noticed_at)"
                " SELECT id, owner_id, 'first', created_at, created_at FROM leads_lead"
                " WHERE id % 20 = 0"
            )
        customers = Customer.objects.bulk_create(
            (
                Customer(
                    kind="company",
                    name=f"客户{n}",
                    name_key=f"客户{n}",
                    category="closed",
                    owner_id=reps[n % len(reps)],
                    satisfaction=rng.choice((None, 3, 4, 5)),
                    created_at=moment(n, 20_000),
                    updated_at=moment(n, 20_000),
                )
                for n in range(20_000)
            ),
            batch_size=5_000,
        )
        deals = Deal.objects.bulk_create(
            (
                Deal(
                    customer_id=customers[n % len(customers)].pk,
                    owner_id=reps[n % len(reps)],
                    title="设备",
                    amount=Decimal(rng.randrange(10_000, 500_000)),
                    signed_on=moment(n, args.deals).date(),
                    opened_at=moment(n, args.deals),
                    won_at=moment(n, args.deals),
                    cycle_days=Decimal(30),
                    created_at=moment(n, args.deals),
                )
                for n in range(args.deals)
            ),
            batch_size=5_000,
        )
        count = args.receipts // 2
        contracts = Contract.objects.bulk_create(
            (
                Contract(
                    number=f"HT-B-{n:07d}",
                    customer_id=customers[n % len(customers)].pk,
                    deal_id=deals[n].pk if n % 2 == 0 and n < len(deals) else None,
                    title="合同",
                    service="设备与服务",
                    amount=Decimal(200_000),
                    cost=Decimal(120_000) if n % 2 else None,
                    state="signed",
                    owner_id=reps[n % len(reps)],
                    signed_on=moment(n, count).date(),
                    created_at=moment(n, count),
                    updated_at=moment(n, count),
                )
                for n in range(count)
            ),
            batch_size=5_000,
        )
        Receipt.objects.bulk_create(
            (
                Receipt(
                    contract_id=contracts[n // 2].pk,
                    received_on=(moment(n // 2, count) + timedelta(days=30 * (n % 2))).date(),
                    amount=Decimal(100_000),
                    method="transfer",
                    recorded_by=boss,
                    created_at=moment(n // 2, count),
                )
                for n in range(count * 2)
            ),
            batch_size=5_000,
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return boss, reps


if __name__ == "__main__":
    main()
