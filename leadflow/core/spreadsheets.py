"""Reading a table from a CSV or XLSX file: headers in Chinese or English, CSVs saved by
Excel on Chinese Windows (GB 18030) as well as UTF-8, rows numbered as a spreadsheet
shows them. Every importer (leads, customers) reads its files through here."""

import csv
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from .errors import ValidationFailed


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
    missing = f"no {required_label or required} column in the header row"
    suffix = path.suffix.lower()
    if suffix == ".csv":
        raw = path.read_bytes()[:4096]
        encoding = "utf-8-sig"
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            encoding = "gb18030"  # files saved by Excel on Chinese Windows
        with path.open(newline="", encoding=encoding) as handle:
            yield from _rows(csv.reader(handle), known, required, (required_hint, missing), share)
    elif suffix in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook

        book = load_workbook(path, read_only=True, data_only=True)
        try:
            rows = book.active.iter_rows(values_only=True)
            yield from _rows(rows, known, required, (required_hint, missing), share)
        finally:
            book.close()
    else:
        raise ValidationFailed(
            f"Cannot import {path.name}: use a .csv or .xlsx file.",
            fields={"file": f"{suffix or 'no extension'} is not csv or xlsx"},
        )


def _rows(source, known, required, refusal, share) -> Iterator[tuple[int, dict[str, Any]]]:
    rows = iter(source)
    headers = next(rows, None)
    if headers is None:
        return
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

    book = load_workbook(path, read_only=True)
    try:
        return max(0, (book.active.max_row or 1) - 1)
    finally:
        book.close()
