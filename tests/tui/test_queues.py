"""Core queues behind the TUI tabs: who sees which queue, keyset pages, at-risk exactness,
search, masking, and the change watcher."""

from __future__ import annotations

from datetime import timedelta

import pytest
from conftest import NOW, Desk

from kefu.core import intake, lifecycle, policies, queues, services, views
from kefu.core.watch import ChangeWatcher


def _intake(desk: Desk, count: int, **fields) -> list[str]:
    codes = []
    with desk.write() as session:
        for number in range(count):
            at = NOW - timedelta(minutes=7 * number)
            case = intake.create_case(
                session=session,
                actor=desk.user("alice"),
                now=at,
                received_at=at,
                channel="hotline",
                description=f"parcel {number} is late",
                **fields,
            )
            codes.append(case.code)
    return codes


def test_queues_follow_roles_and_teams(desk: Desk) -> None:
    keys = {name: [q.key for q in queues.queues_for(desk.user(name))] for name in desk.users}
    assert keys["alice"] == ["mine", "unassigned", "team", "at_risk", "revisits"]
    assert keys["sue"] == ["mine", "unassigned", "team", "at_risk", "approval", "revisits"]
    assert keys["ana"] == ["unassigned", "team", "at_risk"]
    assert "mine" not in keys["admin"] and "team" not in keys["admin"]  # no department


@pytest.mark.parametrize("sort", queues.SORTS)
def test_keyset_pages_cover_a_queue_once_in_order(desk: Desk, sort: str) -> None:
    codes = _intake(desk, 23)
    seen: list[queues.QueueRow] = []
    after = None
    with desk.read() as session:
        while True:
            page = queues.queue_page(
                session,
                queue="unassigned",
                actor=desk.user("alice"),
                now=NOW,
                after=after,
                limit=10,
                sort=sort,
            )
            seen += page.rows
            assert len(page.rows) <= 10
            if page.next_after is None:
                break
            after = page.next_after
        counts = queues.queue_counts(session, actor=desk.user("alice"), now=NOW)
    assert sorted(r.code for r in seen) == sorted(codes)
    keys = [r.sort_key for r in seen]
    assert keys == sorted(keys, reverse=sort == "received")
    assert counts["unassigned"] == 23


def test_at_risk_queue_is_exactly_the_cases_at_risk_or_breached(desk: Desk) -> None:
    codes = _intake(desk, 40, severity="P2")  # 30bm first response: spread over 4½ hours
    with desk.read() as session:
        page = queues.queue_page(session, queue="at_risk", actor=desk.user("alice"), now=NOW, limit=100)
        count = queues.queue_counts(session, actor=desk.user("alice"), now=NOW)["at_risk"]
        expected = set()
        for code in codes:
            case = lifecycle.get_case(session, code)
            profile = policies.case_profile(session, case)
            if views.worst_state(views.all_states(case, profile, NOW).values()) in (
                "at_risk",
                "breached",
            ):
                expected.add(code)
    assert expected and len(expected) < len(codes)
    assert {r.code for r in page.rows} == expected
    assert count == len(expected)
    assert all(r.countdown_state in ("at_risk", "breached") for r in page.rows)


def test_mine_team_and_approval(desk: Desk) -> None:
    (code,) = _intake(desk, 1, category="delay", party="courier", department="cs")
    with desk.write() as session:
        lifecycle.move_case(session=session, code=code, action="claim", actor=desk.user("alice"), now=NOW)
        lifecycle.move_case(
            session=session,
            code=code,
            action="propose",
            actor=desk.user("alice"),
            now=NOW,
            resolution="compensation",
            amount=500,
        )
    with desk.read() as session:

        def codes(queue: str, user: str) -> list[str]:
            page = queues.queue_page(session, queue=queue, actor=desk.user(user), now=NOW)
            return [r.code for r in page.rows]

        assert codes("mine", "alice") == [code]
        assert codes("mine", "bob") == []
        assert codes("team", "bob") == [code]
        assert codes("approval", "sue") == [code]
        assert codes("unassigned", "alice") == []


def test_unassigned_shows_only_what_the_role_may_claim(desk: Desk) -> None:
    triaged = {"category": "delay", "party": "courier", "department": "cs", "severity": "P3"}
    (new,) = _intake(desk, 1)
    ready, escalated = _intake(desk, 2, **triaged)
    with desk.write() as session:
        lifecycle.move_case(
            session=session,
            code=escalated,
            action="escalate",
            actor=desk.user("alice"),
            now=NOW,
            note="needs ops",
        )
    with desk.read() as session:
        assert lifecycle.get_case(session, escalated).owner is None

        def codes(user: str) -> set[str]:
            page = queues.queue_page(session, queue="unassigned", actor=desk.user(user), now=NOW)
            count = queues.queue_counts(session, actor=desk.user(user), now=NOW, queues=["unassigned"])[
                "unassigned"
            ]
            assert count == len(page.rows)
            return {r.code for r in page.rows}

        assert codes("alice") == {new, ready}  # an agent may not claim an escalated case
        assert codes("hank") == {new, ready, escalated}
        assert codes("admin") == {new, ready, escalated}  # never claims: the whole pool


def test_due_sort_puts_cases_without_a_running_deadline_last(desk: Desk) -> None:
    triaged = {"category": "delay", "party": "courier", "department": "cs", "severity": "P3"}
    old_at = NOW - timedelta(days=10)
    with desk.write() as session:
        resolved = intake.create_case(
            session=session,
            actor=desk.user("alice"),
            now=old_at,
            received_at=old_at,
            channel="hotline",
            description="resolved long ago",
            **triaged,
        ).code
        for action, fields in (("claim", {}), ("propose", {"resolution": "apology"})):
            lifecycle.move_case(
                session=session, code=resolved, action=action, actor=desk.user("alice"), now=old_at, **fields
            )
    (late,) = _intake(desk, 1, **triaged)
    with desk.write() as session:
        lifecycle.move_case(session=session, code=late, action="claim", actor=desk.user("alice"), now=NOW)
    later = NOW + timedelta(days=5)  # the claimed case's resolution deadline has passed
    with desk.read() as session:
        assert lifecycle.get_case(session, resolved).status == "resolved"
        rows = []
        after = None
        while True:
            page = queues.queue_page(
                session, queue="mine", actor=desk.user("alice"), now=later, sort="due", limit=1, after=after
            )
            rows += page.rows
            if page.next_after is None:
                break
            after = page.next_after
    assert [r.code for r in rows] == [late, resolved]
    assert rows[0].sla == "breached"


def test_search_by_code_phone_order_and_words(desk: Desk) -> None:
    _intake(desk, 3)
    (target,) = _intake(desk, 1, customer_phone="138 0013 8000", customer_name="王小明", order_no="SF123")
    with desk.read() as session:

        def found(text: str, user: str = "alice") -> list[str]:
            page = queues.search_cases(session, actor=desk.user(user), now=NOW, text=text)
            return [r.code for r in page.rows]

        assert found(target) == [target]
        assert found(target.lower()) == [target]
        assert target in found(target[:10])
        assert found("13800138000") == [target]
        assert found("SF123") == [target]
        assert found("王小明") == [target]
        assert len(found("late")) == 4
        assert found("50%_") == []
        # Analysts never match on a phone number or a name, and see them masked.
        assert found("13800138000", "ana") == []
        assert found("王小明", "ana") == []
        (row,) = queues.search_cases(session, actor=desk.user("ana"), now=NOW, text="SF123").rows
        assert row.customer_name == "王**" and row.customer_phone == "138****8000"


def test_search_matches_pieces_of_codes_numbers_and_names(desk: Desk) -> None:
    others = _intake(desk, 3)
    (target,) = _intake(
        desk,
        1,
        customer_phone="136-0003-1313",
        customer_name="钟晴",
        customer_email="zhong@example.com",
        order_no="SF1402236608890",
        demand="退款 100%_全额",
    )
    with desk.read() as session:

        def found(text: str, user: str = "alice") -> list[str]:
            page = queues.search_cases(session, actor=desk.user(user), now=NOW, text=text)
            return [r.code for r in page.rows]

        for piece in ("1313", "0031313", "0003-1313", "2236608890", "2236 6088", "钟", "zhong@", "100%_"):
            assert found(piece) == [target], piece
        suffix = target.rsplit("-", 1)[1]
        assert found(suffix) == [target]
        assert found(target.split("-", 1)[1]) == [target]  # the code without its prefix
        # Wildcards are literal; short number pieces do not match numbers.
        assert found("%") == [target]
        assert found("_") == [target]
        assert found("131") == []
        assert len(found("late")) == 4
        assert set(found(others[0].rsplit("-", 1)[1])) == {others[0]}
        # Roles that may not see personal data never match on phone, name or e-mail.
        for piece in ("1313", "13600031313", "钟", "钟晴", "zhong"):
            assert found(piece, "ana") == [], piece
        assert found("2236608890", "ana") == [target]


def test_search_pages_with_a_cursor(desk: Desk) -> None:
    _intake(desk, 7)
    with desk.read() as session:
        first = queues.search_cases(session, actor=desk.user("alice"), now=NOW, text="late", limit=4)
        second = queues.search_cases(
            session, actor=desk.user("alice"), now=NOW, text="late", limit=4, after=first.next_after
        )
    assert len(first.rows) == 4 and len(second.rows) == 3 and second.next_after is None
    assert not {r.code for r in first.rows} & {r.code for r in second.rows}


def test_due_revisits(desk: Desk) -> None:
    (code,) = _intake(desk, 1, category="delay", party="courier", department="cs")
    then = NOW - timedelta(days=10)
    with desk.write() as session:
        for action, fields in (
            ("claim", {}),
            ("propose", {"resolution": "apology"}),
            ("confirm", {"satisfied": "yes"}),
        ):
            lifecycle.move_case(
                session=session, code=code, action=action, actor=desk.user("alice"), now=then, **fields
            )
    with desk.read() as session:
        page = queues.queue_page(session, queue="revisits", actor=desk.user("alice"), now=NOW)
        counts = queues.queue_counts(session, actor=desk.user("alice"), now=NOW)
    assert [r.code for r in page.rows] == [code]
    assert page.rows[0].revisit_due_local is not None
    assert counts["revisits"] == 1


def test_change_watcher_sees_other_connections_commits(desk: Desk) -> None:
    watcher = ChangeWatcher(str(desk.path))
    try:
        assert watcher.is_exact
        assert watcher.changed() is False
        _intake(desk, 1)
        assert watcher.changed() is True
        assert watcher.changed() is False
        with desk.read() as session:
            services.list_users(session)
        assert watcher.changed() is False
    finally:
        watcher.close()
