"""The CLI contract through Typer's CliRunner: exit codes, one-line errors on stderr,
JSON shapes on stdout, identity and `--as`, and help texts with examples.

The desk is created the way a shop creates it, `kefu init --profile tests/data/mini.toml`, so
the OS user running the tests becomes its admin.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import MINI_PROFILE, NOW, make_desk
from typer.main import get_command
from typer.testing import CliRunner, Result

from kefu.cli import app
from kefu.core import services
from kefu.core.identity import os_login

ROOT_USER = os_login()
OFFSET = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$")
runner = CliRunner(env={"COLUMNS": "200", "KEFU_DB": None})


def kefu(db: Path, *args: str, who: str | None = None, **kwargs: Any) -> Result:
    prefix = ["--db", str(db)] + (["--as", who] if who else [])
    return runner.invoke(app, [*prefix, *args], **kwargs)


def ok(result: Result) -> str:
    assert result.exit_code == 0, f"exit {result.exit_code}: {result.stderr}{result.exception!r}"
    return result.stdout


def refused(result: Result, code: int = 2) -> str:
    """The failure as the contract wants it: the exit code, one line on stderr, nothing else."""
    assert result.exit_code == code, f"exit {result.exit_code}: {result.output}"
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.output
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)
    return lines[0]


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "kefu.db"
    result = runner.invoke(app, ["--db", str(path), "init", "--profile", str(MINI_PROFILE)])
    assert result.exit_code == 0, result.output
    assert f"{ROOT_USER} is its admin" in result.stderr
    for name, role in [("alice", "agent"), ("bob", "agent"), ("carol", "classifier"),
                       ("sue", "supervisor"), ("ana", "analyst")]:  # fmt: skip
        ok(kefu(path, "user", "add", name, "--role", role, "--department", "cs"))
    yield path


def new_case(db: Path, *extra: str, who: str = "alice") -> str:
    out = ok(kefu(db, "case", "new", "--channel", "hotline", "-d", "快递三天没有更新",
                  "--phone", "13812345678", "--name", "张三", *extra, who=who))  # fmt: skip
    code = out.strip()
    assert re.fullmatch(r"T-\d{8}-\d{4}", code), out
    return code


def triaged_case(db: Path) -> str:
    return new_case(db, "--category", "delay", "--party", "courier", "--department", "cs",
                    "--severity", "P2")  # fmt: skip


# -- success and shapes ------------------------------------------------------------------


def test_init_makes_the_caller_admin(db: Path) -> None:
    users = json.loads(ok(kefu(db, "user", "list", "--json")))
    roles = {u["name"]: u["role"] for u in users}
    assert roles == {ROOT_USER: "admin", "alice": "agent", "bob": "agent", "carol": "classifier",
                     "sue": "supervisor", "ana": "analyst"}  # fmt: skip
    # init refuses to overwrite a desk.
    line = refused(runner.invoke(app, ["--db", str(db), "init", "--profile", str(MINI_PROFILE)]), 2)
    assert "already exists" in line


def test_case_show_json_shape(db: Path) -> None:
    code = triaged_case(db)
    ok(kefu(db, "case", "move", code, "claim", who="alice"))
    ok(kefu(db, "case", "move", code, "wait", "--note", "等客户回复", who="alice"))
    ok(kefu(db, "case", "move", code, "resume", who="alice"))
    doc = json.loads(ok(kefu(db, "case", "show", code, "--json", who="alice")))
    assert doc["code"] == code
    assert (doc["status"], doc["category"], doc["severity"]) == ("in_progress", "delay", "P2")
    assert OFFSET.match(doc["received_at"]), doc["received_at"]
    assert set(doc["due"]) == {"first_response", "resolution"}
    for clock in doc["due"].values():
        assert OFFSET.match(clock["due"]), clock
        assert clock["state"] in ("ok", "at_risk", "breached", "met", "met_late", "paused")
    assert doc["customer"] == {"name": "张三", "phone": "13812345678", "email": None}
    assert [e["action"] for e in doc["history"]] == ["create", "claim", "wait", "resume"]
    for event in doc["history"]:
        assert set(event) == {"at", "actor", "action", "from", "to", "changes", "note", "message"}
        assert OFFSET.match(event["at"])
    wait = doc["history"][2]
    assert (wait["actor"], wait["from"], wait["to"], wait["note"]) == (
        "alice",
        "in_progress",
        "pending_customer",
        "等客户回复",
    )
    assert wait["changes"]["status"] == ["in_progress", "pending_customer"]
    # An analyst sees the same case masked.
    masked = json.loads(ok(kefu(db, "case", "show", code.lower(), "--json", who="ana")))
    assert masked["customer"] == {"name": "张*", "phone": "138****5678", "email": None}
    assert masked["allowed_actions"] == []


def test_case_list_json_is_one_document(db: Path) -> None:
    codes = [new_case(db) for _ in range(3)]
    result = kefu(db, "case", "list", "--json", who="carol")
    rows = json.loads(ok(result))  # the whole of stdout parses: nothing else was printed
    assert [r["code"] for r in rows] == codes[::-1]
    assert all(OFFSET.match(r["received_at"]) for r in rows)
    # The repeat-complaint notes went to stderr at intake, never into a listing.
    assert json.loads(ok(kefu(db, "case", "list", "--json", "--status", "closed"))) == []


def test_new_case_warns_about_a_repeat_on_stderr(db: Path) -> None:
    first = new_case(db)
    result = kefu(db, "case", "new", "--channel", "hotline", "-d", "又没到", "--phone",
                  "13812345678", who="alice")  # fmt: skip
    second = ok(result).strip()
    assert result.stderr.strip() == f"note: repeat complaint, linked to {first}"
    doc = json.loads(ok(kefu(db, "case", "show", second, "--json")))
    assert doc["repeat_of"] == first
    assert {"kind": "repeat", "code": first} in doc["links"]


def test_lifecycle_through_the_cli(db: Path) -> None:
    code = new_case(db)
    steps = [
        (
            "carol",
            [
                "triage",
                "--category",
                "延误",
                "--severity",
                "P3",
                "--complexity",
                "simple",
                "--party",
                "courier",
                "--department",
                "cs",
            ],
            "triaged",
        ),  # fmt: skip
        ("alice", ["claim"], "in_progress"),
        (
            "alice",
            ["propose", "--resolution", "compensation", "--amount", "500", "--kind", "cash"],
            "pending_approval",
        ),  # fmt: skip
        ("sue", ["approve"], "resolved"),
        ("alice", ["confirm", "--satisfied", "no"], "in_progress"),
        ("alice", ["propose", "--resolution", "apology"], "resolved"),
        ("alice", ["confirm", "--satisfied", "yes", "--score", "5"], "closed"),
        ("sue", ["reopen", "--note", "客户回访不满意"], "in_progress"),
    ]
    for who, args, status in steps:
        out = ok(kefu(db, "case", "move", code, *args, who=who))
        assert out.startswith(f"{code}: {args[0]} → {status}"), out
    ok(kefu(db, "case", "note", code, "已电话联系", "--contact", "call", who="alice"))
    doc = json.loads(ok(kefu(db, "case", "show", code, "--json")))
    assert doc["reopen_count"] == 2
    assert doc["history"][-1]["action"] == "contact"
    assert doc["first_response_at"] is not None


def test_reject_duplicate_through_the_cli(db: Path) -> None:
    original, duplicate = new_case(db), new_case(db)
    out = ok(kefu(db, "case", "move", duplicate, "reject", "--reason", "duplicate",
                  "--duplicate-of", original, who="carol"))  # fmt: skip
    assert out.strip() == f"{duplicate}: reject → closed"
    doc = json.loads(ok(kefu(db, "case", "show", original, "--json")))
    assert {"kind": "duplicate_of_this", "code": duplicate} in doc["links"]


# -- refusals ---------------------------------------------------------------------------


def test_refusals_exit_2_with_one_line(db: Path) -> None:
    code = new_case(db)
    cases = [
        (["case", "move", code, "claim"], "alice", f"kefu: {code}: cannot claim a case that is new"),
        (
            [
                "case",
                "move",
                code,
                "triage",
                "--category",
                "delay",
                "--severity",
                "P3",
                "--complexity",
                "simple",
                "--party",
                "courier",
                "--department",
                "cs",
            ],
            "ana",
            f"kefu: {code}: an analyst may not triage a new case",
        ),  # fmt: skip
        (
            ["case", "move", code, "triage", "--category", "delay"],
            "carol",
            f"kefu: {code}: triage needs severity, complexity, party, department",
        ),  # fmt: skip
        (
            ["case", "move", code, "reject", "--reason", "duplicate"],
            "carol",
            "duplicate needs duplicate_of",
        ),  # fmt: skip
        (["case", "move", code, "fly"], "alice", "unknown action 'fly'"),
        (["case", "move", "T-19990101-0001", "claim"], "alice", "no case 'T-19990101-0001'"),
        (["case", "show", "T-19990101-0001"], "alice", "no case 'T-19990101-0001'"),
        (["case", "list"], "nobody", "no kefu user named 'nobody'"),
        (["case", "new", "--channel", "pigeon", "-d", "x"], "alice", "channel: unknown 'pigeon'"),
        (
            ["case", "new", "--channel", "hotline", "-d", "x", "--received-at", "yesterday"],
            "alice",
            "--received-at: 'yesterday' is not a date and time; write it like 2026-11-24 09:30",
        ),  # fmt: skip
        (["case", "note", code, ""], "alice", "the note is empty"),
        (["user", "add", "mallory", "--role", "admin"], "alice", "an agent may not add users"),
        (["user", "add", "mallory", "--role", "wizard"], None, "unknown role 'wizard'"),
        (["backup"], "alice", "an agent may not take backups"),
    ]
    before = json.loads(ok(kefu(db, "case", "show", code, "--json")))
    for args, who, message in cases:
        line = refused(kefu(db, *args, who=who))
        assert message in line, (args, line)
        assert line.startswith("kefu: ")
    after = json.loads(ok(kefu(db, "case", "show", code, "--json")))
    assert (after["version"], after["history"]) == (before["version"], before["history"])
    assert len(json.loads(ok(kefu(db, "case", "list", "--json")))) == 1


def test_bad_usage_exits_2(db: Path) -> None:
    result = kefu(db, "case", "move")
    assert result.exit_code == 2
    assert "Missing argument" in result.stderr
    result = kefu(db, "case", "move", "X", "propose", "--amount", "lots")
    assert result.exit_code == 2 and "Invalid value for '--amount'" in result.stderr


@pytest.mark.parametrize(
    "make,message",
    [
        (lambda p: p.write_text("not a database at all\n" * 50), "not a SQLite database"),
        (
            lambda p: sqlite3.connect(p).execute("CREATE TABLE t (x)").connection.commit(),
            "this SQLite file is not a kefu database",
        ),  # fmt: skip
        (lambda p: None, "no kefu database here"),
    ],
    ids=["text", "other-sqlite", "missing"],
)
def test_bad_database_file_exits_3(tmp_path: Path, make: Any, message: str) -> None:
    path = tmp_path / "other.db"
    make(path)
    for args in (["case", "list", "--json"], ["user", "list"], ["case", "show", "X"]):
        assert message in refused(kefu(path, *args), 3)


def test_policy_check_names_file_and_line(tmp_path: Path) -> None:
    text = MINI_PROFILE.read_text(encoding="utf-8")
    broken = tmp_path / "broken.toml"
    broken.write_text(text.replace("approval_threshold = 200", 'approval_threshold = "lots"'))
    line_no = broken.read_text().splitlines().index('approval_threshold = "lots"') + 1
    line = refused(runner.invoke(app, ["policy", "check", str(broken)]))
    assert line.startswith(f"kefu: {broken}, line {line_no}: compensation.approval_threshold")
    # Not TOML at all: the parser's line and column.
    broken.write_text('[profile]\nname = "x\n')
    line = refused(runner.invoke(app, ["policy", "check", str(broken)]))
    assert str(broken) in line and "not valid TOML" in line and "line 2" in line
    # A good file passes.
    out = ok(runner.invoke(app, ["policy", "check", str(MINI_PROFILE)]))
    assert out.startswith(f"{MINI_PROFILE}: ok (mini")


# -- identity ---------------------------------------------------------------------------


def test_os_user_who_is_not_a_kefu_user_is_told_how_to_get_in(tmp_path: Path) -> None:
    desk = make_desk(tmp_path / "kefu.db")  # its admin is "admin", not the OS user
    desk.engine.dispose()
    line = refused(kefu(desk.path, "case", "list"))
    assert line == (
        f"kefu: OS user {ROOT_USER!r} is not a kefu user here; an admin can add you with "
        f"`kefu user add {ROOT_USER} --role agent`"
    )
    # --as does not help someone who is nobody.
    assert "is not a kefu user" in refused(kefu(desk.path, "case", "list", who="admin"))


def test_as_is_honoured_only_for_admins(tmp_path: Path) -> None:
    desk = make_desk(tmp_path / "kefu.db")
    with desk.write() as session:
        services.add_user(session=session, actor=desk.user("admin"), name=ROOT_USER,
                          role="agent", now=NOW)  # fmt: skip
    desk.engine.dispose()
    line = refused(kefu(desk.path, "case", "list", who="sue"))
    assert line == f"kefu: --as is for admins; {ROOT_USER} is an agent"
    # Acting as oneself is fine, and the environment cannot pretend to be someone else.
    code = ok(kefu(desk.path, "case", "new", "--channel", "hotline", "-d", "x",
                   env={"USER": "sue", "LOGNAME": "sue"})).strip()  # fmt: skip
    doc = json.loads(ok(kefu(desk.path, "case", "show", code, "--json", who=ROOT_USER)))
    assert doc["created_by"] == ROOT_USER
    assert doc["history"][0]["actor"] == ROOT_USER


def test_admin_acts_as_another_user(db: Path) -> None:
    code = triaged_case(db)
    out = ok(kefu(db, "case", "move", code, "claim", who="bob"))
    assert out.strip() == f"{code}: claim → in_progress (owner bob)"
    doc = json.loads(ok(kefu(db, "case", "show", code, "--json")))
    assert doc["history"][-1]["actor"] == "bob"


# -- help -------------------------------------------------------------------------------


def _is_group(command: Any) -> bool:
    # Typer 0.29 vendors its own click: test the shape, not the class.
    return isinstance(getattr(command, "commands", None), dict)


def _commands() -> list[tuple[list[str], Any]]:
    found: list[tuple[list[str], Any]] = []

    def walk(path: list[str], command: Any) -> None:
        found.append((path, command))
        if _is_group(command):
            for name, sub in command.commands.items():
                walk([*path, name], sub)

    walk([], get_command(app))
    return found


COMMANDS = _commands()


@pytest.mark.parametrize("path,command", COMMANDS, ids=[" ".join(p) or "kefu" for p, _ in COMMANDS])
def test_every_command_has_a_summary_and_an_example(path: list[str], command: Any) -> None:
    result = runner.invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    summary = " ".join((command.help or "").strip().split("\n\n")[0].split())
    assert summary, f"kefu {' '.join(path)} has no summary"
    assert len(summary) <= 150 and summary.count(". ") == 0, f"not a one-line summary: {summary}"
    # The help is wrapped to the terminal's width (even inside hyphenated words).
    assert "".join(summary.split()) in "".join(result.stdout.split())
    if not _is_group(command) or not path:
        assert "Example:" in result.stdout, f"kefu {' '.join(path)} has no example"
        example = result.stdout.split("Example:", 1)[1].strip().split("\n\n")[0]
        assert "kefu" in example and (not path or path[-1] in example), example


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.stdout.startswith("kefu ")


# -- found by a new user: tracebacks ----------------------------------------------------------


def test_report_period_out_of_range_is_one_sentence(db: Path) -> None:
    line = refused(kefu(db, "report", "--from", "2026-11", "--to", "9999-12"))
    assert "--to '9999-12' is out of range" in line and "2000–2100" in line
    refused(kefu(db, "report", "--from", "0001-01-01"))


def test_as_of_out_of_range_is_one_sentence(db: Path) -> None:
    line = refused(kefu(db, "sla", "check", "--as-of", "0001-01-01T00:00"))
    assert line == "kefu: --as-of: '0001-01-01T00:00' is not a real date and time (date value out of range)"
    refused(kefu(db, "revisit", "schedule", "--as-of", "0001-01-01T00:00"))


def test_profile_that_is_not_utf8_is_one_sentence(tmp_path: Path) -> None:
    bad = tmp_path / "gbk.toml"
    bad.write_bytes(MINI_PROFILE.read_bytes() + "# 中文注释\n".encode("gbk"))
    assert refused(runner.invoke(app, ["policy", "check", str(bad)])) == (f"kefu: {bad}: not UTF-8 text")
    refused(runner.invoke(app, ["--db", str(tmp_path / "k.db"), "init", "--profile", str(bad)]))
    assert not (tmp_path / "k.db").exists()
    desk = tmp_path / "desk.db"
    ok(runner.invoke(app, ["--db", str(desk), "init", "--profile", str(MINI_PROFILE)]))
    refused(runner.invoke(app, ["--db", str(desk), "policy", "apply", str(bad)]))


def test_demo_killed_by_timeout_leaves_nothing_and_no_traceback(tmp_path: Path) -> None:
    """`timeout 10 kefu demo`: SIGTERM then SIGCONT, on a real terminal."""
    import os
    import pty
    import signal
    import subprocess
    import sys
    import time

    master, slave = pty.openpty()
    kefu_bin = Path(sys.executable).with_name("kefu")
    env = {**os.environ, "TMPDIR": str(tmp_path), "TERM": "xterm-256color"}
    proc = subprocess.Popen([str(kefu_bin), "demo"], stdin=slave, stdout=slave, stderr=slave,
                            env=env, cwd=tmp_path, start_new_session=True)  # fmt: skip
    os.close(slave)
    output = b""
    deadline = time.monotonic() + 30
    try:
        while b"removed when you quit" not in output and time.monotonic() < deadline:
            try:
                output += os.read(master, 65536)
            except OSError:  # the terminal closed: kefu has exited
                pytest.fail(f"kefu demo exited early ({proc.wait()}): {output!r}")
        time.sleep(2)  # the TUI is up
        assert list(tmp_path.glob("kefu-demo-*")), output
        proc.send_signal(signal.SIGTERM)
        proc.send_signal(signal.SIGCONT)
        end = time.monotonic() + 15
        while proc.poll() is None and time.monotonic() < end:
            try:
                output += os.read(master, 65536)
            except OSError:
                break
        assert proc.wait(timeout=10) == 128 + signal.SIGTERM
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)
    assert b"Traceback" not in output
    assert not list(tmp_path.glob("kefu-demo-*"))


# -- found by a new user: search and listing ---------------------------------------------------


def test_case_list_search_works_as_in_the_tui(db: Path) -> None:
    code = new_case(db)
    other = ok(kefu(db, "case", "new", "--channel", "hotline", "-d", "包裹破损",
                    "--phone", "13900002222", "--name", "李四", who="alice")).strip()  # fmt: skip

    def found(text: str, who: str = "sue") -> list[str]:
        return [r["code"] for r in json.loads(ok(kefu(db, "case", "list", "--json", "-s", text,
                                                      who=who)))]  # fmt: skip

    assert found("张三") == [code]
    assert found("138-1234-5678") == [code]
    assert found("139 0000 2222") == [other]
    assert found("%") == []
    assert found("_") == []
    assert found("破损") == [other]
    assert found(code[:6]) == [other, code]
    # An analyst cannot confirm who a customer is by searching for their phone or name.
    assert found("13812345678", who="ana") == []
    assert found("张三", who="ana") == []


def test_case_list_says_when_it_truncates(db: Path) -> None:
    for _ in range(3):
        new_case(db)
    result = kefu(db, "case", "list", "--json", "--limit", "2", who="sue")
    assert len(json.loads(ok(result))) == 2
    assert result.stderr.strip() == "showing 2 of 3; use --limit"
    result = kefu(db, "case", "list", "--json", "--limit", "3", who="sue")
    assert len(json.loads(ok(result))) == 3
    assert result.stderr == ""


def test_python_warnings_are_one_line_each_once(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import warnings

    from kefu.core.calendar import CalendarCoverageWarning

    real = services.list_users

    def warning_list_users(session: Any) -> Any:
        for _ in range(2):
            warnings.warn("no holiday data for 2099", CalendarCoverageWarning, stacklevel=2)
        return real(session)

    monkeypatch.setattr(services, "list_users", warning_list_users)
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        result = kefu(db, "user", "list")
    ok(result)
    assert result.stderr == "kefu: warning: no holiday data for 2099\n"


def test_user_set_changes_role_and_deactivates(db: Path) -> None:
    ok(kefu(db, "user", "set", "alice", "--role", "handler", "--display-name", "Alice L"))
    ok(kefu(db, "user", "set", "bob", "--inactive"))
    ok(kefu(db, "user", "set", "carol", "--department", ""))
    users = {u["name"]: u for u in json.loads(ok(kefu(db, "user", "list", "--json")))}
    assert (users["alice"]["role"], users["alice"]["display_name"]) == ("handler", "Alice L")
    assert users["bob"]["active"] is False
    assert users["carol"]["department"] is None
    refused(kefu(db, "case", "list", who="bob"), 2)  # an inactive user is not let in
    ok(kefu(db, "user", "set", "bob", "--active"))
    assert "may not" in refused(kefu(db, "user", "set", "bob", "--inactive", who="sue"))
    assert "role" in refused(kefu(db, "user", "set", "bob", "--role", "boss"))
    assert "no kefu user" in refused(kefu(db, "user", "set", "nobody", "--inactive"))
    assert "nothing to change" in refused(kefu(db, "user", "set", "bob"))


def test_the_last_active_admin_stays(db: Path) -> None:
    assert "last active admin" in refused(kefu(db, "user", "set", ROOT_USER, "--inactive"))
    assert "last active admin" in refused(kefu(db, "user", "set", ROOT_USER, "--role", "agent"))
    ok(kefu(db, "user", "set", "sue", "--role", "admin"))
    ok(kefu(db, "user", "set", "sue", "--inactive"))
    assert "last active admin" in refused(kefu(db, "user", "set", ROOT_USER, "--role", "agent"))
    ok(kefu(db, "user", "set", "sue", "--active"))
    ok(kefu(db, "user", "set", ROOT_USER, "--role", "agent"))


# -- found by a new user: exit codes and wording -----------------------------------------------


def test_doctor_warns_about_next_year_but_does_not_fail(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import kefu.cli as kcli

    monkeypatch.setattr(kcli, "now_utc", lambda: NOW)  # 2026: covered; 2027: not yet
    result = kefu(db, "doctor", "--json")
    ok(result)
    calendar = next(c for c in json.loads(result.stdout)["checks"] if c["name"] == "calendar")
    assert (calendar["ok"], calendar["warning"]) == (True, True)
    assert "not yet for 2027" in calendar["detail"]
    assert "??  calendar" in ok(kefu(db, "doctor"))
    # A case in an uncovered year does fail it.
    ok(kefu(db, "case", "new", "--channel", "hotline", "-d", "旧投诉", "--received-at",
            "2003-06-02T10:00", who="alice"))  # fmt: skip
    result = kefu(db, "doctor", "--json")
    assert result.exit_code == 1
    calendar = next(c for c in json.loads(result.stdout)["checks"] if c["name"] == "calendar")
    assert calendar["ok"] is False and "NOT for 2003" in calendar["detail"]


def test_wording_of_help_policy_show_and_sla_check(db: Path) -> None:
    help_text = ok(kefu(db, "case", "new", "--help"))
    assert "P1..P4" not in help_text
    assert "A severity code from the policy (see kefu policy show)" in " ".join(help_text.split())
    shown = ok(kefu(db, "policy", "show"))
    assert "P1 Critical" in shown  # the mini labels lack the code: it is put in front
    express = Path(__file__).parents[1] / "sample_data" / "profiles" / "express.toml"
    other = db.with_name("express.db")
    ok(runner.invoke(app, ["--db", str(other), "init", "--profile", str(express)]))
    shown = ok(kefu(other, "policy", "show"))
    assert "P1 P1" not in shown
    code = new_case(db, "--severity", "P1", "--received-at", "2026-11-02T10:00")
    table = kefu(db, "sla", "check")
    assert code in table.stdout
    header = next(line for line in table.stdout.splitlines() if "overdue by" in line)
    assert "this run" in header


def test_audit_show_refusal_uses_the_right_article(db: Path) -> None:
    line = refused(kefu(db, "audit", "show", who="alice"))
    assert line.startswith("kefu: an agent may not read audit batches")


# -- found by a new user: policy edge cases ------------------------------------------------------


def test_policy_check_refuses_a_zero_sla_target(tmp_path: Path) -> None:
    broken = tmp_path / "zero.toml"
    broken.write_text(MINI_PROFILE.read_text(encoding="utf-8").replace(
        'first_response = "15m"', 'first_response = "0m"', 1), encoding="utf-8")  # fmt: skip
    line_no = broken.read_text(encoding="utf-8").splitlines().index('first_response = "0m"') + 1
    line = refused(runner.invoke(app, ["policy", "check", str(broken)]))
    assert line.startswith(f"kefu: {broken}, line {line_no}: sla.P1.first_response")
    assert "longer than zero" in line
    broken.write_text(MINI_PROFILE.read_text(encoding="utf-8").replace(
        'first_response = "15m"', 'first_response = "0wd"', 1), encoding="utf-8")  # fmt: skip
    ok(runner.invoke(app, ["policy", "check", str(broken)]))  # the end of the working day


def test_policy_apply_refuses_a_past_effective_date(db: Path) -> None:
    line = refused(kefu(db, "policy", "apply", str(MINI_PROFILE), "--effective", "2020-01-01"))
    assert line == ("kefu: an effective date in the past would rewrite history; use now or a "
                    "future date")  # fmt: skip
    assert "revision 2 applied" in ok(kefu(db, "policy", "apply", str(MINI_PROFILE),
                                           "--effective", "2099-01-01"))  # fmt: skip


def test_demo_as_an_unknown_user_lists_the_sample_users(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    line = refused(runner.invoke(app, ["demo", "--profile", "express", "--as", "nobody"]))
    assert line.startswith("kefu: no sample user named 'nobody'; the express demo desk has: ")
    assert "liuting" in line and "kefu user list" not in line
    assert not list(tmp_path.glob("kefu-demo-*"))


def test_a_reader_that_stops_early_ends_kefu_quietly(tmp_path: Path) -> None:
    """`kefu report --by case --format csv | head -1`: when the reader closes the pipe, kefu leaves with
    exit 0 and nothing on stderr (no 'cannot write', no traceback). A real process on a small
    pipe, so the write really breaks."""
    import fcntl
    import os
    import subprocess
    import sys

    desk = tmp_path / "kefu.db"
    kefu_bin = str(Path(sys.executable).with_name("kefu"))
    env = {**os.environ, "KEFU_DB": str(desk), "KEFU_LANG": "en"}
    subprocess.run(
        [kefu_bin, "init", "--profile", "express", "--sample"], env=env, check=True, capture_output=True
    )
    read_end, write_end = os.pipe()
    fcntl.fcntl(write_end, 1031, 4096)  # F_SETPIPE_SZ: one page, far less than the document
    export = [
        kefu_bin,
        "report",
        "--by",
        "case",
        "--format",
        "csv",
        "--from",
        "2020-01-01",
        "--to",
        "2030-12-31",
    ]
    proc = subprocess.Popen(export, stdout=write_end, stderr=subprocess.PIPE, env=env)
    os.close(write_end)
    first = b""
    while b"\n" not in first:  # the first line (the BOM may come in a write of its own)
        chunk = os.read(read_end, 100)
        assert chunk, "kefu wrote no line"
        first += chunk
    os.close(read_end)  # the reader is done
    _, stderr = proc.communicate(timeout=60)
    assert b"code,received_at" in first
    assert (proc.returncode, stderr.decode()) == (0, "")
