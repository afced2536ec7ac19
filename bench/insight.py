"""Benchmark: the insight dashboards over 1M leads, 100k customers and 100k deals (#26).

    .venv/bin/python bench/insight.py [--leads 1000000] [--customers 100000] [--deals 100000]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/insight.py

Builds the funnel benchmark's leads (a year over twelve channels, 20 reps of one
department, its manager, an administrator), then customers of every category (a tenth key
accounts, some at risk, contacts planned), deals over two years, contracts with overdue
instalments, 24 campaigns with 2,000 approved expense claims.

Then, for the management cockpit, customer and marketing analytics, as the administrator,
the manager (department scope) and a rep: whole requests through Django, best of three,
beside the floor — every SQL statement the page ran, run again bare on a cursor (best of
three each) — and the ratio. Goal: each page ≤ 300 ms server time (a reference on one
machine); the ratio says how much is the page's own work beyond its SQL.
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

from funnel import fill_year_of_leads  # noqa: E402 - this folder, found as the script's own
from scratch_db import bare_sql, best_of, scratch_environment  # noqa: E402

PAGES = [
    ("cockpit", "/analytics/cockpit/"),
    ("customers", "/analytics/customers/"),
    ("marketing", "/analytics/marketing/"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--deals", type=int, default=100_000)
    parser.add_argument("--slowest", type=int, default=0, help="print each page's N slowest SQL")
    args = parser.parse_args()
    with scratch_environment("leadflow_insight"):
        run(args)


def run(args) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from leadflow.accounts.models import User
    from leadflow.core.company_settings import get_setting

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    admin, manager = fill_year_of_leads(args.leads)
    fill_customers(args.customers, args.deals)
    rep = User.objects.get(username="rep1")
    User.objects.update(confidentiality_version=get_setting("security.agreement_version"))
    print(
        f"database           {connection.vendor}, {args.leads:,} leads, {args.customers:,} "
        f"customers, {args.deals:,} deals (filled in {time.perf_counter() - started:.0f} s)"
    )
    print(f"{'page':<24} {'request':>9} {'bare SQL':>9} {'ratio':>6}  queries")
    for who, user in (("administrator", admin), ("manager", manager), ("rep", rep)):
        client = Client()
        client.force_login(user)
        for label, path in PAGES:
            with CaptureQueriesContext(connection) as captured:
                assert client.get(path).status_code == 200, path
            # Read before the next request: each one empties the query log.
            statements = [query["sql"] for query in captured.captured_queries]
            request = best_of(3, lambda client=client, path=path: client.get(path))
            timed = [(best_of(3, lambda sql=sql: bare_sql(sql)), sql) for sql in statements]
            floor = sum(seconds for seconds, _sql in timed)
            print(
                f"{label + ', ' + who:<24} {request * 1000:>7.0f} ms {floor * 1000:>6.0f} ms "
                f"{request / floor:>5.1f}×  {len(statements)}"
            )
            if args.slowest:
                for seconds, sql in sorted(timed, reverse=True)[: args.slowest]:
                    print(f"    {seconds * 1000:7.1f} ms  {sql[:160]}")
    connection.close()


def fill_customers(customers: int, deals: int) -> None:
    """Customers owned by the funnel's reps, their deals, overdue instalments, campaigns
    and approved claims."""
    from django.db import connection, transaction

    from leadflow.accounts.models import User
    from leadflow.customers.models import Customer
    from leadflow.leads.models import Channel
    from leadflow.marketing.models import Campaign, ExpenseCategory, ExpenseClaim
    from leadflow.sales.models import Contract, Deal, Instalment

    rng = random.Random(26)
    reps = list(User.objects.filter(username__startswith="rep").values_list("pk", flat=True))
    boss = User.objects.get(username="manager")
    start = datetime(2025, 1, 1, tzinfo=UTC)
    span = (datetime(2026, 12, 1, tzinfo=UTC) - start).total_seconds()

    def moment(n: int, of: int) -> datetime:
        return start + timedelta(seconds=span * n / of)

    categories = ["potential", "intent", "closed", "closed", "key"]
    with transaction.atomic():
        made = Customer.objects.bulk_create(
            (
                Customer(
                    kind="company",
                    name=f"客户{n}",
                    name_key=f"客户{n}",
                    category=categories[n % len(categories)],
                    grade="ABC"[n % 3],
                    owner_id=reps[n % len(reps)],
                    satisfaction=rng.choice((None, 3, 4, 5)),
                    last_contact_at=moment(n, customers),
                    next_contact_due=moment(n, customers) + timedelta(days=90),
                    risk_since=moment(n, customers) if n % 50 == 0 else None,
                    expected_annual_sales=Decimal(rng.randrange(10, 500)),
                    created_at=moment(n, customers),
                    updated_at=moment(n, customers),
                )
                for n in range(customers)
            ),
            batch_size=5_000,
        )
        deal_rows = Deal.objects.bulk_create(
            (
                Deal(
                    customer_id=made[n * 7919 % len(made)].pk,
                    owner_id=reps[n % len(reps)],
                    title="设备",
                    amount=Decimal(rng.randrange(10_000, 500_000)),
                    signed_on=moment(n, deals).date(),
                    opened_at=moment(n, deals),
                    won_at=moment(n, deals),
                    cycle_days=Decimal(30),
                    created_at=moment(n, deals),
                )
                for n in range(deals)
            ),
            batch_size=5_000,
        )
        contracts = Contract.objects.bulk_create(
            (
                Contract(
                    number=f"HT-I-{n:07d}",
                    customer_id=made[n % len(made)].pk,
                    deal_id=deal_rows[n].pk,
                    title="合同",
                    service="设备与服务",
                    amount=Decimal(200_000),
                    state="signed",
                    owner_id=reps[n % len(reps)],
                    signed_on=deal_rows[n].signed_on,
                    created_at=deal_rows[n].created_at,
                    updated_at=deal_rows[n].created_at,
                )
                for n in range(deals // 10)
            ),
            batch_size=5_000,
        )
        Instalment.objects.bulk_create(
            (
                Instalment(
                    contract_id=contract.pk,
                    position=part,
                    due_on=contract.signed_on + timedelta(days=30 * part),
                    amount=Decimal(100_000),
                )
                for contract in contracts
                for part in (1, 2)
            ),
            batch_size=5_000,
        )
        category = ExpenseCategory.objects.first()
        channels = list(Channel.objects.all())
        campaigns = [
            Campaign.objects.create(name=f"活动{n}", channel=channels[n % len(channels)])
            for n in range(24)
        ]
        ExpenseClaim.objects.bulk_create(
            (
                ExpenseClaim(
                    claimant=boss,
                    department=boss.department,
                    spent_on=date(2026, 1, 1) + timedelta(days=n % 334),
                    category=category,
                    amount=Decimal(rng.randrange(500, 20_000)),
                    reason="推广",
                    campaign=campaigns[n % len(campaigns)],
                    state="approved",
                    created_at=start,
                    updated_at=start,
                )
                for n in range(2_000)
            ),
            batch_size=2_000,
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


if __name__ == "__main__":
    main()
