"""Bulk import of leads from CSV and XLSX (LEAD-CAP-2), at a million rows a run.

Every row goes through the same decisions as a single capture (`clean_lead`,
`decide_status`, `dedupe_keys`, `merge_changes`, numbering); only the writes differ:
rows are handled in chunks, each chunk one transaction with set-based inserts and
updates, and the dedupe keys of live leads are held in memory for the whole file.
Rows are processed in file order, so a duplicate within the file merges into the first
occurrence exactly as it would had the rows been captured one by one.
"""

import csv
import io
import itertools
import multiprocessing
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from leadflow.core.audit import audit_record
from leadflow.core.errors import ValidationFailed

from .capture import (
    PRE_ASSIGNMENT,
    PROFILE_FIELDS,
    SNAPSHOT_FIELDS,
    CaptureContext,
    Consent,
    check_consent,
    clean_lead,
    decide_status,
    dedupe_keys,
    merge_changes,
)
from .cleaning import company_key
from .locks import lock_all_captures
from .models import ImportBatch, Lead, LeadEvent, LeadMerge, LeadStatus
from .numbering import number_prefix, reserve_number_blocks

# Column headers in Chinese or English, as people name them.
HEADERS = {
    "客户名称": "name",
    "名称": "name",
    "公司名称": "name",
    "姓名": "name",
    "name": "name",
    "类型": "kind",
    "kind": "kind",
    "联系人": "contact_name",
    "contact_name": "contact_name",
    "contact": "contact_name",
    "职位": "contact_title",
    "联系人职位": "contact_title",
    "contact_title": "contact_title",
    "手机": "mobile",
    "手机号": "mobile",
    "mobile": "mobile",
    "电话": "landline",
    "座机": "landline",
    "landline": "landline",
    "邮箱": "email",
    "email": "email",
    "行业": "industry",
    "所在行业": "industry",
    "industry": "industry",
    "需求": "need",
    "初步需求": "need",
    "need": "need",
    "渠道": "channel",
    "channel": "channel",
    "渠道明细": "channel_detail",
    "channel_detail": "channel_detail",
    "获取时间": "acquired_at",
    "acquired_at": "acquired_at",
    "地区": "region",
    "region": "region",
    "地址": "address",
    "address": "address",
    "员工人数": "employees",
    "employees": "employees",
    "年营收": "annual_revenue",
    "annual_revenue": "annual_revenue",
    "预算": "budget",
    "预算范围": "budget",
    "budget": "budget",
    "采购时间": "purchase_timeline",
    "purchase_timeline": "purchase_timeline",
    "现有供应商": "current_supplier",
    "current_supplier": "current_supplier",
    "营销活动": "campaign_id",
    "campaign_id": "campaign_id",
}
TEMPLATE_HEADERS = [
    "客户名称",
    "联系人",
    "职位",
    "手机",
    "电话",
    "邮箱",
    "行业",
    "需求",
    "渠道",
    "渠道明细",
    "获取时间",
    "地区",
    "地址",
    "员工人数",
    "年营收",
    "预算",
    "采购时间",
    "现有供应商",
]
CHUNK_ROWS = 5000
ROWS_PER_TRANSACTION = 50_000
IMPORT_CACHE_KIB = 262_144  # SQLite page cache for the importing connection: 256 MB
MAX_REPORTED_ERRORS = 100_000

_INSERT_FIELDS = [
    f for f in Lead._meta.concrete_fields if f.column not in ("id",)
]  # every stored column but the id, which the importer hands out itself


@dataclass
class ImportSummary:
    rows: int = 0
    created: int = 0
    merged: int = 0
    rejected: int = 0
    non_target: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def header_map(headers: list[str]) -> dict[int, str]:
    """{column index: field} for the headers leadflow knows; unknown columns are ignored."""
    mapping: dict[int, str] = {}
    for index, header in enumerate(headers):
        name = HEADERS.get(str(header or "").strip().lstrip("\ufeff").lower()) or HEADERS.get(
            str(header or "").strip()
        )
        if name and name not in mapping.values():
            mapping[index] = name
    return mapping


def read_rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(spreadsheet row number, {field: value}) for each data row of a CSV or XLSX file.

    Row numbers are as a spreadsheet shows them: the header is row 1."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        raw = path.read_bytes()[:4096]
        encoding = "utf-8-sig"
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            encoding = "gb18030"  # files saved by Excel on Chinese Windows
        with path.open(newline="", encoding=encoding) as handle:
            yield from _rows(csv.reader(handle))
    elif suffix in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook

        book = load_workbook(path, read_only=True, data_only=True)
        try:
            yield from _rows(book.active.iter_rows(values_only=True))
        finally:
            book.close()
    else:
        raise ValidationFailed(
            f"Cannot import {path.name}: use a .csv or .xlsx file.",
            fields={"file": f"{suffix or 'no extension'} is not csv or xlsx"},
        )


def _rows(source) -> Iterator[tuple[int, dict[str, Any]]]:
    rows = iter(source)
    headers = next(rows, None)
    if headers is None:
        return
    mapping = header_map(list(headers))
    if "name" not in mapping.values():
        raise ValidationFailed(
            "The first row must name the columns, e.g. 客户名称, 手机, 邮箱, 行业, 需求.",
            fields={"file": "no 客户名称/name column in the header row"},
        )
    for number, row in enumerate(rows, start=2):
        if not any(cell not in (None, "") for cell in row):
            continue  # blank lines are not rows
        yield number, {name: row[index] for index, name in mapping.items() if index < len(row)}


def count_rows(path: Path) -> int:
    if path.suffix.lower() == ".csv":
        with path.open("rb") as handle:
            return max(0, sum(1 for _ in handle) - 1)
    return sum(1 for _ in read_rows(path))


class _KeyIndex:
    """The dedupe keys of every live lead: field → value → lead id. One dict per field
    keyed by the plain value keeps a million leads' keys in a few hundred MB."""

    def __init__(self):
        self.ids: dict[str, dict[str, int]] = {"mobile": {}, "email": {}, "company_key": {}}

    @classmethod
    def load(cls) -> "_KeyIndex":
        index = cls()
        # Oldest first, so the oldest lead owns a shared key, as in capture_lead.
        live = Lead.objects.exclude(status=LeadStatus.MERGED).order_by("id")
        rows = live.values_list("id", "mobile", "email", "kind", "company_key").iterator(10_000)
        for lead_id, mobile, email, kind, key in rows:
            index.add(
                dedupe_keys({"mobile": mobile, "email": email, "kind": kind, "company_key": key}),
                lead_id,
            )
        return index

    def owner(self, name: str, value: str) -> int | None:
        return self.ids[name].get(value)

    def match(self, keys: list[tuple[str, str]]) -> list[int]:
        return sorted({self.ids[name][value] for name, value in keys if value in self.ids[name]})

    def add(self, keys: list[tuple[str, str]], lead_id: int) -> None:
        for name, value in keys:
            self.ids[name].setdefault(value, lead_id)


def _reserve_ids(count: int) -> list[int]:
    table = Lead._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [table, count],
            )
            return [row[0] for row in cursor.fetchall()]
        # SQLite: this transaction holds the write lock, so nobody else adds rows meanwhile.
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")  # noqa: S608
        start = cursor.fetchone()[0] + 1
    return list(range(start, start + count))


def db_moment(moment: datetime) -> str:
    """An aware datetime as the text this database takes for a timestamp, in UTC.

    The bulk path keeps times in this form: it crosses the process pipe cheaply, goes into
    executemany as is, and compares correctly as a string (same zone, same layout)."""
    text = moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    return text if connection.vendor == "sqlite" else f"{text}+00:00"


def _insert_leads(rows: list[dict[str, Any]]) -> None:
    """Insert whole rows in one executemany (ids are handed out by `_reserve_ids`)."""
    if not rows:
        return
    names = ["id", *(f.attname for f in _INSERT_FIELDS)]
    columns = ", ".join(["id", *(str(f.column) for f in _INSERT_FIELDS)])
    placeholders = ", ".join(["%s"] * len(names))
    sql = f"INSERT INTO {Lead._meta.db_table} ({columns}) VALUES ({placeholders})"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.executemany(sql, [[row[name] for name in names] for row in rows])


_UPDATE_FIELDS = [*PROFILE_FIELDS, "company_key", "status", "non_target_reason", "values_at"]


def _update_leads(rows: list[dict[str, Any]], now: str) -> None:
    """Write merged values back to stored survivors, one statement for the chunk."""
    if not rows:
        return
    assignments = ", ".join(f"{name} = %s" for name in (*_UPDATE_FIELDS, "updated_at"))
    sql = f"UPDATE {Lead._meta.db_table} SET {assignments} WHERE id = %s"  # noqa: S608
    params = [[*(row[name] for name in _UPDATE_FIELDS), now, row["id"]] for row in rows]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


@contextmanager
def _bulk_connection() -> Iterator[None]:
    """A larger SQLite page cache for this connection while it imports."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        previous = cursor.fetchone()[0]
        cursor.execute(f"PRAGMA cache_size=-{IMPORT_CACHE_KIB}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size={int(previous)}")


@dataclass
class _Pending:
    """A merge into a lead stored before this chunk, applied once per chunk."""

    survivor_id: int
    capture: dict[str, Any]  # the capture's own row (numbered before the merge is written)
    matched_on: str


@dataclass
class Prepared:
    """A file row after cleaning: the lead row to insert (all but id and number), its
    number prefix and dedupe keys, or the reasons it is refused."""

    row_number: int
    errors: dict[str, str]
    row: dict[str, Any] = field(default_factory=dict)
    prefix: str = ""
    keys: list[tuple[str, str]] = field(default_factory=list)


def prepare_rows(
    rows: Iterator[tuple[int, dict[str, Any]]],
    *,
    context: CaptureContext,
    now: datetime,
    basis: str,
    channel_code: str,
    chunk_rows: int = CHUNK_ROWS,
) -> Iterator[list[Prepared]]:
    """Clean rows in chunks: the same decisions as a single capture, and no database, so
    it can run in a second process while the first one writes."""
    while chunk := list(itertools.islice(rows, chunk_rows)):
        prepared = []
        for row_number, raw in chunk:
            if channel_code and not raw.get("channel"):
                raw["channel"] = channel_code
            clean, errors = clean_lead(raw, context=context, now=now)
            if errors:
                prepared.append(Prepared(row_number, errors))
                continue
            status, reason = decide_status(clean, context.rules)
            channel = clean["channel"]
            row = {name: clean[name] for name in PROFILE_FIELDS}
            row.update(
                kind=clean["kind"],
                company_key=clean["company_key"],
                channel_id=channel.pk,
                channel_detail=clean["channel_detail"],
                campaign_id=clean["campaign_id"],
                acquired_at=db_moment(clean["acquired_at"]),
                values_at=db_moment(clean["acquired_at"]),
                consent_notice_version="",
                consent_at=None,
                consent_channel="import",
                lawful_basis=basis,
                status=status,
                non_target_reason=reason,
                score=0,
                grade="",
                owner_id=None,
                merged_into_id=None,
                captured_via="import",
            )
            prefix = number_prefix(channel.code, clean["acquired_at"])
            prepared.append(Prepared(row_number, {}, row, prefix, dedupe_keys(clean)))
        yield prepared


class LeadImporter:
    def __init__(
        self,
        *,
        basis: str,
        channel_code: str = "",
        by=None,
        batch: ImportBatch | None = None,
        progress: Callable[[int], None] | None = None,
        chunk_rows: int = CHUNK_ROWS,
    ):
        errors = check_consent(Consent(lawful_basis=basis), via="import")
        if errors:
            raise ValidationFailed("The import states no lawful basis for its rows.", fields=errors)
        self.basis = basis.strip()
        self.channel_code = channel_code
        self.by = by
        self.batch = batch
        self.progress = progress
        self.chunk_rows = chunk_rows
        self.summary = ImportSummary()
        self.context = CaptureContext.load()
        if channel_code and channel_code not in self.context.channels:
            raise ValidationFailed(
                f"Unknown channel {channel_code!r}.",
                fields={"channel": f"{channel_code!r} is not an active channel code or name"},
            )
        self.index = _KeyIndex.load()

    def run(self, rows: Iterator[tuple[int, dict[str, Any]]]) -> ImportSummary:
        """Import rows cleaned here, in this process (small files, tests)."""
        return self.run_prepared(
            prepare_rows(
                rows,
                context=self.context,
                now=timezone.now(),
                basis=self.basis,
                channel_code=self.channel_code,
                chunk_rows=self.chunk_rows,
            )
        )

    def run_prepared(self, chunks: Iterator[list["Prepared"]]) -> ImportSummary:
        with _bulk_connection():
            more = True
            while more:
                # Several chunks per transaction: each commit rewrites every index page the
                # chunk touched, so fewer, larger commits write far less. Other writers
                # wait at most one transaction (a couple of seconds).
                with transaction.atomic():
                    for _ in range(ROWS_PER_TRANSACTION // self.chunk_rows):
                        chunk = next(chunks, None)
                        if chunk is None:
                            more = False
                            break
                        self._write_chunk(chunk)
                        if self.progress:
                            self.progress(self.summary.rows)
        if self.by is not None:
            audit_record(
                actor=self.by,
                action="lead.import",
                object_type="leads.importbatch",
                object_id=self.batch.pk if self.batch else "",
                extra={k: v for k, v in self.summary.as_dict().items() if k != "errors"},
            )
        return self.summary

    def _reject(self, row_number: int, errors: dict[str, str]) -> None:
        self.summary.rejected += 1
        for name, reason in errors.items():
            if len(self.summary.errors) < MAX_REPORTED_ERRORS:
                self.summary.errors.append({"row": row_number, "field": name, "reason": reason})

    @transaction.atomic
    def _write_chunk(self, chunk: list["Prepared"]) -> None:
        lock_all_captures()
        now = timezone.now()
        now_text = db_moment(now)
        accepted: list[Prepared] = []
        for item in chunk:
            self.summary.rows += 1
            if item.errors:
                self._reject(item.row_number, item.errors)
            else:
                accepted.append(item)
        if not accepted:
            return
        ids = _reserve_ids(len(accepted))
        by_prefix: dict[str, list[dict[str, Any]]] = {}
        new_rows: dict[int, dict[str, Any]] = {}  # this chunk's live leads, by id
        inserts: list[dict[str, Any]] = []
        pending: list[_Pending] = []
        merges: list[tuple[dict[str, Any], dict[str, Any], dict[str, Any], str]] = []
        batch_id = self.batch.pk if self.batch else None
        by_id = self.by.pk if self.by is not None else None
        for lead_id, item in zip(ids, accepted, strict=True):
            row, keys = item.row, item.keys
            row.update(
                id=lead_id,
                import_batch_id=batch_id,
                created_by_id=by_id,
                created_at=now_text,
                updated_at=now_text,
            )
            by_prefix.setdefault(item.prefix, []).append(row)
            inserts.append(row)
            matches = self.index.match(keys)
            if not matches:
                new_rows[lead_id] = row
                self.index.add(keys, lead_id)
                self.summary.created += 1
                if row["status"] == LeadStatus.NON_TARGET:
                    self.summary.non_target += 1
                continue
            survivor_id = matches[0]
            row["own_status"] = row["status"]  # restored if an administrator undoes the merge
            row["status"], row["merged_into_id"] = LeadStatus.MERGED, survivor_id
            self.summary.merged += 1
            matched_on = "+".join(
                sorted({k for k, v in keys if self.index.owner(k, v) == survivor_id})
            )
            if survivor_id in new_rows:
                merges.append(self._merge_into_row(new_rows[survivor_id], row, matched_on))
            else:
                pending.append(_Pending(survivor_id, row, matched_on))
            self.index.add(keys, survivor_id)
        blocks = reserve_number_blocks({prefix: len(rows) for prefix, rows in by_prefix.items()})
        for prefix, rows in by_prefix.items():
            for row, number in zip(rows, blocks[prefix], strict=True):
                row["number"] = number
        _insert_leads(inserts)
        merges += self._merge_into_stored(pending, now)
        self._record_merges(merges, now)
        if self.batch is not None:
            ImportBatch.objects.filter(pk=self.batch.pk).update(
                rows_done=self.summary.rows,
                created=self.summary.created,
                merged=self.summary.merged,
                rejected=self.summary.rejected,
                non_target=self.summary.non_target,
            )

    def _merge_into_row(self, survivor: dict[str, Any], capture: dict[str, Any], matched_on: str):
        """Merge a capture into a lead of this same chunk, before either is written."""
        before = {name: survivor[name] for name in SNAPSHOT_FIELDS}
        changes = merge_changes(before, survivor["values_at"], capture, capture["values_at"])
        self._apply(survivor, changes, capture["values_at"])
        return before, survivor, capture, matched_on

    def _apply(
        self, survivor: dict[str, Any], changes: dict[str, Any], capture_at: datetime
    ) -> None:
        survivor.update(changes)
        if "name" in changes and survivor["kind"] == "company":
            survivor["company_key"] = company_key(survivor["name"])
            self.index.add([("company_key", survivor["company_key"])], survivor["id"])
        for key in dedupe_keys(changes | {"kind": survivor["kind"]}):
            self.index.add([key], survivor["id"])
        survivor["values_at"] = max(survivor["values_at"], capture_at)
        if survivor["status"] in PRE_ASSIGNMENT:
            status, reason = decide_status(
                {**survivor, "channel": self.context.channels_by_id[survivor["channel_id"]]},
                self.context.rules,
            )
            survivor["status"], survivor["non_target_reason"] = status, reason

    def _merge_into_stored(self, pending: list[_Pending], now: datetime):
        """Merge captures into leads stored by earlier chunks or before the import."""
        if not pending:
            return []
        fields = [
            "id",
            *PROFILE_FIELDS,
            "kind",
            "company_key",
            "status",
            "non_target_reason",
            "values_at",
            "channel_id",
        ]
        stored = {
            row["id"]: {**row, "values_at": db_moment(row["values_at"])}
            for row in Lead.objects.filter(pk__in={p.survivor_id for p in pending}).values(*fields)
        }
        originals = {lead_id: dict(row) for lead_id, row in stored.items()}
        merges = []
        for item in pending:
            survivor = stored[item.survivor_id]
            before = {name: survivor[name] for name in SNAPSHOT_FIELDS}
            changes = merge_changes(
                before, survivor["values_at"], item.capture, item.capture["values_at"]
            )
            self._apply(survivor, changes, item.capture["values_at"])
            merges.append((before, survivor, item.capture, item.matched_on))
        changed = [row for lead_id, row in stored.items() if row != originals[lead_id]]
        _update_leads(changed, db_moment(now))
        return merges

    def _record_merges(self, merges, now: datetime) -> None:
        if not merges:
            return
        by_id = self.by.pk if self.by is not None else None
        records, events = [], []
        for before, survivor, capture, matched_on in merges:
            after = {name: survivor[name] for name in before}
            records.append(
                LeadMerge(
                    survivor_id=survivor["id"],
                    merged_id=capture["id"],
                    survivor_before=before,
                    survivor_after=after,
                    merged_status=capture["own_status"],
                    reason=matched_on,
                    at=now,
                    by_id=by_id,
                )
            )
            changed = sorted(name for name in PROFILE_FIELDS if before[name] != after[name])
            events.append(
                LeadEvent(
                    lead_id=survivor["id"],
                    at=now,
                    kind="merged",
                    actor_id=by_id,
                    data={
                        "merged_number": capture["number"],
                        "matched_on": matched_on,
                        "changed": changed,
                    },
                )
            )
        LeadMerge.objects.bulk_create(records, batch_size=1000)
        LeadEvent.objects.bulk_create(events, batch_size=1000)


def import_leads(
    *,
    path: Path,
    basis: str,
    channel_code: str = "",
    by=None,
    batch: ImportBatch | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportSummary:
    """Import a CSV or XLSX file of leads. Rows with a refused field are reported and
    skipped; every other row is created or merged."""
    importer = LeadImporter(
        basis=basis, channel_code=channel_code, by=by, batch=batch, progress=progress
    )
    return importer.run_prepared(
        _prepared_in_child(
            path, context=importer.context, basis=importer.basis, channel_code=channel_code
        )
    )


def _prepared_in_child(
    path: Path, *, context: CaptureContext, basis: str, channel_code: str
) -> Iterator[list[Prepared]]:
    """Read and clean the file in a forked child process, chunk by chunk, while this
    process writes: the two halves of an import run on two cores. The child never touches
    the database; the pipe's buffer keeps it at most a few chunks ahead."""
    now = timezone.now()
    if not hasattr(os, "fork"):
        yield from prepare_rows(
            read_rows(path), context=context, now=now, basis=basis, channel_code=channel_code
        )
        return
    forking = multiprocessing.get_context("fork")
    receiver, sender = forking.Pipe(duplex=False)
    child = forking.Process(
        target=_clean_in_child, daemon=True, args=(sender, path, context, now, basis, channel_code)
    )
    child.start()
    sender.close()
    try:
        while True:
            try:
                message = receiver.recv()
            except EOFError:
                raise RuntimeError("the file reader stopped unexpectedly") from None
            if message is None:
                return
            if isinstance(message, tuple):  # ("refused", message, fields) from the child
                raise ValidationFailed(message[1], fields=message[2])
            yield message
    finally:
        receiver.close()
        child.join(timeout=5)
        if child.is_alive():
            child.kill()


def _clean_in_child(sender, path, context, now, basis, channel_code) -> None:
    try:
        for chunk in prepare_rows(
            read_rows(path), context=context, now=now, basis=basis, channel_code=channel_code
        ):
            sender.send(chunk)
    except ValidationFailed as error:
        sender.send(("refused", error.message, error.fields))
    except BrokenPipeError:
        return  # the importing process gave up; nothing to tell it
    sender.send(None)
    sender.close()


def template_csv() -> bytes:
    """An import template: the headers and one example row."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(TEMPLATE_HEADERS)
    writer.writerow(
        [
            "上海某某科技有限公司",
            "王小明",
            "采购经理",
            "138 0013 8000",
            "021-61234567",
            "wang@example.cn",
            "制造业",
            "采购设备",
            "官网",
            "官网-产品页",
            "2026-03-01 10:00",
            "上海",
            "上海市浦东新区",
            "500",
            "1亿",
            "50-100万",
            "三个月内",
            "某某供应商",
        ]
    )
    return ("\ufeff" + out.getvalue()).encode("utf-8")
