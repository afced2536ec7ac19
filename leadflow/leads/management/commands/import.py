"""`leadflow import leads FILE.csv|FILE.xlsx [--channel CODE] [--basis TEXT] [--json]`
`leadflow import customers FILE.csv|FILE.xlsx --owner USERNAME [--json]`"""

import json
import sys
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from leadflow.core.errors import DomainError
from leadflow.leads.bulk.importer import count_rows, import_leads

DEFAULT_BASIS = "consent collected at source (stated by the importer)"


class Command(BaseCommand):
    help = "Import leads or customers from a CSV or XLSX file (headers in Chinese or English)."

    def add_arguments(self, parser):
        parser.add_argument("what", choices=["leads", "customers"])
        parser.add_argument("file", type=Path)
        parser.add_argument("--channel", default="", help="channel code for rows without one")
        parser.add_argument(
            "--basis",
            default=DEFAULT_BASIS,
            help="the lawful basis for processing every row of the file",
        )
        parser.add_argument(
            "--json", dest="as_json", action="store_true", help="end with one JSON summary line"
        )
        parser.add_argument("--owner", default="", help="customers: the user who will own them")

    def handle(self, *, what: str, file: Path, channel: str, basis: str, as_json: bool, **options):
        if not file.exists():
            raise CommandError(f"no such file: {file}")
        if what == "customers":
            self._customers(file, options["owner"], as_json)
            return
        total = count_rows(file) if sys.stderr.isatty() else 0
        started = time.monotonic()

        def progress(done: int) -> None:
            rate = done / max(time.monotonic() - started, 1e-9)
            if total:
                filled = int(30 * done / total)
                bar = "█" * filled + "·" * (30 - filled)
                sys.stderr.write(f"\r{bar} {done:,}/{total:,} rows  {rate:,.0f}/s")
            else:
                sys.stderr.write(f"\r{done:,} rows  {rate:,.0f}/s")
            sys.stderr.flush()

        try:
            summary = import_leads(path=file, basis=basis, channel_code=channel, progress=progress)
        except DomainError as error:
            raise CommandError(f"{error.message} {error.fields}") from error
        sys.stderr.write("\n")
        elapsed = time.monotonic() - started
        if as_json:
            self.stdout.write(
                json.dumps(summary.as_dict(), ensure_ascii=False, separators=(",", ":"))
            )
            return
        self.stdout.write(
            f"{summary.rows:,} rows in {elapsed:.1f}s: {summary.created:,} created "
            f"({summary.non_target:,} non-target), {summary.merged:,} merged, "
            f"{summary.rejected:,} rejected"
        )
        for item in summary.errors[:20]:
            self.stdout.write(f"  row {item['row']}: {item['field']}: {item['reason']}")
        if len(summary.errors) > 20:
            self.stdout.write(f"  … and {len(summary.errors) - 20:,} more (use --json for all)")

    def _customers(self, file: Path, owner: str, as_json: bool) -> None:
        from leadflow.accounts.models import User
        from leadflow.customers.imports import import_customers

        user = User.objects.filter(username=owner, is_active=True).first()
        if user is None:
            raise CommandError("--owner must name an active user: the customers will be theirs")
        try:
            summary = import_customers(path=file, by=user)
        except DomainError as error:
            raise CommandError(f"{error.message} {error.fields}") from error
        if as_json:
            self.stdout.write(
                json.dumps(summary.as_dict(), ensure_ascii=False, separators=(",", ":"))
            )
            return
        self.stdout.write(
            f"{summary.rows:,} rows: {summary.created:,} created, {summary.existing:,} "
            f"already customers, {summary.rejected:,} rejected"
        )
        for problem in summary.errors[:20]:
            self.stdout.write(f"  row {problem['row']}: {problem['field']}: {problem['reason']}")
