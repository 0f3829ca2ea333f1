"""Severity from the complaint (issue 13): a category, sub-category or channel may set a minimum
severity and escalate on intake — the mall's personal-safety classes, the express data-leak
class, regulator referrals — typed in, imported or triaged alike."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from conftest import NOW, Desk, make_desk
from sqlmodel import col, select
from test_import import run_import, write_csv

from kefu.core import intake, lifecycle
from kefu.core.models import Case, Event
from kefu.core.policy import PolicyError, load_profile_text, resolve_profile_source
from kefu.core.workflow import Status

PROFILES = Path(__file__).resolve().parents[1] / "sample_data" / "profiles"


def _desk(tmp_path: Path, profile: str) -> Desk:
    return make_desk(tmp_path / "kefu.db", profile=PROFILES / f"{profile}.toml", department=None)


def test_a_child_hurt_on_the_escalator_is_p1_and_escalated_whatever_was_picked(tmp_path: Path) -> None:
    desk = _desk(tmp_path, "mall")
    with desk.write() as session:
        case = intake.create_case(
            session=session, actor=desk.user("alice"), now=NOW, channel="服务台", severity="P3",
            category="safety", subcategory="摔伤", description="孩子在扶梯摔伤流血",
        )  # fmt: skip
    assert (case.severity, case.status) == ("P1", Status.ESCALATED)
    with desk.read() as session:
        events = session.exec(select(Event).where(Event.case_id == case.id).order_by(col(Event.id))).all()
    assert [e.action for e in events] == ["create", "escalate"]


def test_a_data_leak_and_a_regulator_referral_escalate_at_a_floor_severity(tmp_path: Path) -> None:
    desk = _desk(tmp_path, "express")
    with desk.write() as session:
        leak = intake.create_case(
            session=session, actor=desk.user("alice"), now=NOW, channel="电话", severity="P3",
            category="info_error", subcategory="data_leak", description="我的地址电话被人拿去发广告",
        )  # fmt: skip
        referral = intake.create_case(
            session=session, actor=desk.user("alice"), now=NOW, channel="12305", severity="P3",
            description="邮政管理局转来：快件丢失一周无人处理",
        )  # fmt: skip
        plain = intake.create_case(
            session=session, actor=desk.user("alice"), now=NOW, channel="电话", severity="P3",
            category="info_error", subcategory="tracking_wrong", description="单号查不到",
        )  # fmt: skip
    assert (leak.severity, leak.status) == ("P2", Status.ESCALATED)
    assert (referral.severity, referral.status) == ("P2", Status.ESCALATED)
    assert (plain.severity, plain.status) == ("P3", Status.TRIAGED if plain.party else Status.NEW)


def test_triage_into_a_class_with_a_floor_raises_the_severity(tmp_path: Path) -> None:
    desk = _desk(tmp_path, "mall")
    with desk.write() as session:
        code = intake.create_case(
            session=session, actor=desk.user("alice"), now=NOW, channel="hotline", description="消防通道被堵"
        ).code
    with desk.write() as session:
        case = lifecycle.move_case(
            session=session, code=code, action="triage", actor=desk.user("carol"),
            now=NOW + timedelta(minutes=5), category="safety", subcategory="fire_hazard", severity="P3",
            complexity="simple", party="merchant", department="security",
        )  # fmt: skip
    assert (case.severity, case.status) == ("P1", Status.ESCALATED)  # P1 escalates in the mall


def test_an_unknown_floor_is_refused_with_its_line() -> None:
    text, _ = resolve_profile_source("mall")
    broken = text.replace('min_severity = "P2"   # 安全保障类: never below P2', 'min_severity = "P0"')
    assert broken != text
    with pytest.raises(PolicyError) as refused:
        load_profile_text(broken, "mall.toml")
    assert "taxonomy.safety.min_severity: min_severity 'P0' is not one of this policy's severities" in str(
        refused.value
    )


def test_an_import_of_regulator_referrals_escalates_them(tmp_path: Path) -> None:
    desk = _desk(tmp_path, "ecommerce")
    header = ["external_id", "channel", "description", "received_at"]
    rows = [
        {
            "external_id": "R1",
            "channel": "12315",
            "description": "市场监管局转办",
            "received_at": "2026-11-20 10:00",
        }
    ]
    assert run_import(desk, write_csv(tmp_path / "r.csv", rows, header=header)).imported == 1
    with desk.read() as session:
        case = session.exec(select(Case).where(Case.external_id == "R1")).one()
    assert (case.severity, case.status) == ("P2", Status.ESCALATED)


def test_reclassify_cannot_take_a_case_below_its_class_floor(tmp_path: Path) -> None:
    desk = _desk(tmp_path, "mall")
    with desk.write() as session:
        code = intake.create_case(
            session=session, actor=desk.user("alice"), now=NOW, channel="desk", severity="P3",
            category="safety", subcategory="injury", description="孩子在扶梯摔伤流血",
        ).code  # fmt: skip
    with desk.write() as session:
        case = lifecycle.move_case(
            session=session, code=code, action="reclassify", actor=desk.user("sue"),
            now=NOW + timedelta(hours=1), category="safety", subcategory="injury", severity="P3",
            complexity="complex", note="轻伤",
        )  # fmt: skip
    assert case.severity == "P1"  # still the class's floor; the complexity change went through


def test_case_new_says_what_the_policy_did(tmp_path: Path) -> None:
    from conftest import cli_run as run

    from kefu.core import services
    from kefu.core.identity import os_login

    desk = _desk(tmp_path, "mall")
    with desk.write() as session:
        services.add_user(session=session, actor=desk.user("admin"), name=os_login(), role="admin", now=NOW)
    done = run(desk, "case", "new", "--channel", "服务台", "--category", "安全保障类",
               "--subcategory", "人身伤害", "--severity", "P3", "-d", "孩子在扶梯摔伤流血")  # fmt: skip
    assert done.exit_code == 0
    assert "note: the policy makes this complaint at least P1 and escalates it at once" in done.stderr
