"""Files people really upload: UTF-8 of any length, GBK/GB18030 from Excel on Chinese
Windows, and files that are not what they claim (SEC-5, LEAD-CAP-2)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from leadflow.core.errors import ValidationFailed
from leadflow.leads.bulk.importer import import_leads, template_csv
from leadflow.leads.models import ImportBatch, Lead
from tests.leads.test_import import HEADER

pytestmark = pytest.mark.django_db


def _rows(count: int) -> list[list[str]]:
    return [
        [
            f"苏州第{n}机械有限公司",
            "王",
            f"139{n:08d}",
            "",
            "制造业",
            "采购设备",
            "G",
            "",
            "",
            "",
            "",
        ]
        for n in range(count)
    ]


def _csv_text(rows) -> str:
    lines = [",".join(HEADER), *(",".join(row) for row in rows)]
    return "\r\n".join(lines) + "\r\n"


def test_a_utf8_file_whose_4k_boundary_cuts_a_character_imports(tmp_path):
    # SPEC: LEAD-CAP-2 — detection used to decode the first 4 KB and take a character
    # cut there for GB18030
    text = _csv_text(_rows(80))
    pad = 0
    while not _cuts_a_character(("x" * pad + text).encode(), 4096):
        pad += 1
    path = tmp_path / "名单.csv"
    # The padding is a column nobody knows, ahead of the header's own.
    path.write_bytes(("x" * pad + "," + text.replace("\r\n", "\r\n,")[:-1]).encode())
    assert _cuts_a_character(path.read_bytes(), 4096)
    summary = import_leads(path=path, basis="合同履行")
    assert (summary.created, summary.rejected) == (80, 0)


def _cuts_a_character(data: bytes, at: int) -> bool:
    try:
        data[:at].decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


def test_the_apps_own_template_grown_past_4k_imports(tmp_path):
    # SPEC: LEAD-CAP-2 — the template, with enough rows to pass 4 KB
    template = template_csv().decode("utf-8-sig").splitlines()
    rows = [template[1].replace("138 0013 8000", f"139 {n:04d} 0000") for n in range(60)]
    rows = [
        row.replace("上海某某科技有限公司", f"上海某某{n}科技有限公司")
        for n, row in enumerate(rows)
    ]
    rows = [row.replace("wang@example.cn", f"w{n}@example.cn") for n, row in enumerate(rows)]
    path = tmp_path / "template.csv"
    path.write_bytes(("\ufeff" + "\r\n".join([template[0], *rows]) + "\r\n").encode("utf-8"))
    assert len(path.read_bytes()) > 4096
    summary = import_leads(path=path, basis="合同履行")
    assert (summary.created, summary.rejected) == (60, 0)


@pytest.mark.parametrize("encoding", ["gbk", "gb18030"])
def test_excel_csvs_from_chinese_windows_import(tmp_path, encoding):
    # SPEC: LEAD-CAP-2
    path = tmp_path / "名单.csv"
    path.write_bytes(_csv_text(_rows(3)).encode(encoding))
    summary = import_leads(path=path, basis="合同履行")
    assert summary.created == 3
    assert Lead.objects.filter(name="苏州第2机械有限公司").exists()


def test_a_file_in_no_chinese_encoding_is_refused_with_a_reason(tmp_path):
    # SPEC: SEC-5
    path = tmp_path / "broken.csv"
    path.write_bytes(",".join(HEADER).encode() + b"\r\n\x81\x20\xff\xfe,\r\n")
    with pytest.raises(ValidationFailed) as refused:
        import_leads(path=path, basis="合同履行")
    assert "file" in refused.value.fields
    assert not Lead.objects.exists()


NOT_A_ZIP = b"PK\x03\x04 this is not really a workbook"
ENTITIES = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;">]>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">
<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol2;</t></is></c></row></sheetData>
</worksheet>"""


def _workbook_with_sheet(tmp_path, sheet_xml: bytes):
    import zipfile

    from openpyxl import Workbook

    good = tmp_path / "good.xlsx"
    book = Workbook()
    book.active.append(HEADER)
    book.save(good)
    hostile = tmp_path / "hostile.xlsx"
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(hostile, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            target.writestr(item, sheet_xml if item.filename.endswith("sheet1.xml") else data)
    return hostile.read_bytes()


@pytest.mark.parametrize("kind", ["not_a_zip", "entities", "empty"])
def test_an_upload_that_is_no_readable_workbook_gets_a_field_error(
    tmp_path, make_user, client_for, settings, kind
):
    # SPEC: SEC-5 — a 500 before; and the refused file is not left on disk
    settings.MEDIA_ROOT = tmp_path / "media"
    content = {
        "not_a_zip": NOT_A_ZIP,
        "entities": _workbook_with_sheet(tmp_path, ENTITIES) if kind == "entities" else b"",
        "empty": b"",
    }[kind]
    client = client_for(make_user("marketing"))
    upload = SimpleUploadedFile("名单.xlsx", content)
    response = client.post("/leads/import/", {"file": upload, "basis": "展会登记时书面同意"})
    assert response.status_code == 200
    assert 'class="field has-error' in response.content.decode()
    assert not ImportBatch.objects.exists()
    assert not list((tmp_path / "media").rglob("*.xlsx"))


@pytest.mark.parametrize("content", [b"", "\ufeff".encode()])
def test_an_empty_csv_gets_a_field_error_in_chinese(
    tmp_path, make_user, client_for, settings, content
):
    # #25 item 10 — an empty file is refused by name, nothing queued
    settings.MEDIA_ROOT = tmp_path / "media"
    client = client_for(make_user("marketing"))
    upload = SimpleUploadedFile("名单.csv", content)
    response = client.post("/leads/import/", {"file": upload, "basis": "展会登记时书面同意"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "文件是空的" in page or "所提交的是空文件" in page  # ours, or Django's for 0 bytes
    assert not ImportBatch.objects.exists()
