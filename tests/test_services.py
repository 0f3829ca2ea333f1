"""The case lifecycle end to end through the service functions, on the mini profile.

Every expected deadline is worked out by hand from the mini profile (tests/data/mini.toml):
business hours 09:00-12:00 and 13:00-18:00 Asia/Shanghai, the cn calendar (no holiday in late
November 2026), P2 = first response 30bm, resolution 8bh, coordination 4bh (3wd when complex),
P3 = first response 2bh, resolution 3wd; approval above 200 CNY; revisit 2wd after closing;
repeat window 30 days. NOW is Tuesday 24 Nov 2026 10:00 in Shanghai (02:00 UTC).
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from conftest import NOW, Desk
from sqlalchemy.exc import StatementError
from sqlmodel import select

from kefu.core import intake, lifecycle, policies, services, views
from kefu.core.errors import InvalidInput, PermissionDenied
from kefu.core.history import add_event, event_row
from kefu.core.models import Case, CaseLink, Event, Revisit, User
from kefu.core.workflow import SYSTEM_ACTOR, Status

SH = ZoneInfo("Asia/Shanghai")


def sh(day: int, hour: int, minute: int = 0) -> datetime:
    """An instant in November 2026, Shanghai time."""
    return datetime(2026, 11, day, hour, minute, tzinfo=SH)


def new_case(desk: Desk, now: datetime = NOW, who: str = "alice", **fields: Any) -> str:
    fields.setdefault("channel", "hotline")
    fields.setdefault("description", "快递三天没有更新")
    with desk.write() as session:
        return intake.create_case(session=session, actor=desk.user(who), now=now, **fields).code


def move(desk: Desk, code: str, action: str, who: str, now: datetime, **fields: Any) -> Case:
    with desk.write() as session:
        return lifecycle.move_case(
            session=session, code=code, action=action, actor=desk.user(who), now=now, **fields
        )


def load(desk: Desk, code: str) -> Case:
    with desk.read() as session:
        return lifecycle.get_case(session, code)


def history(desk: Desk, code: str) -> list[tuple[str, str, str | None, str | None]]:
    with desk.read() as session:
        events = lifecycle.case_events(session, lifecycle.get_case(session, code))
        return [(e.actor, e.action, e.from_status, e.to_status) for e in events]


def test_lifecycle_end_to_end(desk: Desk) -> None:
    code = new_case(desk, now=sh(24, 10), customer_name="张三", customer_phone="13812345678", order_no="SF1")
    case = load(desk, code)
    assert code == "T-20261124-0001"
    assert (case.status, case.severity, case.owner) == (Status.NEW, "P3", None)
    # P3: first response 2bh → 12:00; resolution 3wd → close of Friday 27 Nov.
    assert case.due_first_response == sh(24, 12)
    assert case.due_resolution == sh(27, 18)

    triage = {"category": "延误", "severity": "P2", "complexity": "simple"}
    case = move(desk, code, "triage", "carol", sh(24, 10, 10), **triage, party="courier",
                department="客服部")  # fmt: skip
    assert (case.status, case.category, case.department) == (Status.TRIAGED, "delay", "cs")
    # P2 counts from receipt: 30bm → 10:30; 8bh → 10:00-12:00, 13:00-18:00, then 1h Wednesday.
    assert case.due_first_response == sh(24, 10, 30)
    assert case.due_resolution == sh(25, 10)
    assert case.due_coordination is None

    case = move(desk, code, "claim", "alice", sh(24, 10, 15))
    assert (case.status, case.owner) == (Status.IN_PROGRESS, "alice")

    with desk.write() as session:
        services.add_note(
            session=session,
            code=code,
            actor=desk.user("alice"),
            now=sh(24, 10, 20),
            text="",
            contact="call",
            phrase="apology",
        )
    case = load(desk, code)
    assert case.first_response_at == sh(24, 10, 20)
    with desk.read() as session:
        detail = views.case_detail(session, case, desk.user("alice"), sh(24, 10, 25)).as_json()
    assert detail["due"]["first_response"]["state"] == "met"
    assert detail["history"][-1]["note"] == "We are sorry for the trouble."

    case = move(desk, code, "wait", "alice", sh(24, 10, 30), note="asked for the waybill photo")
    assert (case.status, case.paused_at) == (Status.PENDING_CUSTOMER, sh(24, 10, 30))
    with desk.read() as session:
        detail = views.case_detail(session, case, desk.user("alice"), sh(24, 14)).as_json()
    assert detail["due"]["resolution"]["state"] == "paused"

    # Paused 10:30-14:30 = 90 + 90 business minutes (lunch does not count): the resolution
    # deadline moves from Wednesday 10:00 by 3 business hours → Wednesday 14:00. The first
    # response was met, so its deadline stays.
    case = move(desk, code, "resume", "alice", sh(24, 14, 30))
    assert (case.status, case.paused_at) == (Status.IN_PROGRESS, None)
    assert case.due_resolution == sh(25, 14)
    assert case.due_first_response == sh(24, 10, 30)

    comp = {"resolution": "compensation", "amount": 500, "compensation_kind": "现金"}
    case = move(desk, code, "propose", "alice", sh(24, 15), **comp)
    assert case.status == Status.PENDING_APPROVAL
    assert (case.compensation_amount, case.compensation_kind) == (500, "cash")
    assert case.resolved_at is None

    case = move(desk, code, "approve", "sue", sh(24, 15, 30), note="ok")
    assert (case.status, case.resolved_at) == (Status.RESOLVED, sh(24, 15, 30))

    case = move(desk, code, "confirm", "alice", sh(24, 16), satisfied="no", score=2)
    assert (case.status, case.reopen_count, case.satisfied) == (Status.IN_PROGRESS, 1, False)
    assert case.resolved_at is None

    case = move(desk, code, "propose", "alice", sh(24, 16, 30), resolution="apology")
    assert (case.status, case.resolved_at) == (Status.RESOLVED, sh(24, 16, 30))
    assert case.compensation_amount is None

    case = move(desk, code, "confirm", "alice", sh(24, 17), satisfied="是", score=5)
    assert (case.status, case.close_reason, case.closed_at) == (
        Status.CLOSED,
        "confirmed",
        sh(24, 17),
    )
    assert (case.satisfied, case.satisfaction_score) == (True, 5)

    with desk.read() as session:
        revisits = session.exec(select(Revisit).where(Revisit.case_id == case.id)).all()
        # 2wd after Tuesday: Thursday 26 Nov, from the start of business.
        assert [(r.status, r.due_at) for r in revisits] == [("scheduled", sh(26, 9))]
        detail = views.case_detail(session, load(desk, code), desk.user("alice"), sh(24, 17, 5)).as_json()
    assert detail["due"]["resolution"]["state"] == "met"
    assert detail["allowed_actions"] == ["reopen", "revisit"]

    assert history(desk, code) == [
        ("alice", "create", None, "new"),
        ("carol", "triage", "new", "triaged"),
        ("alice", "claim", "triaged", "in_progress"),
        ("alice", "contact", None, None),
        ("alice", "wait", "in_progress", "pending_customer"),
        ("alice", "resume", "pending_customer", "in_progress"),
        ("alice", "propose", "in_progress", "pending_approval"),
        ("sue", "approve", "pending_approval", "resolved"),
        ("alice", "confirm", "resolved", "in_progress"),
        ("alice", "propose", "in_progress", "resolved"),
        ("alice", "confirm", "resolved", "closed"),
    ]

    # A revisit can reopen it; reopen counts and forgets the closing.
    case = move(desk, code, "reopen", "sue", sh(25, 9), note="customer called back")
    assert (case.status, case.reopen_count, case.closed_at, case.close_reason) == (
        Status.IN_PROGRESS,
        2,
        None,
        None,
    )


def test_deadlines_recompute_from_history_after_pauses(desk: Desk) -> None:
    code = new_case(desk, now=sh(24, 10), category="delay", party="courier", department="cs", severity="P2")
    assert load(desk, code).status == Status.TRIAGED
    move(desk, code, "claim", "alice", sh(24, 10, 5))
    move(desk, code, "wait", "alice", sh(24, 10, 10), note="w")
    case = move(desk, code, "resume", "alice", sh(24, 10, 20))
    # Paused 10 business minutes before anything was met: both deadlines move 10 minutes.
    assert case.due_first_response == sh(24, 10, 40)
    assert case.due_resolution == sh(25, 10, 10)
    move(desk, code, "wait", "alice", sh(24, 11, 30), note="w")
    case = move(desk, code, "resume", "alice", sh(24, 13, 30))
    # Paused 11:30-13:30 = 60 business minutes: resolution → Wednesday 11:10. The first
    # response deadline (10:40) had passed when this pause began, so it stays.
    assert case.due_first_response == sh(24, 10, 40)
    assert case.due_resolution == sh(25, 11, 10)
    with desk.read() as session:
        case = lifecycle.get_case(session, code)
        recomputed = lifecycle.recompute_deadlines(session, case, sh(24, 14))
    assert recomputed == {
        "first_response": case.due_first_response,
        "resolution": case.due_resolution,
        "coordination": case.due_coordination,
    }


def test_pause_before_escalation_does_not_move_coordination(desk: Desk) -> None:
    code = new_case(desk, now=sh(24, 10), category="delay", party="courier", department="cs", severity="P2")
    move(desk, code, "claim", "alice", sh(24, 10, 5))
    move(desk, code, "wait", "alice", sh(24, 10, 10), note="w")
    move(desk, code, "resume", "alice", sh(24, 10, 20))
    case = move(desk, code, "escalate", "alice", sh(24, 11), note="needs the station manager")
    # Coordination 4bh from 11:00 → 16:00; the earlier pause is no part of that clock.
    assert case.due_coordination == sh(24, 16)


def test_p1_is_escalated_on_intake(desk: Desk) -> None:
    code = new_case(
        desk,
        now=sh(24, 10),
        severity="P1",
        category="damage",
        party="station",
        department="ops",
        description="包裹内物品起火，有人受伤",
    )
    case = load(desk, code)
    # Escalation starts the coordination clock; complexity stays as recorded at intake.
    assert (case.status, case.escalated_at, case.complexity) == (
        Status.ESCALATED,
        sh(24, 10),
        "simple",
    )
    # P1 targets are calendar time: coordination 2h, first response 15m, resolution 24h.
    assert case.due_coordination == sh(24, 12)
    assert case.due_first_response == sh(24, 10, 15)
    assert case.due_resolution == sh(25, 10)
    assert history(desk, code) == [
        ("alice", "create", None, "triaged"),
        (SYSTEM_ACTOR, "escalate", "triaged", "escalated"),
    ]
    # Handlers and supervisors pick escalated cases up; agents may not.
    assert move(desk, code, "claim", "hank", sh(24, 10, 5)).owner == "hank"


def test_coordination_met_stays_met_after_later_changes(desk: Desk) -> None:
    """Coordination ends when the escalated case is picked up; a note hours later is no part
    of it (the case's updated_at moves on, the history does not)."""
    code = new_case(desk, now=sh(24, 10), severity="P1", category="damage", party="station",
                    department="ops")  # fmt: skip
    move(desk, code, "claim", "hank", sh(24, 10, 30))
    with desk.write() as session:
        services.add_note(session=session, code=code, actor=desk.user("hank"),
                          now=sh(24, 15), text="called the station")  # fmt: skip
    with desk.read() as session:
        case = lifecycle.get_case(session, code)
        coordination = views.case_detail(session, case, desk.user("hank"), sh(24, 15, 5)).as_json()["due"][
            "coordination"
        ]
    assert coordination["state"] == "met"
    assert coordination["met_at"] == "2026-11-24T10:30:00+08:00"


def test_unclassified_p1_is_escalated_too(desk: Desk) -> None:
    code = new_case(desk, now=sh(24, 10), severity="P1")
    assert load(desk, code).status == Status.ESCALATED
    assert history(desk, code)[-1] == (SYSTEM_ACTOR, "escalate", "new", "escalated")


@pytest.mark.parametrize("days_before,repeat", [(1, True), (29, True), (31, False)])
def test_repeat_complaint_window(desk: Desk, days_before: int, repeat: bool) -> None:
    first = new_case(desk, now=NOW, received_at=NOW - timedelta(days=days_before),
                     customer_phone="13900001111")  # fmt: skip
    second = new_case(desk, now=NOW, customer_phone="139-0000-1111")
    case = load(desk, second)
    with desk.read() as session:
        links = lifecycle.case_links(session, case)
        back = lifecycle.case_links(session, lifecycle.get_case(session, first))
    if repeat:
        assert case.repeat_of == first
        assert links == [("repeat", first)]
        assert back == [("repeat_of_this", second)]
        assert history(desk, second)[-1] == (SYSTEM_ACTOR, "link", None, None)
    else:
        assert case.repeat_of is None
        assert links == [] and back == []


def test_repeat_by_order_number(desk: Desk) -> None:
    first = new_case(desk, now=NOW - timedelta(days=3), order_no="SF100")
    second = new_case(desk, now=NOW, order_no="SF100", customer_phone="13700000000")
    assert load(desk, second).repeat_of == first


def test_reject_spam(desk: Desk) -> None:
    code = new_case(desk, now=sh(24, 10))
    case = move(desk, code, "reject", "carol", sh(24, 10, 5), reason="spam", note="advert")
    assert (case.status, case.close_reason, case.closed_at) == (Status.CLOSED, "spam", sh(24, 10, 5))
    with desk.read() as session:
        # No revisit for spam, and no links.
        assert session.exec(select(Revisit).where(Revisit.case_id == case.id)).all() == []
        assert lifecycle.case_links(session, case) == []


def test_reject_duplicate_links_both_ways(desk: Desk) -> None:
    original = new_case(desk, now=sh(24, 9))
    duplicate = new_case(desk, now=sh(24, 10))
    case = move(desk, duplicate, "reject", "carol", sh(24, 10, 5), reason="duplicate",
                duplicate_of=original.lower())  # fmt: skip
    assert (case.status, case.close_reason) == (Status.CLOSED, "duplicate")
    with desk.read() as session:
        assert lifecycle.case_links(session, case) == [("duplicate", original)]
        assert lifecycle.case_links(session, lifecycle.get_case(session, original)) == [
            ("duplicate_of_this", duplicate)
        ]
        event = lifecycle.case_events(session, case)[-1]
        assert event.changes["duplicate_of"] == [None, original]
    # Itself is no original.
    other = new_case(desk, now=sh(24, 11))
    with pytest.raises(InvalidInput, match="duplicate of itself"):
        move(desk, other, "reject", "carol", sh(24, 11), reason="duplicate", duplicate_of=other)


def test_every_change_is_one_transaction(desk: Desk) -> None:
    code = new_case(desk, now=sh(24, 10))
    before = load(desk, code)
    events_before = history(desk, code)

    class Boom(Exception):
        pass

    with pytest.raises(Boom):
        with desk.write() as session:
            moved = lifecycle.move_case(
                session=session,
                code=code,
                action="triage",
                actor=desk.user("carol"),
                now=sh(24, 10, 5),
                category="delay",
                severity="P2",
                complexity="simple",
                party="courier",
                department="cs",
            )
            session.flush()
            assert moved.status == Status.TRIAGED  # written inside the transaction ...
            raise Boom  # ... and then the caller fails before commit
    after = load(desk, code)
    assert (after.status, after.version, after.category) == (before.status, before.version, None)
    assert history(desk, code) == events_before

    # The same for a note, and for an intake.
    with pytest.raises(Boom):
        with desk.write() as session:
            services.add_note(session=session, code=code, actor=desk.user("alice"),
                              now=sh(24, 10, 6), text="hello")  # fmt: skip
            raise Boom
    assert history(desk, code) == events_before
    with pytest.raises(Boom):
        with desk.write() as session:
            intake.create_case(session=session, actor=desk.user("alice"), now=sh(24, 10, 7),
                                 channel="hotline", description="x")  # fmt: skip
            raise Boom
    with desk.read() as session:
        assert len(session.exec(select(Case)).all()) == 1
    # The counter rolled back with it: the next case gets number 2, not 3.
    assert new_case(desk, now=sh(24, 10, 8)) == "T-20261124-0002"


def test_history_is_append_only(desk: Desk) -> None:
    code = new_case(desk, now=sh(24, 10))

    def rows() -> list[tuple[Any, ...]]:
        with desk.read() as session:
            return [
                (e.id, e.at, e.actor, e.action, e.from_status, e.to_status, e.changes_json, e.note)
                for e in session.exec(select(Event).order_by(Event.id)).all()  # type: ignore[arg-type]
            ]

    seen = rows()
    steps = [
        (
            "triage",
            "carol",
            {
                "category": "delay",
                "severity": "P3",
                "complexity": "simple",
                "party": "courier",
                "department": "cs",
            },
        ),  # fmt: skip
        ("claim", "alice", {}),
        ("wait", "alice", {"note": "w"}),
        ("resume", "alice", {}),
        ("propose", "alice", {"resolution": "apology"}),
        ("confirm", "alice", {"satisfied": "yes"}),
    ]
    for minute, (action, who, fields) in enumerate(steps, start=1):
        move(desk, code, action, who, sh(24, 10, minute), **fields)
        now_rows = rows()
        assert now_rows[: len(seen)] == seen, f"{action} rewrote history"
        assert len(now_rows) == len(seen) + 1
        seen = now_rows


def test_each_change_records_before_and_after(desk: Desk) -> None:
    code = new_case(desk, now=sh(24, 10))
    move(desk, code, "triage", "carol", sh(24, 10, 5), category="delay", severity="P2",
         complexity="simple", party="courier", department="cs")  # fmt: skip
    with desk.read() as session:
        event = lifecycle.case_events(session, lifecycle.get_case(session, code))[-1]
        changes = event.changes
    assert changes["severity"] == ["P3", "P2"]
    assert changes["category"] == [None, "delay"]
    assert changes["status"] == ["new", "triaged"]
    assert changes["due_first_response"] == [
        sh(24, 12).astimezone(UTC).isoformat(),
        sh(24, 10, 30).astimezone(UTC).isoformat(),
    ]


def test_masking_by_role(desk: Desk) -> None:
    code = new_case(desk, now=NOW, customer_name="张三", customer_phone="13812345678",
                    customer_email="zhang@example.cn")  # fmt: skip
    with desk.read() as session:
        case = lifecycle.get_case(session, code)
        profile = policies.case_profile(session, case)
        seen = {
            who: (
                views.case_detail(session, case, desk.user(who), NOW).as_json()["customer"],
                views.case_summary(case, profile, desk.user(who), NOW).as_json()["customer"],
            )
            for who in ("alice", "carol", "hank", "sue", "admin", "ana", "aud")
        }
    masked = {"name": "张*", "phone": "138****5678", "email": "z***@example.cn"}
    full = {"name": "张三", "phone": "13812345678", "email": "zhang@example.cn"}
    for who in ("ana", "aud"):
        assert seen[who] == (masked, masked), who
    for who in ("alice", "carol", "hank", "sue", "admin"):
        assert seen[who] == (full, full), who


def test_masking_reaches_history(desk: Desk) -> None:
    """Personal data in an event's changes is masked like the case itself."""
    code = new_case(desk, now=NOW, customer_phone="13812345678")
    with desk.write() as session:
        case = lifecycle.get_case(session, code)
        assert case.id is not None
        add_event(session, case.id, event_row(
            actor="alice", action="edit", at=NOW, changes={"customer_phone": (None, "13812345678")}
        ))  # fmt: skip
    with desk.read() as session:
        case = lifecycle.get_case(session, code)
        ana = views.case_detail(session, case, desk.user("ana"), NOW).as_json()["history"][-1]
        alice = views.case_detail(session, case, desk.user("alice"), NOW).as_json()["history"][-1]
    assert ana["changes"]["customer_phone"] == [None, "138****5678"]
    assert alice["changes"]["customer_phone"] == [None, "13812345678"]


def test_analysts_and_auditors_cannot_record_or_move(desk: Desk) -> None:
    for who in ("ana", "aud"):
        with pytest.raises(PermissionDenied, match="may not record a complaint"):
            new_case(desk, who=who)
    code = new_case(desk)
    for who in ("ana", "aud"):
        with pytest.raises(PermissionDenied):
            with desk.write() as session:
                services.add_note(session=session, code=code, actor=desk.user(who), now=NOW,
                                  text="x")  # fmt: skip


def test_naive_datetimes_are_refused(desk: Desk) -> None:
    naive = datetime(2026, 11, 24, 10, 0)  # noqa: DTZ001 - the point of the test
    with pytest.raises(StatementError, match="naive datetime"):
        with desk.write() as session:
            session.add(User(name="zed", role="agent", created_at=naive))
            session.flush()
    with desk.read() as session:
        assert services.find_user(session, "zed") is None
    with pytest.raises(InvalidInput, match="received_at must be a date and time with a time zone"):
        new_case(desk, received_at=naive)


def test_times_are_stored_in_utc_and_shown_in_the_profile_zone(desk: Desk) -> None:
    code = new_case(desk, now=sh(24, 10), received_at=datetime(2026, 11, 24, 1, 30, tzinfo=UTC))
    raw = sqlite3.connect(desk.path)
    try:
        stored = raw.execute("SELECT received_at FROM cases WHERE code = ?", (code,)).fetchone()[0]
    finally:
        raw.close()
    assert stored.startswith("2026-11-24 01:30:00")
    with desk.read() as session:
        case = lifecycle.get_case(session, code)
        assert case.received_at.tzinfo is not None and case.received_at.utcoffset() == timedelta(0)
        detail = views.case_detail(session, case, desk.user("alice"), sh(24, 10)).as_json()
    assert detail["received_at"] == "2026-11-24T09:30:00+08:00"
    assert detail["history"][0]["at"] == "2026-11-24T10:00:00+08:00"
    assert all(v["due"].endswith("+08:00") for v in detail["due"].values())
    # A case code takes the local day of receipt: 00:30 in Shanghai is the next day.
    late = new_case(desk, now=sh(25, 0, 30))
    assert late.startswith("T-20261125-")


def test_intake_validation(desk: Desk) -> None:
    bad = [
        ({"channel": "carrier pigeon"}, "channel: unknown 'carrier pigeon'"),
        ({"description": "  "}, "description is required"),
        ({"customer_phone": "call me"}, "not a phone number"),
        ({"customer_email": "nobody"}, "not an e-mail address"),
        ({"severity": "P9"}, "severity: unknown 'P9'"),
        ({"received_at": NOW + timedelta(hours=1)}, "received_at is in the future"),
        ({"colour": "red"}, "unknown intake field"),
    ]
    for fields, message in bad:
        with pytest.raises(InvalidInput, match=message):
            new_case(desk, **fields)
    with desk.read() as session:
        assert session.exec(select(Case)).all() == []
        assert session.exec(select(CaseLink)).all() == []


def test_a_value_longer_than_its_column_is_refused_on_intake(desk: Desk) -> None:
    with pytest.raises(InvalidInput, match="customer_name is 101 characters; at most 100 fit"):
        with desk.write() as session:
            intake.create_case(
                session=session,
                actor=desk.user("alice"),
                now=NOW,
                channel="hotline",
                description="包裹破损",
                customer_name="张" * 101,
            )
    with desk.read() as session:
        assert session.exec(select(Case)).first() is None


def test_a_phrase_makes_a_note_without_a_contact_and_an_unknown_one_is_refused(desk: Desk) -> None:
    code = new_case(desk, now=sh(24, 10))

    def note(phrase: str, contact: str | None = None) -> Event:
        with desk.write() as session:
            return services.add_note(
                session=session,
                code=code,
                actor=desk.user("alice"),
                now=sh(24, 10, 5),
                text="",
                contact=contact,
                phrase=phrase,
            )

    event = note("apology")
    assert (event.action, event.note) == ("note", "We are sorry for the trouble.")
    assert event.changes == {"phrase": [None, "apology"]}
    assert load(desk, code).first_response_at is None  # a note is no contact
    for contact in (None, "call"):
        with pytest.raises(InvalidInput, match=r"unknown phrase 'nope'; phrases: apology"):
            note("nope", contact)
    assert [a for _, a, _, _ in history(desk, code)] == ["create", "note"]


@pytest.mark.parametrize(
    "fields,message",
    [
        (
            {"received_at": datetime(1800, 1, 1, 10, tzinfo=SH)},
            "received_at 1800-01-01 is before 2000; check the date",
        ),
        (
            {"incident_at": datetime(1999, 12, 31, 23, tzinfo=SH)},
            "incident_at 1999-12-31 is before 2000; check the date",
        ),
    ],
)
def test_typed_in_dates_before_2000_are_refused(desk: Desk, fields: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        new_case(desk, now=sh(24, 10), **fields)
    assert raised.value.message == message
    with desk.read() as session:
        assert session.exec(select(Case)).all() == []
    # The first day of 2000 is fine.
    assert new_case(desk, now=sh(24, 10), incident_at=datetime(2000, 1, 1, tzinfo=SH))


def test_history_changes_show_times_with_the_profile_offset(desk: Desk) -> None:
    received = datetime(2026, 11, 24, 9, 59, 30, 123456, tzinfo=SH)
    code = new_case(desk, now=sh(24, 10), received_at=received, severity="P2", category="delay",
                    party="courier", department="cs")  # fmt: skip
    move(desk, code, "claim", "alice", sh(24, 10, 15))
    move(desk, code, "wait", "alice", sh(24, 10, 30), note="waiting for the waybill photo")
    with desk.read() as session:
        case = lifecycle.get_case(session, code)
        detail = views.case_detail(session, case, desk.user("alice"), sh(24, 11)).as_json()
    created, _, wait = detail["history"]
    assert created["changes"]["received_at"] == [None, "2026-11-24T09:59:30+08:00"]
    assert wait["changes"]["paused_at"] == [None, "2026-11-24T10:30:00+08:00"]
    assert created["changes"]["channel"] == [None, "hotline"]  # other values as stored


def test_compensation_must_say_how_it_is_paid(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from conftest import make_desk

    from kefu.core.policy import bundled_profiles_dir

    express = make_desk(tmp_path / "express.db", profile=bundled_profiles_dir() / "express.toml")
    alice = express.user("alice")
    with express.write() as session:
        code = intake.create_case(
            session=session,
            actor=alice,
            now=NOW,
            channel="hotline",
            description="包裹延误五天",
            category="延误",
            party="courier",
            department="cs",
        ).code
        lifecycle.move_case(session=session, code=code, action="claim", actor=alice, now=NOW)
    with pytest.raises(InvalidInput, match=r"needs the kind of compensation \(cash, voucher, gift\)"):
        with express.write() as session:
            lifecycle.move_case(
                session=session,
                code=code,
                action="propose",
                actor=alice,
                now=NOW,
                resolution="compensation",
                amount=100,
            )
    with express.write() as session:
        case = lifecycle.move_case(
            session=session,
            code=code,
            action="propose",
            actor=alice,
            now=NOW,
            resolution="compensation",
            amount=100,
            compensation_kind="现金赔偿",
        )
        assert (case.status, case.compensation_kind) == ("resolved", "cash")
    express.engine.dispose()
