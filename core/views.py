"""Read models: what a case looks like to a given viewer (masked as their role requires).

Both the CLI's JSON and the TUI's case screen are built from these dictionaries, so the two
never disagree about what a user may see or which deadline is at risk.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from . import services, sla
from .history import event_message
from .lifecycle import case_events, case_links
from .models import Case, Event, Revisit, User
from .policies import case_profile
from .policy import Profile
from .workflow import PAUSED, WORST_FIRST, Clock, DeadlineState, Status, allowed_actions, status_label


def iso(value: datetime | None, profile: Profile) -> str | None:
    """ISO 8601 with the profile's offset (e.g. 2026-11-24T09:30:00+08:00)."""
    if value is None:
        return None
    return profile.work_calendar.local(value).isoformat(timespec="seconds")


def deadline_states(
    case: Case, profile: Profile, now: datetime, *, coordinated_at: datetime | None = None
) -> dict[str, sla.ClockState]:
    """How each deadline stands at `now`. `coordinated_at` (from the history, see
    `coordination_end`) is when an escalated case was picked up again; without it the
    case's last update stands in, which a later note pushes past the deadline."""
    targets = profile.sla_targets(case.severity, case.complexity)
    calendar = profile.work_calendar
    paused = case.status in PAUSED
    closed = case.status == Status.CLOSED
    resolution_met = case.resolved_at or (case.closed_at if closed else None)
    states = {
        Clock.FIRST_RESPONSE: sla.clock_state(
            calendar,
            Clock.FIRST_RESPONSE,
            case.received_at,
            case.due_first_response,
            case.first_response_at or (case.closed_at if closed else None),
            targets.get(Clock.FIRST_RESPONSE),
            now,
            paused,
            case.paused_at if paused else None,
        ),
        Clock.RESOLUTION: sla.clock_state(
            calendar,
            Clock.RESOLUTION,
            case.received_at,
            case.due_resolution,
            resolution_met,
            targets.get(Clock.RESOLUTION),
            now,
            paused,
            case.paused_at if paused else None,
        ),
        Clock.COORDINATION: sla.clock_state(
            calendar,
            Clock.COORDINATION,
            case.escalated_at,
            case.due_coordination,
            coordinated_at or _coordination_met(case) or (case.closed_at if closed else None),
            targets.get(Clock.COORDINATION),
            now,
            paused,
            case.paused_at if paused else None,
        ),
    }
    return states


def _coordination_met(case: Case) -> datetime | None:
    """Coordination ends when an escalated case has an owner working it again."""
    if case.escalated_at is None:
        return None
    if case.status != Status.ESCALATED:
        return case.updated_at
    return None


def coordination_end(case: Case, events: Sequence[Event]) -> datetime | None:
    """When the latest escalation ended: the first event after it that left `escalated`."""
    if case.escalated_at is None or case.status == Status.ESCALATED:
        return None
    for event in events:
        if (
            event.at >= case.escalated_at
            and event.from_status == Status.ESCALATED
            and event.to_status != Status.ESCALATED
        ):
            return event.at
    return None


def worst_state(states: dict[str, sla.ClockState]) -> DeadlineState:
    found = {s.state for s in states.values()}
    return next((state for state in WORST_FIRST if state in found), DeadlineState.NONE)


def customer_view(case: Case, viewer: User) -> dict[str, str | None]:
    if services.may_see_personal_data(viewer.role):
        return {
            "name": case.customer_name,
            "phone": case.customer_phone,
            "email": case.customer_email,
        }
    return {
        "name": services.mask_name(case.customer_name),
        "phone": services.mask_phone(case.customer_phone),
        "email": services.mask_email(case.customer_email),
    }


def case_summary(
    case: Case,
    profile: Profile,
    viewer: User,
    now: datetime,
    *,
    coordinated_at: datetime | None = None,
) -> dict[str, Any]:
    """One row of a queue or `case list --json`."""
    lang = profile.profile.language
    states = deadline_states(case, profile, now, coordinated_at=coordinated_at)
    return {
        "code": case.code,
        "status": case.status,
        "status_label": status_label(case.status, lang),
        "received_at": iso(case.received_at, profile),
        "channel": case.channel,
        "category": case.category,
        "subcategory": case.subcategory,
        "severity": case.severity,
        "complexity": case.complexity,
        "department": case.department,
        "owner": case.owner,
        "customer": customer_view(case, viewer),
        "order_no": case.order_no,
        "sla": worst_state(states),
        "due": {
            k: {**v.as_dict(), "due": iso(v.due, profile), "met_at": iso(v.met_at, profile)}
            for k, v in states.items()
            if v.due is not None
        },
        "version": case.version,
    }


def case_detail(session: Session, case: Case, viewer: User, now: datetime) -> dict[str, Any]:
    """Everything about a case for `case show --json` and the TUI case screen."""
    profile = case_profile(session, case)
    lang = profile.profile.language
    events = case_events(session, case)
    summary = case_summary(case, profile, viewer, now, coordinated_at=coordination_end(case, events))
    revisits = session.exec(select(Revisit).where(Revisit.case_id == case.id).order_by(col(Revisit.id))).all()
    detail = {
        **summary,
        "policy_version_id": case.policy_version_id,
        "target": case.target,
        "target_name": case.target_name,
        "description": case.description,
        "incident_at": iso(case.incident_at, profile),
        "incident_place": case.incident_place,
        "demand": case.demand,
        "party": case.party,
        "labels": {
            "channel": profile.label("channels", case.channel, lang),
            "category": profile.label("taxonomy", case.category, lang),
            "subcategory": _sub_label(profile, case, lang),
            "severity": profile.label("severities", case.severity, lang),
            "party": profile.label("parties", case.party, lang),
            "department": profile.label("departments", case.department, lang),
            "target": profile.label("targets", case.target, lang),
            "resolution": profile.label("resolutions", case.resolution, lang),
        },
        "source": case.source,
        "external_id": case.external_id,
        "created_by": case.created_by,
        "resolution": case.resolution,
        "resolution_note": case.resolution_note,
        "compensation": {
            "amount": case.compensation_amount,
            "kind": case.compensation_kind,
            "currency": profile.compensation.currency,
        },
        "satisfied": case.satisfied,
        "satisfaction_score": case.satisfaction_score,
        "close_reason": case.close_reason,
        "reopen_count": case.reopen_count,
        "repeat_of": case.repeat_of,
        "revisit_outcome": case.revisit_outcome,
        "first_response_at": iso(case.first_response_at, profile),
        "escalated_at": iso(case.escalated_at, profile),
        "resolved_at": iso(case.resolved_at, profile),
        "closed_at": iso(case.closed_at, profile),
        "updated_at": iso(case.updated_at, profile),
        "links": [{"kind": kind, "code": code} for kind, code in case_links(session, case)],
        "attachments": [
            {
                "path": a.path,
                "sha256": a.sha256,
                "size": a.size,
                "added_at": iso(a.added_at, profile),
            }
            for a in services.case_attachments(session, case.id)
        ],
        "revisits": [
            {
                "due_at": iso(r.due_at, profile),
                "status": r.status,
                "attempts": r.attempts,
                "outcome": r.outcome,
            }
            for r in revisits
        ],
        "allowed_actions": allowed_actions(
            case.status, viewer.role, is_owner=case.owner == viewer.name, owner=case.owner
        ),
        "history": [
            {
                "at": iso(e.at, profile),
                "actor": e.actor,
                "action": e.action,
                "from": e.from_status,
                "to": e.to_status,
                "changes": _masked_changes(_local_changes(e.changes, profile), viewer),
                "note": e.note,
                "message": message.as_dict() if (message := event_message(e)) else None,
            }
            for e in events
        ],
    }
    return detail


_STORED_INSTANT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?\+00:00")
"""How a change's datetime is stored in events.changes_json: UTC ISO 8601, maybe microseconds."""


def _local_value(value: Any, profile: Profile) -> Any:
    if isinstance(value, str) and _STORED_INSTANT.fullmatch(value):
        return iso(datetime.fromisoformat(value), profile)
    return value


def _local_changes(changes: dict[str, Any], profile: Profile) -> dict[str, Any]:
    """Stored changes with their instants in the profile's offset to the second, like every
    other time in a case's detail."""
    return {
        key: [_local_value(v, profile) for v in value]
        if isinstance(value, list)
        else _local_value(value, profile)
        for key, value in changes.items()
    }


_PERSONAL_FIELDS = {
    "customer_name": services.mask_name,
    "customer_phone": services.mask_phone,
    "customer_email": services.mask_email,
}


def _masked_changes(changes: dict[str, Any], viewer: User) -> dict[str, Any]:
    if services.may_see_personal_data(viewer.role):
        return changes
    return {
        key: [_PERSONAL_FIELDS[key](v) for v in value] if key in _PERSONAL_FIELDS else value
        for key, value in changes.items()
    }


def _sub_label(profile: Profile, case: Case, lang: str) -> str:
    if not case.category or not case.subcategory:
        return ""
    label = profile.taxonomy[case.category].sub.get(case.subcategory)
    return label.text(lang) if label else case.subcategory
