"""The case lifecycle as data: states, roles and the transition table (SPEC §3, §8).

Services look a transition up here and screens ask the same table which actions to offer;
nobody else decides what is allowed. A transition names the states it leaves from, the state it
goes to, the roles that may take it, the fields it needs, and whether a non-supervising role
must own the case. A few targets depend on the input (a proposal above the approval threshold
goes to pending_approval; an unsatisfied confirmation reopens): `to` names the usual target
and the service names the alternative in `alternatives`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Status(StrEnum):
    NEW = "new"
    TRIAGED = "triaged"
    IN_PROGRESS = "in_progress"
    ESCALATED = "escalated"
    PENDING_CUSTOMER = "pending_customer"
    PENDING_APPROVAL = "pending_approval"
    RESOLVED = "resolved"
    CLOSED = "closed"


STATUS_LABELS: dict[Status, tuple[str, str]] = {
    Status.NEW: ("New", "已受理"),
    Status.TRIAGED: ("Triaged", "已分类"),
    Status.IN_PROGRESS: ("In progress", "处理中"),
    Status.ESCALATED: ("Escalated", "升级处理"),
    Status.PENDING_CUSTOMER: ("Waiting for customer", "待客户"),
    Status.PENDING_APPROVAL: ("Pending approval", "待审批"),
    Status.RESOLVED: ("Resolved", "待确认"),
    Status.CLOSED: ("Closed", "已结案"),
}

OPEN_STATUSES: tuple[Status, ...] = (
    Status.NEW,
    Status.TRIAGED,
    Status.IN_PROGRESS,
    Status.ESCALATED,
    Status.PENDING_CUSTOMER,
    Status.PENDING_APPROVAL,
)
"""Statuses whose resolution clock is still running (resolved waits on the customer)."""


class Role(StrEnum):
    AGENT = "agent"
    CLASSIFIER = "classifier"
    HANDLER = "handler"
    SUPERVISOR = "supervisor"
    ANALYST = "analyst"
    AUDITOR = "auditor"
    ADMIN = "admin"


ROLE_LABELS: dict[Role, tuple[str, str]] = {
    Role.AGENT: ("Agent", "售后客服专员"),
    Role.CLASSIFIER: ("Classifier", "问题分类小组"),
    Role.HANDLER: ("Follow-up handler", "处理跟进小组"),
    Role.SUPERVISOR: ("Supervisor", "上级主管"),
    Role.ANALYST: ("Analyst", "数据分析小组"),
    Role.AUDITOR: ("Auditor", "内部监督小组"),
    Role.ADMIN: ("Admin", "管理员"),
}

SYSTEM_ACTOR = "kefu"
"""The actor recorded for what the clock does (auto-escalation, auto-close, breaches)."""

CASE_WORKERS = frozenset({Role.AGENT, Role.HANDLER, Role.SUPERVISOR, Role.ADMIN})
INTAKE_ROLES = frozenset({Role.AGENT, Role.CLASSIFIER, Role.HANDLER, Role.SUPERVISOR, Role.ADMIN})
SUPERVISING = frozenset({Role.SUPERVISOR, Role.ADMIN})
"""Roles that act on any case regardless of owner and approve above the threshold."""
PERSONAL_DATA_ROLES = frozenset(
    {Role.AGENT, Role.CLASSIFIER, Role.HANDLER, Role.SUPERVISOR, Role.ADMIN}
)
"""Roles that handle cases and may see customers' contact details (SPEC §8)."""


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[Status]
    to: Status
    roles: frozenset[Role]
    required: tuple[str, ...] = ()
    owner_only: bool = False
    alternatives: tuple[Status, ...] = ()
    label: tuple[str, str] = ("", "")
    optional: tuple[str, ...] = field(default=())

    def allows_role(self, role: str) -> bool:
        return role in self.roles


def _t(
    action: str,
    sources: set[Status],
    to: Status,
    roles: set[Role] | frozenset[Role],
    label: tuple[str, str],
    required: tuple[str, ...] = (),
    optional: tuple[str, ...] = (),
    owner_only: bool = False,
    alternatives: tuple[Status, ...] = (),
) -> Transition:
    return Transition(
        action=action,
        sources=frozenset(sources),
        to=to,
        roles=frozenset(roles),
        required=required,
        optional=optional,
        owner_only=owner_only,
        alternatives=alternatives,
        label=label,
    )


S = Status
R = Role

TRANSITIONS: tuple[Transition, ...] = (
    _t(
        "triage",
        {S.NEW},
        S.TRIAGED,
        {R.AGENT, R.CLASSIFIER, R.HANDLER, R.SUPERVISOR, R.ADMIN},
        ("Triage", "分类"),
        required=("category", "severity", "complexity", "party", "department"),
        optional=("subcategory", "note"),
    ),
    _t(
        "claim",
        {S.TRIAGED},
        S.IN_PROGRESS,
        {R.AGENT, R.HANDLER, R.SUPERVISOR},
        ("Claim", "认领"),
        optional=("note",),
    ),
    _t(
        "claim",
        {S.ESCALATED},
        S.IN_PROGRESS,
        {R.HANDLER, R.SUPERVISOR},
        ("Claim", "认领"),
        optional=("note",),
    ),
    _t(
        "assign",
        {S.TRIAGED, S.ESCALATED, S.IN_PROGRESS},
        S.IN_PROGRESS,
        {R.CLASSIFIER, R.HANDLER, R.SUPERVISOR, R.ADMIN},
        ("Assign", "指派"),
        required=("owner",),
        optional=("note",),
    ),
    _t(
        "escalate",
        {S.NEW, S.TRIAGED, S.IN_PROGRESS},
        S.ESCALATED,
        {R.AGENT, R.CLASSIFIER, R.HANDLER, R.SUPERVISOR, R.ADMIN},
        ("Escalate", "升级"),
        required=("note",),
        owner_only=True,
    ),
    _t(
        "wait",
        {S.IN_PROGRESS},
        S.PENDING_CUSTOMER,
        CASE_WORKERS,
        ("Wait for customer", "等待客户"),
        required=("note",),
        owner_only=True,
    ),
    _t(
        "resume",
        {S.PENDING_CUSTOMER},
        S.IN_PROGRESS,
        CASE_WORKERS,
        ("Resume", "恢复处理"),
        optional=("note",),
        owner_only=True,
    ),
    _t(
        "propose",
        {S.IN_PROGRESS},
        S.RESOLVED,
        CASE_WORKERS,
        ("Propose resolution", "提出解决方案"),
        required=("resolution",),
        optional=("amount", "compensation_kind", "note"),
        owner_only=True,
        alternatives=(S.PENDING_APPROVAL,),
    ),
    _t(
        "approve",
        {S.PENDING_APPROVAL},
        S.RESOLVED,
        SUPERVISING,
        ("Approve", "批准"),
        optional=("note",),
    ),
    _t(
        "deny",
        {S.PENDING_APPROVAL},
        S.IN_PROGRESS,
        SUPERVISING,
        ("Deny", "驳回"),
        required=("note",),
    ),
    _t(
        "confirm",
        {S.RESOLVED},
        S.CLOSED,
        CASE_WORKERS,
        ("Record confirmation", "客户确认"),
        required=("satisfied",),
        optional=("score", "note"),
        owner_only=True,
        alternatives=(S.IN_PROGRESS,),
    ),
    _t(
        "reject",
        {S.NEW, S.TRIAGED},
        S.CLOSED,
        {R.AGENT, R.CLASSIFIER, R.SUPERVISOR, R.ADMIN},
        ("Reject (spam / duplicate)", "驳回无效投诉"),
        required=("reason",),
        optional=("duplicate_of", "note"),
    ),
    _t(
        "reopen",
        {S.RESOLVED, S.CLOSED},
        S.IN_PROGRESS,
        CASE_WORKERS,
        ("Reopen", "重新处理"),
        required=("note",),
    ),
    _t(
        "revisit",
        {S.CLOSED},
        S.CLOSED,
        CASE_WORKERS,
        ("Record revisit", "记录回访"),
        required=("outcome",),
        optional=("note", "score"),
        alternatives=(S.IN_PROGRESS,),
    ),
)

REJECT_REASONS = ("spam", "duplicate")
REVISIT_OUTCOMES = ("satisfied", "unsatisfied", "unreachable")
COMPLEXITIES = ("simple", "complex")
CONTACT_KINDS = ("call", "message", "email", "visit")

ACTIONS: tuple[str, ...] = tuple(dict.fromkeys(t.action for t in TRANSITIONS))


def find_transition(action: str, status: str) -> Transition | None:
    """The transition for `action` out of `status`, or None."""
    for transition in TRANSITIONS:
        if transition.action == action and status in transition.sources:
            return transition
    return None


def transitions_for(action: str) -> list[Transition]:
    return [t for t in TRANSITIONS if t.action == action]


def article(word: str) -> str:
    """The article, a or an, to put before a role or status name in a message."""
    return "an" if word[:1].lower() in "aeiou" else "a"


def refusal(
    action: str, status: str, role: str, *, is_owner: bool, owner: str | None
) -> str | None:
    """Why `role` may not take `action` on a case in `status`, or None when it may."""
    if action not in ACTIONS:
        return f"unknown action {action!r}; actions are: {', '.join(ACTIONS)}"
    transition = find_transition(action, status)
    if transition is None:
        sources = sorted({s.value for t in transitions_for(action) for s in t.sources})
        owned = f" and owned by {owner}" if owner else ""
        return f"cannot {action} a case that is {status}{owned} (only from {', '.join(sources)})"
    if not transition.allows_role(role):
        roles = ", ".join(sorted(r.value for r in transition.roles))
        return (
            f"{article(role)} {role} may not {action} {article(status)} {status} case "
            f"(roles allowed: {roles})"
        )
    if transition.owner_only and role not in SUPERVISING and owner is not None and not is_owner:
        return f"only the owner ({owner or 'nobody'}) or a supervisor may {action} this case"
    return None


def allowed_actions(status: str, role: str, *, is_owner: bool, owner: str | None) -> list[str]:
    """The actions this user may take on a case in this status, in table order."""
    return [
        action
        for action in ACTIONS
        if refusal(action, status, role, is_owner=is_owner, owner=owner) is None
    ]


def status_label(status: str, lang: str) -> str:
    en, zh = STATUS_LABELS[Status(status)]
    return zh if lang == "zh" else en


def action_label(action: str, lang: str) -> str:
    en, zh = transitions_for(action)[0].label
    return zh if lang == "zh" else en
