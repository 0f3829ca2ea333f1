"""Hostile import files (issue 12): one poison line — nested 100,000 deep, a 5,000-digit
number, half a character, a NUL byte, a formula — is one rejected row with its reason; the
rest of the file is imported; the errors file is safe to open in a spreadsheet and imports
again as it was written."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from conftest import NOW, Desk, make_cli_desk
from conftest import cli_run as run
from freezegun import freeze_time

from kefu.core import importer

GOOD = {"channel": "hotline", "description": "包裹没到", "received_at": "2026-11-20T10:00:00+08:00"}


@pytest.fixture
def desk(tmp_path: Path) -> Desk:
    return make_cli_desk(tmp_path / "kefu.db")


def test_poison_lines_are_rejected_rows_and_the_rest_is_imported(desk: Desk, tmp_path: Path) -> None:
    lines = [
        json.dumps({**GOOD, "id": "g1", "phone": "13800001111"}, ensure_ascii=False),
        '{"id": "deep", "x": ' + "[" * 100_000 + "]" * 100_000 + "}",
        '{"id": "long", "channel": "hotline", "description": "x", "order_no": ' + "9" * 5000 + "}",
        '{"id": "half", "channel": "hotline", "description": "bad \\ud800 text"}',
        json.dumps({**GOOD, "id": "nul", "description": "nul\u0000byte"}),
        json.dumps(
            {**GOOD, "id": "formula", "channel": "nope", "description": '=HYPERLINK("http://evil","x")'}
        ),
        json.dumps({**GOOD, "id": "g2", "phone": "13800001112"}, ensure_ascii=False),
    ]
    source = tmp_path / "poison.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    errors = tmp_path / "rejected.csv"
    with freeze_time(NOW):
        done = run(desk, "--as", "sue", "import", str(source), "--errors", str(errors))
    assert "Traceback" not in done.output
    assert "7 rows, 2 imported" in done.stderr, done.stderr
    with errors.open(encoding="utf-8-sig", newline="") as f:
        rejected = {row["id"] or row["error_line"]: row for row in csv.DictReader(f)}
    assert rejected["2"]["error_reason"] == "the line nests deeper than any complaint does"
    assert "longer than any field takes" in rejected["3"]["error_reason"]
    assert "half a character" in rejected["4"]["error_reason"]
    assert rejected["nul"]["error_reason"].startswith("description holds a NUL byte")
    assert rejected["nul"]["description"] == "nul␀byte"  # never a raw NUL in the sheet
    # A spreadsheet shows the formula as text; imported again, it is what was written.
    assert rejected["formula"]["description"] == '\'=HYPERLINK("http://evil","x")'
    fixed = tmp_path / "fixed.csv"
    with (
        errors.open(encoding="utf-8-sig", newline="") as f,
        fixed.open("w", encoding="utf-8", newline="") as out,
    ):
        rows = list(csv.DictReader(f))
        writer = csv.DictWriter(out, fieldnames=["id", "channel", "description", "received_at"])
        writer.writeheader()
        for row in rows:
            if row["id"] == "formula":
                writer.writerow({"id": "formula", "channel": "hotline", "description": row["description"],
                                 "received_at": row["received_at"]})  # fmt: skip
    with freeze_time(NOW):
        again = run(desk, "--as", "sue", "import", str(fixed), "--source", "poison")
    assert "1 imported" in again.stderr, again.stderr
    listed = json.loads(run(desk, "--as", "sue", "case", "list", "--search", "HYPERLINK", "--json").stdout)
    assert len(listed) == 1
    shown = json.loads(run(desk, "--as", "sue", "case", "show", listed[0]["code"], "--json").stdout)
    assert shown["description"] == '=HYPERLINK("http://evil","x")'


def test_a_sheet_padded_with_empty_rows_is_read_in_seconds(desk: Desk, tmp_path: Path) -> None:
    """Two complaints, then 200,000 empty rows (a zip of a few hundred KB): the import ends
    after the data, bounded, instead of walking every padding row."""
    import re
    import zipfile

    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["id", "channel", "description", "received_at"])
    sheet.append(["x1", "hotline", "包裹没到", "2026-11-20 10:00"])
    sheet.append(["x2", "hotline", "包裹破损", "2026-11-20 11:00"])
    plain = tmp_path / "plain.xlsx"
    book.save(plain)
    padded = tmp_path / "padded.xlsx"
    with zipfile.ZipFile(plain) as src, zipfile.ZipFile(padded, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                filler = "".join(f'<row r="{n}"/>' for n in range(4, 200_004)).encode()
                data = re.sub(rb"</sheetData>", filler + b"</sheetData>", data)
            dst.writestr(item, data)
    assert padded.stat().st_size < 2_000_000
    with freeze_time(NOW):
        done = run(desk, "--as", "sue", "import", str(padded))
    assert done.exit_code == 0 and "2 imported" in done.stderr, done.stderr
    reader = importer._XlsxReader(padded)
    try:
        assert [raw.line for raw in reader.rows()] == [2, 3]
        assert reader.lines_read == 3 + importer.MAX_EMPTY_RUN  # stopped in the padding, not at its end
    finally:
        reader.close()
