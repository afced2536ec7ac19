"""Exported files never carry a live formula (SEC-5, OWASP CSV injection)."""

import csv
import io

import pytest
from openpyxl import load_workbook

from leadflow.core.exports import write_table

HOSTILE = ['=HYPERLINK("http://evil")', "+SUM(1,2)", "-2+3", "@cmd", "\tx", "\rx"]
HARMLESS = ["+8613800138000", "-5", "3.5", "上海某某科技有限公司", "a=b"]


def test_csv_cells_that_would_run_start_with_an_apostrophe():
    # SPEC: SEC-5
    content = write_table("csv", ["value"], [[value] for value in HOSTILE + HARMLESS])
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))
    cells = [row[0] for row in rows[1:]]
    assert cells[: len(HOSTILE)] == ["'" + value for value in HOSTILE]
    assert cells[len(HOSTILE) :] == HARMLESS


@pytest.mark.parametrize("value", HOSTILE + HARMLESS)
def test_xlsx_text_stays_text(value):
    # SPEC: SEC-5 — openpyxl would store "=…" as a formula; it is stored as a string
    content = write_table("xlsx", ["value"], [[value], [42]])
    sheet = load_workbook(io.BytesIO(content)).active
    cell = sheet.cell(row=2, column=1)
    read_back = value.replace("\r", "\n")  # XML reads a carriage return as a line feed
    assert (cell.value, cell.data_type) == (read_back, "s")
    assert sheet.cell(row=3, column=1).value == 42
