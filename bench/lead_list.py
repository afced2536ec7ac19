"""Benchmark: the lead list's first page and the workbench over 1,000,000 leads (#25).

    .venv/bin/python bench/lead_list.py [--leads 1000000]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/lead_list.py

Builds the funnel benchmark's database (N leads over a year, twelve channels, 20 reps of
one department), then times whole requests through Django (middleware, session, scope,
template) for the list's first page as an administrator, a manager (department scope) and
a rep (own leads), sorted by score, filtered by channel, and the workbench, best of five.
Beside each page it prints its floor: the page's own rows query, run bare on a cursor
(best of five), and the ratio. Target: the list's first page ≤ 100 ms server time.
"""

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from funnel import fill_year_of_leads  # noqa: E402 - this folder, found as the script's own
from scratch_db import bare_sql, best_of, scratch_environment  # noqa: E402

PAGES = [
    ("list, administrator", "admin", "/leads/"),
    ("list, manager", "manager", "/leads/"),
    ("list, rep", "rep", "/leads/"),
    ("list by score", "manager", "/leads/?sort=-score"),
    ("list, one channel", "manager", "/leads/?channel=G"),
    ("workbench, manager", "manager", "/"),
    ("workbench, rep", "rep", "/"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=1_000_000)
    args = parser.parse_args()
    with scratch_environment("leadflow_list"):
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
    rep = User.objects.get(username="rep1")
    version = get_setting("security.agreement_version")
    User.objects.update(confidentiality_version=version)
    print(
        f"database            {connection.vendor}, {args.leads:,} leads "
        f"(filled in {time.perf_counter() - started:.0f} s)"
    )
    clients = {}
    for key, user in (("admin", admin), ("manager", manager), ("rep", rep)):
        clients[key] = Client()
        clients[key].force_login(user)
    print(f"{'page':<20} {'request':>9} {'bare SQL':>9} {'ratio':>6}  queries")
    for label, who, path in PAGES:
        client = clients[who]
        with CaptureQueriesContext(connection) as captured:
            assert client.get(path).status_code == 200, path
        # Read before the next request: each one empties the query log the capture reads.
        rows_sql = max(captured.captured_queries, key=lambda q: float(q["time"]))["sql"]
        count = len(captured)
        request = best_of(5, lambda client=client, path=path: client.get(path))
        floor = best_of(5, lambda sql=rows_sql: bare_sql(sql))
        print(
            f"{label:<20} {request * 1000:>7.0f} ms {floor * 1000:>6.0f} ms "
            f"{request / floor:>5.1f}×  {count}"
        )
    connection.close()


if __name__ == "__main__":
    main()
