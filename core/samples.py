"""Sample desks: users and cases from sample_data/samples/<profile>.json, replayed through the
same service functions a person would use, so every sample case has a true history.

Times in the file are relative (`ago_hours`, `after_hours`) so a demo desk always looks
current: received N hours before `now`, each scripted step a number of hours after receipt.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlmodel import Session

from . import intake, lifecycle, services
from .errors import InvalidInput, KefuError
from .messages import Message
from .models import User
from .policy import bundled_profiles_dir

CONTACT_ACTIONS = ("contact", "note")


def sample_file(profile_name: str) -> Path:
    return bundled_profiles_dir().parent / "samples" / f"{profile_name}.json"


def has_samples(profile_name: str) -> bool:
    return sample_file(profile_name).is_file()


def seed_sample_desk(*, session: Session, admin: User, profile_name: str, now: datetime) -> int:
    """Add the sample users and replay the sample cases; returns the number of cases."""
    path = sample_file(profile_name)
    if not path.is_file():
        raise InvalidInput(Message("samples.none", profile=profile_name), field="profile")
    data = json.loads(path.read_text(encoding="utf-8"))
    users: dict[str, User] = {admin.name: admin}
    for spec in data.get("users", []):
        existing = services.find_user(session, spec["name"])
        users[spec["name"]] = existing or services.add_user(
            session=session,
            actor=admin,
            name=spec["name"],
            role=spec["role"],
            display_name=spec.get("display_name", ""),
            department=spec.get("department"),
            now=now,
        )
    codes: dict[str, str] = {}
    cases = sorted(data.get("cases", []), key=lambda c: -float(c["ago_hours"]))
    for spec in cases:
        try:
            _replay_case(session, spec, users, codes, now)
        except Exception as exc:
            # kefu's own refusal in the reader's language; anything else (a bug in the file) as Python says it
            reason = exc.msg if isinstance(exc, KefuError) and isinstance(exc.msg, Message) else str(exc)
            field = exc.field if isinstance(exc, KefuError) else None
            failed = Message("samples.case_failed", file=path.name, key=spec.get("key"), reason=reason)
            raise InvalidInput(failed, field=field) from exc
    return len(cases)


def _replay_case(
    session: Session,
    spec: dict[str, Any],
    users: dict[str, User],
    codes: dict[str, str],
    now: datetime,
) -> None:
    received = now - timedelta(hours=float(spec["ago_hours"]))
    given = dict(spec["intake"])
    creator = users[given.pop("created_by", next(iter(users)))]
    incident_ago = given.pop("incident_at_ago_hours", None)
    if incident_ago is not None:
        given["incident_at"] = now - timedelta(hours=float(incident_ago))
    for name in ("delivered_on", "returned_on"):  # the goods' dates, days before receipt
        before = given.pop(f"{name}_days_before", None)
        if before is not None:
            given[name] = received - timedelta(days=float(before))
    given = {k: v for k, v in given.items() if v is not None}
    case = intake.create_case(session=session, actor=creator, now=received, received_at=received, **given)
    codes[spec["key"]] = case.code
    for step in spec.get("script", []):
        step = dict(step)
        action = step.pop("action")
        actor = users[step.pop("by")]
        at = received + timedelta(hours=float(step.pop("after_hours")))
        if at > now:
            raise InvalidInput(Message("samples.step_in_future", action=action))
        if action in CONTACT_ACTIONS:
            services.add_note(
                session=session,
                code=case.code,
                actor=actor,
                now=at,
                text=step.get("note", ""),
                contact=step.get("contact") if action == "contact" else None,
                phrase=step.get("phrase"),
            )
            continue
        if "duplicate_of" in step:
            step["duplicate_of"] = codes[step["duplicate_of"]]
        lifecycle.move_case(session=session, code=case.code, action=action, actor=actor, now=at, **step)
