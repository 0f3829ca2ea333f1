"""Importing history (issue 13): last month's closed complaints come across as what they were —
status, owner, resolution, compensation, the customer's answer, their times — replayed through
the lifecycle's one door, so deadlines, the ledger and the history are what typing them in would
have made; `sla check` afterwards does not escalate a closed case."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from conftest import Desk
from conftest import cli_run as run
from sqlmodel import col, select
from test_import import run_import, write_csv

from kefu.core import lifecycle
from kefu.core.models import Breach, Deadline, Event

HEADER = ["工单号", "渠道", "投诉内容", "投诉时间", "问题类型", "责任方", "处理部门", "状态", "处理人",
          "首次响应时间", "解决方案", "补偿金额", "补偿方式", "解决时间", "是否满意", "评分",
          "结案时间"]  # fmt: skip
BASE = {"渠道": "hotline", "问题类型": "delay", "责任方": "courier", "处理部门": "cs"}
ROWS = [
    {**BASE, "工单号": "H1", "投诉内容": "包裹延误一周", "投诉时间": "2026-11-02 10:00", "状态": "已结案",
     "处理人": "alice", "首次响应时间": "2026-11-02 15:00", "解决方案": "apology",
     "解决时间": "2026-11-03 15:00", "是否满意": "是", "评分": "5", "结案时间": "2026-11-04 10:00"},
    {**BASE, "工单号": "H2", "投诉内容": "快件破损", "投诉时间": "2026-11-20 10:00", "状态": "处理中",
     "处理人": "bob", "首次响应时间": "2026-11-20 10:05"},
    {**BASE, "工单号": "H3", "投诉内容": "没有结案时间", "投诉时间": "2026-11-05 10:00", "状态": "closed",
     "处理人": "alice", "解决方案": "apology", "解决时间": "2026-11-06 10:00", "是否满意": "是"},
    {**BASE, "工单号": "H4", "投诉内容": "审批中", "投诉时间": "2026-11-05 10:00", "状态": "待审批",
     "处理人": "alice"},
    {**BASE, "工单号": "H5", "投诉内容": "时间颠倒", "投诉时间": "2026-11-05 10:00", "状态": "处理中",
     "处理人": "alice", "首次响应时间": "2026-11-04 10:00"},
    {**BASE, "工单号": "H6", "投诉内容": "不满意仍结案", "投诉时间": "2026-11-05 10:00", "状态": "已结案",
     "处理人": "alice", "解决方案": "apology", "解决时间": "2026-11-06 10:00", "是否满意": "否",
     "结案时间": "2026-11-07 10:00"},
    {**BASE, "工单号": "H7", "投诉内容": "处理人不是用户", "投诉时间": "2026-11-05 10:00", "状态": "处理中",
     "处理人": "nobody"},
]  # fmt: skip


def _import(desk: Desk, tmp_path: Path) -> Any:
    sheet = write_csv(tmp_path / "last_month.csv", ROWS, header=HEADER)
    return run_import(desk, sheet, who="sue", errors_path=tmp_path / "rejected.csv")


def test_closed_and_open_history_comes_across_as_it_was(cli_desk: Desk, tmp_path: Path) -> None:
    report = _import(cli_desk, tmp_path)
    assert (report.imported, report.rejected) == (2, 5)
    why = {e.line: (e.field, e.reason) for e in report.errors}
    assert why[7][0] == "是否满意" and "kefu reopens such a case" in why[7][1]
    assert why[8][0] == "处理人" and "nobody" in why[8][1]  # refused by the lifecycle, at replay
    with (tmp_path / "rejected.csv").open(encoding="utf-8-sig") as f:
        rejected = list(csv.DictReader(f))
    assert sorted(int(r["error_line"]) for r in rejected) == [4, 5, 6, 7, 8]  # the replay's too
    assert next(r for r in rejected if r["工单号"] == "H7")["error_field"] == "处理人"
    assert why[4] == ("结案时间", "a case imported as closed needs its closed_at")
    assert why[5][0] == "状态" and "status '待审批' cannot be brought across" in why[5][1]
    assert why[6] == ("首次响应时间", "first_response_at is before received_at")
    with cli_desk.read() as session:
        closed = session.exec(select(lifecycle.Case).where(lifecycle.Case.external_id == "H1")).one()
        assert (
            closed.status,
            closed.owner,
            closed.resolution,
            closed.satisfied,
            closed.satisfaction_score,
        ) == ("closed", "alice", "apology", True, 5)
        assert closed.closed_at.isoformat().startswith("2026-11-04T02:00")  # 10:00 in Shanghai
        assert closed.first_response_at.isoformat().startswith("2026-11-02T07:00")
        records = session.exec(select(Deadline).where(Deadline.case_id == closed.id)).all()
        assert {r.clock: r.met_at is not None for r in records} == {
            "first_response": True,
            "resolution": True,
        }
        actions = [
            e.action
            for e in session.exec(select(Event).where(Event.case_id == closed.id).order_by(col(Event.id)))
        ]
        assert actions == ["create", "assign", "contact", "propose", "confirm", "breach"]
        open_case = session.exec(select(lifecycle.Case).where(lifecycle.Case.external_id == "H2")).one()
        assert (open_case.status, open_case.owner) == ("in_progress", "bob")
    # A deadline met late is the breach sla check would have recorded then; nothing escalated.
    with cli_desk.read() as session:
        late = session.exec(select(lifecycle.Case).where(lifecycle.Case.external_id == "H1")).one()
        breaches = session.exec(select(Breach).where(Breach.case_id == late.id)).all()
        assert [b.kind for b in breaches] == ["first_response"]  # due 12:00 (2bh), answered at 15:00
        assert breaches[0].recorded_at == breaches[0].due_at
        assert late.status == "closed" and late.escalated_at is None
    # The SLA check afterwards: the closed case is history, not work.
    checked = json.loads(run(cli_desk, "--as", "sue", "sla", "check", "--json").stdout)
    assert closed.code not in json.dumps(checked)
    # Imported again: present, nothing replayed twice.
    again = _import(cli_desk, tmp_path)
    assert (again.imported, again.already_present) == (0, 2)
    with cli_desk.read() as session:
        assert len(session.exec(select(Event).where(Event.case_id == closed.id)).all()) == 6
