"""Spot checks: reproducible samples of closed cases, scoring against the checklist,
the per-agent report, roles, and the `kefu audit` commands."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import MINI_PROFILE, NOW, Desk, make_desk
from typer.testing import CliRunner

from kefu.cli import app
from kefu.core import audit, lifecycle, policies, reports
from kefu.core.errors import InvalidInput, NotFound, PermissionDenied
from kefu.core.models import AuditBatch, Case

NOVEMBER = reports.make_period(date(2026, 11, 1), date(2026, 11, 30), "Asia/Shanghai")
LATER = NOW + timedelta(days=10)
AGENTS = ("alice", "bob", "hank")


def add_closed(desk: Desk, count: int, *, start: int = 0, closed_day: int = 10) -> list[str]:
    """`count` cases closed in November, owned in turn by alice, bob and hank."""
    codes = []
    with desk.write() as session:
        version, _ = policies.policy_in_force(session, NOW)
        for i in range(start, start + count):
            received = datetime(2026, 11, closed_day, 1, 0, tzinfo=UTC) - timedelta(days=1)
            case = Case(
                code=f"T-AUD-{i:04d}",
                policy_version_id=version.id,  # type: ignore[arg-type]
                status="closed",
                channel="hotline",
                description="test",
                received_at=received,
                created_by="alice",
                severity="P3",
                owner=AGENTS[i % 3],
                closed_at=received + timedelta(days=1),
                close_reason="confirmed",
                updated_at=received,
            )
            session.add(case)
            codes.append(case.code)
        if start:
            return codes
        # an open case and one closed in October are never drawn
        session.add(Case(code="T-AUD-OPEN", policy_version_id=version.id, status="in_progress",  # type: ignore[arg-type]
                         channel="hotline", description="x", received_at=NOW, created_by="alice",
                         severity="P3", owner="alice", updated_at=NOW))  # fmt: skip
        october = datetime(2026, 10, 20, 2, 0, tzinfo=UTC)
        session.add(Case(code="T-AUD-OCT", policy_version_id=version.id, status="closed",  # type: ignore[arg-type]
                         channel="hotline", description="x", received_at=october,
                         created_by="alice", severity="P3", owner="alice", closed_at=october,
                         updated_at=october))  # fmt: skip
    return codes


def draw(desk: Desk, n: int, seed: int | None, by_agent: bool = False, who: str = "aud") -> Any:
    with desk.write() as session:
        batch, drawn = audit.draw_sample(session=session, actor=desk.user(who), now=LATER,
                                         period=NOVEMBER, n=n, by_agent=by_agent, seed=seed)  # fmt: skip
        return batch.id, batch.seed, [d.code for d in drawn], [d.agent for d in drawn]


def expected_sample(codes: list[str], seed: int, n: int) -> list[str]:
    """The draw rule written out: lowest SHA-256 of "seed:code" first."""
    return sorted(codes, key=lambda c: hashlib.sha256(f"{seed}:{c}".encode()).hexdigest())[:n]


def test_same_seed_same_data_same_sample(desk: Desk) -> None:
    codes = add_closed(desk, 30)
    first_id, seed, first, _ = draw(desk, 5, seed=42)
    second_id, _, second, _ = draw(desk, 5, seed=42)
    assert first == second == expected_sample(codes, 42, 5)
    assert first_id != second_id  # each draw is its own stored batch
    assert draw(desk, 5, seed=43)[2] == expected_sample(codes, 43, 5) != first
    with desk.read() as session:
        batch = session.get(AuditBatch, first_id)
        assert batch is not None
        assert (batch.seed, batch.size, batch.population, batch.drawn_by) == (42, 5, 30, "aud")
        assert (batch.period_from, batch.period_to) == ("2026-11-01", "2026-11-30")
        assert [c["code"] for c in audit.batch_cases(session, batch)] == first


def test_a_later_case_does_not_reshuffle_the_sample(desk: Desk) -> None:
    codes = add_closed(desk, 30)
    before = set(draw(desk, 5, seed=7)[2])
    more = add_closed(desk, 1, start=30)
    after = set(draw(desk, 5, seed=7)[2])
    assert after == set(expected_sample(codes + more, 7, 5))
    assert after - before <= set(more) and len(before - after) <= 1


def test_spam_and_duplicate_rejections_are_not_drawn(desk: Desk) -> None:
    codes = add_closed(desk, 6)
    rejected = add_closed(desk, 2, start=6)
    with desk.write() as session:
        for code, reason in zip(rejected, ("spam", "duplicate"), strict=True):
            case = lifecycle.get_case(session, code)
            case.close_reason, case.owner = reason, None
            session.add(case)
    batch_id, _, drawn, agents = draw(desk, 50, seed=3)
    assert sorted(drawn) == sorted(codes)
    assert None not in agents
    with desk.read() as session:
        batch = session.get(AuditBatch, batch_id)
        assert batch is not None and batch.population == 6


def test_without_a_seed_one_is_chosen_and_stored(desk: Desk) -> None:
    codes = add_closed(desk, 12)
    _, seed, drawn, _ = draw(desk, 4, seed=None)
    assert drawn == expected_sample(codes, seed, 4)


def test_by_agent_draws_n_from_each_agent(desk: Desk) -> None:
    codes = add_closed(desk, 30)
    _, _, drawn, agents = draw(desk, 2, seed=99, by_agent=True)
    assert agents == ["alice", "alice", "bob", "bob", "hank", "hank"]
    for i, agent in enumerate(AGENTS):
        own = [c for j, c in enumerate(codes) if j % 3 == i]
        assert drawn[2 * i : 2 * i + 2] == expected_sample(own, 99, 2), agent
    # asking for more than an agent has takes all of theirs
    assert len(draw(desk, 50, seed=1, by_agent=True)[2]) == 30


def test_only_auditors_and_admins_draw_and_score(desk: Desk) -> None:
    codes = add_closed(desk, 3)
    for who in ("alice", "ana", "sue"):
        with pytest.raises(PermissionDenied, match="draw audit samples"):
            draw(desk, 1, seed=1, who=who)
    draw(desk, 3, seed=1, who="admin")
    with desk.write() as session, pytest.raises(PermissionDenied, match="score"):
        audit.score_case(session=session, actor=desk.user("ana"), now=LATER, code=codes[0],
                         items={"recorded_complete": 2})  # fmt: skip
    with desk.read() as session, pytest.raises(PermissionDenied, match="audit reports"):
        audit.audit_report(session=session, actor=desk.user("alice"), now=LATER)
    with desk.read() as session:
        assert audit.audit_report(session=session, actor=desk.user("sue"), now=LATER)["agents"]


def score(desk: Desk, code: str, note: str | None = None, batch: int | None = None,
          **items: int) -> None:  # fmt: skip
    with desk.write() as session:
        audit.score_case(session=session, actor=desk.user("aud"), now=LATER, code=code,
                         items=items, note=note, batch_id=batch)  # fmt: skip


def test_scores_are_checked_against_the_checklist(desk: Desk) -> None:
    codes = add_closed(desk, 6)
    _, _, drawn, _ = draw(desk, 3, seed=5)
    outside = next(c for c in codes if c not in drawn)
    with pytest.raises(NotFound, match="not in any audit sample"):
        score(desk, outside, recorded_complete=2)
    with pytest.raises(InvalidInput, match="unknown checklist item 'speed'"):
        score(desk, drawn[0], speed=2)
    with pytest.raises(InvalidInput, match="from 0 to 2"):
        score(desk, drawn[0], recorded_complete=3)
    with pytest.raises(InvalidInput, match="at least one"):
        score(desk, drawn[0])
    with pytest.raises(NotFound, match="batch 99"):
        score(desk, drawn[0], batch=99, recorded_complete=1)
    score(desk, drawn[0], recorded_complete=1, note="address missing")
    score(desk, drawn[0], recorded_complete=2)  # a second scoring replaces the first
    with desk.read() as session:
        case = audit.batch_cases(session, audit.get_batch(session, desk.user("aud"), None))[0]
    assert case["scores"] == {"recorded_complete": 2}
    assert case["note"] == "address missing" and case["scored_by"] == "aud"
    with pytest.raises(InvalidInput, match="ITEM=POINTS"):
        audit.parse_items(["recorded_complete"])
    assert audit.parse_items(["a=1", " b = 2 "]) == {"a": 1, "b": 2}


def test_audit_refusals_read_in_chinese(desk: Desk) -> None:
    add_closed(desk, 3)
    with pytest.raises(PermissionDenied) as refused:
        draw(desk, 1, seed=1, who="alice")
    assert refused.value.message == "an agent may not draw audit samples (roles allowed: admin, auditor)"
    assert refused.value.text("zh") == "售后客服专员无权抽取抽检样本（允许的角色：管理员、内部监督小组）"
    with pytest.raises(InvalidInput) as too_many:
        draw(desk, 0, seed=1)
    assert (too_many.value.field, too_many.value.text("zh")) == ("n", "--n 须在 1 到 1000 之间，不能是 0")
    _, _, drawn, _ = draw(desk, 1, seed=1)
    with pytest.raises(InvalidInput) as unknown:
        score(desk, drawn[0], speed=2)
    assert unknown.value.field == "item"
    assert unknown.value.text("zh").startswith("没有「speed」这个检查项；检查项有：recorded_complete、")
    with pytest.raises(InvalidInput) as bad_pair:
        audit.parse_items(["recorded_complete"])
    assert bad_pair.value.text("zh") == (
        "--item「recorded_complete」：请写成 ITEM=POINTS，例如 recorded_complete=2"
    )


def test_the_policy_checklist_is_used_when_it_has_one(tmp_path: Path) -> None:
    profile = tmp_path / "audited.toml"
    profile.write_text(
        MINI_PROFILE.read_text(encoding="utf-8") + '\n[audit_checklist.polite]\nen = "Polite"\nzh = "礼貌"\n',
        encoding="utf-8",
    )
    desk = make_desk(tmp_path / "kefu.db", profile=profile)
    try:
        add_closed(desk, 2)
        _, _, drawn, _ = draw(desk, 1, seed=3)
        with pytest.raises(InvalidInput, match="items are: polite"):
            score(desk, drawn[0], recorded_complete=2)
        score(desk, drawn[0], polite=2)
    finally:
        desk.engine.dispose()


def test_per_agent_report(desk: Desk) -> None:
    add_closed(desk, 9)
    _, _, drawn, agents = draw(desk, 2, seed=11, by_agent=True)
    alice1, alice2, bob1, _bob2, hank1, hank2 = drawn
    assert agents[0] == "alice" and agents[2] == "bob" and agents[4] == "hank"
    score(desk, alice1, recorded_complete=2, classified_correctly=1)  # 3 of 4
    score(desk, alice2, recorded_complete=0, classified_correctly=2)  # 2 of 4
    score(desk, bob1, recorded_complete=2)  # 2 of 2
    with desk.read() as session:
        result = audit.audit_report(session=session, actor=desk.user("aud"), now=LATER)
    rows = {r["agent"]: r for r in result["agents"]}
    assert rows["alice"]["drawn"] == 2 and rows["alice"]["scored"] == 2
    assert (rows["alice"]["points"], rows["alice"]["possible"]) == (5, 8)
    assert rows["alice"]["percent"] == 62.5
    assert rows["alice"]["items"]["recorded_complete"] == {"points": 2, "possible": 4,
                                                           "percent": 50.0}  # fmt: skip
    assert rows["alice"]["items"]["classified_correctly"]["percent"] == 75.0
    assert (rows["bob"]["drawn"], rows["bob"]["scored"], rows["bob"]["percent"]) == (2, 1, 100.0)
    assert rows["hank"]["scored"] == 0 and rows["hank"]["percent"] is None
    assert result["total"] == {"drawn": 6, "scored": 3, "points": 7, "possible": 10,
                               "percent": 70.0}  # fmt: skip
    assert list(result["checklist"]) == list(audit.DEFAULT_CHECKLIST)  # mini has no checklist
    # a second batch counts separately when asked for by number
    second, _, _, _ = draw(desk, 1, seed=12)
    with desk.read() as session:
        only = audit.audit_report(session=session, actor=desk.user("aud"), now=LATER,
                                  batch_id=second)  # fmt: skip
    assert only["total"]["drawn"] == 1 and only["total"]["scored"] == 0
    del hank1, hank2


# -- commands ----------------------------------------------------------------------------------

runner = CliRunner(env={"COLUMNS": "200", "KEFU_DB": None})


def kefu(db: Path, *args: str) -> Any:
    return runner.invoke(app, ["--db", str(db), *args])


def test_audit_commands(tmp_path: Path) -> None:
    db = tmp_path / "kefu.db"
    assert kefu(db, "init", "--profile", str(MINI_PROFILE)).exit_code == 0
    for name, role in [("alice", "agent"), ("aud", "auditor"), ("ana", "analyst")]:
        assert kefu(db, "user", "add", name, "--role", role).exit_code == 0
    codes = []
    for phone in ("13800000001", "13800000002", "13800000003"):
        code = kefu(db, "--as", "alice", "case", "new", "--channel", "hotline", "--phone", phone,
                    "-d", "late", "--category", "delay", "--party", "courier",
                    "--department", "cs").stdout.strip()  # fmt: skip
        for action, extra in [("claim", ()), ("propose", ("--resolution", "apology")),
                              ("confirm", ("--satisfied", "yes"))]:  # fmt: skip
            moved = kefu(db, "--as", "alice", "case", "move", code, action, *extra)
            assert moved.exit_code == 0, moved.output
        codes.append(code)
    first = kefu(db, "--as", "aud", "audit", "sample", "--n", "2", "--seed", "8", "--json")
    assert first.exit_code == 0, first.output
    again = kefu(db, "--as", "aud", "audit", "sample", "--n", "2", "--seed", "8", "--json")
    one, two = json.loads(first.stdout), json.loads(again.stdout)
    assert [c["code"] for c in one["cases"]] == [c["code"] for c in two["cases"]]
    assert [c["code"] for c in one["cases"]] == expected_sample(codes, 8, 2)
    assert one["population"] == 3 and two["batch"] == one["batch"] + 1
    sampled = one["cases"][0]["code"]
    scored = kefu(db, "--as", "aud", "audit", "score", sampled, "--item", "recorded_complete=2",
                  "--item", "resolution_fair=1", "--note", "ok")  # fmt: skip
    assert scored.exit_code == 0, scored.output
    shown = json.loads(kefu(db, "--as", "aud", "audit", "show", "--json").stdout)
    assert shown["batch"] == two["batch"]
    assert shown["cases"][0]["scores"] == {"recorded_complete": 2, "resolution_fair": 1}
    assert shown["cases"][0]["closed_at"].endswith("+08:00")
    result = json.loads(kefu(db, "--as", "aud", "audit", "report", "--json").stdout)
    assert result["agents"][0]["agent"] == "alice"
    assert (result["total"]["points"], result["total"]["possible"]) == (3, 4)
    table = kefu(db, "--as", "aud", "audit", "report")
    assert table.exit_code == 0 and "75.0%" in table.stdout
    refused = kefu(db, "--as", "ana", "audit", "sample", "--n", "2")
    assert refused.exit_code == 2 and "may not draw" in refused.stderr and not refused.stdout
    bad = kefu(db, "--as", "aud", "audit", "score", sampled, "--item", "recorded_complete")
    assert bad.exit_code == 2 and "ITEM=POINTS" in bad.stderr
