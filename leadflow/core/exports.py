"""Table exports (ANA-6) to XLSX or CSV, each one permission-checked and audited (SEC-3).

Callers pass rows already narrowed by the viewer's data scope; this module only writes
the file, so the scope rule stays in one place.
"""

import csv
import io
import json
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from .audit import audit_record
from .errors import ValidationFailed
from .permissions import DATA_EXPORT, require

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _cell(value: Any) -> Any:
    """A value a spreadsheet cell holds: numbers, text, local times; anything else as text."""
    if isinstance(value, datetime):
        return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
    if value is None:
        return ""
    if isinstance(value, bool | int | float | Decimal | date | str):
        return value
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


# A spreadsheet runs a cell that starts with one of these as a formula (OWASP CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?")  # "+8613800138000", "-5": nothing to run


def _csv_cell(value: Any) -> Any:
    """A CSV cell: text a spreadsheet would run as a formula is written with a leading
    apostrophe, so it shows as the text it is (SEC-5)."""
    value = _cell(value)
    if (
        isinstance(value, str)
        and value.startswith(_FORMULA_START)
        and not _PLAIN_NUMBER.fullmatch(value)
    ):
        return "'" + value
    return value


def _xlsx_cell(sheet, value: Any) -> Any:
    """An XLSX cell: text is stored as text, never as a formula (SEC-5)."""
    value = _cell(value)
    if not isinstance(value, str):
        return value
    cell = WriteOnlyCell(sheet, value)
    cell.data_type = "s"  # openpyxl would make "=…" a formula
    return cell


def write_workbook(sheets: Iterable[tuple[str, Sequence[Any], Iterable[Sequence[Any]]]]) -> bytes:
    """An XLSX of several tables, one sheet each: (sheet title, headers, rows)."""
    book = Workbook(write_only=True)
    for title, headers, rows in sheets:
        # Sheet titles: at most 31 characters, none of []:*?/\ (Excel's rule).
        sheet = book.create_sheet(title=re.sub(r"[\[\]:*?/\\]", " ", str(title))[:31] or None)
        sheet.append([str(header) for header in headers])
        for row in rows:
            sheet.append([_xlsx_cell(sheet, value) for value in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def write_table(fmt: str, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    if fmt == "csv":
        text = io.StringIO()
        writer = csv.writer(text)
        writer.writerow(headers)
        for row in rows:
            writer.writerow([_csv_cell(value) for value in row])
        # A byte-order mark so that Excel opens Chinese text as UTF-8.
        return ("\ufeff" + text.getvalue()).encode("utf-8")
    if fmt == "xlsx":
        return write_workbook([("", headers, rows)])
    raise ValidationFailed(
        f"Unknown export format {fmt!r}; use csv or xlsx.",
        fields={"format": gettext("%(suffix)s is not csv or xlsx") % {"suffix": repr(fmt)}},
    )


def export_response(
    *,
    user,
    name: str,
    fmt: str,
    headers: "Sequence[StrOrPromise]",
    rows: Iterable[Sequence[Any]],
    filters: dict[str, Any] | None = None,
) -> HttpResponse:
    """The file as a download, after checking the export permission and logging it."""
    require(user, DATA_EXPORT)
    materialised = list(rows)
    content = write_table(fmt, [str(header) for header in headers], materialised)
    audit_record(
        actor=user,
        action="export",
        object_type=name,
        object_repr=f"{name}.{fmt}",
        extra={"rows": len(materialised), "format": fmt, "filters": filters or {}},
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = HttpResponse(content, content_type=FORMATS[fmt])
    response["Content-Disposition"] = f'attachment; filename="{name}-{stamp}.{fmt}"'
    return response


def export_from_request(
    request, *, name: str, headers: "Sequence[StrOrPromise]", rows: Iterable[Sequence[Any]]
) -> HttpResponse:
    """A table's export button (`?export=xlsx|csv`): the format from the query string, and
    the page's filters written to the audit entry with it."""
    return export_response(
        user=request.user,
        name=name,
        fmt=request.GET["export"],
        headers=headers,
        rows=rows,
        filters=dict(request.GET.items()),
    )
