"""Spot checks: auditors draw a reproducible sample of closed cases and score them.

A sample is drawn from the cases closed in a period (local dates, like reports) after
handling: cases rejected as spam or duplicate are not drawn. Each case gets
a rank from SHA-256 of the seed and its code, and the lowest ranks are taken — `n` in all, or
`n` per agent with `by_agent`. The same seed on the same cases draws the same sample on any
machine and Python version, and a case closed later does not reshuffle the others. The seed is
stored with the batch (a random one when none is given), so any batch can be drawn again.

Auditors score a sampled case against the checklist of the policy in force (`audit_checklist`;
a built-in five-point list when the policy has none), each item from 0 (not met) to
`MAX_ITEM_SCORE` (fully met). Scores feed a per-agent report: points over possible points.
"""

from __future__ import annotations

import hashlib
import secrets
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from . import db as kdb
from . import desklog, history, lifecycle, policies, services
from .errors import InvalidInput, NotFound
from .history import ChainCheck
from .messages import Message
from .models import AuditBatch, AuditSample, AuditScore, Case, User
from .policy import Label, Profile
from .reports import Period
from .workflow import AUDIT_READERS, AUDIT_ROLES, UNCOUNTED_CLOSES, Status

MAX_ITEM_SCORE = 2
"""Points per checklist item: 0 not met, 1 partly met, 2 fully met."""
MAX_SAMPLE = 1000

DEFAULT_CHECKLIST: dict[str, Label] = {
    "recorded_complete": Label(en="Complaint recorded completely", zh="投诉信息记录完整"),
    "classified_correctly": Label(en="Classified correctly", zh="分类及紧急程度准确"),
    "responded_in_time": Label(en="Responded and resolved in time", zh="响应及处理及时"),
    "resolution_fair": Label(en="Resolution fair and within the rules", zh="处理方案合规合理"),
    "customer_confirmed": Label(en="Customer confirmed and revisited", zh="客户确认并完成回访"),
}


def checklist(profile: Profile) -> dict[str, Label]:
    """The items auditors score: the policy's `audit_checklist`, or the built-in list."""
    return dict(profile.audit_checklist) or dict(DEFAULT_CHECKLIST)


def sample_rank(seed: int, code: str) -> str:
    """A case's place in the draw for `seed`: stable across machines and Python versions."""
    return hashlib.sha256(f"{seed}:{code}".encode()).hexdigest()


@dataclass(frozen=True)
class DrawnCase:
    position: int
    code: str
    agent: str | None
    category: str | None
    closed_at: datetime | None


def draw_sample(
    *,
    session: Session,
    actor: User,
    now: datetime,
    period: Period,
    n: int,
    by_agent: bool = False,
    seed: int | None = None,
) -> tuple[AuditBatch, list[DrawnCase]]:
    """Draw and store a batch: `n` closed cases of the period (`n` per agent with `by_agent`)."""
    services.require_role(actor, AUDIT_ROLES, Message("do.draw_audit_samples"))
    if not 1 <= n <= MAX_SAMPLE:
        raise InvalidInput(Message("audit.n_range", most=MAX_SAMPLE, n=n), field="n")
    if seed is None:
        seed = secrets.randbelow(2**31)
    elif not 0 <= seed < 2**63:
        raise InvalidInput(Message("audit.seed_range", seed=seed), field="seed")
    population = session.execute(
        sa.select(
            col(Case.id), col(Case.code), col(Case.owner), col(Case.category), col(Case.closed_at)
        ).where(
            col(Case.status) == Status.CLOSED,
            col(Case.closed_at) >= period.start,
            col(Case.closed_at) < period.end,
            # Only cases closed after handling: a spam or duplicate rejection had no agent.
            sa.or_(col(Case.close_reason).is_(None), col(Case.close_reason).not_in(UNCOUNTED_CLOSES)),
        )
    ).all()
    ranked = sorted(population, key=lambda row: sample_rank(seed, row[1]))
    if by_agent:
        strata: dict[str, list[Any]] = defaultdict(list)
        for row in ranked:
            strata[row[2] or ""].append(row)
        chosen = [row for agent in sorted(strata) for row in strata[agent][:n]]
    else:
        chosen = ranked[:n]
    batch = AuditBatch(
        drawn_at=now,
        drawn_by=actor.name,
        seed=seed,
        size=n,
        by_agent=by_agent,
        period_from=period.first.isoformat(),
        period_to=period.last.isoformat(),
        population=len(population),
    )
    session.add(batch)
    session.flush()
    assert batch.id is not None
    drawn = []
    for position, (case_id, code, owner, category, closed_at) in enumerate(chosen, start=1):
        session.add(AuditSample(batch_id=batch.id, case_id=case_id, position=position, agent=owner))
        drawn.append(DrawnCase(position, code, owner, category, closed_at))
    session.flush()
    return batch, drawn


def get_batch(session: Session, actor: User, batch_id: int | None) -> AuditBatch:
    """A batch by number, or the latest one (auditors, supervisors and admins)."""
    services.require_role(actor, AUDIT_READERS, Message("do.read_audits"))
    if batch_id is None:
        batch = session.exec(select(AuditBatch).order_by(col(AuditBatch.id).desc())).first()
        if batch is None:
            raise NotFound(Message("audit.none_drawn"))
        return batch
    found = session.get(AuditBatch, batch_id)
    if found is None:
        raise NotFound(Message("audit.no_batch", batch=batch_id))
    return found


def batch_cases(session: Session, batch: AuditBatch) -> list[dict[str, Any]]:
    """The sampled cases of a batch in draw order, with the points they got so far."""
    rows = session.exec(
        select(AuditSample, Case.code, Case.category, Case.closed_at)
        .join(Case, col(Case.id) == AuditSample.case_id)
        .where(AuditSample.batch_id == batch.id)
        .order_by(col(AuditSample.position))
    ).all()
    scores: dict[int, dict[str, int]] = defaultdict(dict)
    sample_ids = [sample.id for sample, *_ in rows]
    if sample_ids:
        for score in session.exec(select(AuditScore).where(col(AuditScore.sample_id).in_(sample_ids))).all():
            scores[score.sample_id][score.item] = score.score
    return [
        {
            "position": sample.position,
            "code": code,
            "agent": sample.agent,
            "category": category,
            "closed_at": closed_at,
            "scores": scores.get(sample.id or 0, {}),
            "scored_by": sample.scored_by,
            "scored_at": sample.scored_at,
            "note": sample.note,
        }
        for sample, code, category, closed_at in rows
    ]


def parse_items(pairs: list[str]) -> dict[str, int]:
    """`ITEM=N` pairs from the command line as {item: points}."""
    items: dict[str, int] = {}
    for pair in pairs:
        item, sep, value = pair.partition("=")
        if not sep or not item.strip():
            raise InvalidInput(Message("audit.item_format", pair=pair), field="item")
        try:
            items[item.strip()] = int(value.strip())
        except ValueError:
            raise InvalidInput(Message("audit.item_not_whole", pair=pair), field="item") from None
    return items


def score_case(
    *,
    session: Session,
    actor: User,
    now: datetime,
    code: str,
    items: dict[str, int],
    note: str | None = None,
    batch_id: int | None = None,
) -> AuditSample:
    """Score a sampled case on checklist items (a second scoring of an item replaces the first).
    The case must be in an audit batch: the given one, or the latest that holds it."""
    services.require_role(actor, AUDIT_ROLES, Message("do.score_audit_samples"))
    if not items and not note:
        raise InvalidInput(Message("audit.nothing_to_score"), field="item")
    case = lifecycle.get_case(session, code)
    query = select(AuditSample).where(AuditSample.case_id == case.id)
    if batch_id is not None:
        query = query.where(AuditSample.batch_id == batch_id)
    sample = session.exec(query.order_by(col(AuditSample.batch_id).desc())).first()
    if sample is None:
        if batch_id is not None:
            raise NotFound(Message("audit.case_not_in_batch", code=case.code, batch=batch_id))
        raise NotFound(Message("audit.case_not_sampled", code=case.code))
    _, profile = policies.policy_in_force(session, now)
    items_known = checklist(profile)
    for item, points in items.items():
        if item not in items_known:
            raise InvalidInput(
                Message("audit.unknown_item", item=item, items=list(items_known)), field="item"
            )
        if not 0 <= points <= MAX_ITEM_SCORE:
            raise InvalidInput(
                Message("audit.points_range", item=item, most=MAX_ITEM_SCORE, points=points), field="item"
            )
    assert sample.id is not None
    existing = {
        s.item: s for s in session.exec(select(AuditScore).where(AuditScore.sample_id == sample.id)).all()
    }
    for item, points in items.items():
        row = existing.get(item)
        if row is None:
            session.add(AuditScore(sample_id=sample.id, item=item, score=points, max_score=MAX_ITEM_SCORE))
        else:
            row.score = points
            row.max_score = MAX_ITEM_SCORE
            session.add(row)
    sample.scored_at = now
    sample.scored_by = actor.name
    if note is not None and note.strip():
        sample.note = note.strip()
    session.add(sample)
    session.flush()
    return sample


def _percent(points: int, possible: int) -> float | None:
    return round(100.0 * points / possible, 1) if possible else None


def audit_report(
    *, session: Session, actor: User, now: datetime, batch_id: int | None = None
) -> dict[str, Any]:
    """Per agent: cases drawn and scored, points over possible points, and per item."""
    services.require_role(actor, AUDIT_READERS, Message("do.read_audit_reports"))
    _, profile = policies.policy_in_force(session, now)
    lang = profile.profile.language
    items_known = checklist(profile)
    if batch_id is not None:
        get_batch(session, actor, batch_id)
    drawn_q = select(AuditSample.agent, sa.func.count()).group_by(AuditSample.agent)
    scored_q = (
        sa.select(
            col(AuditSample.agent),
            col(AuditScore.item),
            sa.func.count(sa.distinct(col(AuditSample.id))),
            sa.func.sum(AuditScore.score),
            sa.func.sum(AuditScore.max_score),
        )
        .join(AuditScore, col(AuditScore.sample_id) == AuditSample.id)
        .group_by(AuditSample.agent, AuditScore.item)
    )
    cases_q = (
        select(AuditSample.agent, sa.func.count(sa.distinct(col(AuditSample.id))))
        .join(AuditScore, col(AuditScore.sample_id) == AuditSample.id)
        .group_by(AuditSample.agent)
    )
    if batch_id is not None:
        drawn_q = drawn_q.where(AuditSample.batch_id == batch_id)
        scored_q = scored_q.where(col(AuditSample.batch_id) == batch_id)
        cases_q = cases_q.where(AuditSample.batch_id == batch_id)
    agents: dict[str | None, dict[str, Any]] = {}

    def entry(agent: str | None) -> dict[str, Any]:
        return agents.setdefault(
            agent, {"agent": agent, "drawn": 0, "scored": 0, "points": 0, "possible": 0, "items": {}}
        )

    for agent, drawn in session.exec(drawn_q).all():
        entry(agent)["drawn"] = drawn
    for agent, scored in session.exec(cases_q).all():
        entry(agent)["scored"] = scored
    for agent, item, _cases, points, possible in session.execute(scored_q).all():
        e = entry(agent)
        e["points"] += int(points or 0)
        e["possible"] += int(possible or 0)
        e["items"][item] = {
            "points": int(points or 0),
            "possible": int(possible or 0),
            "percent": _percent(int(points or 0), int(possible or 0)),
        }
    rows = []
    totals = {"drawn": 0, "scored": 0, "points": 0, "possible": 0}
    for agent in sorted(agents, key=lambda a: (a is None, a or "")):
        e = agents[agent]
        for key in totals:
            totals[key] += e[key]
        rows.append({**e, "percent": _percent(e["points"], e["possible"])})
    return {
        "report": "audit",
        "batch": batch_id,
        "max_item_score": MAX_ITEM_SCORE,
        "checklist": {code: label.text(lang) for code, label in items_known.items()},
        "agents": rows,
        "total": {**totals, "percent": _percent(totals["points"], totals["possible"])},
    }


@dataclass(frozen=True)
class ChainProblem:
    event_id: int
    code: str
    """The case code (history) or the login / case code (desk log) the row is about."""
    what: str  # "changed" / "unsealed" / "gap"


@dataclass(frozen=True)
class Tampering:
    """What `tamper_check` found: the history's chain, the desk log's, and people changed
    outside kefu."""

    history: ChainCheck
    events: list[ChainProblem]
    desk_log: ChainCheck
    entries: list[ChainProblem]
    users: list[desklog.UserDrift]

    @property
    def ok(self) -> bool:
        return self.history.ok and self.desk_log.ok and not self.users

    @property
    def problems(self) -> int:
        return len(self.events) + len(self.entries) + len(self.users)


def tamper_check(session: Session, limit: int = 20) -> Tampering:
    """Both chains recomputed (`history.verify`), each broken event named by its case code, and
    the people in the file compared with what kefu recorded (`desklog.user_drift`). `kefu audit
    verify` and `kefu doctor` read this."""
    conn = session.connection()
    events = history.verify(conn, limit=limit)
    ids = {case_id for _, case_id, _ in events.broken}
    codes = dict(session.exec(select(Case.id, Case.code).where(col(Case.id).in_(ids))).all()) if ids else {}
    log = history.verify(conn, limit=limit, chain=history.DESK_LOG)
    return Tampering(
        events,
        [ChainProblem(e, codes.get(c, f"#{c}"), what) for e, c, what in events.broken],
        log,
        [ChainProblem(e, str(subject), what) for e, subject, what in log.broken],
        desklog.user_drift(session),
    )


def verify_history(session: Session, actor: User) -> Tampering:
    """`kefu audit verify`: `tamper_check`, for auditors, supervisors and admins."""
    services.require_role(actor, AUDIT_READERS, Message("do.verify_history"))
    # A damaged file is not "as kefu wrote it", even when the pages the chains read are intact.
    engine = session.get_bind()
    assert isinstance(engine, Engine)
    kdb.refuse_if_marked(engine)
    kdb.require_sound(engine)
    return tamper_check(session)
