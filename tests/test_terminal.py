"""Terminal safety (issue 12): control characters in customer text — ESC sequences, bells, C1,
bidirectional overrides — are neutralised at intake and shown as visible characters by every
view (CLI text and JSON, the TUI), also for rows written before kefu did so; a refusal quoting
hostile input cannot act on the terminal either."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import NOW, Desk, make_cli_desk
from conftest import cli_run as run
from sqlalchemy import text

from kefu.core import intake, lifecycle, views
from kefu.core.messages import neutralise, terminal_safe

CLEAR = "\x1b[2J"
TITLE = "\x1b]0;pwned\x07"  # an OSC window title, left open by a bell
RTL = "\u202e"  # right-to-left override: reorders what follows


@pytest.fixture
def desk(tmp_path: Path) -> Desk:
    return make_cli_desk(tmp_path / "kefu.db")


def test_every_control_character_becomes_one_visible_one() -> None:
    assert terminal_safe(f"a{CLEAR}b{TITLE}c{RTL}d\x9be\x7f\tf\ng") == "a␛[2Jb␛]0;pwned␇c�d�e␡\tf\ng"
    assert neutralise("one\r\ntwo\rthree\x00") == "one\ntwo\nthree␀"
    assert terminal_safe("王芳 13812345678 包裹破损") == "王芳 13812345678 包裹破损"


def test_intake_stores_hostile_text_neutralised(desk: Desk) -> None:
    with desk.write() as session:
        code = intake.create_case(
            session=session, actor=desk.user("alice"), now=NOW, channel="hotline",
            description=f"包裹破损{CLEAR}", customer_name=f"王{TITLE}芳", demand=f"{RTL}退款",
        ).code  # fmt: skip
    with desk.read() as session:
        case = lifecycle.get_case(session, code)
    assert (case.description, case.customer_name, case.demand) == ("包裹破损␛[2J", "王␛]0;pwned␇芳", "�退款")


def test_a_row_written_raw_is_shown_neutralised_everywhere(desk: Desk) -> None:
    with desk.write() as session:
        code = intake.create_case(
            session=session, actor=desk.user("alice"), now=NOW, channel="hotline", description="x",
            customer_name="王芳",
        ).code  # fmt: skip
        # As another tool (or a kefu before this one) could have left it.
        session.execute(
            text("UPDATE cases SET description = :d, customer_name = :n"),
            {"d": f"坏{CLEAR}", "n": f"王{TITLE}"},
        )
        session.execute(text("UPDATE events SET note = :n"), {"n": f"备注{CLEAR}"})
    for args in (["case", "show", code], ["case", "list"], ["customer", "show", code]):
        shown = run(desk, "--as", "sue", *args)
        assert shown.exit_code == 0, shown.output
        assert "\x1b" not in shown.stdout and "\x07" not in shown.stdout, args
    assert "坏␛[2J" in run(desk, "--as", "sue", "case", "show", code).stdout
    document = json.loads(run(desk, "--as", "sue", "case", "show", code, "--json").stdout)
    assert document["description"] == "坏␛[2J" and document["customer"]["name"] == "王␛]0;pwned␇"
    assert document["history"][0]["note"] == "备注␛[2J"
    # An analyst's masked name cannot start with a raw ESC either.
    with desk.read() as session:
        masked = views.case_detail(session, lifecycle.get_case(session, code), desk.user("ana"), NOW)
    assert masked.customer.name is not None and "\x1b" not in masked.customer.name


def test_a_refusal_quoting_hostile_input_is_neutralised(desk: Desk) -> None:
    refused = run(desk, "--as", "alice", "case", "new", "--channel", f"hot{CLEAR}line", "-d", "x")
    assert refused.exit_code == 2
    assert "\x1b" not in refused.stderr and "hot␛[2Jline" in refused.stderr


@pytest.mark.parametrize("name", ["wang\x1b[2J", ".hidden", "王芳", "a b", "x" * 65, " "])
def test_a_user_name_must_be_a_login(desk: Desk, name: str) -> None:
    refused = run(desk, "user", "add", name, "--role", "agent")
    assert refused.exit_code == 2 and "must be an OS login" in refused.stderr
    assert "\x1b" not in refused.stderr


def test_a_display_name_is_neutralised(desk: Desk) -> None:
    assert (
        run(desk, "user", "add", "wang", "--role", "agent", "--display-name", f"王{CLEAR}芳").exit_code == 0
    )
    assert run(desk, "user", "add", "li.na@corp", "--role", "agent").exit_code == 0
    users = {u["name"]: u for u in json.loads(run(desk, "user", "list", "--json").stdout)}
    assert users["wang"]["display_name"] == "王␛[2J芳" and "li.na@corp" in users
