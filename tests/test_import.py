"""Batch import (README: "Importing exports"): every format and encoding, header aliases, every rejection
reason with its line, re-imports that add nothing, the errors file round trip, limits, and a
kill -9 in the middle of an import that a rerun completes.

Core tests import into the `desk` fixture (mini profile, frozen `NOW`); CLI tests drive
`kefu import` through CliRunner on a desk made by `kefu init`; the crash test runs the real
command in a subprocess.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import zipfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from conftest import MINI_PROFILE, NOW, Desk, make_desk
from typer.testing import CliRunner, Result

from kefu.cli import app
from kefu.core import importer, intake
from kefu.core.errors import InvalidInput, PermissionDenied
from kefu.core.importer import ImportOptions, ImportReport
from kefu.core.policy import bundled_profiles_dir
from kefu.core.when import DateOnly

SHANGHAI = ZoneInfo("Asia/Shanghai")
SAMPLES = Path(__file__).resolve().parents[1] / "sample_data" / "imports"
HEADER = [
    "external_id",
    "channel",
    "customer_name",
    "phone",
    "email",
    "order_no",
    "received_at",
    "category",
    "subcategory",
    "severity",
    "complexity",
    "target",
    "target_name",
    "incident_at",
    "incident_place",
    "demand",
    "party",
    "department",
    "description",
]


def local(month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


def wall(*parts: int) -> datetime:
    """A wall-clock time without a zone, as an XLSX date cell holds it."""
    return datetime(*parts, tzinfo=SHANGHAI).replace(tzinfo=None)  # type: ignore[misc]


def row(external_id: str = "R1", **values: Any) -> dict[str, Any]:
    """A good row for the mini profile (English header names), with `values` changed."""
    base = {
        "external_id": external_id,
        "channel": "hotline",
        "phone": "13800000000",
        "received_at": "2026-11-20 09:30",
        "description": "parcel late",
    }
    base.update(values)
    return base


def write_csv(
    path: Path, rows: list[dict[str, Any]], header: list[str] | None = None, encoding: str = "utf-8-sig"
) -> Path:
    header = header or HEADER
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for r in rows:
            writer.writerow(["" if r.get(h) is None else r[h] for h in header])
    return path


def write_jsonl(path: Path, records: list[Any]) -> Path:
    with path.open("w", encoding="utf-8") as handle:
        for record in records:
            text = record if isinstance(record, str) else json.dumps(record, ensure_ascii=False)
            handle.write(text + "\n")
    return path


def write_xlsx(path: Path, rows: list[list[Any]]) -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    for r in rows:
        sheet.append(r)
    workbook.save(path)
    return path


def run_import(desk: Desk, path: Path, **options: Any) -> ImportReport:
    return importer.import_file(
        engine=desk.engine,
        actor=desk.user(options.pop("who", "admin")),
        now=options.pop("now", NOW),
        options=ImportOptions(path=path, **options),
    )


def query(desk: Desk, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    with sqlite3.connect(desk.path) as conn:
        return conn.execute(sql, args).fetchall()


def count_cases(desk: Desk) -> int:
    return int(query(desk, "SELECT count(*) FROM cases")[0][0])


def errors(report: ImportReport) -> list[tuple[int, str]]:
    return [(e.line, e.field) for e in report.errors]


# -- the same as typed in ----------------------------------------------------------------------

TYPED_BEFORE = {
    "channel": "hotline",
    "customer_phone": "13800000001",
    "received_at": local(11, 18),
    "description": "typed in before the import",
}
SCRIPT: list[dict[str, Any]] = [
    {
        "external_id": "E1",
        "channel": "hotline",
        "customer_phone": "13800000001",
        "order_no": "SF1",
        "received_at": local(11, 20, 9, 30),
        "description": "first",
    },
    {
        "external_id": "E2",
        "channel": "客服热线",
        "customer_phone": "13800000002",
        "received_at": local(11, 21, 10),
        "category": "延误",
        "subcategory": "transit",
        "party": "courier",
        "department": "cs",
        "description": "triaged on intake",
    },
    {
        "external_id": "E3",
        "channel": "online",
        "customer_phone": "13800000001",
        "received_at": local(11, 22, 11),
        "description": "the same phone again",
    },
    {
        "external_id": "E4",
        "channel": "hotline",
        "order_no": "SF1",
        "severity": "P1",
        "received_at": local(11, 22, 12),
        "description": "the same order, critical",
    },
    {
        "external_id": "E5",
        "channel": "hotline",
        "customer_phone": "13800000001",
        "received_at": local(11, 19, 8),
        "description": "older, listed late in the file",
    },
    {
        "external_id": "E6",
        "channel": "hotline",
        "customer_phone": "13800000006",
        "severity": "P2",
        "complexity": "complex",
        "received_at": local(11, 23, 17, 55),
        "description": "complex",
    },
    {
        "external_id": "E7",
        "channel": "Hotline",
        "customer_phone": "13800000002",
        "severity": "紧急",
        "category": "damage",
        "party": "站点",
        "department": "ops",
        "target": "courier",
        "target_name": "王师傅",
        "incident_at": local(11, 22, 20),
        "incident_place": "朝阳站",
        "demand": "赔偿",
        "customer_name": "张三",
        "customer_email": "z@example.com",
        "received_at": local(11, 23, 9),
        "description": "every field, P1 and triaged",
    },
    {
        "external_id": "E8",
        "channel": "hotline",
        "customer_phone": "13800000009",
        "received_at": local(10, 20),
        "description": "34 days before E9",
    },
    {
        "external_id": "E9",
        "channel": "hotline",
        "customer_phone": "13800000009",
        "received_at": local(11, 23),
        "description": "outside the repeat window of E8",
    },
]
AS_COLUMN = {"customer_phone": "phone", "customer_email": "email", "customer_name": "customer_name"}


def snapshot(path: Path) -> dict[str, Any]:
    """Everything a case import writes, keyed by case code (ids left out)."""
    with sqlite3.connect(path) as conn:
        conn.row_factory = sqlite3.Row
        cases = {
            r["code"]: {k: r[k] for k in r.keys() if k != "id"} for r in conn.execute("SELECT * FROM cases")
        }
        history: dict[str, list[tuple[Any, ...]]] = {}
        for e in conn.execute(
            "SELECT c.code, e.* FROM events e JOIN cases c ON c.id = e.case_id ORDER BY e.id"
        ):
            note = None if e["action"] == "create" else e["note"]
            history.setdefault(e["code"], []).append(
                (
                    e["at"],
                    e["actor"],
                    e["action"],
                    e["from_status"],
                    e["to_status"],
                    e["changes_json"],
                    note,
                )
            )
        links = sorted(
            tuple(r)
            for r in conn.execute(
                "SELECT a.code, b.code, l.kind FROM case_links l JOIN cases a ON a.id = l.case_id"
                " JOIN cases b ON b.id = l.other_id"
            )
        )
        counters = sorted(tuple(r) for r in conn.execute("SELECT * FROM code_counters"))
    return {"cases": cases, "history": history, "links": links, "counters": counters}


@pytest.mark.parametrize("batch_size,forked", [(1000, True), (2, True), (1000, False), (2, False)])
def test_imported_cases_are_exactly_what_typing_them_in_gives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, batch_size: int, forked: bool
) -> None:
    monkeypatch.setattr(importer, "FORK_READER", forked)
    typed, imported = make_desk(tmp_path / "typed.db"), make_desk(tmp_path / "imported.db")
    for desk in (typed, imported):
        with desk.write() as session:
            intake.create_case(session=session, actor=desk.user("admin"), now=NOW, **TYPED_BEFORE)
    with typed.write() as session:
        for fields in SCRIPT:
            intake.create_case(session=session, actor=typed.user("admin"), now=NOW, source="script", **fields)
    rows = [
        {
            AS_COLUMN.get(k, k): v.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
            if isinstance(v, datetime)
            else v
            for k, v in fields.items()
        }
        for fields in SCRIPT
    ]
    report = run_import(
        imported, write_csv(tmp_path / "script.csv", rows), source="script", batch_size=batch_size
    )
    assert (report.imported, report.rejected, report.exit_code) == (len(SCRIPT), 0, 0)

    want, got = snapshot(typed.path), snapshot(imported.path)
    # `version` counts the writes of a row for optimistic locking (the typed-in path writes a P1
    # case three times, an import once); it is no property of the case.
    for snap in (want, got):
        for case in snap["cases"].values():
            case.pop("version")
    assert got["cases"] == want["cases"]
    assert got["history"] == want["history"]
    assert got["links"] == want["links"]
    assert got["counters"] == want["counters"]
    # ... and what that means, spelled out.
    by_id = {c["external_id"]: c for c in got["cases"].values() if c["external_id"]}
    before = next(code for code, c in got["cases"].items() if c["external_id"] is None)
    assert by_id["E3"]["repeat_of"] == by_id["E1"]["code"]
    assert {(a, b) for a, b, _ in got["links"] if a == by_id["E3"]["code"]} == {
        (by_id["E3"]["code"], by_id["E1"]["code"]),
        (by_id["E3"]["code"], before),
        (by_id["E3"]["code"], by_id["E5"]["code"]),  # received before it, listed after it
    }
    assert by_id["E4"]["repeat_of"] == by_id["E1"]["code"]  # by order number
    assert by_id["E5"]["repeat_of"] == before  # E1 and E3 came in after it
    assert by_id["E9"]["repeat_of"] is None
    assert by_id["E2"]["status"] == "triaged"
    assert by_id["E4"]["status"] == by_id["E7"]["status"] == "escalated"
    assert by_id["E4"]["due_coordination"] is not None
    notes = query(imported, "SELECT note FROM events WHERE action = 'create' AND note LIKE 'imported%'")
    assert ("imported from script.csv line 2",) in notes
    imported.engine.dispose()
    typed.engine.dispose()


# -- formats, encodings, headers --------------------------------------------------------------

CHINESE = [
    "工单号",
    "投诉渠道",
    "客户姓名",
    "联系电话",
    "订单号",
    "投诉时间",
    "问题类型",
    "紧急程度",
    "投诉内容",
]


def chinese_rows() -> list[dict[str, Any]]:
    return [
        {
            "工单号": "C1",
            "投诉渠道": "客服热线",
            "客户姓名": "张三",
            "联系电话": "13800000001",
            "订单号": "SF100",
            "投诉时间": "2026-11-20 09:30",
            "问题类型": "延误",
            "紧急程度": "一般",
            "投诉内容": "三天没有更新物流",
        },
        {
            "工单号": "C2",
            "投诉渠道": "在线客服",
            "客户姓名": "李四",
            "联系电话": "13900000002",
            "订单号": "SF200",
            "投诉时间": "2026/11/21 14:05",
            "问题类型": "损毁",
            "紧急程度": "高",
            "投诉内容": "箱子压坏了，杯子碎了",
        },
    ]


def stored(desk: Desk) -> list[tuple[Any, ...]]:
    return query(
        desk,
        "SELECT external_id, channel, customer_name, customer_phone, order_no, received_at, "
        "category, severity, description FROM cases ORDER BY external_id",
    )


EXPECTED = [
    (
        "C1",
        "hotline",
        "张三",
        "13800000001",
        "SF100",
        "2026-11-20 01:30:00.000000",
        "delay",
        "P3",
        "三天没有更新物流",
    ),
    (
        "C2",
        "online",
        "李四",
        "13900000002",
        "SF200",
        "2026-11-21 06:05:00.000000",
        "damage",
        "P2",
        "箱子压坏了，杯子碎了",
    ),
]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gb18030"])
def test_csv_in_each_encoding_reads_the_same(desk: Desk, tmp_path: Path, encoding: str) -> None:
    path = write_csv(tmp_path / "export.csv", chinese_rows(), CHINESE, encoding=encoding)
    report = run_import(desk, path)
    assert (report.imported, report.rejected) == (2, 0)
    assert report.encoding == ("gb18030" if encoding == "gb18030" else "utf-8")
    assert stored(desk) == EXPECTED


def test_jsonl_and_xlsx_read_the_same(desk: Desk, tmp_path: Path) -> None:
    jsonl = write_jsonl(tmp_path / "a.jsonl", chinese_rows()[:1])
    assert run_import(desk, jsonl, source="x").imported == 1
    second = chinese_rows()[1]
    xlsx = write_xlsx(
        tmp_path / "b.xlsx",
        [
            CHINESE,
            [
                "C2",
                "在线客服",
                "李四",
                13900000002,
                "SF200",
                wall(2026, 11, 21, 14, 5),
                "损毁",
                "高",
                "箱子压坏了，杯子碎了",
            ],
        ],
    )
    report = run_import(desk, xlsx, source="x")
    assert (report.imported, report.rejected, report.format) == (1, 0, "xlsx")
    assert stored(desk) == EXPECTED
    assert second["联系电话"] == "13900000002"  # the XLSX number came back as the same text


def test_jsonl_values_may_be_numbers_and_keys_any_alias(desk: Desk, tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "web.jsonl",
        [
            {
                "id": 17,
                "渠道": "online",
                "mobile": 13800000017,
                "received_at": "2026-11-20T09:30:00Z",
                "content": "late",
                "priority": "P2",
            },
            "",
            {
                "ticket_id": "W-2",
                "channel": "hotline",
                "tel": "+86 138-0000-0018",
                "received": "2026-11-20T09:30:00+08:00",
                "complaint": "late again",
            },
        ],
    )
    report = run_import(desk, path)
    assert (report.imported, report.rejected, report.rows) == (2, 0, 2)
    assert query(desk, "SELECT external_id, customer_phone, received_at FROM cases ORDER BY id") == [
        ("17", "13800000017", "2026-11-20 09:30:00.000000"),
        ("W-2", "13800000018", "2026-11-20 01:30:00.000000"),
    ]


def test_times_keep_what_was_written(desk: Desk, tmp_path: Path) -> None:
    rows = [
        row("T1", received_at="2026-11-20 09:30"),  # profile's zone, Asia/Shanghai
        row("T2", received_at="2026-11-20T09:30:00+00:00"),
        row("T3", received_at="2026年11月20日 9:30"),
        row("T4", received_at="2026/11/20 9:30:15"),
        row("T5", received_at="2026-11-20"),
        row("T6", received_at="2026-11-20 09:30", incident_at="2026-11-19 18:00"),
    ]
    report = run_import(desk, write_csv(tmp_path / "t.csv", rows))
    # A date alone never starts the clocks at midnight: refused, unless the admin says how to read it.
    assert [(e.line, e.field) for e in report.errors] == [(6, "received_at")]
    assert "has no time of day" in report.errors[0].reason and "--date-only noon, start-of-business" in (
        report.errors[0].reason
    )
    assert query(desk, "SELECT external_id, received_at FROM cases ORDER BY external_id")[:5] == [
        ("T1", "2026-11-20 01:30:00.000000"),
        ("T2", "2026-11-20 09:30:00.000000"),
        ("T3", "2026-11-20 01:30:00.000000"),
        ("T4", "2026-11-20 01:30:15.000000"),
        ("T6", "2026-11-20 01:30:00.000000"),
    ]
    run_import(desk, write_csv(tmp_path / "t.csv", rows), date_only=DateOnly.START_OF_BUSINESS)
    assert query(desk, "SELECT received_at FROM cases WHERE external_id = 'T5'") == [
        ("2026-11-20 01:00:00.000000",)
    ]
    assert query(desk, "SELECT incident_at FROM cases WHERE external_id = 'T6'") == [
        ("2026-11-19 10:00:00.000000",)
    ]
    # --tz reads times without an offset in another zone; an explicit offset still wins.
    other = write_csv(tmp_path / "u.csv", [row("U1"), row("U2", received_at="2026-11-20T09:30+08:00")])
    run_import(desk, other, timezone="Europe/London")
    assert query(desk, "SELECT received_at FROM cases WHERE source = 'u' ORDER BY external_id") == [
        ("2026-11-20 09:30:00.000000",),
        ("2026-11-20 01:30:00.000000",),
    ]


def test_received_at_sets_the_sla_clocks_as_given(desk: Desk, tmp_path: Path) -> None:
    """Received Friday 20 Nov 17:30: P3's `2bh` first response runs into Monday morning."""
    run_import(desk, write_csv(tmp_path / "f.csv", [row("F1", received_at="2026-11-20 17:30")]))
    due_first, due_resolution = query(desk, "SELECT due_first_response, due_resolution FROM cases")[0]
    assert due_first == "2026-11-23 02:30:00.000000"  # Mon 10:30 local: 30 min Fri + 90 min Mon
    assert due_resolution == "2026-11-25 10:00:00.000000"  # 3wd: close of Wed 25 Nov


@pytest.mark.parametrize(
    "names",
    [
        ["id", "channel", "phone", "received_at", "description"],
        ["ID", "Channel", "Customer Phone", "Received At", "Description"],
        ["工单号", "投诉渠道", "手机号", "受理时间", "问题描述"],
        ["编号", "渠道", "电话", "来电时间", "投诉详情"],
        [" ticket-id ", "CHANNEL", "mobile", "received_time", "content"],
    ],
)
def test_header_aliases(desk: Desk, tmp_path: Path, names: list[str]) -> None:
    path = tmp_path / "h.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([names, ["A1", "hotline", "13800000001", "2026-11-20 09:30", "late"]])
    assert run_import(desk, path).imported == 1
    assert query(desk, "SELECT external_id, channel, customer_phone, description FROM cases") == [
        ("A1", "hotline", "13800000001", "late")
    ]


def test_unknown_column_refuses_the_file_unless_ignored(desk: Desk, tmp_path: Path) -> None:
    header = [*HEADER, "备注"]
    path = write_csv(tmp_path / "x.csv", [row("X1") | {"备注": "VIP"}], header)
    with pytest.raises(InvalidInput, match="unknown column '备注'.*--ignore-unknown"):
        run_import(desk, path)
    assert count_cases(desk) == 0
    report = run_import(desk, path, ignore_unknown=True)
    assert (report.imported, report.ignored_columns) == (1, ["备注"])


@pytest.mark.parametrize(
    "header,message",
    [
        (["id", "工单号", "channel", "received_at", "description"], "'id' and '工单号' both mean"),
        (["id", "channel", "description"], "no column for received_at"),
        (["id", "phone", "received_at"], "no column for channel .*description"),
    ],
)
def test_bad_headers_refuse_the_file(desk: Desk, tmp_path: Path, header: list[str], message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(",".join(header) + "\n" + ",".join("x" for _ in header) + "\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match=message):
        run_import(desk, path)


# -- rejections --------------------------------------------------------------------------------

BIG = "字" * (200 * 1024)

REJECTIONS = [
    ({"channel": "fax"}, "channel", "channel: unknown 'fax'"),
    ({"channel": ""}, "channel", "channel is required"),
    ({"description": " "}, "description", "description is required"),
    ({"description": BIG}, "description", "description is 204800 characters; at most 20000"),
    ({"received_at": ""}, "received_at", "required in an import"),
    ({"received_at": "yesterday"}, "received_at", "'yesterday' is not a date and time"),
    ({"received_at": "2026-02-30 10:00"}, "received_at", "not a real date and time"),
    ({"received_at": "2026-12-01 10:00"}, "received_at", "received_at is in the future"),
    ({"received_at": "2026-11-20 10:00 +25:00"}, "received_at", "impossible UTC offset"),
    (
        {"received_at": "1800-01-01 09:00"},
        "received_at",
        "received_at 1800-01-01 is before 2000; check the date",
    ),
    ({"incident_at": "1999-12-31 23:00"}, "incident_at", "incident_at 1999-12-31 is before 2000"),
    ({"incident_at": "last week"}, "incident_at", "is not a date and time"),
    ({"category": "fruit"}, "category", "category: unknown 'fruit'"),
    ({"category": "damage", "subcategory": "transit"}, "subcategory", "not under damage"),
    ({"subcategory": "transit"}, "subcategory", "subcategory needs a category"),
    ({"severity": "P9"}, "severity", "severity: unknown 'P9'"),
    ({"complexity": "hard"}, "complexity", "complexity must be simple or complex"),
    ({"phone": "12ab"}, "phone", "customer_phone '12ab' is not a phone number"),
    ({"phone": "1.38E+10"}, "phone", "is not a phone number"),  # Excel ate it
    ({"email": "nobody"}, "email", "customer_email 'nobody' is not an e-mail address"),
    ({"target": "alien"}, "target", "target: unknown 'alien'"),
    ({"party": "aliens"}, "party", "party: unknown"),
    ({"department": "hr"}, "department", "department: unknown"),
    ({"customer_name": "名" * 101}, "customer_name", "customer_name is 101 characters; at most 100"),
    ({"order_no": "9" * 81}, "order_no", "order_no is 81 characters; at most 80"),
    ({"external_id": "x" * 121}, "external_id", "external_id is 121 characters; at most 120"),
    ({"demand": "要" * 20_001}, "demand", "demand is 20001 characters"),
]


@pytest.fixture(scope="module")
def shared_desk(tmp_path_factory: pytest.TempPathFactory) -> Any:
    desk = make_desk(tmp_path_factory.mktemp("shared") / "kefu.db")
    yield desk
    desk.engine.dispose()


@pytest.mark.parametrize("change,field,reason", REJECTIONS, ids=[r[2][:40] for r in REJECTIONS])
def test_each_rejection_names_line_field_and_reason(
    shared_desk: Desk, tmp_path: Path, change: dict[str, str], field: str, reason: str
) -> None:
    """A bad row between two good ones: it alone is refused, with its line, column and reason."""
    source = "r-" + hashlib.sha1(reason.encode()).hexdigest()[:10]
    path = write_csv(tmp_path / "r.csv", [row("G1"), row("BAD") | change, row("G2")])
    report = run_import(shared_desk, path, source=source)
    assert (report.imported, report.rejected, report.exit_code) == (2, 1, 2)
    (error,) = report.errors
    assert (error.line, error.field) == (3, field)
    assert reason in error.reason
    assert query(shared_desk, "SELECT external_id FROM cases WHERE source = ? ORDER BY id", source) == [
        ("G1",),
        ("G2",),
    ]


def test_lines_count_physical_lines_of_quoted_fields(desk: Desk, tmp_path: Path) -> None:
    rows = [row("M1", description="line one\nline two\nline three"), row("M2", channel="fax")]
    report = run_import(desk, write_csv(tmp_path / "m.csv", rows))
    assert errors(report) == [(5, "channel")]
    assert query(desk, "SELECT description FROM cases") == [("line one\nline two\nline three",)]


def test_broken_rows(desk: Desk, tmp_path: Path) -> None:
    text = (
        "id,channel,received_at,description,\n"
        "B1,hotline,2026-11-20 09:30,fine,\n"
        "B2,hotline,2026-11-20 09:30\n"  # a cell short
        "B3,hotline,2026-11-20 09:30,too many,,extra\n"
        "B4,hotline,2026-11-20 09:30,under no header,oops\n"
        "\n"
        "B5,hotline,2026-11-20 09:30,fine,\n"
    )
    (tmp_path / "b.csv").write_text(text, encoding="utf-8")
    report = run_import(desk, tmp_path / "b.csv")
    assert errors(report) == [(3, "(row)"), (4, "(row)"), (5, "column 5")]
    assert "the row has 3 cells but the header has 5" in report.errors[0].reason
    assert "'extra'" in report.errors[1].reason
    assert (report.imported, report.rows) == (2, 5)


def test_broken_json_lines(desk: Desk, tmp_path: Path) -> None:
    good = {"id": "J1", "channel": "hotline", "received_at": "2026-11-20 09:30", "description": "ok"}
    path = write_jsonl(
        tmp_path / "j.jsonl",
        [
            good,
            '{"id": "J2", "channel": "hotline",',
            "[1, 2]",
            good | {"id": "J4", "tags": ["a"]},
            good | {"id": "J5", "备注": "x"},
            good | {"id": "J6", "description": {"text": "nested"}},
            good | {"id": "J7", "phone": "1", "mobile": "2"},
        ],
    )
    report = run_import(desk, path)
    assert errors(report) == [
        (2, "(row)"),
        (3, "(row)"),
        (4, "tags"),
        (5, "备注"),
        (6, "description"),
        (7, "mobile"),
    ]
    assert "not JSON" in report.errors[0].reason
    assert "one JSON object, not list" in report.errors[1].reason
    assert report.imported == 1
    report = run_import(desk, path, ignore_unknown=True)
    assert report.ignored_columns == ["tags", "备注"]
    assert report.imported == 2  # J4 and J5 now; the rest stay rejected


def test_xlsx_dates_numbers_and_stray_cells(desk: Desk, tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "desk.xlsx",
        [
            ["编号", "渠道", "联系电话", "投诉时间", "投诉内容", None],
            [1, "客服热线", 13800000001, wall(2026, 11, 20, 9, 30), "柜台投诉"],
            [],
            [3, "hotline", 13800000003, "2026-11-20 10:00", "写成文字的时间"],
            [4, "hotline", 13800000004, 46346.5, "Excel serial number"],
            [5, "hotline", 13800000005, wall(2026, 11, 20, 11), "stray cell", None, "X"],
            [6, "hotline", 13800000006, 1234.5, "an amount in the time column"],
        ],
    )
    report = run_import(desk, path)
    assert errors(report) == [(6, "(row)"), (7, "投诉时间")]
    assert "is a number, not a date" in report.errors[1].reason
    assert query(desk, "SELECT external_id, customer_phone, received_at FROM cases ORDER BY id") == [
        ("1", "13800000001", "2026-11-20 01:30:00.000000"),
        ("3", "13800000003", "2026-11-20 02:00:00.000000"),
        ("4", "13800000004", "2026-11-20 04:00:00.000000"),  # serial 46346.5: 20 Nov 12:00 on the wall
    ]


def test_xlsx_reads_only_the_first_sheet_and_says_so(desk: Desk, tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    first = workbook.active
    assert first is not None
    first.append(["id", "channel", "received_at", "description"])
    first.append(["S1", "hotline", "2026-11-20 09:30", "on the first sheet"])
    workbook.create_sheet("汇总").append(["not", "read"])
    workbook.save(tmp_path / "two.xlsx")
    report = run_import(desk, tmp_path / "two.xlsx")
    assert (report.imported, report.other_sheets) == (1, ["汇总"])


def test_xlsx_is_parsed_with_defusedxml(desk: Desk, tmp_path: Path) -> None:
    """An entity-expansion bomb in the sheet is refused, not expanded."""
    assert openpyxl.DEFUSEDXML is True
    plain = write_xlsx(tmp_path / "plain.xlsx", [["id"]])
    bomb = tmp_path / "bomb.xlsx"
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        '<row r="1"><c r="A1" t="inlineStr"><is><t>&lol2;</t></is></c></row></sheetData></worksheet>'
    )
    with zipfile.ZipFile(plain) as src, zipfile.ZipFile(bomb, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            dst.writestr(item, laughs if item.filename == "xl/worksheets/sheet1.xml" else data)
    with pytest.raises(InvalidInput, match="cannot read the workbook.*EntitiesForbidden"):
        run_import(desk, bomb)
    assert count_cases(desk) == 0


# -- encodings and unreadable files --------------------------------------------------------------


def test_text_in_neither_utf8_nor_gb18030_is_refused_with_a_hint(desk: Desk, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "latin.csv", [row("L1", description="café crème")], encoding="latin-1")
    with pytest.raises(InvalidInput, match=r"neither UTF-8 \(bad byte on line 2\) nor GB18030.*--encoding"):
        run_import(desk, path)
    assert run_import(desk, path, encoding="latin-1").imported == 1
    assert query(desk, "SELECT description FROM cases") == [("café crème",)]


def test_utf16_gets_its_own_hint_and_reads_with_encoding(desk: Desk, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "unicode.csv", [row("U1", description="快递")], encoding="utf-16")
    with pytest.raises(InvalidInput, match="pass --encoding utf-16"):
        run_import(desk, path)
    assert run_import(desk, path, encoding="utf-16").imported == 1


def test_big5_read_as_gb18030_is_caught_by_the_header(desk: Desk, tmp_path: Path) -> None:
    path = tmp_path / "tw.csv"
    path.write_bytes(
        "工單號,投訴渠道,投訴時間,投訴內容\nB1,hotline,2026-11-20 09:30,包裹遺失\n".encode("big5")
    )
    with pytest.raises(InvalidInput, match="read as GB18030; if the name looks garbled, pass --encoding"):
        run_import(desk, path)
    english = tmp_path / "tw-en.csv"
    english.write_bytes(
        "id,channel,received_at,description\nB1,hotline,2026-11-20 09:30,包裹遺失\n".encode("big5")
    )
    assert run_import(desk, english, encoding="big5").imported == 1
    assert query(desk, "SELECT description FROM cases") == [("包裹遺失",)]


@pytest.mark.parametrize(
    "name,content,options,message",
    [
        ("none.csv", None, {}, "no such file"),
        ("empty.csv", b"", {}, "the file is empty"),
        ("blank.csv", b"\n \n", {}, "the file is empty"),
        ("data.json", b"{}", {}, "cannot tell the format from '.json'; pass --format"),
        ("old.xls", b"\xd0\xcf", {}, "old .xls workbooks are not read"),
        ("zip.csv", b"PK\x03\x04rest", {}, "this is a zip file"),
        ("not.xlsx", b"id,channel\n", {}, "not an XLSX workbook"),
        ("ok.csv", b"id\n", {"format": "pdf"}, "--format must be one of csv, jsonl, xlsx"),
        ("ok.csv", b"id\n", {"encoding": "klingon"}, "not an encoding Python knows"),
        ("ok.csv", b"id\n", {"timezone": "Mars/Olympus"}, "unknown time zone 'Mars/Olympus'"),
        ("ok.csv", b"id\n", {"source": "s" * 61}, "over 60 characters"),
        ("ok.xlsx", None, {"encoding": "gbk"}, "--encoding is for CSV and JSON Lines"),
    ],
)
def test_unreadable_files_are_refused_before_anything_is_stored(
    desk: Desk, tmp_path: Path, name: str, content: bytes | None, options: dict[str, Any], message: str
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    elif name.endswith(".xlsx"):
        write_xlsx(path, [["id"]])
    with pytest.raises(InvalidInput, match=message):
        run_import(desk, path, **options)
    assert count_cases(desk) == 0


def test_only_admins_and_supervisors_import(desk: Desk, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "p.csv", [row()])
    with pytest.raises(PermissionDenied, match="an? agent may not import cases"):
        run_import(desk, path, who="alice")
    assert run_import(desk, path, who="sue").imported == 1


# -- idempotence --------------------------------------------------------------------------------


def test_reimport_adds_nothing(desk: Desk, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "daily.csv", [row(f"D{i}", phone=f"1380000000{i}") for i in range(5)])
    first = run_import(desk, path)
    before = query(desk, "SELECT (SELECT count(*) FROM events), (SELECT max(last) FROM code_counters)")
    second = run_import(desk, path)
    assert (first.imported, first.already_present) == (5, 0)
    assert (second.imported, second.already_present, second.exit_code) == (0, 5, 0)
    assert (
        query(desk, "SELECT (SELECT count(*) FROM events), (SELECT max(last) FROM code_counters)") == before
    )
    # An overlapping export: two known rows, one new.
    overlap = write_csv(tmp_path / "daily.csv", [row("D3"), row("D4"), row("D5")])
    third = run_import(desk, overlap)
    assert (third.imported, third.already_present) == (1, 2)
    assert count_cases(desk) == 6
    # The key is (source, external id): the same ids from another source are other complaints.
    assert run_import(desk, overlap, source="other-platform").imported == 3


def test_rows_without_an_id_get_a_stable_one(desk: Desk, tmp_path: Path) -> None:
    rows = [row("", description="no id"), row("", description="no id"), row("", description="other")]
    path = write_csv(tmp_path / "noid.csv", rows)
    report = run_import(desk, path)
    assert (report.imported, report.already_present) == (2, 1)  # two identical rows count once
    ids = [r[0] for r in query(desk, "SELECT external_id FROM cases ORDER BY id")]
    assert all(i.startswith("auto-") and len(i) == 37 for i in ids) and ids[0] != ids[1]
    assert run_import(desk, path).imported == 0
    # The id comes from the checked content: labels, codes and formats that mean the same agree.
    same = write_jsonl(
        tmp_path / "noid.jsonl",
        [
            {
                "渠道": "客服热线",
                "联系电话": "138 0000 0000",
                "投诉时间": "2026-11-20T01:30:00Z",
                "投诉内容": "no id",
            },
        ],
    )
    assert run_import(desk, same, source="noid").already_present == 1


def test_dry_run_counts_and_stores_nothing(desk: Desk, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "dry.csv", [row("A"), row("B"), row("A"), row("C", channel="fax")])
    report = run_import(desk, path, dry_run=True, batch_size=1)
    assert (report.imported, report.already_present, report.rejected) == (2, 1, 1)
    assert report.summary().startswith("dry.csv: 4 rows, 2 would import, 1 already present")
    assert count_cases(desk) == 0
    run_import(desk, path)
    assert run_import(desk, path, dry_run=True).already_present == 3


# -- limits ---------------------------------------------------------------------------------------


def test_a_file_over_the_size_limit_is_refused_unread(desk: Desk, tmp_path: Path) -> None:
    huge = tmp_path / "huge.csv"
    with huge.open("wb") as handle:  # sparse: no disk used
        handle.truncate(importer.MAX_FILE_BYTES + 1)
    with pytest.raises(InvalidInput, match="huge.csv is 256 MB; kefu imports files up to 256 MB"):
        run_import(desk, huge)


def test_rows_beyond_the_row_limit_stop_the_import(
    desk: Desk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importer, "MAX_ROWS", 5)
    path = write_csv(tmp_path / "long.csv", [row(f"L{i}") for i in range(8)])
    report = run_import(desk, path, batch_size=2)
    assert (report.imported, report.rows, report.exit_code) == (5, 5, 2)
    assert report.stopped is not None and "line 7: the file has more than 5 rows" in str(report.stopped)


def test_an_unclosed_quote_stops_at_its_line_keeping_the_rows_before(
    desk: Desk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importer, "MAX_CELL_CHARS", 10_000)
    text = "id,channel,received_at,description\nQ1,hotline,2026-11-20 09:30,fine\n"
    text += 'Q2,hotline,2026-11-20 09:30,"never closed\n' + "more text\n" * 2000
    (tmp_path / "q.csv").write_text(text, encoding="utf-8")
    report = run_import(desk, tmp_path / "q.csv")
    assert report.imported == 1 and report.exit_code == 2
    assert report.stopped is not None and str(report.stopped).startswith("line 3: field larger than")


def test_a_json_line_over_the_limit_is_rejected_alone(
    desk: Desk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importer, "MAX_CELL_CHARS", 1000)
    good = {"id": "J1", "channel": "hotline", "received_at": "2026-11-20 09:30", "description": "ok"}
    path = write_jsonl(
        tmp_path / "long.jsonl", [good, good | {"id": "J2", "description": "x" * 5000}, good | {"id": "J3"}]
    )
    report = run_import(desk, path)
    assert errors(report) == [(2, "(row)")] and report.imported == 2


def test_a_batch_the_database_refuses_is_kept_out_whole(desk: Desk, tmp_path: Path) -> None:
    """Rows 1-2 are stored; row 3's code is taken (its day's counter was set back), so the
    database refuses that batch: none of it is kept and the import stops with a message."""
    rows = [
        row("A", received_at="2026-11-19 09:00"),
        row("B", received_at="2026-11-19 10:00"),
        row("C", received_at="2026-11-20 09:00"),
        row("D", received_at="2026-11-20 10:00"),
    ]
    with desk.write() as session:
        intake.create_case(
            session=session,
            actor=desk.user("admin"),
            now=NOW,
            channel="hotline",
            description="typed",
            received_at=local(11, 20),
        )
    with sqlite3.connect(desk.path) as conn:
        conn.execute("UPDATE code_counters SET last = 0")
    report = run_import(desk, write_csv(tmp_path / "clash.csv", rows), batch_size=2)
    assert (report.imported, report.exit_code) == (2, 3)  # the database failed: a failure, not bad input
    assert report.stopped is not None
    assert str(report.stopped).startswith("the rows from line 4 on could not be stored (UNIQUE")
    assert "run the import again" in str(report.stopped)
    assert query(desk, "SELECT external_id FROM cases WHERE source = 'clash' ORDER BY id") == [
        ("A",),
        ("B",),
    ]
    assert query(
        desk, "SELECT count(*) FROM events e LEFT JOIN cases c ON c.id = e.case_id WHERE c.id IS NULL"
    ) == [(0,)]


def test_an_unwritable_errors_file_is_refused_first(desk: Desk, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "e.csv", [row()])
    with pytest.raises(InvalidInput, match="--errors .*cannot write it"):
        run_import(desk, path, errors_path=tmp_path / "no" / "such" / "dir.csv")
    assert count_cases(desk) == 0


# -- the errors file ------------------------------------------------------------------------------


def test_errors_file_round_trip(desk: Desk, tmp_path: Path) -> None:
    rows = [*chinese_rows(), {**chinese_rows()[0], "工单号": "C3", "投诉渠道": "传真"}]
    path = write_csv(tmp_path / "hotline.csv", rows, CHINESE, encoding="gb18030")
    out = tmp_path / "rejected.csv"
    report = run_import(desk, path, errors_path=out)
    assert (report.imported, report.rejected) == (2, 1)
    with out.open(encoding="utf-8-sig", newline="") as handle:
        written = list(csv.reader(handle))
    assert written[0] == [*CHINESE, "source", "error_line", "error_field", "error_reason"]
    assert written[1][:9] == [rows[2][h] for h in CHINESE]  # the row as it was
    assert written[1][9:12] == ["hotline", "4", "投诉渠道"]
    # Fix the channel and import the errors file itself: its rows keep their source.
    written[1][1] = "客服热线"
    with out.open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle).writerows(written)
    again = run_import(desk, out)
    assert (again.imported, again.rejected, again.exit_code) == (1, 0, 0)
    # It went in under the original file's key: the corrected export finds it there.
    rows[2]["投诉渠道"] = "客服热线"
    corrected = run_import(desk, write_csv(tmp_path / "hotline.csv", rows, CHINESE))
    assert (corrected.imported, corrected.already_present) == (0, 3)


def test_errors_file_for_json_lines(desk: Desk, tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "w.jsonl",
        [
            {"id": "W1", "channel": "fax", "received_at": "2026-11-20 09:30", "description": "a"},
            {
                "id": "W2",
                "channel": "hotline",
                "received_at": "2026-11-20 09:30",
                "description": "b",
                "email": "x",
            },
        ],
    )
    out = tmp_path / "rejected.jsonl"
    run_import(desk, path, errors_path=out)
    lines = [json.loads(t) for t in out.read_text(encoding="utf-8").splitlines()]
    assert [(r["id"], r["error_line"], r["error_field"], r["source"]) for r in lines] == [
        ("W1", "1", "channel", "w"),
        ("W2", "2", "email", "w"),
    ]


def test_rejections_read_in_chinese(desk: Desk, tmp_path: Path) -> None:
    """With lang="zh" the report, its JSON and the errors file a person fixes say why in Chinese;
    the errors file's own columns keep their names, so it still imports again."""
    path = write_csv(tmp_path / "zh.csv", [row("Z1"), row("Z2", channel="fax")])
    out = tmp_path / "rejected.csv"
    report = run_import(desk, path, errors_path=out, lang="zh")
    (error,) = report.errors
    assert error.reason == "channel: unknown 'fax'; choose one of: hotline, online"
    # the choices as labels, in Chinese
    assert error.text("zh") == "第 3 行：channel：渠道：没有「fax」这一项；可选：客服热线、在线客服"
    assert (
        report.summary("zh")
        == f"zh.csv：共 2 行，导入 1 行，已存在 0 行，未通过检查 1 行（未通过的行已写入 {out}）"
    )
    assert report.summary() == f"zh.csv: 2 rows, 1 imported, 0 already present, 1 rejected (written to {out})"
    (reason,) = report.as_dict("zh")["errors"]
    assert reason == {
        "line": 3,
        "field": "channel",
        "reason": "渠道：没有「fax」这一项；可选：客服热线、在线客服",
        "key": "field.unknown_code",
    }
    with out.open(encoding="utf-8-sig", newline="") as handle:
        written = list(csv.DictReader(handle))
    assert [(r["error_line"], r["error_field"], r["error_reason"]) for r in written] == [
        ("3", "channel", "渠道：没有「fax」这一项；可选：客服热线、在线客服")
    ]
    # Fixed, the Chinese errors file imports again (its own columns are read past).
    written[0]["channel"] = "hotline"
    with out.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(written[0]))
        writer.writeheader()
        writer.writerows(written)
    again = run_import(desk, out)
    assert (again.imported, again.rejected, again.source) == (1, 0, "rejected")
    assert query(desk, "SELECT source, external_id FROM cases ORDER BY id") == [("zh", "Z1"), ("zh", "Z2")]
    # A problem with the row as a whole reads in Chinese too, in the report and the file.
    text = "id,channel,received_at,description\nS1,hotline,2026-11-20 09:30\n"
    (tmp_path / "short.csv").write_text(text, encoding="utf-8")
    short = run_import(desk, tmp_path / "short.csv", errors_path=out, lang="zh")
    assert (
        short.errors[0].text("zh")
        == "第 2 行：（整行）：此行有 3 个单元格，表头却有 4 列（没加引号的字段里有换行？）"
    )
    with out.open(encoding="utf-8-sig", newline="") as handle:
        assert next(csv.DictReader(handle))["error_field"] == "（整行）"


def test_a_stop_reads_in_chinese(desk: Desk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importer, "MAX_ROWS", 1)
    report = run_import(desk, write_csv(tmp_path / "two.csv", [row("T1"), row("T2")]))
    assert report.stopped is not None and report.stopped.key == "import.too_many_rows"
    assert report.summary("zh").endswith("；导入中止：第 3 行：文件超过 1 行；请拆分（此行之前的行已读取）")
    assert report.as_dict("zh")["stopped"] == "第 3 行：文件超过 1 行；请拆分（此行之前的行已读取）"
    assert report.as_dict()["stopped"].startswith("line 3: the file has more than 1 rows")


def test_refusals_name_their_field_and_read_in_chinese(desk: Desk, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "f.csv", [row()], [*HEADER, "备注"])
    with pytest.raises(InvalidInput) as refused:
        run_import(desk, path)
    assert refused.value.field == "备注"
    assert refused.value.text("zh").startswith(f"{path}：表头里有 kefu 不认识的列「备注」")
    with pytest.raises(InvalidInput) as refused:
        run_import(desk, path, timezone="Mars/Olympus")
    assert refused.value.field == "timezone"
    assert refused.value.text("zh") == "没有「Mars/Olympus」这个时区；请用 IANA 时区名，例如 Asia/Shanghai"
    bad = tmp_path / "bad.csv"
    bad.write_text("id,phone\nx,y\n", encoding="utf-8")
    with pytest.raises(InvalidInput) as refused:
        run_import(desk, bad)
    assert refused.value.field == "channel"
    assert refused.value.message == (
        f"{bad}: the header has no column for channel (channel / 渠道 / 投诉渠道 / 受理渠道); "
        "description (description / content / complaint / details); "
        "received_at (received_at / received / received_time / complaint_time)"
    )
    assert refused.value.text("zh").startswith(
        f"{bad}：表头缺少这些列：渠道（channel / 渠道 / 投诉渠道 / 受理渠道）；投诉内容（"
    )


# -- the sample files -----------------------------------------------------------------------------


def test_sample_files_import_into_the_express_desk(tmp_path: Path) -> None:
    desk = make_desk(tmp_path / "express.db", profile=bundled_profiles_dir() / "express.toml")
    hotline = run_import(desk, SAMPLES / "hotline_2026-11.csv", errors_path=tmp_path / "e.csv")
    assert (hotline.rows, hotline.imported, hotline.rejected) == (42, 39, 3)
    assert [(e.line, e.field) for e in hotline.errors] == [
        (8, "投诉渠道"),
        (19, "联系电话"),
        (30, "投诉时间"),
    ]
    platform = run_import(desk, SAMPLES / "platform_export_gb18030.csv")
    assert (platform.encoding, platform.imported, platform.rejected) == ("gb18030", 20, 0)
    web = run_import(desk, SAMPLES / "web_form.jsonl")
    assert (web.imported, web.rejected) == (18, 0)
    mall = run_import(desk, SAMPLES / "mall_desk.xlsx")
    assert (mall.imported, mall.rejected) == (12, 0)
    assert count_cases(desk) == 89
    assert query(desk, "SELECT count(*) FROM cases WHERE status = 'escalated'") == [(2,)]
    # Three hotline callers rang twice; one of them wrote in again through the web form — and
    # one's web form came in between their two calls, so that call repeats the web form (the
    # newest earlier complaint), though the web form was imported after it.
    repeats = query(
        desk,
        "SELECT c.source, e.source FROM cases c JOIN cases e ON e.code = c.repeat_of ORDER BY c.id",
    )
    assert sorted(repeats) == [("hotline_2026-11", "hotline_2026-11")] * 2 + [
        ("hotline_2026-11", "web_form"),
        ("web_form", "hotline_2026-11"),
    ]
    assert query(desk, "SELECT count(*) FROM cases WHERE status = 'triaged'")[0][0] >= 20
    for name in ("hotline_2026-11.csv", "platform_export_gb18030.csv", "web_form.jsonl", "mall_desk.xlsx"):
        assert run_import(desk, SAMPLES / name).imported == 0
    desk.engine.dispose()


# -- the command --------------------------------------------------------------------------------

runner = CliRunner(env={"COLUMNS": "200", "KEFU_DB": None})


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "kefu.db"
    result = runner.invoke(app, ["--db", str(path), "init", "--profile", str(MINI_PROFILE)])
    assert result.exit_code == 0, result.output
    return path


def kefu(db: Path, *args: str) -> Result:
    return runner.invoke(app, ["--db", str(db), *args])


def test_cli_partial_failure_then_fixed(db: Path, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "feed.csv", [row("A"), row("B", phone="12ab"), row("C")])
    out = tmp_path / "bad.csv"
    result = kefu(db, "import", str(path), "--errors", str(out))
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert "feed.csv line 3: phone: customer_phone '12ab' is not a phone number" in result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        f"feed.csv: 3 rows, 2 imported, 0 already present, 1 rejected (written to {out})"
    )
    fixed = out.read_text(encoding="utf-8-sig").replace("12ab", "13800000002")
    out.write_text(fixed, encoding="utf-8-sig")
    result = kefu(db, "import", str(out), "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert (summary["imported"], summary["rejected"], summary["source"]) == (1, 0, "bad")
    result = kefu(db, "import", str(path), "--json")
    assert (json.loads(result.stdout)["already_present"], result.exit_code) == (2, 2)
    assert kefu(db, "case", "list", "--json").stdout.count('"code"') == 3


def test_cli_json_summary_and_format_override(db: Path, tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "feed.txt",
        [
            {"id": "J1", "channel": "hotline", "received_at": "2026-11-20 09:30", "description": "ok"},
        ],
    )
    result = kefu(db, "import", str(path), "--format", "jsonl", "--source", "web", "--json", "--dry-run")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert {k: summary[k] for k in ("format", "source", "dry_run", "imported", "exit_code")} == {
        "format": "jsonl",
        "source": "web",
        "dry_run": True,
        "imported": 1,
        "exit_code": 0,
    }
    assert "1 would import" in result.stderr


def test_cli_refuses_an_unreadable_file_in_one_line(db: Path, tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(b"id,channel\n\xff\xfe\x00\n")
    result = kefu(db, "import", str(path))
    assert result.exit_code == 2
    assert result.stdout == "" and "Traceback" not in result.output
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("kefu: ") and "--encoding" in line


def test_cli_help_lists_the_columns() -> None:
    result = runner.invoke(app, ["import", "--help"])
    assert result.exit_code == 0
    assert "Example: kefu import" in result.stdout
    assert "received_at:" in result.stdout and "投诉时间" in result.stdout


# -- kill -9 -------------------------------------------------------------------------------------


def processes_reading(path: Path) -> list[int]:
    """Live processes whose command line names `path` (zombies have none)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                if str(path).encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def test_kill_9_mid_import_leaves_a_consistent_desk_and_a_rerun_completes(db: Path, tmp_path: Path) -> None:
    total = 15_000
    path = tmp_path / "big.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "channel", "phone", "received_at", "severity", "description"])
        for i in range(total):
            when = datetime(2026, 10, 1, tzinfo=SHANGHAI) + timedelta(minutes=2 * i)
            writer.writerow(
                [
                    f"K{i}",
                    "hotline",
                    f"1390000{i % 5000:04d}",
                    when.strftime("%Y-%m-%d %H:%M"),
                    "P1" if i % 1000 == 7 else "P3",
                    f"complaint {i}",
                ]
            )
    command = [sys.executable, "-m", "kefu.cli", "--db", str(db), "import", str(path)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    stored_at_kill = 0
    while time.monotonic() < deadline and process.poll() is None:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
            stored_at_kill = conn.execute("SELECT count(*) FROM cases").fetchone()[0]
        if stored_at_kill:
            break
        time.sleep(0.005)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL, "the import finished before it could be killed"
    # Its reading process notices and leaves too.
    deadline = time.monotonic() + 10
    while processes_reading(path) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert processes_reading(path) == []

    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        stored, without_history, last_code = conn.execute(
            "SELECT count(*), sum(NOT EXISTS (SELECT 1 FROM events e WHERE e.case_id = c.id "
            "AND e.action = 'create')), (SELECT sum(last) FROM code_counters) FROM cases c"
        ).fetchone()
        escalated_without_event = conn.execute(
            "SELECT count(*) FROM cases c WHERE status = 'escalated' AND NOT EXISTS "
            "(SELECT 1 FROM events e WHERE e.case_id = c.id AND e.action = 'escalate')"
        ).fetchone()[0]
    assert 0 < stored < total and stored % importer.BATCH_SIZE == 0  # whole batches only
    assert (without_history or 0, escalated_without_event) == (0, 0)
    assert last_code == stored  # the code counters moved with the cases, not ahead of them

    rerun = subprocess.run([*command, "--json"], capture_output=True, text=True, timeout=120)
    assert rerun.returncode == 0, rerun.stderr
    summary = json.loads(rerun.stdout)
    assert (summary["already_present"], summary["imported"]) == (stored, total - stored)
    with sqlite3.connect(db) as conn:
        cases, keys, codes = conn.execute(
            "SELECT count(*), count(DISTINCT external_id), count(DISTINCT code) FROM cases"
        ).fetchone()
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert cases == keys == codes == total
