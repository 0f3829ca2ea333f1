"""The four bundled policy profiles and their sample desks (sample_data/).

Every profile must load, carry its seed's domain content and legal deadlines; every sample file
must use only codes of its own profile and only its own sample users, and must replay through
the real service layer into every lifecycle state; a broken profile must be refused with the
file name and the line of the mistake.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from kefu.core.errors import PolicyError
from kefu.core.messages import Message
from kefu.core.policy import Profile, bundled_profiles_dir, load_profile_file
from kefu.core.workflow import (
    COMPLEXITIES,
    CONTACT_KINDS,
    INTAKE_ROLES,
    REJECT_REASONS,
    REVISIT_OUTCOMES,
    Role,
    Status,
    transitions_for,
)

PROFILES = ("ecommerce", "express", "livestream", "mall")
SAMPLES_DIR = bundled_profiles_dir().parent / "samples"

INTAKE_KEYS = {
    "channel",
    "customer_name",
    "customer_phone",
    "customer_email",
    "order_no",
    "target",
    "target_name",
    "description",
    "incident_at_ago_hours",
    "delivered_on_days_before",
    "returned_on_days_before",
    "incident_place",
    "demand",
    "severity",
    "created_by",
    "category",
    "subcategory",
    "party",
    "department",
    "complexity",
}
STEP_KEYS = {
    "contact": {"note", "contact", "phrase"},
    "note": {"note"},
    "triage": {"category", "subcategory", "severity", "complexity", "party", "department", "note"},
    "claim": {"note"},
    "assign": {"owner", "note"},
    "escalate": {"note"},
    "wait": {"note"},
    "resume": {"note"},
    "propose": {"resolution", "amount", "compensation_kind", "note"},
    "approve": {"note"},
    "deny": {"note"},
    "confirm": {"satisfied", "score", "note"},
    "reject": {"reason", "duplicate_of", "note"},
    "reopen": {"note"},
    "revisit": {"outcome", "score", "note"},
}
CASE_OWNERS = {Role.AGENT, Role.HANDLER, Role.SUPERVISOR}


def profile_path(name: str) -> Path:
    return bundled_profiles_dir() / f"{name}.toml"


@pytest.fixture(scope="module", params=PROFILES)
def profile(request: pytest.FixtureRequest) -> Profile:
    return load_profile_file(profile_path(request.param))


def load_samples(name: str) -> dict[str, Any]:
    return json.loads((SAMPLES_DIR / f"{name}.json").read_text(encoding="utf-8"))


# -- the profiles ------------------------------------------------------------------------


def test_every_bundled_profile_loads() -> None:
    found = sorted(p.stem for p in bundled_profiles_dir().glob("*.toml"))
    assert found == sorted(PROFILES)
    for name in PROFILES:
        loaded = load_profile_file(profile_path(name))
        assert loaded.name == name
        assert loaded.profile.language == "zh"
        assert re.search("[\u4e00-\u9fff]", loaded.profile.source)  # the document it follows, by title
        assert loaded.profile.effective == "2026-01-01"


def test_code_prefixes_are_distinct() -> None:
    prefixes = [load_profile_file(profile_path(n)).profile.code_prefix for n in PROFILES]
    assert len(set(prefixes)) == len(prefixes)


def test_calendar_has_the_spec_shape(profile: Profile) -> None:
    assert profile.calendar.kind == "cn"
    assert profile.calendar.timezone == "Asia/Shanghai"
    assert profile.calendar.business_hours
    assert profile.work_calendar is not None  # builds


def test_statutory_deadlines_name_their_source(profile: Profile) -> None:
    assert profile.statutory, f"{profile.name} has no statutory deadline"
    for code, item in profile.statutory.items():
        assert item.source.strip(), f"{profile.name}: statutory.{code} has no source"
        assert item.en and item.zh


def test_every_severity_has_sla_targets(profile: Profile) -> None:
    for severity in profile.severities:
        for complexity in COMPLEXITIES:
            targets = profile.sla_targets(severity, complexity)
            assert {"first_response", "resolution"} <= set(targets), (severity, complexity)
    first = next(iter(profile.severities.values()))
    assert first.escalate_on_intake, "the top severity (P1) escalates on intake"
    assert [s.escalate_on_intake for s in profile.severities.values()].count(True) == 1


def test_profile_vocabularies_are_complete(profile: Profile) -> None:
    assert len(profile.taxonomy) >= 3
    for code, category in profile.taxonomy.items():
        assert category.sub, f"{profile.name}: taxonomy.{code} has no subcategories"
    subs = [sub for category in profile.taxonomy.values() for sub in category.sub]
    assert len(subs) == len(set(subs)), "sub-codes are unique across the profile"
    assert profile.targets and profile.parties and profile.departments
    money = [code for code, r in profile.resolutions.items() if r.needs_amount]
    assert "compensation" in money
    assert profile.compensation.currency == "CNY"
    assert {"cash", "voucher", "gift"} <= set(profile.compensation.kinds)
    assert {"apology", "restate", "progress", "resolution_notice", "revisit"} <= set(profile.phrases)
    assert 4 <= len(profile.audit_checklist) <= 6
    assert profile.repeat.window_days == 30
    assert profile.retention.personal_data_days >= 30


def test_mall_phrases_follow_seed_001() -> None:
    mall = load_profile_file(profile_path("mall"))
    assert mall.phrases["apology"].zh == (
        "非常抱歉给您带来了不愉快的体验，我们非常理解您现在的心情，一定会认真对待您反映的问题。"
    )
    assert mall.phrases["restate"].zh.startswith("您刚才反映的是")
    assert {
        "apology",
        "explanation",
        "return",
        "exchange",
        "repair",
        "compensation",
        "service_improvement",
        "staff_discipline",
    } <= set(mall.resolutions)
    assert {c.zh for c in mall.taxonomy.values()} == {
        "商品质量类",
        "服务态度类",
        "环境设施类",
        "安全保障类",
        "消费纠纷类",
    }
    assert {"mall", "merchant", "customer"} <= set(mall.parties)


def test_ecommerce_targets_follow_seed_000() -> None:
    shop = load_profile_file(profile_path("ecommerce"))
    assert shop.sla["P2"].first_response == "15bm"
    assert shop.sla["P3"].resolution == "24h"
    assert shop.sla_targets("P3", "complex")["resolution"].unit == "wd"
    assert {"logistics", "product", "after_sales"} <= set(shop.taxonomy)
    assert shop.statutory["no_reason_return"].target == "7d"
    assert "第二十五条" in shop.statutory["no_reason_return"].source
    assert shop.statutory["refund_after_return"].target == "7d"
    assert "第十三条" in shop.statutory["refund_after_return"].source
    assert shop.statutory["deliberate_delay"].target == "15d"


LIVESTREAM_SEED_002 = {
    "商品质量问题": {"产品本身缺陷", "质量性能不符", "假冒伪劣商品"},
    "物流配送问题": {"未收到商品", "商品破损", "配送延迟"},
    "直播宣传问题": {"虚假宣传", "误导消费"},
    "退换货问题": {"无理由退换货", "质量问题退换货", "退换货流程问题"},
    "客户服务问题": {"客服态度问题", "响应时间过长", "处理结果不满意"},
}


def test_livestream_taxonomy_is_seed_002() -> None:
    live = load_profile_file(profile_path("livestream"))
    actual = {cat.zh: {sub.zh for sub in cat.sub.values()} for cat in live.taxonomy.values()}
    assert actual == LIVESTREAM_SEED_002
    assert {"supplier", "operations", "logistics", "after_sales", "customer"} <= set(live.parties)
    assert {"classification", "follow_up"} <= set(live.departments)
    assert {"hotline", "online_chat", "email", "live_comment", "platform_ticket"} <= set(live.channels)


def test_express_follows_seed_003_and_the_regulator() -> None:
    express = load_profile_file(profile_path("express"))
    assert express.resolve("taxonomy", "延误") == "delay"
    assert express.resolve("taxonomy", "Delay") == "delay"
    assert express.resolve("subcategories", "派送延误") == "delay.delivery_delay"
    seed_classes = {
        "延误",
        "丢失损毁",
        "服务态度",
        "信息错误",
        "包装问题",
        "增值服务未履行",
        "快递费用争议",
        "特殊要求未满足",
        "其他",
    }
    assert {c.zh for c in express.taxonomy.values()} == seed_classes
    assert {"courier", "station", "transport", "customer_service"} <= set(express.parties)
    assert {"hotline", "online", "email", "walk_in"} <= set(express.channels)
    reply = express.statutory["regulator_reply"]
    assert reply.target == "7d" and "快递暂行条例" in reply.source
    assert any(t.complex is not None for t in express.sla.values())


# -- broken copies are refused with the file and the line ----------------------------------


def _text(name: str) -> str:
    return profile_path(name).read_text(encoding="utf-8")


def _line_of(text: str, needle: str) -> int:
    """1-based number of the (only) line containing `needle`."""
    hits = [n for n, line in enumerate(text.splitlines(), start=1) if needle in line]
    assert len(hits) == 1, f"{needle!r} is on lines {hits}"
    return hits[0]


def _broken_copy(tmp_path: Path, name: str, pattern: str, replacement: str) -> tuple[Path, str]:
    """The profile with the first match of the regex `pattern` replaced, written to tmp_path."""
    text = _text(name)
    broken, count = re.subn(pattern, replacement, text, count=1)
    assert count == 1, f"{pattern!r} not in {name}.toml"
    path = tmp_path / f"broken_{name}.toml"
    path.write_text(broken, encoding="utf-8")
    return path, broken


def _refusal(path: Path) -> str:
    with pytest.raises(PolicyError) as info:
        load_profile_file(path)
    message = str(info.value)
    assert path.name in message
    return message


@pytest.mark.parametrize("name", PROFILES)
def test_typo_in_a_key_is_refused_at_its_line(tmp_path: Path, name: str) -> None:
    path, text = _broken_copy(tmp_path, name, r"(?m)^window_days =", "window_dayz =")
    message = _refusal(path)
    assert f"line {_line_of(text, 'window_dayz')}" in message
    assert "unknown key" in message


def test_typo_in_a_table_name_is_refused_at_its_line(tmp_path: Path) -> None:
    path, text = _broken_copy(tmp_path, "mall", r"(?m)^\[retention\]$", "[retension]")
    message = _refusal(path)
    assert f"line {_line_of(text, '[retension]')}" in message


@pytest.mark.parametrize("name", PROFILES)
def test_bad_duration_is_refused_at_its_line(tmp_path: Path, name: str) -> None:
    bad = 'first_response = "3x"'
    path, text = _broken_copy(tmp_path, name, r'(\[sla\.P2\]\n)first_response = "[^"]*"', r"\1" + bad)
    message = _refusal(path)
    assert f"line {_line_of(text, bad)}" in message
    assert "'3x' is not a duration" in message


def test_bad_duration_in_a_complex_override_is_refused_at_its_line(tmp_path: Path) -> None:
    bad = 'resolution = "4 days"'
    pattern = r'(\[sla\.P2\.complex\]\n)resolution = "[^"]*"'
    path, text = _broken_copy(tmp_path, "express", pattern, r"\1" + bad)
    message = _refusal(path)
    assert f"line {_line_of(text, bad)}" in message
    assert "sla.P2.complex.resolution" in message


def test_unknown_statutory_category_is_refused_at_its_line(tmp_path: Path) -> None:
    bad = 'categories = ["refunds"]'
    path, text = _broken_copy(tmp_path, "livestream", r'categories = \["returns"\]', bad)
    message = _refusal(path)
    assert f"line {_line_of(text, bad)}" in message
    assert "'refunds'" in message


def _drop_sla_table(tmp_path: Path) -> tuple[Path, str]:
    return _broken_copy(tmp_path, "ecommerce", r"\[sla\.P4\]\n(?:[a-z_]+ = .*\n)+", "")


def test_severity_without_sla_table_is_refused(tmp_path: Path) -> None:
    path, _ = _drop_sla_table(tmp_path)
    message = _refusal(path)
    assert "severity P4 has no [sla.P4] table" in message


def test_severity_without_sla_table_names_the_severity_line(tmp_path: Path) -> None:
    path, text = _drop_sla_table(tmp_path)
    message = _refusal(path)
    assert f"line {_line_of(text, '[severities.P4]')}" in message


def test_invalid_toml_is_refused_with_its_line(tmp_path: Path) -> None:
    bad = 'en = "E-mail'  # the closing quote is missing
    path, text = _broken_copy(tmp_path, "express", r'(\[channels\.email\]\n)en = "[^"]*"', r"\1" + bad)
    message = _refusal(path)
    assert "not valid TOML" in message
    assert f"line {_line_of(text, bad)}" in message


def test_a_policy_error_reads_in_chinese(tmp_path: Path) -> None:
    bad = 'first_response = "0m"'
    path, text = _broken_copy(tmp_path, "express", r'(\[sla\.P2\]\n)first_response = "[^"]*"', r"\1" + bad)
    with pytest.raises(PolicyError) as info:
        load_profile_file(path)
    line = _line_of(text, bad)
    assert info.value.message == (
        f"{path}, line {line}: sla.P2.first_response: '0m': an SLA target must be longer than zero"
    )
    assert info.value.text("zh") == f"{path}，第 {line} 行：sla.P2.first_response：「0m」：时限目标必须大于零"
    assert isinstance(info.value.msg, Message)
    params = info.value.msg.params
    assert (params["origin"], params["line"], params["field"]) == (str(path), line, "sla.P2.first_response")


def test_calendar_and_cross_reference_reasons_read_in_chinese(tmp_path: Path) -> None:
    path, _ = _broken_copy(tmp_path, "mall", r'timezone = "[^"]*"', 'timezone = "Mars/Base"')
    with pytest.raises(PolicyError) as info:
        load_profile_file(path)
    assert "calendar：没有「Mars/Base」这个时区" in info.value.text("zh")
    path, _ = _drop_sla_table(tmp_path)
    with pytest.raises(PolicyError) as info:
        load_profile_file(path)
    assert "级别 P4 没有对应的 [sla.P4] 表" in info.value.text("zh")


def test_a_reason_only_pydantic_knows_stays_in_its_english(tmp_path: Path) -> None:
    path, text = _broken_copy(tmp_path, "mall", r'code_prefix = "[^"]*"', 'code_prefix = "kf"')
    with pytest.raises(PolicyError) as info:
        load_profile_file(path)
    line = _line_of(text, 'code_prefix = "kf"')
    assert info.value.text("zh").startswith(f"{path}，第 {line} 行：profile.code_prefix：String should match")


def test_typo_and_missing_key_read_in_chinese(tmp_path: Path) -> None:
    path, _ = _broken_copy(tmp_path, "mall", r"(?m)^window_days =", "window_dayz =")
    with pytest.raises(PolicyError) as info:
        load_profile_file(path)
    assert "repeat.window_dayz：未知的键" in info.value.text("zh")


# -- the sample desks ----------------------------------------------------------------------


@pytest.mark.parametrize("name", PROFILES)
def test_sample_users_cover_every_working_role(name: str) -> None:
    profile = load_profile_file(profile_path(name))
    users = load_samples(name)["users"]
    roles = Counter(u["role"] for u in users)
    assert roles == {"agent": 2, "classifier": 1, "handler": 1, "supervisor": 1, "analyst": 1, "auditor": 1}
    names = [u["name"] for u in users]
    assert len(names) == len(set(names))
    for user in users:
        assert re.fullmatch(r"[a-z][a-z0-9]*", user["name"]), user["name"]
        assert user["display_name"]
        assert user["department"] is None or user["department"] in profile.departments, user


def _check_step(
    profile: Profile,
    users: dict[str, str],
    case: dict[str, Any],
    step: dict[str, Any],
    earlier_keys: set[str],
) -> None:
    where = f"{case['key']} {step}"
    action = step["action"]
    assert action in STEP_KEYS, where
    assert set(step) - {"action", "by", "after_hours"} <= STEP_KEYS[action], where
    role = users.get(step["by"])
    assert role is not None, f"{where}: unknown user"
    if action in ("contact", "note"):
        assert role in INTAKE_ROLES, where
        assert step.get("note") or step.get("phrase"), where
    else:
        assert any(t.allows_role(role) for t in transitions_for(action)), f"{where}: a {role} may not"
    if action == "contact":
        assert step["contact"] in CONTACT_KINDS, where
        assert step.get("phrase") is None or step["phrase"] in profile.phrases, where
    elif action == "triage":
        category = step["category"]
        assert category in profile.taxonomy, where
        assert step.get("subcategory") is None or step["subcategory"] in profile.taxonomy[category].sub, where
        assert step["severity"] in profile.severities, where
        assert step["complexity"] in COMPLEXITIES, where
        assert step["party"] in profile.parties, where
        assert step["department"] in profile.departments, where
    elif action == "assign":
        assert users.get(step["owner"]) in CASE_OWNERS, where
    elif action in ("escalate", "wait", "deny", "reopen"):
        assert step.get("note"), where
    elif action == "propose":
        resolution = profile.resolutions.get(step["resolution"])
        assert resolution is not None, where
        if resolution.needs_amount:
            assert step.get("amount", 0) > 0, f"{where}: needs an amount"
        kind = step.get("compensation_kind")
        assert kind is None or kind in profile.compensation.kinds, where
    elif action == "confirm":
        assert isinstance(step["satisfied"], bool), where
        assert step.get("score") is None or 1 <= step["score"] <= 5, where
    elif action == "reject":
        assert step["reason"] in REJECT_REASONS, where
        if step["reason"] == "duplicate":
            assert step.get("duplicate_of") in earlier_keys, f"{where}: duplicate_of an earlier case"
        else:
            assert "duplicate_of" not in step, where
    elif action == "revisit":
        assert step["outcome"] in REVISIT_OUTCOMES, where
        assert step["outcome"] != "unsatisfied" or step.get("note"), where


@pytest.mark.parametrize("name", PROFILES)
def test_sample_cases_use_only_their_profiles_codes(name: str) -> None:
    profile = load_profile_file(profile_path(name))
    data = load_samples(name)
    users = {u["name"]: u["role"] for u in data["users"]}
    cases = data["cases"]
    assert 25 <= len(cases) <= 40
    keys = [c["key"] for c in cases]
    assert len(keys) == len(set(keys))
    ago = {c["key"]: float(c["ago_hours"]) for c in cases}
    for case in cases:
        where = case["key"]
        assert 0 < case["ago_hours"] <= 21 * 24, where
        intake = case["intake"]
        assert set(intake) <= INTAKE_KEYS, where
        assert intake["channel"] in profile.channels, where
        assert intake["severity"] in profile.severities, where
        assert intake.get("target") is None or intake["target"] in profile.targets, where
        assert users.get(intake["created_by"]) in INTAKE_ROLES, where
        assert len(intake["description"]) >= 15, where
        if intake.get("customer_phone") is not None:
            assert re.fullmatch(r"1[3-9]\d{9}", intake["customer_phone"]), where
        if intake.get("incident_at_ago_hours") is not None:
            assert intake["incident_at_ago_hours"] >= case["ago_hours"], f"{where}: incident after receipt"
        if intake.get("category") is not None:
            assert intake["category"] in profile.taxonomy, where
            sub = intake.get("subcategory")
            assert sub is None or sub in profile.taxonomy[intake["category"]].sub, where
        assert intake.get("party") is None or intake["party"] in profile.parties, where
        assert intake.get("department") is None or intake["department"] in profile.departments, where
        earlier = {k for k, hours in ago.items() if hours > case["ago_hours"]}
        last = 0.0
        for step in case["script"]:
            assert last < step["after_hours"] < case["ago_hours"], f"{where}: after_hours {step}"
            last = step["after_hours"]
            _check_step(profile, users, case, step, earlier)
        if profile.severities[intake["severity"]].escalate_on_intake:
            assert all(s["action"] != "escalate" for s in case["script"]), f"{where}: P1 escalates itself"


@pytest.mark.parametrize("name", PROFILES)
def test_sample_desk_has_repeat_complaints(name: str) -> None:
    cases = sorted(load_samples(name)["cases"], key=lambda c: -c["ago_hours"])
    repeats = 0
    for index, case in enumerate(cases):
        phone, order = case["intake"].get("customer_phone"), case["intake"].get("order_no")
        for before in cases[:index]:
            gap = before["ago_hours"] - case["ago_hours"]
            same = (phone and phone == before["intake"].get("customer_phone")) or (
                order and order == before["intake"].get("order_no")
            )
            if same and gap <= 30 * 24:
                repeats += 1
                break
    assert repeats >= 2


@pytest.mark.parametrize("name", PROFILES)
def test_sample_desk_replays_into_every_state(tmp_path: Path, name: str) -> None:
    """Replay the sample file through the real services, as `kefu init --sample` does."""
    from sqlmodel import select

    from kefu.core import db, services
    from kefu.core.models import Case
    from kefu.core.samples import seed_sample_desk

    now = datetime.now(UTC)
    engine = db.create_database(str(tmp_path / "kefu.db"))
    text = profile_path(name).read_text(encoding="utf-8")
    with db.write_session(engine) as session:
        admin, _ = services.initialize_desk(
            session=session, admin_name="admin", text=text, origin=name, now=now
        )
        count = seed_sample_desk(session=session, admin=admin, profile_name=name, now=now)
    with db.read_session(engine) as session:
        cases = session.exec(select(Case)).all()
    assert count == len(cases) == len(load_samples(name)["cases"])
    assert {c.status for c in cases} == {s.value for s in Status}
    closed = Counter(c.close_reason for c in cases if c.status == Status.CLOSED)
    assert closed["confirmed"] >= 5 and closed["spam"] >= 1 and closed["duplicate"] >= 1
    assert any(c.reopen_count for c in cases), "a case reopened after an unsatisfied answer"
    assert sum(1 for c in cases if c.repeat_of) >= 2
    p1 = [c for c in cases if c.severity == "P1"]
    assert any(c.status == Status.ESCALATED for c in p1), "a P1 case waiting for its coordinator"
    assert any(c.compensation_amount for c in cases if c.status == Status.PENDING_APPROVAL)
