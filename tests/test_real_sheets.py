"""Sheets as shops keep them (issue 13): a title row (and a blank one) above the header, cells
separated by semicolons, tabs or bars, a register saved from Excel in GB18030. The importer
finds the header, sniffs the separator, and says which row it took as the header."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import pytest
from conftest import Desk, make_desk
from test_import import query, run_import

MALL = Path(__file__).resolve().parents[1] / "sample_data" / "profiles" / "mall.toml"
TITLE = "2026年11月客户投诉登记表"
HEADER = ["序号", "投诉时间", "渠道", "客户姓名", "联系电话", "问题类型", "投诉内容"]
ROWS = [
    ["1", "2026/11/20 9:05", "服务台", "王芳", "13800001111", "商品质量", "羽绒服开线"],
    ["2", "2026年11月20日 14:30", "电话", "李雷", "13800002222", "服务态度", "店员态度差"],
    ["3", "2026-11-21 10:00", "大众点评", "韩梅梅", "13800003333", "环境设施", "扶梯停运"],
]


@pytest.fixture
def desk(tmp_path: Path) -> Desk:
    return make_desk(tmp_path / "kefu.db", profile=MALL, department=None)


def _write(path: Path, rows: list[list[str]], delimiter: str = ",", encoding: str = "utf-8-sig") -> Path:
    with path.open("w", newline="", encoding=encoding) as f:
        csv.writer(f, delimiter=delimiter).writerows(rows)
    return path


def test_a_title_row_above_the_header_is_skipped_and_said(desk: Desk, tmp_path: Path) -> None:
    sheet = _write(tmp_path / "登记表.csv", [[TITLE, "", "", ""], ["", "", ""], HEADER, *ROWS])
    report = run_import(desk, sheet)
    assert (report.imported, report.rejected, report.header_line, report.skipped_above) == (3, 0, 3, 1)
    assert "the header is line 3 (1 title row(s) above it skipped)" in report.summary()
    assert "表头在第 3 行（跳过其上方 1 行标题）" in report.summary("zh")
    assert query(desk, "SELECT customer_name, channel FROM cases ORDER BY received_at") == [
        ("王芳", "desk"), ("李雷", "hotline"), ("韩梅梅", "social"),
    ]  # fmt: skip


@pytest.mark.parametrize(("delimiter", "said"), [(";", "semicolons"), ("\t", "tabs"), ("|", "bars")])
def test_the_separator_is_sniffed(desk: Desk, tmp_path: Path, delimiter: str, said: str) -> None:
    sheet = _write(tmp_path / "export.csv", [[TITLE], HEADER, *ROWS], delimiter=delimiter, encoding="gb18030")
    report = run_import(desk, sheet)
    assert (report.imported, report.rejected, report.delimiter) == (3, 0, delimiter)
    assert f"cells separated by {said}" in report.summary()


def test_an_xlsx_register_with_a_title_and_notes_above(desk: Desk, tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append([TITLE])
    sheet.merge_cells("A1:G1")
    sheet.append(["填表人：服务台", None, "导出时间：2026-11-22"])
    sheet.append([])
    sheet.append(HEADER)
    for row in ROWS:
        sheet.append(row)
    workbook.save(tmp_path / "register.xlsx")
    report = run_import(desk, tmp_path / "register.xlsx")
    assert (report.imported, report.rejected, report.header_line, report.skipped_above) == (3, 0, 4, 2)
    assert report.as_dict()["header_line"] == 4


def test_a_file_with_no_recognisable_header_is_refused_as_before(desk: Desk, tmp_path: Path) -> None:
    from kefu.core.errors import InvalidInput

    sheet = _write(tmp_path / "odd.csv", [["foo", "bar"], ["1", "2"]])
    with pytest.raises(InvalidInput, match="foo"):
        run_import(desk, sheet)


def test_decorated_headers_and_a_closing_total_line(desk: Desk, tmp_path: Path) -> None:
    """客户姓名* (required), 联系电话（手机） (a note) name their columns; the 合计 line at the end
    sums the register and is read past, said in the summary, not rejected."""
    header = ["序号", "投诉时间(必填)", "渠道*", "客户姓名*", "联系电话（手机）", "问题类型", "投诉内容*"]
    sheet = _write(tmp_path / "登记表.csv", [[TITLE], header, *ROWS, ["合计", "3件", "", "", "", "", ""]])
    report = run_import(desk, sheet)
    assert (report.imported, report.rejected, report.totals_skipped) == (3, 0, 1)
    assert report.exit_code == 0 and "1 total line(s) (合计) read past" in report.summary()
