"""Bulk import of leads from CSV and XLSX (LEAD-CAP-2), at a million rows a run.

Every row goes through the same decisions as a single capture (`clean_lead`,
`decide_status`, `dedupe_keys`, `merge_changes`, numbering); only the writes differ:
rows are handled in chunks, each chunk one transaction with set-based inserts and
updates, and the dedupe keys of live leads are held in memory for the whole file.
Rows are processed in file order, so a duplicate within the file merges into the first
occurrence exactly as it would had the rows been captured one by one.
"""

import csv
import ctypes
import ctypes.util
import gc
import io
import itertools
import json
import multiprocessing
import os
import signal
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import connection, connections, transaction
from django.utils import timezone
from django.utils.translation import gettext

from leadflow.core.audit import audit_record
from leadflow.core.crypto import encrypt, lookup_hash
from leadflow.core.errors import ValidationFailed
from leadflow.core.faults import fault_point
from leadflow.core.inserts import insert_rows
from leadflow.core.liveness import alive_while
from leadflow.core.personal import opened_row as open_sealed_row
from leadflow.core.personal import seal, seal_row
from leadflow.core.spreadsheets import count_rows, read_table

from ..capture import distinct_pairs, lead_merge
from ..cleaning import (
    PROFILE_FIELDS,
    SNAPSHOT_FIELDS,
    CaptureContext,
    Consent,
    check_consent,
    clean_lead,
    decide_status,
    dedupe_keys,
    merge_outcome,
    non_target_fields,
    stored_keys,
)
from ..events import merged_data, scored_data, timeline_rows_insert
from ..locks import lock_all_captures
from ..models import ImportBatch, Lead, LeadMerge, LeadStatus
from ..numbering import number, number_prefix, reserve_number_blocks
from ..scoring import Scoring, event_counts, score_values, scored_rules
from . import indexes
from .sql import (
    bulk_connection,
    db_moment,
    insert_leads,
    reserve_ids,
    statistics_refresh,
    update_leads,
)

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
# Rows cleaned, sent and written together. Each chunk reserves its numbers with one
# upsert per distinct prefix (channel and day): larger chunks share more of them.
CHUNK_ROWS = 25_000
# At most this many processes read and clean the file while the importing process writes.
MOST_CLEANING_PROCESSES = 4
ROWS_PER_TRANSACTION = 50_000
# Up to this many rows, a file's dedupe keys are looked up in the leads' indexes a chunk at
# a time; a larger file loads every live lead's keys once (cheaper per row, but it costs
# the table, not the file: 718 MB and 11 s before a 2,000-row list into a million leads).
LOOK_UP_KEYS_UP_TO = 50_000
LOOK_UP_BATCH = 2_000  # values per IN (…): well under SQLite's limit on parameters
KEY_COLUMNS = {"mobile": "mobile_hash", "email": "email_hash", "company_key": "company_key"}
MAX_REPORTED_ERRORS = 100_000

# What the cleaning process sends for each accepted row: the lead's own values, in order,
# its personal data encrypted (SEC-2) and the keyed hashes it is found by.
PERSONAL_FIELDS = ("mobile", "landline", "email", "address")
HASH_FIELDS = ("mobile_hash", "landline_hash", "email_hash")
ROW_FIELDS = (
    *PROFILE_FIELDS,
    *HASH_FIELDS,
    "kind",
    "company_key",
    "channel_id",
    "channel_detail",
    "campaign_id",
    "acquired_at",
    "status",
    "non_target_reason",
    "score",
    "grade",
    "priority",
)
# The columns the writer sets row by row: the id and number it hands out, the row's own
# values, and the merge. Every other column holds the same value for a whole import (see
# `_shared_columns`) and is written once per statement, not once per row.
ROW_COLUMNS = ("id", "number", *ROW_FIELDS, "values_at", "merged_into_id")
# What every imported lead starts with: consent by the file's stated basis, unassigned
# (the next sweep assigns it, leads.assignment), not yet worked.
IMPORTED_LEAD = {
    "consent_notice_version": "",  # an import states a lawful basis instead
    "consent_at": None,
    "consent_channel": "import",
    "priority_reason": "",  # the priority follows the grade
    "owner_id": None,
    "assigned_at": None,
    "accept_by": None,
    "accepted_at": None,
    "waiting_reason": "",
    "next_due_at": None,  # set when a rep accepts the lead
    "first_contact_at": None,
    "last_followup_at": None,
    "stage": "",  # set when a rep accepts the lead
    "stage_reason": "",
    "stage_changed_at": None,
    "furthest_stage": "",
    "deal_amount": None,
    "deal_date": None,
    "pool_due_at": None,
    "pool_warned": False,
    "customer_id": None,
    "deal_id": None,
    "captured_via": "import",
}
# The columns set once per import (see `_shared_columns`).
PER_IMPORT_COLUMNS = (
    "import_batch_id",
    "created_by_id",
    "created_at",
    "updated_at",
    "lawful_basis",
)
_ID, _NUMBER, _STATUS, _MERGED_INTO = (
    ROW_COLUMNS.index(name) for name in ("id", "number", "status", "merged_into_id")
)
_ACQUIRED_IN_ROW = ROW_FIELDS.index("acquired_at")
_MERGED = str(LeadStatus.MERGED)
_NON_TARGET = str(LeadStatus.NON_TARGET)


def opened_row(sealed: str) -> str:
    """The refused row for its error report: 字段=值；…"""
    return open_sealed_row(sealed, _field_label)


def _field_label(name: str) -> str:
    try:
        field = Lead._meta.get_field(name)
    except FieldDoesNotExist:
        return name
    return str(getattr(field, "verbose_name", name))


# A cleaned file row: (row number, {field: reason} when refused, its values in ROW_FIELDS
# order, its number prefix, its dedupe keys, its PERSONAL_FIELDS in plain text for a merge
# to compare). Plain tuples, because a million of them cross the pipe from the cleaning
# process, and plain tuples are the cheapest to send.
Prepared = tuple[
    int, dict[str, str] | None, tuple[Any, ...], str, tuple[tuple[str, str], ...], tuple[str, ...]
]


@dataclass
class ImportSummary:
    rows: int = 0
    created: int = 0
    merged: int = 0
    rejected: int = 0
    non_target: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The figures and each error's row, field and reason (the --json contract); the
        sealed original rows stay with the batch, for its error report."""
        figures = asdict(self)
        figures["errors"] = [
            {key: value for key, value in error.items() if key != "original"}
            for error in self.errors
        ]
        return figures


def read_rows(
    path: Path, share: Callable[[int], bool] | None = None
) -> Iterator[tuple[int, dict[str, Any]]]:
    """(spreadsheet row number, {field: value}) for each data row of a lead file (see
    `core.spreadsheets.read_table`; `share` splits a file between cleaning processes)."""
    return read_table(
        path,
        known=HEADERS,
        required="name",
        required_hint="The first row must name the columns, e.g. 客户名称, 手机, 邮箱, 行业, 需求.",
        required_label="客户名称/name",
        share=share,
    )


class _KeyIndex:
    """The dedupe keys of every live lead: field → value → lead id, the mobile and the
    email by their keyed hashes (as `dedupe_keys` gives them). One dict per field keeps a
    million leads' keys in a few hundred MB."""

    def __init__(self, *, looked_up: bool = False):
        self.ids: dict[str, dict[str, int]] = {"mobile": {}, "email": {}, "company_key": {}}
        self.seen_up_to = 0  # every lead with a smaller id is in the index
        # A small file's index holds only the keys its rows were looked up by.
        self.looked_up = looked_up

    @classmethod
    def load(cls, *, expected_rows: int | None = None) -> "_KeyIndex":
        if expected_rows is not None and expected_rows <= LOOK_UP_KEYS_UP_TO:
            return cls(looked_up=True)
        index = cls()
        index.catch_up()
        return index

    def look_up(self, keys_of_rows: Iterable[tuple[tuple[str, str], ...]]) -> None:
        """For a small file: add the live stored leads holding any of these rows' keys not
        known yet, through the dedupe indexes (the same lookups a single capture makes).
        Only the keys asked for are added, each to its oldest lead, as `catch_up` would."""
        if not self.looked_up:
            return
        wanted: dict[str, set[str]] = {name: set() for name in self.ids}
        for keys in keys_of_rows:
            for name, value in keys:
                if value not in self.ids[name]:
                    wanted[name].add(value)
        found: list[tuple[int, str, str]] = []
        live = Lead.objects.exclude(status=LeadStatus.MERGED)
        for name, values in wanted.items():
            column = KEY_COLUMNS[name]
            ordered = sorted(values)
            for start in range(0, len(ordered), LOOK_UP_BATCH):
                batch = ordered[start : start + LOOK_UP_BATCH]
                rows = live.filter(**{f"{column}__in": batch}).values_list(
                    "id", "mobile_hash", "email_hash", "kind", "company_key"
                )
                for lead_id, mobile_hash, email_hash, kind, key in rows:
                    found.extend(
                        (lead_id, key_name, value)
                        for key_name, value in stored_keys(mobile_hash, email_hash, kind, key)
                        if key_name == name and value in values
                    )
        for lead_id, name, value in sorted(found):  # oldest first: it owns a shared key
            self.ids[name].setdefault(value, lead_id)

    def catch_up(self, *, own_up_to: int = 0) -> None:
        """Add the live leads stored since the last look: captures made by the UI, the API
        or the web form while a long import runs are found as duplicates too. (A small
        file's index needs none: each chunk looks its own keys up when it is written.)

        The importer's own leads, ids up to `own_up_to`, are in the index already. It
        stored them since the last look while holding the capture lock, so no one else
        stored a lead meanwhile: every lead not yet seen has a larger id."""
        if self.looked_up:
            return
        start = max(self.seen_up_to, own_up_to)
        live = Lead.objects.exclude(status=LeadStatus.MERGED).filter(id__gt=start)
        # Oldest first, so the oldest lead owns a shared key, as in lead_capture.
        rows = live.order_by("id").values_list(
            "id", "mobile_hash", "email_hash", "kind", "company_key"
        )
        for lead_id, mobile_hash, email_hash, kind, key in rows.iterator(10_000):
            self.add(stored_keys(mobile_hash, email_hash, kind, key), lead_id)
        last = Lead.objects.order_by("-id").values_list("id", flat=True).first()
        self.seen_up_to = max(self.seen_up_to, last or 0)

    def owner(self, name: str, value: str) -> int | None:
        return self.ids[name].get(value)

    def match(self, keys: tuple[tuple[str, str], ...]) -> list[int]:
        """The live leads sharing a key, oldest first (usually none or one)."""
        found: list[int] = []
        for name, value in keys:
            lead_id = self.ids[name].get(value)
            if lead_id is not None and lead_id not in found:
                found.append(lead_id)
        if len(found) > 1:
            found.sort()
        return found

    def take_over(self, lead: Lead, survivor_id: int) -> None:
        """`lead` was merged into `survivor_id`: its keys lead there now."""
        for name, value in dedupe_keys(
            {
                "mobile": lead.mobile,
                "email": lead.email,
                "kind": lead.kind,
                "company_key": lead.company_key,
            }
        ):
            if self.ids[name].get(value) == lead.pk:
                self.ids[name][value] = survivor_id

    def add(self, keys, lead_id: int) -> None:
        for name, value in keys:
            self.ids[name].setdefault(value, lead_id)


# A merge record as `_record_merges` writes it.
MERGE_COLUMNS = (
    "survivor_id",
    "merged_id",
    "survivor_before",
    "survivor_after",
    "merged_status",
    "reason",
    "at",
    "by_id",
)
_SCORE_FIELDS = ("score", "grade", "priority")
_UPDATE_FIELDS = [
    *PROFILE_FIELDS,
    *HASH_FIELDS,
    "company_key",
    "status",
    "non_target_reason",
    "values_at",
    *_SCORE_FIELDS,
]


def _update_leads(rows: list[dict[str, Any]], now: str) -> None:
    """Write merged values back to stored survivors (their personal values plain, written
    encrypted with their hashes), in one go for the chunk."""
    if not rows:
        return
    names = (*_UPDATE_FIELDS, "updated_at")
    params = []
    for row in rows:
        stored = {**row, **_hashes(row), **{name: encrypt(row[name]) for name in PERSONAL_FIELDS}}
        params.append([*(stored[name] for name in _UPDATE_FIELDS), now, row["id"]])
    update_leads(params, names)


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """The key index and the chunks in flight are millions of objects without cycles: the
    cycle collector's passes over them would cost the import a tenth of its time. The
    objects alive now are set aside from collection, and it runs 100 times less often."""
    threshold = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(70_000, *threshold[1:])
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()


@dataclass
class _Pending:
    """A merge into a lead stored before this chunk, applied once per chunk."""

    survivor_id: int
    capture: list[Any]  # the capture's row (ROW_COLUMNS order), numbered before recording
    personal: tuple[str, ...]  # the capture's PERSONAL_FIELDS, plain
    own_status: str  # the status the capture had before it merged, restored by an undo
    matched_on: str


@dataclass
class _Merge:
    survivor_id: int
    capture: list[Any]
    before: dict[str, Any]  # the survivor's SNAPSHOT_FIELDS before and after this merge
    after: dict[str, Any]
    own_status: str
    matched_on: str
    scored: dict[str, Any] | None = None  # the "scored" event's data, when the score changed


def prepare_rows(
    rows: Iterator[tuple[int, dict[str, Any]]],
    *,
    context: CaptureContext,
    scoring: Scoring,
    now: datetime,
    channel_code: str,
    vendor: str,
    chunk_rows: int = CHUNK_ROWS,
) -> Iterator[list[Prepared]]:
    """Clean rows in chunks: the same decisions as a single capture, and no database, so
    it can run in a second process while the first one writes.

    A file repeats its industries, needs and times thousands of times: the decisions
    that depend only on those (status, score, the stored time and number prefix) are
    made once per distinct value and remembered for the rest of the file."""
    # The channel by its id: hashing the model instance cost 5 % of the cleaning.
    status_fields = non_target_fields(context.rules)
    score_fields = scoring.fields
    statuses: dict[tuple[Any, ...], tuple[str, str]] = {}
    scores: dict[tuple[Any, ...], tuple[int, str, str]] = {}
    moments: dict[tuple[str, datetime], tuple[str, str]] = {}
    while chunk := list(itertools.islice(rows, chunk_rows)):
        prepared: list[Prepared] = []
        for row_number, raw in chunk:
            if channel_code and not raw.get("channel"):
                raw["channel"] = channel_code
            clean, errors = clean_lead(raw, context=context, now=now)
            if errors:  # the row as written goes to the error report, sealed (SEC-2)
                prepared.append((row_number, errors, (seal_row(raw),), "", (), ()))
                continue
            key = (clean["channel"].pk, *[clean[name] for name in status_fields])
            if (status := statuses.get(key)) is None:
                status = _remember(statuses, key, decide_status(clean, context.rules))
            key = tuple([clean[name] for name in score_fields])
            if (score := scores.get(key)) is None:
                score = _remember(scores, key, score_values(scoring, clean))
            channel, acquired_at = clean["channel"], clean["acquired_at"]
            key = (channel.code, acquired_at)
            if (stored := moments.get(key)) is None:
                stored = _remember(
                    moments,
                    key,
                    (
                        db_moment(acquired_at, vendor),
                        number_prefix(channel.code, acquired_at, context.zone),
                    ),
                )
            clean["score"], clean["grade"], clean["priority"] = score
            clean["status"], clean["non_target_reason"] = str(status[0]), status[1]
            clean["channel_id"], clean["acquired_at"] = channel.pk, stored[0]
            keys = tuple(dedupe_keys(clean))
            personal = _seal_row(clean, keys)
            values = tuple([clean[name] for name in ROW_FIELDS])
            prepared.append((row_number, None, values, stored[1], keys, personal))
        yield prepared


def _seal_row(clean: dict[str, Any], keys: tuple[tuple[str, str], ...]) -> tuple[str, ...]:
    """Encrypt the row's personal data in place and set its keyed hashes (the dedupe keys
    hashed them already); the plain values, for a merge to compare."""
    personal = tuple([clean[name] for name in PERSONAL_FIELDS])
    hashed = dict(keys)
    clean["mobile_hash"] = hashed.get("mobile", "")
    clean["email_hash"] = hashed.get("email", "")
    clean["landline_hash"] = lookup_hash(clean["landline"])
    for name, value in zip(PERSONAL_FIELDS, personal, strict=True):
        clean[name] = encrypt(value)
    return personal


def _hashes(plain: Mapping[str, str]) -> dict[str, str]:
    """The keyed hashes of a lead's plain personal values."""
    return {f"{name}_hash": lookup_hash(plain[name]) for name in ("mobile", "landline", "email")}


# Entries each memo of prepare_rows keeps: enough for a file's repeated values, and a
# bound for a file whose times or names never repeat.
MEMO_ENTRIES = 50_000


def _remember(memo: dict[Any, Any], key: Any, value: Any) -> Any:
    if len(memo) >= MEMO_ENTRIES:
        memo.clear()
    memo[key] = value
    return value


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
        expected_rows: int | None = None,
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
        self.vendor = connection.vendor
        self.summary = ImportSummary()
        self.context = CaptureContext.load()
        self.scoring = Scoring.load()
        if channel_code and channel_code not in self.context.channels:
            raise ValidationFailed(
                gettext("Unknown channel."),
                fields={
                    "channel": gettext("%(value)r is not an active channel code or name")
                    % {"value": channel_code}
                },
            )
        self.index = _KeyIndex.load(expected_rows=expected_rows)
        self.own_up_to = 0  # the largest id this import has stored
        # Scoring events of the stored leads this chunk merges into: {id: {kind: times}}.
        self.survivor_events: dict[int, dict[str, int]] = {}

    def prepare(self, rows: Iterator[tuple[int, dict[str, Any]]]) -> Iterator[list[Prepared]]:
        return prepare_rows(
            rows,
            context=self.context,
            scoring=self.scoring,
            now=timezone.now(),
            channel_code=self.channel_code,
            vendor=self.vendor,
            chunk_rows=self.chunk_rows,
        )

    def run(self, rows: Iterator[tuple[int, dict[str, Any]]]) -> ImportSummary:
        """Import rows cleaned here, in this process (small files, tests)."""
        with _fewer_collections():
            return self.run_prepared(self.prepare(rows))

    def run_prepared(self, chunks: Iterator[list[Prepared]]) -> ImportSummary:
        """Write the cleaned chunks, a few per transaction."""
        more = True
        while more:
            # Several chunks per transaction: each commit rewrites every index page the
            # chunk touched, so fewer, larger commits write far less. Other writers
            # wait at most one transaction (a couple of seconds).
            with transaction.atomic():
                lock_all_captures()
                self.index.catch_up(own_up_to=self.own_up_to)
                for _ in range(ROWS_PER_TRANSACTION // self.chunk_rows):
                    chunk = next(chunks, None)
                    if chunk is None:
                        more = False
                        break
                    self._write_chunk(chunk)
                    fault_point("import.chunk_written")
                    if self.progress:
                        self.progress(self.summary.rows)
        audit_record(  # every import, from the UI or the command line (SEC-3)
            actor=self.by or gettext("command line"),
            action="lead.import",
            object_type="leads.importbatch",
            object_id=self.batch.pk if self.batch else "",
            extra={k: v for k, v in self.summary.as_dict().items() if k != "errors"},
        )
        return self.summary

    def _reject(self, row_number: int, errors: dict[str, str], original: str = "") -> None:
        self.summary.rejected += 1
        for name, reason in errors.items():
            if len(self.summary.errors) < MAX_REPORTED_ERRORS:
                self.summary.errors.append(
                    {"row": row_number, "field": name, "reason": reason, "original": original}
                )

    def _shared_columns(self, now_text: str) -> dict[str, Any]:
        """The values of the columns not in ROW_COLUMNS, the same for a whole chunk."""
        per_import = (
            self.batch.pk if self.batch else None,
            self.by.pk if self.by is not None else None,
            now_text,  # created_at
            now_text,  # updated_at
            self.basis,
        )
        return {**dict(zip(PER_IMPORT_COLUMNS, per_import, strict=True)), **IMPORTED_LEAD}

    @transaction.atomic
    def _write_chunk(self, chunk: list[Prepared]) -> None:
        now = timezone.now()
        now_text = db_moment(now, self.vendor)
        self.summary.rows += len(chunk)
        accepted = []
        for item in chunk:
            if item[1]:
                self._reject(item[0], item[1], item[2][0] if item[2] else "")
            else:
                accepted.append(item)
        ids = reserve_ids(len(accepted)) if accepted else []
        if ids:
            self.own_up_to = max(ids)
        prefixes: list[str] = []  # each insert's number prefix, in file order
        new_rows: dict[int, list[Any]] = {}  # this chunk's live leads, by id
        new_personal: dict[int, tuple[str, ...]] = {}  # and their plain personal values
        inserts: list[list[Any]] = []
        pending: list[_Pending] = []
        merges: list[_Merge] = []
        linked: list[tuple[int, list[int], str]] = []  # a row that joins several leads
        index, summary = self.index, self.summary
        index.look_up(item[4] for item in accepted)
        for lead_id, (_, _, values, prefix, keys, personal) in zip(ids, accepted, strict=True):
            row = [lead_id, "", *values, values[_ACQUIRED_IN_ROW], None]
            prefixes.append(prefix)
            inserts.append(row)
            found = index.match(keys)
            if not found:
                new_rows[lead_id] = row
                new_personal[lead_id] = personal
                index.add(keys, lead_id)
                summary.created += 1
                if row[_STATUS] == _NON_TARGET:
                    summary.non_target += 1
                continue
            survivor_id = found[0]
            own_status = row[_STATUS]
            row[_STATUS], row[_MERGED_INTO] = _MERGED, survivor_id
            summary.merged += 1
            matched_on = "+".join(sorted({k for k, v in keys if index.owner(k, v) == survivor_id}))
            if survivor_id in new_rows:
                merge, new_personal[survivor_id] = self._merge_into_row(
                    new_rows[survivor_id],
                    new_personal[survivor_id],
                    row,
                    personal,
                    own_status,
                    matched_on,
                )
                merges.append(merge)
            else:
                pending.append(_Pending(survivor_id, row, personal, own_status, matched_on))
            if len(found) > 1:
                # The row shows these leads are one person too (as lead_capture does).
                matched_all = "+".join(sorted(name for name, _ in keys))
                linked.append((survivor_id, found[1:], matched_all))
            index.add(keys, survivor_id)
        next_sequence = reserve_number_blocks(Counter(prefixes))
        for row, prefix in zip(inserts, prefixes, strict=True):
            sequence = next_sequence[prefix]
            next_sequence[prefix] = sequence + 1
            row[_NUMBER] = number(prefix, sequence)
        insert_leads(inserts, ROW_COLUMNS, self._shared_columns(now_text))
        merges += self._merge_into_stored(pending, now_text)
        self._record_merges(merges, now_text)
        self._join_linked(linked, now)
        if self.batch is not None:
            ImportBatch.objects.filter(pk=self.batch.pk).update(
                rows_done=summary.rows,
                created=summary.created,
                merged=summary.merged,
                rejected=summary.rejected,
                non_target=summary.non_target,
                heartbeat_at=now,
            )

    def _join_linked(self, linked: list[tuple[int, list[int], str]], now: datetime) -> None:
        """Merge the other leads a row matched into its survivor with the single-capture
        merge (rare: a row whose mobile is one lead's and whose email another's)."""
        for survivor_id, others, matched_on in linked:
            survivor = Lead.objects.get(pk=survivor_id)
            distinct = distinct_pairs([survivor_id, *others])
            for other in Lead.objects.filter(pk__in=others).exclude(status=LeadStatus.MERGED):
                if survivor.status == LeadStatus.MERGED:
                    break
                if frozenset((survivor_id, other.pk)) in distinct:
                    continue  # an administrator said these are different people
                lead_merge(survivor=survivor, merged=other, reason=matched_on, by=self.by, now=now)
                self.index.take_over(other, survivor_id)

    def _merge_into_row(
        self,
        survivor_row: list[Any],
        survivor_personal: tuple[str, ...],
        capture: list[Any],
        capture_personal: tuple[str, ...],
        own_status: str,
        matched_on: str,
    ) -> tuple[_Merge, tuple[str, ...]]:
        """Merge a capture into a lead of this same chunk, before either is written; the
        survivor's plain personal values after it."""
        survivor = dict(zip(ROW_COLUMNS, survivor_row, strict=True))
        tokens = {name: survivor[name] for name in PERSONAL_FIELDS}
        before = dict(zip(PERSONAL_FIELDS, survivor_personal, strict=True))
        survivor.update(before, priority_reason=IMPORTED_LEAD["priority_reason"])
        merge = self._merge(survivor, capture, capture_personal, own_status, matched_on)
        after = {name: survivor[name] for name in PERSONAL_FIELDS}
        if after != before:
            survivor.update(_hashes(after))
        for name in PERSONAL_FIELDS:  # encrypted again only where the merge changed it
            survivor[name] = tokens[name] if after[name] == before[name] else encrypt(after[name])
        survivor_row[:] = [survivor[name] for name in ROW_COLUMNS]
        return merge, tuple(after.values())

    def _merge(
        self,
        survivor: dict[str, Any],
        capture_row: list[Any],
        capture_personal: tuple[str, ...],
        own_status: str,
        matched_on: str,
    ) -> _Merge:
        """`survivor` and the capture compared with their personal values in plain text."""
        capture = dict(zip(ROW_COLUMNS, capture_row, strict=True))
        capture.update(zip(PERSONAL_FIELDS, capture_personal, strict=True))
        before = {name: survivor[name] for name in SNAPSHOT_FIELDS}
        outcome = merge_outcome(
            before,
            survivor["values_at"],
            capture,
            capture["values_at"],
            channel=self.context.channels_by_id[survivor["channel_id"]],
            rules=self.context.rules,
        )
        survivor.update(outcome.changes, values_at=outcome.values_at)
        self.index.add(dedupe_keys(outcome.changes | {"kind": survivor["kind"]}), survivor["id"])
        score_before = (survivor["score"], survivor["grade"])
        counts = self.survivor_events.get(survivor["id"], {})
        score, grade, priority, rules = scored_rules(self.scoring, survivor, counts)
        survivor.update(score=score, grade=grade)
        if not survivor["priority_reason"]:  # a priority a person set stays
            survivor["priority"] = priority
        after = {name: survivor[name] for name in SNAPSHOT_FIELDS}
        scored = None
        if score_before != (score, grade):
            scored = scored_data(
                trigger="merge",
                score=[score_before[0], score],
                grade=[score_before[1], grade],
                rules=rules,
            )
        return _Merge(survivor["id"], capture_row, before, after, own_status, matched_on, scored)

    def _merge_into_stored(self, pending: list[_Pending], now_text: str) -> list[_Merge]:
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
            *_SCORE_FIELDS,
            "priority_reason",
        ]
        self.survivor_events = event_counts([item.survivor_id for item in pending])
        stored = {
            row["id"]: {**row, "values_at": db_moment(row["values_at"], self.vendor)}
            for row in Lead.objects.filter(pk__in={p.survivor_id for p in pending}).values(*fields)
        }
        originals = {lead_id: dict(row) for lead_id, row in stored.items()}
        merges = [
            self._merge(
                stored[item.survivor_id],
                item.capture,
                item.personal,
                item.own_status,
                item.matched_on,
            )
            for item in pending
        ]
        changed = [row for lead_id, row in stored.items() if row != originals[lead_id]]
        _update_leads(changed, now_text)
        return merges

    def _record_merges(self, merges: list[_Merge], now_text: str) -> None:
        """The merge records (for undo) and the survivors' timeline events, one insert each."""
        if not merges:
            return
        by_id = self.by.pk if self.by is not None else None
        records, events = [], []
        for merge in merges:
            changed = sorted(n for n in PROFILE_FIELDS if merge.before[n] != merge.after[n])
            records.append(
                (
                    merge.survivor_id,
                    merge.capture[_ID],
                    _json(seal(merge.before)),  # personal values encrypted (SEC-2)
                    _json(seal(merge.after)),
                    merge.own_status,
                    merge.matched_on,
                    now_text,
                    by_id,
                )
            )
            data = merged_data(
                merged_number=merge.capture[_NUMBER], matched_on=merge.matched_on, changed=changed
            )
            events.append((merge.survivor_id, now_text, "merged", by_id, data))
            if merge.scored:
                events.append((merge.survivor_id, now_text, "scored", by_id, merge.scored))
        insert_rows(LeadMerge._meta.db_table, MERGE_COLUMNS, records)
        timeline_rows_insert(events)


# One encoder for the import: json.dumps with options builds a new one at every call.
_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def _json(value: dict[str, Any]) -> str:
    return _JSON.encode(value)


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
    skipped; every other row is created or merged. Every import is an ImportBatch, from
    the UI or the command line, with its progress and its error report."""
    rows_total = batch.rows_total if batch is not None else count_rows(path)
    importer = LeadImporter(
        basis=basis,
        channel_code=channel_code,
        by=by,
        batch=batch,
        progress=progress,
        expected_rows=rows_total,
    )
    if batch is None:
        batch = importer.batch = ImportBatch.objects.create(
            file_name=path.name[:255],
            stored_path=str(path),
            channel=importer.context.channels.get(channel_code),
            lawful_basis=importer.basis,
            rows_total=rows_total,
            created_by=by,
        )
    with alive_while(indexes.import_claim(batch.pk)):  # the sweep sees at once if this process dies
        return _import_claimed(path, importer, batch)


def _import_claimed(path: Path, importer: "LeadImporter", batch: ImportBatch) -> ImportSummary:
    now = timezone.now()
    ImportBatch.objects.filter(pk=batch.pk).update(
        state=ImportBatch.State.RUNNING, started_at=now, heartbeat_at=now
    )
    aside = indexes.worth_setting_aside(batch.rows_total)
    # The cleaning processes are forked first, before any transaction or lock is taken
    # and while this process's objects are frozen, so they share its pages.
    with _fewer_collections(), cleaned_in_children(path, importer) as chunks, bulk_connection():
        try:
            if aside:
                indexes.set_aside()
            summary = importer.run_prepared(chunks)
        except BaseException as error:
            ImportBatch.objects.filter(pk=batch.pk).update(
                state=ImportBatch.State.FAILED,
                failure=f"{type(error).__name__}: {error}"[:2000],
                finished_at=timezone.now(),
            )
            raise
        finally:
            if aside:
                indexes.restore()
    if aside:
        statistics_refresh()
    ImportBatch.objects.filter(pk=batch.pk).update(
        state=ImportBatch.State.DONE,
        finished_at=timezone.now(),
        errors=summary.errors,
        rows_done=summary.rows,
        created=summary.created,
        merged=summary.merged,
        rejected=summary.rejected,
        non_target=summary.non_target,
    )
    return summary


@contextmanager
def cleaned_in_children(path: Path, importer: LeadImporter) -> Iterator[Iterator[list[Prepared]]]:
    """Read and clean the file in forked child processes while this process writes: the
    children take chunks in turn (chunk k to child k mod n) and this process reads them
    back in the same turn, so rows stay in file order. The children are forked on entry,
    never inside a transaction (they would hold copies of its connection), and never
    touch the database; each pipe's buffer keeps its child at most a few chunks ahead."""
    parts = cleaning_processes()
    if not parts:
        yield importer.prepare(read_rows(path))
        return
    forking = multiprocessing.get_context("fork")
    receivers, children = [], []
    for part in range(parts):
        receiver, sender = forking.Pipe(duplex=False)
        receivers.append(receiver)
        child = forking.Process(
            target=_clean_in_child,
            daemon=True,
            args=(sender, path, importer, part, parts, os.getpid(), tuple(receivers)),
        )
        child.start()
        sender.close()
        children.append(child)
    try:
        yield _chunks_in_turn(receivers)
    finally:
        for receiver in receivers:
            receiver.close()
        for child in children:
            child.join(timeout=5)
            if child.is_alive():
                child.kill()


def cleaning_processes() -> int:
    """How many child processes clean the file (settings.LEADFLOW_CLEANING_PROCESSES).
    By default one per CPU this process may run on, up to MOST_CLEANING_PROCESSES, and none
    with a single CPU: there a child cleans no faster than this process would, and every
    row would cost its trip through a pipe on top (#27: an import pinned to one core)."""
    if not hasattr(os, "fork"):
        return 0
    configured = settings.LEADFLOW_CLEANING_PROCESSES
    if configured >= 0:
        return configured
    if hasattr(os, "sched_getaffinity"):
        usable = len(os.sched_getaffinity(0))
    else:
        usable = os.cpu_count() or 1
    return min(MOST_CLEANING_PROCESSES, usable) if usable > 1 else 0


def _chunks_in_turn(receivers: list) -> Iterator[list[Prepared]]:
    parts = len(receivers)
    for turn in itertools.count():
        try:
            message = receivers[turn % parts].recv()
        except EOFError:
            raise RuntimeError("the file reader stopped unexpectedly") from None
        if message is None:
            return  # the file has no more chunks: the child whose turn it was is done
        if isinstance(message, tuple):  # ("refused", message, fields) from a child
            raise ValidationFailed(message[1], fields=message[2])
        yield message


def _clean_in_child(
    sender, path: Path, importer: LeadImporter, part: int, parts: int, parent: int, receivers
) -> None:
    _die_with_parent(parent, receivers)
    # Cleaning makes no reference cycles, and the collector's passes over the chunk in
    # hand cost this short-lived process about a tenth of its time.
    gc.disable()
    size = importer.chunk_rows
    try:
        for chunk in importer.prepare(read_rows(path, lambda i: (i // size) % parts == part)):
            sender.send(chunk)
    except ValidationFailed as error:
        sender.send(("refused", error.message, error.fields))
    except BrokenPipeError:
        return  # the importing process gave up; nothing to tell it
    try:
        sender.send(None)
    except BrokenPipeError:
        return  # the importer finished on another child's end of file first
    sender.close()


def _die_with_parent(parent: int, receivers) -> None:
    """A cleaning child must not outlive the importer (issue: a killed import froze every
    write). It was forked holding copies of the importer's database descriptors: the
    SQLite writers' lock file and the PostgreSQL socket, with its transaction and locks.
    It closes them (it never uses the database), closes the reading ends of the pipes
    (so a send to a dead importer fails instead of blocking), and asks the kernel to kill
    it when the importer dies."""
    for alias in connections:
        wrapper = connections[alias]
        lock_file = getattr(wrapper, "_lock_file", None)
        if lock_file is not None:
            os.close(lock_file)
        raw = wrapper.connection
        if raw is not None and wrapper.vendor == "postgresql":
            os.close(raw.fileno())
    for receiver in receivers:
        receiver.close()
    if _set_parent_death_signal is not None:
        _set_parent_death_signal()
    if os.getppid() != parent:  # the importer died before the signal was asked for
        os._exit(1)


def _parent_death_signal() -> Callable[[], None] | None:
    """prctl(PR_SET_PDEATHSIG, SIGKILL) on Linux; None elsewhere (the closed pipes then
    end the child at its next send)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    except OSError:
        return None
    prctl = getattr(libc, "prctl", None)
    if prctl is None:
        return None
    return lambda: prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


PR_SET_PDEATHSIG = 1
_set_parent_death_signal = _parent_death_signal()


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
