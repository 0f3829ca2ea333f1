"""The command line's language: `--lang` / `KEFU_LANG`, else the desk's (its policy in
force's profile language), else the locale's (LC_ALL, LC_MESSAGES, LANG), else English.

Every other test runs with KEFU_LANG=en (tests/conftest.py); these remove it. All four
shipped profiles are Chinese, so a desk made from one speaks Chinese on its own.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import MINI_PROFILE, make_desk
from freezegun import freeze_time
from typer.testing import CliRunner, Result

from kefu import cli
from kefu.cli import app
from kefu.core.identity import os_login
from kefu.core.policy import bundled_profiles_dir

EXPRESS = bundled_profiles_dir() / "express.toml"
KEFU = Path(sys.executable).with_name("kefu")
NO_LOCALE = {"LC_ALL": None, "LC_MESSAGES": None, "LANG": None, "KEFU_LANG": None}
"""An environment with no language in it: a desk's own language decides."""

runner = CliRunner(env={"COLUMNS": "200", "KEFU_DB": None})
TRIAGE = ["triage", "--category", "delay", "--severity", "P3", "--complexity", "simple", "--party", "courier",
          "--department", "cs"]  # fmt: skip
ANALYST_MAY_NOT_ZH = (
    "数据分析小组无权对「已受理」的工单执行「分类」（可执行的角色：管理员、售后客服专员、问题分类小组、"
    "处理跟进小组、上级主管）"
)
ANALYST_MAY_NOT_EN = (
    "an analyst may not triage a new case (roles allowed: admin, agent, classifier, handler, supervisor)"
)


@pytest.fixture(autouse=True)
def no_language_set(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("KEFU_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)


def kefu(db: Path, *args: str, who: str | None = None, **env: str | None) -> Result:
    prefix = ["--db", str(db)] + (["--as", who] if who else [])
    return runner.invoke(app, [*prefix, *args], env={**NO_LOCALE, **env})


def ok(result: Result) -> str:
    assert result.exit_code == 0, f"exit {result.exit_code}: {result.stderr}{result.exception!r}"
    return result.stdout


def refused(result: Result, code: int = 2) -> str:
    assert result.exit_code == code, f"exit {result.exit_code}: {result.output}"
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and result.stdout == "", result.output
    assert lines[0].startswith("kefu: ")
    return lines[0]


@pytest.fixture
def express(tmp_path: Path) -> Path:
    """A desk made from the shipped express profile (Chinese), with an agent and an analyst."""
    path = tmp_path / "express.db"
    result = kefu(path, "init", "--profile", str(EXPRESS))
    assert result.exit_code == 0, result.output
    assert result.stderr.strip() == f"已创建 {path}（express 方案），管理员是 {os_login()}。"
    added = kefu(path, "user", "add", "liuting", "--role", "agent", "--department", "cs")
    assert (added.exit_code, added.stdout, added.stderr) == (0, "", "已添加 liuting，角色：售后客服专员。\n")
    assert ok(kefu(path, "user", "add", "caiming", "--role", "analyst")) == ""
    return path


def new_case(db: Path, *extra: str) -> str:
    out = ok(kefu(db, "case", "new", "--channel", "hotline", "-d", "快递三天没有更新", "--phone",
                  "13812345678", "--name", "张三", *extra, who="liuting"))  # fmt: skip
    return out.strip()


# -- a Chinese desk speaks Chinese ---------------------------------------------------------------


def test_a_chinese_desk_refuses_and_notes_in_chinese(express: Path) -> None:
    code = new_case(express)
    line = refused(kefu(express, "case", "move", code, *TRIAGE, who="caiming"))
    assert line == f"kefu: {code}：{ANALYST_MAY_NOT_ZH}"
    line = refused(kefu(express, "user", "add", "x", "--role", "agent", who="liuting"))
    assert line == "kefu: 售后客服专员无权添加用户（允许的角色：管理员）"
    # A note of its own on stderr, a one-line result on stdout.
    second = kefu(express, "case", "new", "--channel", "hotline", "-d", "又没到", "--phone", "13812345678",
                  who="liuting")  # fmt: skip
    assert second.stderr.strip() == f"提示：重复投诉，已关联 {code}"
    moved = ok(kefu(express, "case", "move", code, "reject", "--reason", "spam"))
    assert moved.strip() == f"{code}：驳回无效投诉 → 已结案"
    noted = ok(kefu(express, "case", "note", code.lower(), "已电话联系", "--contact", "call"))
    assert noted.strip() == f"{code}：已记录联系客户"


def test_a_chinese_desk_lists_in_chinese(express: Path) -> None:
    code = new_case(express)
    table = ok(kefu(express, "case", "list"))
    header = table.splitlines()[1]
    for heading in ("工单号", "受理时间", "渠道", "客户", "负责人", "状态", "时限"):
        assert heading in header, header
    row = next(line for line in table.splitlines() if code in line)
    assert "已受理" in row and "客服热线" in row and "new" not in row
    empty = kefu(express, "case", "list", "--status", "closed")
    assert empty.stderr.strip() == "没有符合条件的工单"
    users = ok(kefu(express, "user", "list"))
    assert "角色" in users.splitlines()[1] and "售后客服专员" in users and "是" in users


def test_case_show_in_chinese_and_in_english(express: Path) -> None:
    code = new_case(express, "--severity", "P1")  # a P1 escalates on intake: a note kefu writes itself
    shown = ok(kefu(express, "case", "show", code))
    assert "  投诉内容" in shown and "处理记录：" in shown and "  时限 首次响应" in shown
    assert "该级别受理即自动升级" in shown
    english = ok(kefu(express, "--lang", "en", "case", "show", code))
    assert "  description" in english and "history:" in english and "  due first_response" in english
    assert "该级别受理即自动升级" not in english
    assert "kefu     escalate new→escalated  severity escalates on intake" in english
    assert "kefu     升级 已受理→升级处理  该级别受理即自动升级" in shown
    assert (shown.splitlines()[-1], english.splitlines()[-1]) == (
        "可执行：指派、重新分类、合并",
        "you may: assign, reclassify, merge",
    )


def test_who_may_not_come_in_is_told_in_the_desks_language(express: Path, tmp_path: Path) -> None:
    line = refused(kefu(express, "case", "list", who="nobody"))
    assert line == "kefu: 没有名为「nobody」的 kefu 用户；请查看 `kefu user list`"
    # The desk's language is known before the acting user is: an OS user who is nobody here.
    desk = make_desk(tmp_path / "other.db", profile=EXPRESS)  # its admin is "admin", not the OS user
    desk.engine.dispose()
    line = refused(kefu(desk.path, "case", "list"))
    assert line.startswith(f"kefu: 系统用户「{os_login()}」不是本服务台的 kefu 用户"), line


def test_policy_show_and_doctor_in_chinese(express: Path) -> None:
    shown = ok(kefu(express, "policy", "show"))
    assert shown.splitlines()[0].endswith("（express），第 1 版")
    assert "日历：中国法定节假日，Asia/Shanghai" in shown and "渠道：hotline（客服热线）" in shown
    lines = ok(kefu(express, "doctor")).splitlines()
    assert any(line.startswith("正常 完整性：") for line in lines), lines


# -- --lang and KEFU_LANG win ----------------------------------------------------------------------


@pytest.mark.parametrize("how", ["--lang", "KEFU_LANG", "locale-like"])
def test_lang_and_kefu_lang_override_the_desk(express: Path, how: str) -> None:
    code = new_case(express)
    args = ["case", "move", code, *TRIAGE]
    if how == "--lang":
        result = kefu(express, "--lang", "en", *args, who="caiming", KEFU_LANG="zh")  # the option wins
    else:
        result = kefu(express, *args, who="caiming", KEFU_LANG="en" if how == "KEFU_LANG" else "en_US.UTF-8")
    assert refused(result) == f"kefu: {code}: {ANALYST_MAY_NOT_EN}"
    # The other way round: an English desk (the mini profile) in Chinese; the locale does not
    # override a desk's language, KEFU_LANG and --lang do.
    mini = express.with_name("mini.db")
    init = kefu(mini, "init", "--profile", str(MINI_PROFILE), KEFU_LANG="zh_CN.UTF-8")
    assert init.stderr.strip() == f"已创建 {mini}（mini 方案），管理员是 {os_login()}。"
    roles = ["agent", "classifier", "handler", "supervisor", "analyst", "auditor", "admin"]
    english = f"kefu: unknown role 'wizard'; roles are: {', '.join(roles)}"
    chinese = f"kefu: 没有「wizard」这个角色；可选角色：{'、'.join(roles)}"
    assert refused(kefu(mini, "user", "add", "x", "--role", "wizard", LANG="zh_CN.UTF-8")) == english
    assert refused(kefu(mini, "user", "add", "x", "--role", "wizard", KEFU_LANG="zh")) == chinese
    assert refused(kefu(mini, "--lang", "zh", "user", "add", "x", "--role", "wizard")) == chinese


def test_a_bad_lang_is_a_usage_error_when_typed_and_left_aside_from_the_environment(tmp_path: Path) -> None:
    result = kefu(tmp_path / "k.db", "--lang", "fr", "case", "list")
    assert result.exit_code == 2 and "--lang" in result.stderr
    # A cron job's environment with KEFU_LANG=fr still runs: the locale (here none) decides.
    missing = kefu(tmp_path / "missing.db", "case", "list", KEFU_LANG="fr")
    assert missing.exit_code == 3 and "no kefu database here" in missing.stderr


# -- before a desk is open: the locale ----------------------------------------------------------


def test_the_locale_speaks_before_a_desk_is_open(tmp_path: Path) -> None:
    missing = tmp_path / "missing.db"
    line = refused(kefu(missing, "case", "list", LANG="zh_CN.UTF-8"), 3)
    assert line == f"kefu: {missing}：这里没有 kefu 数据库；请用 `kefu init` 创建"
    # LC_ALL beats LC_MESSAGES beats LANG, and KEFU_LANG beats them all.
    assert "no kefu database here" in refused(
        kefu(missing, "case", "list", LC_MESSAGES="zh_CN", LC_ALL="C"), 3
    )
    assert "这里没有" in refused(kefu(missing, "case", "list", LANG="en_US.UTF-8", LC_MESSAGES="zh_TW"), 3)
    assert "no kefu database" in refused(kefu(missing, "case", "list", LANG="zh_CN.UTF-8", KEFU_LANG="en"), 3)
    assert "no kefu database here" in refused(kefu(missing, "case", "list"), 3)  # no locale: English
    checked = ok(kefu(missing, "policy", "check", str(MINI_PROFILE), LANG="zh_CN.UTF-8"))
    assert checked.strip() == f"{MINI_PROFILE}：通过（mini，2 个类别，3 个级别）"


# -- JSON is for scripts ------------------------------------------------------------------------


def test_json_is_the_same_in_both_languages(express: Path) -> None:
    # Both languages at one moment: ages and remaining hours move with the clock between two runs.
    with freeze_time("2026-12-01 10:00:00"):
        code = new_case(express, "--severity", "P1")
        for args in (["case", "list", "--json"], ["case", "show", code, "--json"], ["user", "list", "--json"],
                     ["policy", "show", "--json"], ["revisit", "due", "--json"]):  # fmt: skip
            english = ok(kefu(express, "--lang", "en", *args))
            chinese = ok(kefu(express, "--lang", "zh", *args))
            assert english == chinese, args
            json.loads(english)
    # sla check --json on a breached case: once to record the breach (then it is no longer new),
    # then the same document in both languages (as of a given moment).
    late = new_case(
        express, "--severity", "P1", "--received-at", "2026-01-05T09:00", "--phone", "13900001111"
    )
    check = ["sla", "check", "--json", "--as-of", "2026-01-06T10:00"]
    assert kefu(express, *check).exit_code == 1
    english, chinese = kefu(express, "--lang", "en", *check), kefu(express, "--lang", "zh", *check)
    assert english.exit_code == chinese.exit_code == 1 and english.stdout == chinese.stdout
    assert late in {row["code"] for row in json.loads(english.stdout)["breached"]}


# -- warnings -------------------------------------------------------------------------------------


def test_calendar_warnings_are_shown_in_the_language(express: Path) -> None:
    """A case received in a year the cn calendar has no holiday data for warns (once per
    year and process), in the desk's language (the warning carries its catalog message), or
    in --lang's."""
    old = ["case", "new", "--channel", "hotline", "-d", "旧投诉", "--received-at"]
    chinese = kefu(express, *old, "2001-06-04T10:00", "--phone", "13800005555", who="liuting")
    english = kefu(express, "--lang", "en", *old, "2000-06-05T10:00", "--phone", "13800006666", who="liuting")
    assert chinese.exit_code == english.exit_code == 0
    assert chinese.stderr.startswith("kefu: 警告：cn 日历没有 2001 年的官方节假日数据"), chinese.stderr
    assert english.stderr.startswith("kefu: warning: the cn calendar has no official holiday data for 2000")
    assert len(chinese.stderr.splitlines()) == len(english.stderr.splitlines()) == 1


# -- the TUI keeps its own language -----------------------------------------------------------------


def test_the_tui_takes_lang_typed_on_the_command_line_not_kefu_lang(
    express: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[str | None] = []

    class Probe:
        def __init__(self, db: str, *, user: str | None, lang: str | None) -> None:
            seen.append(lang)

        def run(self) -> None:
            pass

    from kefu.tui import app as tui_app

    monkeypatch.setattr(tui_app, "KefuApp", Probe)
    ok(kefu(express, "tui"))
    ok(kefu(express, "tui", KEFU_LANG="en"))
    ok(kefu(express, "--lang", "en", "tui"))
    ok(kefu(express, "--lang", "en", "tui", "--lang", "zh"))
    assert seen == [None, None, "en", "zh"]


# -- the installed command ------------------------------------------------------------------------


def run_kefu(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in NO_LOCALE}
    return subprocess.run([str(KEFU), *args], capture_output=True, text=True, timeout=60,
                          env={**clean, "COLUMNS": "200", **env})  # fmt: skip


def test_the_installed_kefu_speaks_the_desks_language_and_the_locales(express: Path, tmp_path: Path) -> None:
    code = new_case(express)
    result = run_kefu("--db", str(express), "--as", "caiming", "case", "move", code, *TRIAGE)
    assert (result.returncode, result.stdout, result.stderr) == (
        2,
        "",
        f"kefu: {code}：{ANALYST_MAY_NOT_ZH}\n",
    )
    result = run_kefu("--db", str(express), "--as", "caiming", "case", "move", code, *TRIAGE, KEFU_LANG="en")
    assert result.stderr == f"kefu: {code}: {ANALYST_MAY_NOT_EN}\n"
    listed = run_kefu("--db", str(express), "case", "list")
    assert listed.returncode == 0 and "工单号" in listed.stdout and "已受理" in listed.stdout
    missing = tmp_path / "missing.db"
    result = run_kefu("--db", str(missing), "case", "list", LANG="zh_CN.UTF-8")
    assert (result.returncode, result.stderr) == (
        3,
        f"kefu: {missing}：这里没有 kefu 数据库；请用 `kefu init` 创建\n",
    )
    assert cli.locale_language({"LANG": "zh_CN.UTF-8", "LC_ALL": ""}) == "zh"
