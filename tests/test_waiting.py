"""Waiting for the customer has limits (`[waiting]`): the express profile reminds after 1wd
and closes after 3wd without an answer ("no_response"); the mall's escalates after 5wd. The
SLA clocks stay stopped while the case waits; `sla check` acts once per wait."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from conftest import Desk, make_desk
from conftest import cli_run as run
from freezegun import freeze_time

from kefu.core import deadlines, lifecycle, services
from kefu.core.identity import os_login
from kefu.core.policy import bundled_profiles_dir

SH = ZoneInfo("Asia/Shanghai")


def sh(*args: int) -> datetime:
    return datetime(*args, tzinfo=SH)


def desk_of(tmp_path: Path, name: str) -> Desk:
    department = "cs" if name == "express" else None
    desk = make_desk(
        tmp_path / "kefu.db", bundled_profiles_dir() / f"{name}.toml", sh(2026, 11, 1, 9), department
    )
    with desk.write() as session:
        services.add_user(
            session=session, actor=desk.user("admin"), name=os_login(), role="admin", now=sh(2026, 11, 1, 9)
        )
    return desk


@pytest.fixture
def express(tmp_path: Path) -> Iterator[Desk]:
    desk = desk_of(tmp_path, "express")
    yield desk
    desk.engine.dispose()


def at(desk: Desk, when: datetime, *args: str, code: int = 0) -> str:
    with freeze_time(when):
        result = run(desk, *args)
    assert result.exit_code == code, result.output
    return result.stdout


def parked(desk: Desk, **extra: str) -> str:
    """P3 received Mon 2 Nov 09:00 (resolution 1wd: Tue 3 Nov 18:00), waiting from 10:00."""
    out = at(desk, sh(2026, 11, 2, 9), "--as", "alice", "case", "new", "--channel", "hotline",
             "-d", "要补充单号", "--category", extra.get("category", "delay"), "--party", "courier",
             "--department", "cs", "--severity", "P3", "--json")  # fmt: skip
    code = str(json.loads(out)["code"])
    at(desk, sh(2026, 11, 2, 9, 30), "--as", "alice", "case", "move", code, "claim")
    at(desk, sh(2026, 11, 2, 10), "--as", "alice", "case", "move", code, "wait", "--note", "请客户提供单号")
    return code


def test_a_wait_is_reminded_once_then_closed_without_an_answer(express: Desk) -> None:
    code = parked(express)
    shown = json.loads(at(express, sh(2026, 11, 2, 11), "--as", "alice", "case", "show", code, "--json"))
    assert shown["waiting"] == {
        "since": "2026-11-02T10:00:00+08:00",
        "remind_at": "2026-11-03T18:00:00+08:00",
        "give_up_at": "2026-11-05T18:00:00+08:00",
        "stage": "waiting",
        "on_give_up": "close",
    }
    quiet = json.loads(at(express, sh(2026, 11, 3, 12), "sla", "check", "--json"))
    assert quiet["waiting"] == []
    first = json.loads(at(express, sh(2026, 11, 4, 9), "sla", "check", "--json"))
    assert first["waiting"] == [
        {"code": code, "waiting_since": "2026-11-02T10:00:00+08:00", "did": "reminded", "owner": "alice"}
    ]
    again = json.loads(at(express, sh(2026, 11, 4, 10), "sla", "check", "--json"))
    assert again["waiting"] == []  # once per wait
    listed = {
        c["code"]: c
        for c in json.loads(at(express, sh(2026, 11, 4, 10), "--as", "alice", "case", "list", "--json"))
    }
    assert listed[code]["waiting"]["stage"] == "remind"

    closed = json.loads(at(express, sh(2026, 11, 5, 18, 5), "sla", "check", "--json"))
    assert [w["did"] for w in closed["waiting"]] == ["closed"]
    shown = json.loads(at(express, sh(2026, 11, 6, 9), "--as", "alice", "case", "show", code, "--json"))
    assert (shown["status"], shown["close_reason"], shown["waiting"]) == ("closed", "no_response", None)
    actions = [e["action"] for e in shown["history"]]
    assert actions.count("reminder") == 1 and actions[-1] == "close"
    assert shown["revisits"] == []  # nobody to call back
    # The clocks stopped at 10:00 on Monday were met by the close, not missed while waiting.
    with express.read() as session:
        rows = deadlines.case_rows(session, lifecycle.get_case(session, code).id)
        resolution = next(r for r in rows if r.clock == "resolution")
        assert resolution.met_at == sh(2026, 11, 5, 18, 5) and resolution.due_at > resolution.met_at
        assert deadlines.on_time(resolution)
    text = at(express, sh(2026, 11, 6, 9), "--as", "alice", "--lang", "zh", "case", "show", code)
    assert "等待客户回复已满 3wd，仍无回音：按规定结案" in text


def test_an_answer_in_time_stops_the_countdown(express: Desk) -> None:
    code = parked(express)
    at(express, sh(2026, 11, 4, 9), "sla", "check")
    at(express, sh(2026, 11, 4, 11), "--as", "alice", "case", "move", code, "resume")
    later = json.loads(at(express, sh(2026, 11, 9, 10), "sla", "check", "--json", code=1))
    assert later["waiting"] == []  # (its clocks run again, and nobody worked it: breached)
    shown = json.loads(at(express, sh(2026, 11, 9, 10), "--as", "alice", "case", "show", code, "--json"))
    assert shown["status"] in ("in_progress", "escalated")


def test_the_mall_escalates_a_wait_it_gives_up_on(tmp_path: Path) -> None:
    desk = desk_of(tmp_path, "mall")
    out = at(desk, sh(2026, 11, 2, 9), "--as", "alice", "case", "new", "--channel", "desk",
             "-d", "商品质量问题，等顾客带发票", "--severity", "P3", "--category", "product_quality",
             "--party", "merchant", "--department", "service_desk", "--json")  # fmt: skip
    code = json.loads(out)["code"]
    at(desk, sh(2026, 11, 2, 9, 30), "--as", "alice", "case", "move", code, "claim")
    at(desk, sh(2026, 11, 2, 10), "--as", "alice", "case", "move", code, "wait", "--note", "等发票")
    result = json.loads(at(desk, sh(2026, 11, 9, 22, 5), "sla", "check", "--json"))
    assert [w["did"] for w in result["waiting"]] == ["escalated"]
    shown = json.loads(at(desk, sh(2026, 11, 9, 22, 10), "--as", "alice", "case", "show", code, "--json"))
    assert shown["status"] == "escalated" and shown["waiting"] is None
    assert shown["due"]["resolution"]["state"] != "paused"
    desk.engine.dispose()
