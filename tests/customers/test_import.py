"""Customers by import (CUS-1): the same rules as entry by hand, rows in order, errors."""

import csv
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from openpyxl import Workbook

from leadflow.customers.imports import template_csv
from leadflow.customers.models import Customer, CustomerImport

pytestmark = pytest.mark.django_db
ROWS = [
    [
        "客户名称",
        "统一社会信用代码",
        "预计年销售额（万元）",
        "采购能力",
        "类别",
        "联系人",
        "手机",
        "邮箱",
    ],
    [
        "苏州某某精密机械有限公司",
        "91350100M000100Y43",
        "120",
        "高",
        "意向",
        "周经理",
        "138 0013 8000",
        "",
    ],
    ["苏州某某精密机械有限公司 ", "", "", "", "", "", "", ""],  # the same company again
    ["某某贸易有限公司", "91350100M000100Y44", "5", "很高", "", "王", "12345", "bad@"],
    ["", "", "", "", "", "", "", ""],  # blank lines are not rows
    ["张三", "", "", "", "成交", "张三", "13900139000", "zhang@example.cn"],
]


def write_csv(path, rows=ROWS):
    with path.open("w", newline="", encoding="utf-8-sig") as handle:
        csv.writer(handle).writerows(rows)
    return path


def test_rows_are_entered_like_by_hand_and_errors_name_row_and_field(tmp_path, make_user, capsys):
    # SPEC: CUS-1 — customers by import; bad rows change nothing and say why.
    owner = make_user(username="liming")
    call_command(
        "import", "customers", str(write_csv(tmp_path / "c.csv")), "--owner", "liming", "--json"
    )
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert {k: summary[k] for k in ("rows", "created", "existing", "rejected")} == {
        "rows": 4,
        "created": 2,
        "existing": 1,
        "rejected": 1,
    }
    errors = {(e["row"], e["field"]) for e in summary["errors"]}
    assert {(4, "credit_code"), (4, "purchasing_power")} <= errors
    assert (3, "customer") in errors
    company = Customer.objects.get(credit_code="91350100M000100Y43")
    assert (company.grade, company.category, company.purchasing_power, company.owner) == (
        "A",
        "intent",
        "high",
        owner,
    )
    assert company.contacts.get().mobile == "+8613800138000"
    person = Customer.objects.get(name="张三")
    assert (person.kind, person.category) == ("individual", "closed")


def test_the_upload_page_runs_it_in_the_background(tmp_path, make_user, client_for, run_tasks):
    # SPEC: CUS-1 — upload, progress, error report, template.
    rep = make_user()
    client = client_for(rep)
    assert "客户名称" in client.get("/customers/import/template.csv").content.decode("utf-8-sig")
    book = Workbook()
    for row in ROWS:
        book.active.append(row)
    book.save(tmp_path / "c.xlsx")
    upload = SimpleUploadedFile("客户.xlsx", (tmp_path / "c.xlsx").read_bytes())
    response = client.post("/customers/import/", {"file": upload})
    batch = CustomerImport.objects.get()
    assert response["Location"] == f"/customers/import/{batch.pk}/"
    run_tasks()
    batch.refresh_from_db()
    assert (batch.state, batch.rows_done, batch.created, batch.existing, batch.rejected) == (
        "done",
        4,
        2,
        1,
        1,
    )
    page = client.get(f"/customers/import/{batch.pk}/").content.decode()
    assert "?errors=csv" in page
    report = client.get(f"/customers/import/{batch.pk}/?errors=csv").content.decode("utf-8-sig")
    lines = report.splitlines()
    assert lines[0] == "行号,字段,原因,原始数据"
    # The refused row comes back as it was sent, beside its reason, to be corrected.
    refused = [line for line in lines if "某某贸易有限公司" in line]
    assert refused
    assert "名称=某某贸易有限公司" in refused[0]
    assert "校验码为 4，正确应为 3" in refused[0]  # the reason in Chinese
    assert "联系人手机=12345" in refused[0]
    bad = client.post("/customers/import/", {"file": SimpleUploadedFile("x.txt", b"hello")})
    assert bad.status_code == 200
    assert CustomerImport.objects.count() == 1


def test_the_template_is_a_file_the_importer_reads(tmp_path, make_user):
    # The downloadable template imports as it is.
    from leadflow.customers.imports import import_customers

    path = tmp_path / "template.csv"
    path.write_text(template_csv(), encoding="utf-8")
    summary = import_customers(path=path, by=make_user())
    assert (summary.rows, summary.created) == (1, 1)
