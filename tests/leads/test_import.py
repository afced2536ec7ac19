"""Bulk import from CSV and XLSX (LEAD-CAP-2): same rules as a single capture."""

import csv
import json
import multiprocessing
import threading
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from openpyxl import Workbook

from leadflow.core.crypto import decrypt
from leadflow.core.errors import ValidationFailed
from leadflow.core.liveness import alive_while
from leadflow.leads.bulk import importer as importer_module
from leadflow.leads.bulk import indexes
from leadflow.leads.bulk import sql as bulk_sql
from leadflow.leads.bulk.importer import LeadImporter, import_leads, read_rows
from leadflow.leads.capture import lead_merge_undo
from leadflow.leads.models import ImportBatch, Lead, LeadMerge, LeadStatus, NonTargetRule
from leadflow.leads.scoring import lead_breakdown

pytestmark = pytest.mark.django_db
HEADER = [
    "客户名称",
    "联系人",
    "手机",
    "邮箱",
    "行业",
    "需求",
    "渠道",
    "渠道明细",
    "获取时间",
    "地区",
    "员工人数",
]
ROWS = [
    [
        "上海甲科技有限公司",
        "王一",
        "+86 138-0013-8000",
        "a@example.cn",
        "制造业",
        "采购设备",
        "G",
        "官网-产品页",
        "2026-03-01 10:00",
        "上海",
        "500",
    ],
    [
        "北京乙贸易有限公司",
        "李二",
        "12345",
        "b@example",
        "零售",
        "",
        "S",
        "",
        "2026-03-01 11:00",
        "北京",
        "many",
    ],
    ["李同学", "", "13900139000", "", "学生", "找实习", "M", "", "2026-03-01 12:00", "", ""],
    [
        "上海甲科技有限公司 ",
        "王一",
        "0086 13800138000",
        "A@Example.cn",
        "制造业",
        "更换设备",
        "G",
        "",
        "2026-03-02 09:00",
        "",
        "800",
    ],
    [
        "广州丙公司",
        "赵三",
        "",
        "c@example.cn",
        "制造业",
        "咨询",
        "Z",
        "展会-2026",
        "2026-03-01 13:00",
        "广州",
        "",
    ],
]


def write_csv(path: Path, rows=ROWS, header=HEADER) -> Path:
    with path.open("w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def test_rows_are_created_merged_rejected_and_counted(tmp_path):
    # SPEC: LEAD-CAP-2, LEAD-CLN-1..3
    summary = import_leads(path=write_csv(tmp_path / "leads.csv"), basis="合同履行")
    assert (
        summary.rows,
        summary.created,
        summary.merged,
        summary.rejected,
        summary.non_target,
    ) == (5, 3, 1, 1, 1)
    assert summary.rows == summary.created + summary.merged + summary.rejected
    assert {(e["row"], e["field"]) for e in summary.errors} == {
        (3, "mobile"),
        (3, "email"),
        (3, "need"),
        (3, "employees"),
    }
    first = Lead.objects.get(number="G20260301001")
    assert (first.mobile, first.email, first.need, first.employees) == (
        "+8613800138000",
        "a@example.cn",
        "更换设备",
        800,
    )
    assert first.lawful_basis == "合同履行"
    duplicate = Lead.objects.get(merged_into=first)
    assert (duplicate.number, duplicate.status) == ("G20260302001", LeadStatus.MERGED)
    assert Lead.objects.get(name="李同学").status == LeadStatus.NON_TARGET


def test_values_shared_by_the_whole_import_are_on_every_row(tmp_path, admin_user):
    # SPEC: LEAD-CAP-2, LEAD-CAP-5 (the file's lawful basis on every lead it brings)
    basis = "合同履行 'contract' 100%s%%"
    summary = import_leads(path=write_csv(tmp_path / "leads.csv"), basis=basis, by=admin_user)
    batch = ImportBatch.objects.get()
    leads = Lead.objects.all()
    assert summary.created + summary.merged == len(leads) == 4
    for lead in leads:
        assert (lead.lawful_basis, lead.consent_channel, lead.captured_via) == (
            basis,
            "import",
            "import",
        )
        assert (lead.import_batch, lead.created_by, lead.owner, lead.stage) == (
            batch,
            admin_user,
            None,
            "",
        )
        assert lead.created_at == lead.updated_at
        assert lead.created_at is not None
    assert set(LeadImporter(basis="x")._shared_columns("now")) == {
        field.attname for field in Lead._meta.concrete_fields
    } - set(importer_module.ROW_COLUMNS)


def test_import_merges_into_leads_already_stored_and_can_be_undone(tmp_path, capture, admin_user):
    existing = capture(
        name="上海甲科技有限公司",
        mobile="13800138000",
        email="",
        need="老需求",
        acquired_at="2026-02-01 10:00",
    ).lead
    summary = import_leads(path=write_csv(tmp_path / "leads.csv"), basis="合同履行")
    assert summary.merged == 2
    existing.refresh_from_db()
    assert (existing.need, existing.email, existing.employees) == ("更换设备", "a@example.cn", 800)
    assert existing.merged_leads.count() == 2
    # SPEC: LEAD-SCR-4 — the merge brought 800 employees: +10 (500+), B 20 → A 30, explained.
    assert [e.kind for e in existing.events.all()] == ["merged", "scored", "merged"]
    assert (existing.score, existing.grade, existing.priority) == (30, "A", "high")
    # The import's "scored" event names the rules, as the single path's does (#18).
    scored = existing.events.get(kind="scored")
    assert scored.data["rules"] == {item.rule: item.points for item in lead_breakdown(existing)}
    assert scored.data["score"] == [20, 30]
    merge = LeadMerge.objects.filter(survivor=existing).order_by("id").last()
    lead_merge_undo(merge=merge, by=admin_user)
    assert Lead.objects.get(pk=merge.merged_id).status == LeadStatus.TO_ASSIGN


SAME_ON_EVERY_PATH = (
    "name",
    "mobile",
    "email",
    "need",
    "status",
    "merged_into__number",
    "score",
    "grade",
    "priority",
)


def test_same_outcome_as_one_by_one_capture(tmp_path, capture):
    # SPEC: LEAD-CAP-2, LEAD-SCR-1 — the bulk and the single path agree on every decision,
    # scores and grades included.
    import_leads(path=write_csv(tmp_path / "leads.csv"), basis="合同履行")
    bulk = sorted(Lead.objects.values_list(*SAME_ON_EVERY_PATH))
    Lead.objects.filter(merged_into__isnull=False).delete()
    Lead.objects.all().delete()
    from leadflow.leads.capture import lead_capture
    from leadflow.leads.cleaning import Consent
    from leadflow.leads.models import LeadNumberSequence

    LeadNumberSequence.objects.all().delete()
    for _, raw in read_rows(tmp_path / "leads.csv"):
        try:
            lead_capture(values=raw, consent=Consent(lawful_basis="合同履行"), via="api")
        except ValidationFailed:
            pass
    single = sorted(Lead.objects.values_list(*SAME_ON_EVERY_PATH))
    assert bulk == single


def test_default_channel_and_english_headers(tmp_path):
    path = write_csv(
        tmp_path / "en.csv",
        rows=[["ACME Trading Ltd", "Tom", "13800138000", "", "Retail", "POS terminals", "", ""]],
        header=[
            "name",
            "contact_name",
            "mobile",
            "email",
            "industry",
            "need",
            "channel",
            "acquired_at",
        ],
    )
    summary = import_leads(path=path, basis="consent", channel_code="E")
    assert summary.created == 1
    assert Lead.objects.get().channel.code == "E"


def test_xlsx_import(tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    for row in ROWS:
        sheet.append(row)
    book.save(tmp_path / "leads.xlsx")
    summary = import_leads(path=tmp_path / "leads.xlsx", basis="合同履行")
    assert (summary.created, summary.merged, summary.rejected) == (3, 1, 1)


def test_an_import_must_state_its_lawful_basis():
    # SPEC: LEAD-CAP-5
    with pytest.raises(ValidationFailed) as refused:
        LeadImporter(basis=" ")
    assert "lawful_basis" in refused.value.fields


def test_file_without_a_name_column_is_refused(tmp_path):
    path = write_csv(tmp_path / "bad.csv", rows=[["x"]], header=["foo"])
    with pytest.raises(ValidationFailed) as refused:
        import_leads(path=path, basis="合同履行")
    assert refused.value.fields == {"file": "表头行中没有“客户名称/name”列"}


def test_command_prints_one_json_line_last(tmp_path, capsys):
    # SPEC: LEAD-CAP-2 — the documented --json contract.
    call_command(
        "import", "leads", str(write_csv(tmp_path / "leads.csv")), "--basis", "合同履行", "--json"
    )
    last = capsys.readouterr().out.strip().splitlines()[-1]
    result = json.loads(last)
    assert set(result) == {"rows", "created", "merged", "rejected", "non_target", "errors"}
    assert result["rows"] == result["created"] + result["merged"] + result["rejected"] == 5
    expected = {
        "row": 3,
        "field": "mobile",
        "reason": "'12345': 不是有效的中国大陆手机或座机号码",
    }
    assert expected in result["errors"]


def test_import_joins_the_oldest_of_two_leads_sharing_a_key_like_capture(
    tmp_path, capture, admin_user
):
    # SPEC: LEAD-CLN-2 — after an undo two live leads share a mobile; both paths pick the oldest.
    oldest = capture(name="甲公司", email="", mobile="13800138000").lead
    separated = capture(name="乙公司", email="", mobile="13800138000").capture
    lead_merge_undo(merge=LeadMerge.objects.get(merged=separated), by=admin_user)
    path = write_csv(
        tmp_path / "one.csv",
        rows=[
            ["丙公司", "", "13800138000", "", "制造业", "询价", "G", "", "2026-03-05 10:00", "", ""]
        ],
    )
    import_leads(path=path, basis="合同履行")
    imported = Lead.objects.get(name="丙公司")
    assert imported.merged_into_id == oldest.pk


def _lead_constraints() -> dict[str, dict]:
    with connection.cursor() as cursor:
        return connection.introspection.get_constraints(cursor, Lead._meta.db_table)


def _lead_indexes() -> set[str]:
    return {name for name, info in _lead_constraints().items() if info["index"]}


def _in_force() -> set[str]:
    """The lead table's indexes and constraints, less foreign keys PostgreSQL holds
    unchecked for the rows already there (NOT VALID)."""
    names = set(_lead_constraints())
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT conname FROM pg_constraint WHERE conrelid = 'leads_lead'::regclass"
                " AND NOT convalidated"
            )
            names -= {name for (name,) in cursor.fetchall()}
    return names


def _foreign_keys(names: set[str]) -> set[str]:
    constraints = _lead_constraints()
    return {name for name in names if name in constraints and constraints[name]["foreign_key"]}


def test_a_large_import_sets_the_lookup_indexes_aside_and_rebuilds_them(tmp_path, monkeypatch):
    # SPEC: LEAD-CAP-2 (speed) with LEAD-CLN-2 — dedupe holds while the indexes are away.
    monkeypatch.setattr(indexes, "SET_ASIDE_MIN_ROWS", 1)
    before = _in_force()
    seen_during_import: list[set[str]] = []
    summary = import_leads(
        path=write_csv(tmp_path / "leads.csv"),
        basis="合同履行",
        progress=lambda done: seen_during_import.append(_in_force()),
    )
    assert (summary.created, summary.merged) == (3, 1)
    meanwhile = seen_during_import[0]
    assert not set(indexes.SET_ASIDE) & meanwhile
    assert len(_foreign_keys(before)) == 8
    if connection.vendor == "postgresql":  # eight checks a row; SQLite's are rowid look-ups
        assert not _foreign_keys(meanwhile)
        assert indexes.NUMBER_UNIQUE in before - meanwhile
    assert _in_force() == before  # all back, with their names, checked
    batch = ImportBatch.objects.get()
    assert (batch.state, batch.created, batch.merged) == (ImportBatch.State.DONE, 3, 1)
    if connection.vendor == "postgresql":  # the planner knows the table as it is now (#27)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT COUNT(*) FROM pg_stats WHERE tablename = 'leads_lead' "
                "AND attname IN ('mobile_hash', 'email_hash', 'company_key')"
            )
            assert cursor.fetchone()[0] == 3


@contextmanager
def claimed_elsewhere(key: str):
    """The liveness claim `key` held by another connection (a thread), as a running
    import in another process would hold it."""
    held, release = threading.Event(), threading.Event()

    def hold():
        try:
            with alive_while(key):
                held.set()
                release.wait()
        finally:
            connection.close()

    thread = threading.Thread(target=hold)
    thread.start()
    held.wait()
    try:
        yield
    finally:
        release.set()
        thread.join()


def test_the_sweep_rebuilds_indexes_an_interrupted_import_left_missing(db):
    # SPEC: LEAD-CAP-2 — nothing stays broken after a crash mid-import.
    now = timezone.now()
    before = _in_force()
    indexes.set_aside()
    set_aside = before - _in_force()
    assert set(indexes.SET_ASIDE) <= set_aside
    running = ImportBatch.objects.create(
        file_name="big.csv",
        lawful_basis="合同履行",
        state=ImportBatch.State.RUNNING,
        heartbeat_at=now - timedelta(minutes=2),
    )
    with claimed_elsewhere(indexes.import_claim(running.pk)):
        result = indexes.restore_after_failed_import(now)
        assert result == {"stalled": 0, "restored": []}  # an import is still loading: wait
        assert "lead_mobile" not in _lead_indexes()

        later = now + timedelta(minutes=15)  # alive, but no progress for 15 minutes
        result = indexes.restore_after_failed_import(later)
    assert result["stalled"] == 1
    assert set(result["restored"]) == set_aside
    assert _in_force() == before
    running.refresh_from_db()
    assert running.state == ImportBatch.State.FAILED


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite keeps its foreign keys and the number's UNIQUE during an import",
)
def test_a_row_that_broke_a_rule_while_it_was_set_aside_is_refused_when_it_is_back(tmp_path):
    # SPEC: LEAD-CAP-2 (speed), LEAD-CAP-4 — the foreign keys and the number's UNIQUE an
    # import sets aside on PostgreSQL are checked for every row when they come back, not
    # taken on trust.
    import_leads(path=write_csv(tmp_path / "leads.csv"), basis="合同履行")
    first, second = Lead.objects.order_by("id")[:2]
    before = _in_force()
    for column, broken, mended in (
        ("channel_id", 999999, first.channel_id),  # no such channel
        ("number", second.number, first.number),  # a number twice
    ):
        update = f"UPDATE leads_lead SET {column} = %s WHERE id = %s"  # noqa: S608 - fixed names
        indexes.set_aside()
        with connection.cursor() as cursor:
            cursor.execute(update, [broken, first.pk])
        with pytest.raises(IntegrityError), transaction.atomic():
            indexes.restore()
        with connection.cursor() as cursor:
            cursor.execute(update, [mended, first.pk])
        indexes.restore()
        assert _in_force() == before


@pytest.mark.parametrize("expected_rows", [None, 2], ids=["keys loaded", "keys looked up"])
def test_a_lead_captured_while_an_import_runs_is_found_as_a_duplicate(
    tmp_path, capture, monkeypatch, expected_rows
):
    # SPEC: LEAD-CLN-2 — the importer's key index learns of captures made between its
    # transactions, so a later file row with the same mobile merges into that lead.
    monkeypatch.setattr(importer_module, "ROWS_PER_TRANSACTION", 1)
    rows = [
        ["甲公司", "", "13700137000", "", "制造业", "询价", "G", "", "2026-03-05 10:00", "", ""],
        ["乙公司", "", "13800138000", "", "制造业", "询价", "G", "", "2026-03-05 11:00", "", ""],
    ]
    captured = []

    def capture_between_transactions(done: int) -> None:
        if done == 1:
            captured.append(capture(name="丙公司", email="", mobile="13800138000").lead)

    lead_importer = LeadImporter(basis="合同履行", chunk_rows=1, expected_rows=expected_rows)
    lead_importer.progress = capture_between_transactions
    summary = lead_importer.run(read_rows(write_csv(tmp_path / "two.csv", rows=rows)))
    assert (summary.created, summary.merged) == (1, 1)
    assert Lead.objects.get(name="乙公司").merged_into_id == captured[0].pk


def test_several_cleaning_processes_keep_the_rows_in_file_order(tmp_path, settings):
    # SPEC: LEAD-CAP-2 — rows are processed in order, whichever process cleaned them.
    settings.LEADFLOW_CLEANING_PROCESSES = 3
    rows = [
        ["甲公司", "", f"1380013800{i}", "", "制造业", "询价", "G", "", "2026-03-05 10:00", "", ""]
        for i in range(7)
    ]
    rows.append(["乙公司", "", "13800138003", "", "制造业", "复购", "G", "", "2026-03-06", "", ""])
    lead_importer = LeadImporter(basis="合同履行", chunk_rows=2)
    path = write_csv(tmp_path / "order.csv", rows=rows)
    with importer_module.cleaned_in_children(path, lead_importer) as chunks:
        summary = lead_importer.run_prepared(chunks)
    assert (summary.rows, summary.created, summary.merged) == (8, 1, 7)
    # Each capture keeps its own row; their ids follow the file's order.
    stored = Lead.objects.order_by("id").values_list("mobile", "need")
    assert [mobile for mobile, _ in stored][1:] == [f"+86{row[2]}" for row in rows][1:]
    assert Lead.objects.get(status=LeadStatus.TO_ASSIGN).need == "复购"  # newest values win


def test_a_row_that_joins_two_leads_merges_them_as_a_capture_would(tmp_path, capture):
    # SPEC: LEAD-CLN-2 — mobile of one lead, email of another: the three are one person,
    # on the import path as on the single path (lead_capture).
    first = capture(name="甲公司", mobile="13800138000", email="").lead
    second = capture(name="乙公司", mobile="", email="yi@example.cn").lead
    row = ["丙公司", "", "13800138000", "yi@example.cn", "制造业", "询价", "G", "", "", "", ""]
    summary = import_leads(path=write_csv(tmp_path / "link.csv", rows=[row]), basis="合同履行")
    assert (summary.created, summary.merged) == (0, 1)
    second.refresh_from_db()
    assert (second.status, second.merged_into_id) == (LeadStatus.MERGED, first.pk)
    assert Lead.objects.get(captured_via="import").merged_into_id == first.pk
    assert LeadMerge.objects.filter(survivor=first, merged=second).exists()


def _opened(chunks) -> list:
    """Prepared rows with their encrypted values decrypted: each encryption of the same
    value differs (a random IV), the value does not."""
    sealed = [importer_module.ROW_FIELDS.index(name) for name in importer_module.PERSONAL_FIELDS]
    opened = []
    for chunk in chunks:
        for row, errors, values, prefix, keys, personal in chunk:
            if errors:  # a refused row carries only itself, sealed
                values = tuple(importer_module.opened_row(value) for value in values)
            else:
                values = tuple(
                    decrypt(value) if index in sealed else value
                    for index, value in enumerate(values)
                )
            opened.append((row, errors, values, prefix, keys, personal))
    return opened


def test_decisions_remembered_across_rows_are_the_ones_each_row_would_get(tmp_path, monkeypatch):
    # SPEC: LEAD-CLN-3, LEAD-CLN-4, LEAD-SCR-1 — status, score and number prefix per row are
    # the same whether decided afresh for every row or taken from the file's memo.
    NonTargetRule.objects.create(field="name", match="contains", value="丙", reason="竞争对手")
    # Row 12: the same channel, industry and need as 广州丙公司, another company.
    rows = [*ROWS, *ROWS, ["广州丁公司", *ROWS[4][1:8], "2026-03-03 10:00", "广州", "5000"]]
    path = write_csv(tmp_path / "leads.csv", rows=rows)
    remembered = _opened(LeadImporter(basis="合同履行").prepare(read_rows(path)))
    # One entry: a decision is made afresh whenever a row differs from the row before.
    monkeypatch.setattr(importer_module, "MEMO_ENTRIES", 1)
    afresh = _opened(LeadImporter(basis="合同履行").prepare(read_rows(path)))
    assert remembered == afresh
    prepared = {row: values for row, _, values, _, _, _ in remembered}
    status = importer_module.ROW_FIELDS.index("status")
    assert prepared[6][status] == prepared[11][status] == LeadStatus.NON_TARGET  # 广州丙公司
    assert prepared[12][status] == LeadStatus.TO_ASSIGN


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite numbers rows under its single writer"
)
def test_an_import_takes_its_ids_as_one_block_and_a_capture_continues_after_it(capture):
    # SPEC: LEAD-CAP-2 (speed) — the import reserves ids with one statement, not one
    # nextval each; ids stay unique and in order with the captures around it.
    with connection.cursor() as cursor:  # a sequence never called yet starts at its value
        cursor.execute("SELECT setval(pg_get_serial_sequence('leads_lead', 'id'), 1, false)")
    with transaction.atomic():
        first = bulk_sql.reserve_ids(3)
        second = bulk_sql.reserve_ids(2)
    assert (first, second) == ([1, 2, 3], [4, 5])
    assert capture().lead.pk == 6


def test_an_imported_row_sets_every_lead_column_once():
    # SPEC: LEAD-CAP-2 — an import writes whole leads: each column by the row, by the
    # import or by the imported lead's starting values, none twice and none forgotten
    columns = [
        *importer_module.ROW_COLUMNS,
        *importer_module.PER_IMPORT_COLUMNS,
        *importer_module.IMPORTED_LEAD,
    ]
    assert len(columns) == len(set(columns))
    assert set(columns) == {field.attname for field in Lead._meta.concrete_fields}


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_cleaning_processes_are_forked_before_any_transaction_opens(
    tmp_path, monkeypatch, settings
):
    # SPEC: AUT-2 (nothing freezes after a crash) — a child forked inside a transaction
    # would hold a copy of its connection; they are all started before the first one.
    forked_in_transaction = []
    fork_process = multiprocessing.get_context("fork").Process
    real_start = fork_process.start

    def start(process):
        forked_in_transaction.append(connection.in_atomic_block)
        return real_start(process)

    monkeypatch.setattr(fork_process, "start", start)
    settings.LEADFLOW_CLEANING_PROCESSES = 2
    summary = import_leads(path=write_csv(tmp_path / "leads.csv"), basis="合同履行")
    assert summary.created == 3
    assert forked_in_transaction == [False, False]


def test_on_a_single_cpu_the_importing_process_cleans_the_file_itself(
    tmp_path, monkeypatch, settings
):
    # SPEC: LEAD-CAP-2 — an import pinned to one core forks no cleaning process, whose rows
    # would only cost a trip through a pipe on top (#27); the same rows are imported.
    started: list[int] = []
    fork_process = multiprocessing.get_context("fork").Process
    real_start = fork_process.start
    monkeypatch.setattr(
        fork_process, "start", lambda process: started.append(1) or real_start(process)
    )
    monkeypatch.setattr(importer_module.os, "sched_getaffinity", lambda pid: {0})
    assert importer_module.cleaning_processes() == 0
    summary = import_leads(path=write_csv(tmp_path / "one.csv"), basis="合同履行")
    assert (summary.created, started) == (3, [])

    monkeypatch.setattr(importer_module.os, "sched_getaffinity", lambda pid: {0, 1, 2, 3, 4, 5})
    assert importer_module.cleaning_processes() == importer_module.MOST_CLEANING_PROCESSES
    settings.LEADFLOW_CLEANING_PROCESSES = 0  # asked for: none, whatever the CPUs
    assert importer_module.cleaning_processes() == 0


@pytest.mark.parametrize("expected_rows", [None, 4], ids=["keys loaded", "keys looked up"])
def test_a_small_file_finds_its_duplicates_by_looking_its_keys_up(tmp_path, capture, expected_rows):
    # SPEC: LEAD-CLN-2; #27 goal 6 — a small import costs the file, not the table: it
    # looks its own keys up instead of loading every lead's, and merges just the same.
    oldest = capture(name="甲公司", mobile="13700137000", email="jia@example.cn").lead
    capture(name="乙公司", mobile="13600136000", email="yi@example.cn")
    for n in range(30):  # leads the file has nothing to do with
        capture(name=f"无关公司{n}", mobile=f"1390013{n:04d}", email="")
    rows = [
        ["甲公司", "", "13700137000", "", "制造业", "复购", "G", "", "2026-03-05 10:00", "", ""],
        ["新公司", "", "13500135000", "", "制造业", "询价", "G", "", "2026-03-05 11:00", "", ""],
        ["新公司", "", "", "xin@example.cn", "制造业", "询价", "G", "", "2026-03-05 12:00", "", ""],
        ["新公司", "", "13500135000", "", "制造业", "再询", "G", "", "2026-03-05 13:00", "", ""],
        ["丙公司", "", "", "yi@example.cn", "零售", "询价", "S", "", "2026-03-05 14:00", "", ""],
    ]
    lead_importer = LeadImporter(basis="合同履行", expected_rows=expected_rows)
    summary = lead_importer.run(read_rows(write_csv(tmp_path / "small.csv", rows=rows)))
    # 新公司 once (its later rows join it by mobile or by name); the others join stored leads.
    assert (summary.created, summary.merged) == (1, 4)
    assert Lead.objects.get(need="复购").merged_into_id == oldest.pk
    assert Lead.objects.get(name="丙公司").merged_into.name == "乙公司"
    if expected_rows is not None:  # the index holds the file's keys, not the table's
        assert len(lead_importer.index.ids["mobile"]) <= 3
