"""Reading a table from a CSV or XLSX file: headers in Chinese or English, CSVs saved by
Excel on Chinese Windows (GB 18030) as well as UTF-8, rows numbered as a spreadsheet
shows them. Every importer (leads, customers) reads its files through here."""

import codecs
import csv
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import ParseError

from django.utils.translation import gettext

from .errors import DomainError, ValidationFailed

# What openpyxl raises on a file that is not a workbook it can read: not a zip, a part
# missing, XML it refuses (entities included) or a value out of range.
_UNREADABLE_WORKBOOK = (zipfile.BadZipFile, KeyError, ParseError, ValueError, TypeError, OSError)


def csv_encoding(path: Path) -> str:
    """UTF-8 (with or without a byte-order mark) when the whole file decodes as UTF-8,
    else GB 18030 (Excel on Chinese Windows; a superset of GBK). The file is read in
    pieces with an incremental decoder, so a character cut at a piece's end is no error."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with path.open("rb") as handle:
            while piece := handle.read(1 << 20):
                decoder.decode(piece)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "gb18030"
    return "utf-8-sig"


def _unreadable(path: Path, reason: str) -> ValidationFailed:
    return ValidationFailed(
        gettext("Cannot read %(file)s: %(reason)s") % {"file": path.name, "reason": reason},
        fields={"file": reason},
    )


def header_map(headers: list[Any], known: dict[str, str]) -> dict[int, str]:
    """{column index: field} for the headers in `known`; unknown columns are ignored."""
    mapping: dict[int, str] = {}
    for index, header in enumerate(headers):
        text = str(header or "").strip().lstrip("\ufeff")
        name = known.get(text.lower()) or known.get(text)
        if name and name not in mapping.values():
            mapping[index] = name
    return mapping


def read_table(
    path: Path,
    *,
    known: dict[str, str],
    required: str,
    required_hint: str,
    required_label: str = "",
    share: Callable[[int], bool] | None = None,
) -> Iterator[tuple[int, dict[str, Any]]]:
    """(spreadsheet row number, {field: value}) for each data row, or only for the data
    rows whose index (0, 1, 2 … blank lines not counted) `share` accepts: several
    processes may each take their share of one file. The header is row 1 and must name
    the `required` column (`required_hint` says how, in the error; `required_label` is
    how people call it, e.g. 客户名称/name)."""
    missing = gettext("no %(column)s column in the header row") % {
        "column": required_label or required
    }
    suffix = path.suffix.lower()
    if suffix == ".csv":
        encoding = csv_encoding(path)
        try:
            with path.open(newline="", encoding=encoding) as handle:
                rows = csv.reader(handle)
                yield from _rows(rows, known, required, (required_hint, missing), share)
        except (UnicodeDecodeError, csv.Error) as error:
            raise _unreadable(path, gettext("not a UTF-8 or GB18030 CSV file")) from error
    elif suffix in (".xlsx", ".xlsm"):
        yield from _workbook_rows(path, known, required, (required_hint, missing), share)
    else:
        raise ValidationFailed(
            gettext("Cannot import %(file)s: use a .csv or .xlsx file.") % {"file": path.name},
            fields={
                "file": gettext("%(suffix)s is not csv or xlsx")
                % {"suffix": suffix or gettext("no extension")}
            },
        )


def _workbook_rows(path, known, required, refusal, share) -> Iterator[tuple[int, dict[str, Any]]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
        try:
            rows = book.active.iter_rows(values_only=True)
            yield from _rows(rows, known, required, refusal, share)
        finally:
            book.close()
    except DomainError:
        raise
    except _UNREADABLE_WORKBOOK as error:
        raise _unreadable(
            path, gettext("not an Excel workbook (.xlsx) that can be read")
        ) from error


def _rows(source, known, required, refusal, share) -> Iterator[tuple[int, dict[str, Any]]]:
    rows = iter(source)
    headers = next(rows, None)
    if headers is None:
        raise ValidationFailed(
            gettext("The file is empty: it needs a header row and at least one row."),
            fields={"file": gettext("the file is empty")},
        )
    mapping = header_map(list(headers), known)
    if required not in mapping.values():
        message, reason = refusal
        raise ValidationFailed(message, fields={"file": reason})
    index = -1
    for number, row in enumerate(rows, start=2):
        if not any(cell not in (None, "") for cell in row):
            continue  # blank lines are not rows
        index += 1
        if share is not None and not share(index):
            continue
        yield number, {name: row[index] for index, name in mapping.items() if index < len(row)}


def count_rows(path: Path) -> int:
    """The number of data rows, read fast: a CSV's lines, an XLSX sheet's dimension."""
    if path.suffix.lower() == ".csv":
        with path.open("rb") as handle:
            return max(0, sum(1 for _ in handle) - 1)
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True)
    except _UNREADABLE_WORKBOOK as error:
        raise _unreadable(
            path, gettext("not an Excel workbook (.xlsx) that can be read")
        ) from error
    try:
        return max(0, (book.active.max_row or 1) - 1)
    finally:
        book.close()
