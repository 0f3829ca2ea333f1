"""Changed rows (issue 13): re-importing an export whose rows changed since says which rows and
fields, instead of "already present" without a word; `--update` applies the contact and goods
dates as corrections (an update event each, through the correction path); the export's own
ticket number finds the case."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import Desk
from conftest import cli_run as run
from sqlmodel import col, select
from test_import import run_import, write_csv

from kefu.core import lifecycle
from kefu.core.models import Event

HEADER = [
    "external_id",
    "channel",
    "customer_name",
    "customer_phone",
    "description",
    "received_at",
    "delivered_on",
]
FIRST = [
    {"external_id": "T-1001", "channel": "hotline", "customer_name": "王芳", "customer_phone": "13800001111",
     "description": "包裹延误", "received_at": "2026-11-20 10:00", "delivered_on": "2026-11-18"},
    {"external_id": "T-1002", "channel": "hotline", "customer_name": "李雷", "customer_phone": "13800002222",
     "description": "包裹破损", "received_at": "2026-11-20 11:00", "delivered_on": ""},
]  # fmt: skip


def _export(tmp_path: Path, rows: list[dict[str, str]]) -> Path:
    return write_csv(tmp_path / "platform.csv", rows, header=HEADER)


def test_a_changed_row_is_named_and_applied_only_when_asked(cli_desk: Desk, tmp_path: Path) -> None:
    assert run_import(cli_desk, _export(tmp_path, FIRST)).imported == 2
    later = [dict(FIRST[0], customer_phone="13900009999", delivered_on="2026-11-19"), dict(FIRST[1])]
    report = run_import(cli_desk, _export(tmp_path, later))
    assert (report.imported, report.already_present, report.changed_count, report.updated) == (0, 2, 1, 0)
    (changed,) = report.changed
    assert changed.line == 2 and changed.external_id == "T-1001"
    assert changed.fields == {"customer_phone": ("13800001111", "13900009999"),
                              "delivered_on": ("2026-11-18", "2026-11-19")}  # fmt: skip
    assert (
        "1 row(s) already present have changed since (customer_phone, delivered_on): `--update` applies"
        in (report.summary())
    )
    with cli_desk.read() as session:
        assert lifecycle.get_case(session, changed.code).customer_phone == "13800001111"  # not applied
    updated = run_import(cli_desk, _export(tmp_path, later), update=True)
    assert (updated.changed_count, updated.updated, updated.rejected) == (1, 1, 0)
    assert "1 updated as corrections" in updated.summary()
    with cli_desk.read() as session:
        case = lifecycle.get_case(session, changed.code)
        assert (case.customer_phone, str(case.delivered_on)) == ("13900009999", "2026-11-19")
        notes = [
            e.note
            for e in session.exec(select(Event).where(Event.case_id == case.id).order_by(col(Event.id)))
        ]
    assert "platform.csv:2" in notes
    again = run_import(cli_desk, _export(tmp_path, later), update=True)
    assert (again.changed_count, again.updated) == (0, 0)  # nothing left to apply


def test_the_export_s_ticket_number_finds_the_case(cli_desk: Desk, tmp_path: Path) -> None:
    run_import(cli_desk, _export(tmp_path, FIRST))
    found = json.loads(run(cli_desk, "--as", "alice", "case", "list", "--search", "T-1002", "--json").stdout)
    assert [c["customer"]["name"] for c in found] == ["李雷"]
