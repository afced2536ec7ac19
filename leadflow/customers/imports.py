"""Customers by import (CUS-1): a CSV or XLSX file, headers in Chinese or English, each row
entered through `customer_create` like one typed in, so the same rules clean it and the
same duplicate check refuses a customer that exists. Rows are processed in order; a bad
row is reported with its field and reason and changes nothing."""

import csv
import io
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django_tasks import task

from leadflow.accounts.models import User
from leadflow.core.errors import DomainError
from leadflow.core.personal import seal_row
from leadflow.core.spreadsheets import count_rows, read_table

from .models import Contact, Customer, CustomerImport
from .profiles import customer_create

HEADERS = {
    "客户名称": "name",
    "name": "name",
    "类型": "kind",
    "kind": "kind",
    "统一社会信用代码": "credit_code",
    "信用代码": "credit_code",
    "credit_code": "credit_code",
    "法定代表人": "legal_representative",
    "legal_representative": "legal_representative",
    "行业": "industry",
    "industry": "industry",
    "地区": "region",
    "region": "region",
    "地址": "address",
    "address": "address",
    "员工人数": "employees",
    "employees": "employees",
    "经营范围": "business_scope",
    "business_scope": "business_scope",
    "需求": "needs",
    "needs": "needs",
    "预计年销售额": "expected_annual_sales",
    "预计年销售额(万元)": "expected_annual_sales",
    "预计年销售额（万元）": "expected_annual_sales",
    "expected_annual_sales": "expected_annual_sales",
    "年采购次数": "purchase_frequency",
    "purchase_frequency": "purchase_frequency",
    "采购能力": "purchasing_power",
    "purchasing_power": "purchasing_power",
    "发展潜力": "potential",
    "potential": "potential",
    "意向": "intent",
    "intent": "intent",
    "类别": "category",
    "category": "category",
    "联系人": "contact_name",
    "contact_name": "contact_name",
    "职务": "contact_title",
    "contact_title": "contact_title",
    "角色": "contact_role",
    "contact_role": "contact_role",
    "手机": "mobile",
    "mobile": "mobile",
    "邮箱": "email",
    "email": "email",
}
TEMPLATE_HEADERS = [
    "客户名称",
    "统一社会信用代码",
    "法定代表人",
    "行业",
    "地区",
    "地址",
    "预计年销售额（万元）",
    "采购能力",
    "发展潜力",
    "类别",
    "联系人",
    "职务",
    "手机",
    "邮箱",
]
# Words people write in the sheet for the coded values.
WORDS = {
    "kind": {"企业": "company", "公司": "company", "个人": "individual"},
    "purchasing_power": {"高": "high", "中": "medium", "低": "low"},
    "potential": {"高": "high", "中": "medium", "低": "low"},
    "intent": {"高": "high", "中": "medium", "低": "low"},
    "category": {"潜在": "potential", "意向": "intent", "成交": "closed", "重点": "key"},
}
CONTACT_COLUMNS = {
    "contact_name": "name",
    "contact_title": "title",
    "contact_role": "role",
    "mobile": "mobile",
    "email": "email",
}
MAX_REPORTED_ERRORS = 10_000


@dataclass
class Summary:
    rows: int = 0
    created: int = 0
    existing: int = 0
    rejected: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The figures and each error's row, field and reason; the sealed original rows
        stay with the batch, for its error report."""
        figures = asdict(self)
        figures["errors"] = [
            {key: value for key, value in error.items() if key != "original"}
            for error in self.errors
        ]
        return figures


def column_label(name: str) -> str:
    """A column of the customer file in words (名称, 联系人手机 …)."""
    model, field_name = (
        (Contact, CONTACT_COLUMNS[name]) if name in CONTACT_COLUMNS else (Customer, name)
    )
    try:
        label = str(getattr(model._meta.get_field(field_name), "verbose_name", field_name))
    except FieldDoesNotExist:
        return name
    return f"{gettext('Contact')}{label}" if model is Contact else label


def read_customers(path: Path):
    return read_table(
        path,
        known=HEADERS,
        required="name",
        required_hint=(
            "The first row must name the columns, e.g. 客户名称, 统一社会信用代码, 联系人, 手机."
        ),
        required_label="客户名称/name",
    )


def _values(raw: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    values: dict[str, Any] = {}
    person: dict[str, Any] = {}
    for name, cell in raw.items():
        text = "" if cell is None else str(cell).strip()
        if not text:
            continue  # an empty cell leaves the default (category 潜在, kind guessed …)
        if name in CONTACT_COLUMNS:
            person[CONTACT_COLUMNS[name]] = text
            continue
        values[name] = WORDS.get(name, {}).get(text, text)
    contacts = [person] if person.get("name") or person.get("mobile") else []
    if contacts and not contacts[0].get("name"):
        contacts[0]["name"] = values.get("name", "")
    return values, contacts


def import_customers(
    *,
    path: Path,
    by: User,
    progress: Callable[[Summary], None] | None = None,
    every: int = 200,
) -> Summary:
    summary = Summary()
    for number, raw in read_customers(path):
        summary.rows += 1
        values, contacts = _values(raw)
        try:
            customer_create(values=values, contacts=contacts, by=by)
        except DomainError as error:
            if error.code == "duplicate":
                summary.existing += 1
            else:
                summary.rejected += 1
            original = seal_row(raw)  # the row as sent, for the error report (sealed: phones)
            for name, reason in (error.fields or {"": error.message}).items():
                if len(summary.errors) < MAX_REPORTED_ERRORS:
                    summary.errors.append(
                        {"row": number, "field": name, "reason": str(reason), "original": original}
                    )
        else:
            summary.created += 1
        if progress is not None and summary.rows % every == 0:
            progress(summary)
    if progress is not None:
        progress(summary)
    return summary


@transaction.atomic
def customer_import_start(*, path: Path, file_name: str, by: User) -> CustomerImport:
    """Record the upload and queue its import; the page then follows its progress."""
    next(read_customers(path), None)  # refuses a file without a header it understands, now
    batch = CustomerImport.objects.create(
        file_name=file_name[:255], stored_path=str(path), rows_total=count_rows(path), created_by=by
    )
    run_customer_import.enqueue(batch.pk)
    return batch


@task()
def run_customer_import(batch_id: int) -> dict[str, Any]:
    batch = CustomerImport.objects.select_related("created_by").get(pk=batch_id)
    if batch.state != CustomerImport.State.QUEUED:
        return {"skipped": batch.state}  # a retried task never imports twice
    CustomerImport.objects.filter(pk=batch_id).update(state=CustomerImport.State.RUNNING)

    def report(summary: Summary) -> None:
        CustomerImport.objects.filter(pk=batch_id).update(
            rows_done=summary.rows,
            created=summary.created,
            existing=summary.existing,
            rejected=summary.rejected,
        )

    try:
        summary = import_customers(
            path=Path(batch.stored_path), by=batch.created_by, progress=report
        )
    except DomainError as error:
        CustomerImport.objects.filter(pk=batch_id).update(
            state=CustomerImport.State.FAILED, failure=error.message, finished_at=timezone.now()
        )
        return {"failed": error.message}
    CustomerImport.objects.filter(pk=batch_id).update(
        state=CustomerImport.State.DONE, errors=summary.errors, finished_at=timezone.now()
    )
    return {key: value for key, value in summary.as_dict().items() if key != "errors"}


def template_csv() -> str:
    out = io.StringIO()
    out.write("\ufeff")  # Excel opens UTF-8 with a BOM as UTF-8
    writer = csv.writer(out)
    writer.writerow(TEMPLATE_HEADERS)
    writer.writerow(
        [
            "苏州某某精密机械有限公司",
            "",
            "陈总",
            "制造业",
            "江苏/苏州",
            "苏州工业园区某路 1 号",
            "80",
            "高",
            "中",
            "意向",
            "周经理",
            "采购经理",
            "13800138000",
            "zhou@example.cn",
        ]
    )
    return out.getvalue()
