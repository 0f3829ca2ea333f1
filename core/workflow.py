"""The case lifecycle as data: the vocabulary, the state groups, the roles and the transition table.

Everything kefu calls by a stored word is named here once — statuses, actions, event kinds,
clocks, close reasons, revisit states and outcomes, complexities, contact kinds, link kinds —
with its English and Chinese label, and every set of them the code asks about (the state
groups, the role sets) is defined here and nowhere else. See docs/ARCHITECTURE.md.

A transition names the states it leaves from, the state it normally goes to and the others it
may go to (`alternatives`, decided by the input: a proposal above the approval threshold goes to
pending_approval), the roles that may take it, the fields it needs, whether a role that does not
supervise must own the case, and which deadlines it recomputes. The system's own moves
(escalation on intake and on a breach, closing an unanswered confirmation) are rows too, taken
by the system actor through the same door as a person's (`kefu.core.lifecycle`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from enum import StrEnum

from .messages import Message


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

STATUS_SHORT_LABELS: dict[Status, tuple[str, str]] = {
    Status.NEW: ("New", "已受理"),
    Status.TRIAGED: ("Triaged", "已分类"),
    Status.IN_PROGRESS: ("Working", "处理中"),
    Status.ESCALATED: ("Escal.", "升级"),
    Status.PENDING_CUSTOMER: ("Waiting", "待客户"),
    Status.PENDING_APPROVAL: ("Approv.", "待审批"),
    Status.RESOLVED: ("Resolv.", "待确认"),
    Status.CLOSED: ("Closed", "已结案"),
}
"""Status labels that fit six cells, for 80-column tables."""

# -- state groups (tuples in lifecycle order, so SQL built from them is the same every run) --

OPEN: tuple[Status, ...] = tuple(s for s in Status if s != Status.CLOSED)
"""Cases that still need someone: everything but closed (resolved awaits confirmation)."""
CLOCKS_RUN: tuple[Status, ...] = (
    Status.NEW,
    Status.TRIAGED,
    Status.IN_PROGRESS,
    Status.ESCALATED,
    Status.PENDING_APPROVAL,
)
"""Statuses whose deadlines run: waiting for the customer pauses them, resolved has met them."""
PAUSED: tuple[Status, ...] = (Status.PENDING_CUSTOMER,)
"""Statuses in which every clock is paused (time spent here moves deadlines later)."""
RESOLUTION_GIVEN: tuple[Status, ...] = (Status.RESOLVED, Status.CLOSED)
"""A resolution was given: going back to work from here is a reopen (counted, and the
resolution clock starts again)."""


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

# -- role sets ---------------------------------------------------------------------------

R = Role
ADMINS = frozenset({R.ADMIN})
"""Users, the policy."""
SUPERVISING = frozenset({R.SUPERVISOR, R.ADMIN})
"""Act on any case regardless of owner, approve above the threshold, run the batch jobs
(import, SLA check, revisit schedule, backup)."""
INTAKE_ROLES = frozenset({R.AGENT, R.CLASSIFIER, R.HANDLER, R.SUPERVISOR, R.ADMIN})
"""Record complaints and write on cases (notes, contacts, evidence)."""
PERSONAL_DATA_ROLES = INTAKE_ROLES
"""Handle cases, so may see customers' names, phones and e-mails; the others see them masked."""
CASE_WORKERS = frozenset({R.AGENT, R.HANDLER, R.SUPERVISOR, R.ADMIN})
"""Work a case through: wait, resume, propose, confirm, reopen, revisit."""
CASE_OWNERS = frozenset({R.AGENT, R.HANDLER, R.SUPERVISOR})
"""May own a case (claim it or be assigned it)."""
AGENT_REPORT_ROLES = frozenset({R.SUPERVISOR, R.ANALYST, R.AUDITOR, R.ADMIN})
"""See KPIs per agent (every role sees the desk's as a whole)."""
AUDIT_ROLES = frozenset({R.AUDITOR, R.ADMIN})
"""Draw spot-check samples and score them."""
AUDIT_READERS = frozenset({R.AUDITOR, R.ADMIN, R.SUPERVISOR})
"""Read audit batches and the audit report."""

SYSTEM_ACTOR = "kefu"
"""The actor recorded for what the clock does (auto-escalation, auto-close, breaches)."""

# -- the other stored words ----------------------------------------------------------------


class Action(StrEnum):
    """Lifecycle actions: people's (`case move`) and the system's."""

    TRIAGE = "triage"
    CLAIM = "claim"
    ASSIGN = "assign"
    ESCALATE = "escalate"
    WAIT = "wait"
    RESUME = "resume"
    PROPOSE = "propose"
    APPROVE = "approve"
    DENY = "deny"
    CONFIRM = "confirm"
    REJECT = "reject"
    REOPEN = "reopen"
    REVISIT = "revisit"
    RECLASSIFY = "reclassify"
    """Correct the classification after triage (category, severity, party, ...), with a reason."""
    MERGE = "merge"
    """Fold a duplicate into its original: the duplicate closes as merged, its record is kept
    and shown on the original, and the KPIs count the complaint once."""
    CLOSE = "close"
    """The system closes a resolved case nobody answered within the confirmation window."""


class EventKind(StrEnum):
    """History entries that are not lifecycle actions (an event's action is one or the other)."""

    CREATE = "create"
    NOTE = "note"
    CONTACT = "contact"
    LINK = "link"
    ATTACH = "attach"
    BREACH = "breach"
    REMINDER = "reminder"
    """Waited for the customer past the policy's `remind_after`: remind them."""
    UPDATE = "update"
    """Case details recorded or corrected after intake."""
    REBASE = "rebase"
    """A deadline recomputed after the working calendar changed (`kefu sla rebase`)."""
    PURGE = "purge"
    """The customer's personal data removed after retention (`kefu purge`)."""


EVENT_LABELS: dict[EventKind, tuple[str, str]] = {
    EventKind.CREATE: ("Recorded", "受理"),
    EventKind.NOTE: ("Note", "备注"),
    EventKind.CONTACT: ("Contact", "联系客户"),
    EventKind.LINK: ("Linked", "关联"),
    EventKind.ATTACH: ("Evidence attached", "添加附件"),
    EventKind.BREACH: ("Deadline breached", "超时"),
    EventKind.UPDATE: ("Details recorded", "补录信息"),
    EventKind.REMINDER: ("Remind the customer", "提醒客户"),
    EventKind.REBASE: ("Deadline recomputed", "时限重算"),
    EventKind.PURGE: ("Personal data removed", "个人信息已清除"),
}


class Clock(StrEnum):
    """The deadlines of a case."""

    FIRST_RESPONSE = "first_response"
    RESOLUTION = "resolution"
    COORDINATION = "coordination"


CLOCKS: tuple[Clock, ...] = tuple(Clock)
CLOCK_LABELS: dict[Clock, tuple[str, str]] = {
    Clock.FIRST_RESPONSE: ("First response", "首次响应"),
    Clock.RESOLUTION: ("Resolution", "解决"),
    Clock.COORDINATION: ("Coordination", "协调"),
}


class DeadlineState(StrEnum):
    """How one deadline stands at a moment (`sla.clock_state`)."""

    NONE = "none"
    OK = "ok"
    AT_RISK = "at_risk"
    BREACHED = "breached"
    MET = "met"
    MET_LATE = "met_late"
    PAUSED = "paused"


DEADLINE_STATE_LABELS: dict[DeadlineState, tuple[str, str]] = {
    DeadlineState.NONE: ("none", "无"),
    DeadlineState.OK: ("ok", "正常"),
    DeadlineState.AT_RISK: ("at risk", "即将超时"),
    DeadlineState.BREACHED: ("breached", "已超时"),
    DeadlineState.MET: ("met", "已达成"),
    DeadlineState.MET_LATE: ("met late", "逾期达成"),
    DeadlineState.PAUSED: ("paused", "已暂停"),
}
WORST_FIRST: tuple[DeadlineState, ...] = (
    DeadlineState.BREACHED,
    DeadlineState.AT_RISK,
    DeadlineState.PAUSED,
    DeadlineState.OK,
    DeadlineState.MET_LATE,
    DeadlineState.MET,
    DeadlineState.NONE,
)
"""Deadline states from the one that needs someone most to the one that needs nobody."""
RUNNING_STATES: tuple[DeadlineState, ...] = (
    DeadlineState.OK,
    DeadlineState.AT_RISK,
    DeadlineState.BREACHED,
    DeadlineState.PAUSED,
)
"""States of a deadline that is still to be met (a countdown is shown for them)."""


class DeadlineEnd(StrEnum):
    """Why a deadline instance stopped being the case's current one (`models.Deadline`)."""

    REPLACED = "replaced"
    """A new instance took over: a reopen restarted the clock, or the targets changed."""
    CANCELLED = "cancelled"
    """The clock stopped without being met: the case was rejected, or it no longer applies."""


class Complexity(StrEnum):
    SIMPLE = "simple"
    COMPLEX = "complex"


class CloseReason(StrEnum):
    CONFIRMED = "confirmed"
    NO_ANSWER = "no_answer"
    NO_RESPONSE = "no_response"
    """The customer never came back while kefu waited for them (`[waiting] give_up_after`)."""
    SPAM = "spam"
    DUPLICATE = "duplicate"
    MERGED = "merged"
    """Folded into its original (`merge`): one complaint, counted there."""


REJECT_REASONS: tuple[CloseReason, ...] = (CloseReason.SPAM, CloseReason.DUPLICATE)
"""Why a complaint is rejected: it was no complaint to handle (left out of on-time KPIs)."""
UNCOUNTED_CLOSES: tuple[CloseReason, ...] = (*REJECT_REASONS, CloseReason.MERGED)
"""Closings whose case has no deadlines of its own in the KPIs (rejected, or merged: its
original's clocks count)."""
REVISITED_CLOSES: tuple[CloseReason, ...] = (CloseReason.CONFIRMED, CloseReason.NO_ANSWER)
"""Closings after handling: they schedule the revisit call."""


class RevisitStatus(StrEnum):
    SCHEDULED = "scheduled"
    DUE = "due"
    DONE = "done"
    UNREACHABLE = "unreachable"
    CANCELLED = "cancelled"


REVISIT_WAITING: tuple[RevisitStatus, ...] = (RevisitStatus.SCHEDULED, RevisitStatus.DUE)
"""A revisit not yet made: scheduled for later, or due now."""


class RevisitOutcome(StrEnum):
    SATISFIED = "satisfied"
    UNSATISFIED = "unsatisfied"
    UNREACHABLE = "unreachable"


class ContactKind(StrEnum):
    CALL = "call"
    MESSAGE = "message"
    EMAIL = "email"
    VISIT = "visit"


class LinkKind(StrEnum):
    REPEAT = "repeat"
    DUPLICATE = "duplicate"
    MERGED = "merged"
    """Held by the merged case, pointing at the case it was merged into."""


class PaymentStatus(StrEnum):
    """A row of the compensation ledger (`kefu.core.payments`)."""

    PENDING = "pending"
    """Proposed above the approval threshold (the case's paid total with it): for a supervisor."""
    OFFERED = "offered"
    """Approved (or within the threshold) and put to the customer: the case is resolved."""
    PAID = "paid"
    """The customer accepted (confirmed, or let the confirmation window pass)."""
    DENIED = "denied"
    """A supervisor did not approve it."""
    DECLINED = "declined"
    """Not taken up: the customer was not satisfied, or the case was reopened before answering."""
    VOID = "void"
    """Recorded as paid but never paid: corrected by a supervisor with a reason."""


COMPLEXITIES = tuple(c.value for c in Complexity)
CONTACT_KINDS = tuple(c.value for c in ContactKind)
REVISIT_OUTCOMES = tuple(o.value for o in RevisitOutcome)

WORD_LABELS: dict[str, tuple[str, str]] = {
    "yes": ("yes", "是"),
    "no": ("no", "否"),
    "tabs": ("tabs", "制表符"),
    "semicolons": ("semicolons", "分号"),
    "bars": ("bars", "竖线"),
    "commas": ("commas", "逗号"),
    Complexity.SIMPLE: ("Simple", "简单"),
    Complexity.COMPLEX: ("Complex", "复杂"),
    CloseReason.CONFIRMED: ("confirmed", "客户确认"),
    CloseReason.NO_ANSWER: ("no answer", "未答复自动结案"),
    CloseReason.NO_RESPONSE: ("no response", "客户未回复结案"),
    CloseReason.SPAM: ("spam", "无效/骚扰"),
    CloseReason.DUPLICATE: ("duplicate", "重复投诉"),
    CloseReason.MERGED: ("merged", "已合并"),
    PaymentStatus.PENDING: ("awaiting approval", "待审批"),
    PaymentStatus.OFFERED: ("offered", "已提出待客户确认"),
    PaymentStatus.PAID: ("paid", "已支付"),
    PaymentStatus.DENIED: ("denied", "未获批准"),
    PaymentStatus.DECLINED: ("not taken up", "未采纳"),
    PaymentStatus.VOID: ("void", "已作废"),
    RevisitStatus.SCHEDULED: ("scheduled", "已安排"),
    RevisitStatus.DUE: ("due", "待回访"),
    RevisitStatus.DONE: ("done", "已回访"),
    RevisitStatus.CANCELLED: ("cancelled", "已取消"),  # also DeadlineEnd.CANCELLED
    DeadlineEnd.REPLACED: ("replaced", "已被新时限取代"),
    RevisitOutcome.SATISFIED: ("satisfied", "满意"),
    RevisitOutcome.UNSATISFIED: ("unsatisfied", "不满意"),
    RevisitOutcome.UNREACHABLE: ("unreachable", "联系不上"),
    ContactKind.CALL: ("call", "电话"),
    ContactKind.MESSAGE: ("message", "消息"),
    ContactKind.EMAIL: ("email", "邮件"),
    ContactKind.VISIT: ("visit", "面访"),
}
"""Stored words (codes) as people read them."""

LINK_LABELS: dict[str, tuple[str, str]] = {
    LinkKind.REPEAT: ("repeat of", "重复投诉于"),
    LinkKind.DUPLICATE: ("duplicate of", "重复于"),
    "repeat_of_this": ("repeated by", "被重复投诉"),
    "duplicate_of_this": ("marked duplicate by", "被标为重复"),
    LinkKind.MERGED: ("merged into", "已合并至"),
    "merged_of_this": ("merged from", "合并自"),
}
"""How a linked case relates to this one, as `lifecycle.case_links` names it: the link's own
kind seen from the case that holds it, `<kind>_of_this` seen from the other case."""

FIELD_LABELS: dict[str, tuple[str, str]] = {
    "status": ("status", "状态"),
    "channel": ("channel", "渠道"),
    "customer_name": ("customer name", "客户姓名"),
    "customer_phone": ("phone", "电话"),
    "customer_email": ("e-mail", "邮箱"),
    "order_no": ("order", "订单号"),
    "target": ("target", "投诉对象"),
    "target_name": ("target name", "对象名称"),
    "description": ("description", "投诉内容"),
    "incident_at": ("incident", "发生时间"),
    "incident_place": ("incident place", "发生地点"),
    "delivered_on": ("delivered on", "签收日期"),
    "returned_on": ("returned goods received on", "退货签收日期"),
    "demand": ("demand", "客户诉求"),
    "category": ("category", "类别"),
    "subcategory": ("subcategory", "子类"),
    "severity": ("severity", "级别"),
    "complexity": ("complexity", "复杂度"),
    "party": ("party", "责任方"),
    "department": ("department", "部门"),
    "owner": ("owner", "负责人"),
    "role": ("role", "角色"),
    "display_name": ("display name", "显示名"),
    "active": ("active", "启用"),
    "received_at": ("received", "受理时间"),
    "source": ("source", "来源"),
    "external_id": ("external id", "外部编号"),
    "resolution": ("resolution", "解决方案"),
    "resolution_note": ("resolution note", "方案说明"),
    "amount": ("amount", "金额"),
    "compensation_amount": ("compensation", "补偿金额"),
    "compensation_kind": ("compensation kind", "补偿方式"),
    "satisfied": ("satisfied", "满意"),
    "score": ("score", "评分"),
    "satisfaction_score": ("score", "评分"),
    "close_reason": ("close reason", "结案原因"),
    "reason": ("reason", "原因"),
    "duplicate_of": ("duplicate of", "重复于"),
    "into": ("merged into", "合并至"),
    "merged_from": ("merged from", "合并自"),
    "compensation_total": ("compensation paid", "已付补偿合计"),
    "payment": ("payment", "补偿记录"),
    "outcome": ("outcome", "回访结果"),
    "note": ("note", "备注"),
    "reopen_count": ("reopened", "重开次数"),
    "repeat_of": ("repeat of", "重复投诉"),
    "revisit_outcome": ("revisit", "回访结果"),
    "revisit_attempts": ("revisit attempts", "回访次数"),
    "revisit_retry_at": ("next revisit", "下次回访"),
    "first_response_at": ("first response", "首次响应"),
    "escalated_at": ("escalated", "升级时间"),
    "paused_at": ("paused", "暂停时间"),
    "resolved_at": ("resolved", "解决时间"),
    "closed_at": ("closed", "结案时间"),
    "due_first_response": ("first response due", "首次响应时限"),
    "due_resolution": ("resolution due", "解决时限"),
    "due_coordination": ("coordination due", "协调时限"),
    "contact": ("contact", "联系方式"),
    "phrase": ("phrase", "话术"),
    "attachment": ("attachment", "附件"),
    "breach": ("deadline", "时限"),
    "due": ("due", "到期"),
    "text": ("text", "内容"),
}
"""Case and transition fields as people read them (history, form errors, refusals)."""


# -- the transition table ------------------------------------------------------------------


@dataclass(frozen=True)
class Transition:
    action: Action
    sources: frozenset[Status]
    to: Status
    roles: frozenset[Role]
    label: tuple[str, str]
    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    owner_only: bool = False
    alternatives: tuple[Status, ...] = ()
    recomputes: tuple[Clock, ...] = ()
    """The deadlines this transition computes again from the case's history."""
    system: bool = False
    """Taken by the system actor only (never by a person)."""

    def allows_role(self, role: str) -> bool:
        return not self.system and role in self.roles

    @property
    def targets(self) -> tuple[Status, ...]:
        """Every status this transition may end in."""
        return (self.to, *self.alternatives)


def _t(
    action: Action,
    sources: set[Status],
    to: Status,
    roles: frozenset[Role] | set[Role],
    label: tuple[str, str],
    *,
    required: tuple[str, ...] = (),
    optional: tuple[str, ...] = (),
    owner_only: bool = False,
    alternatives: tuple[Status, ...] = (),
    recomputes: tuple[Clock, ...] = (),
    system: bool = False,
) -> Transition:
    return Transition(
        action,
        frozenset(sources),
        to,
        frozenset(roles),
        label,
        required=required,
        optional=optional,
        owner_only=owner_only,
        alternatives=alternatives,
        recomputes=recomputes,
        system=system,
    )


S = Status
A = Action
ALL_CLOCKS = CLOCKS
RECLASSIFIABLE: tuple[Status, ...] = (
    Status.TRIAGED,
    Status.IN_PROGRESS,
    Status.ESCALATED,
    Status.PENDING_CUSTOMER,
    Status.PENDING_APPROVAL,
)
"""Where a classification may still be corrected: triaged and not yet resolved."""

MERGEABLE: tuple[Status, ...] = (S.NEW, S.TRIAGED, S.ESCALATED, S.IN_PROGRESS, S.PENDING_CUSTOMER)
"""Where a duplicate can be merged from: open, no resolution proposed (a proposal, and the money
in it, is answered first)."""
TRANSITIONS: tuple[Transition, ...] = (
    _t(
        A.TRIAGE,
        {S.NEW},
        S.TRIAGED,
        INTAKE_ROLES,
        ("Triage", "分类"),
        required=("category", "severity", "complexity", "party", "department"),
        optional=("subcategory", "note"),
        recomputes=ALL_CLOCKS,
    ),
    _t(A.CLAIM, {S.TRIAGED}, S.IN_PROGRESS, CASE_OWNERS, ("Claim", "认领"), optional=("note",)),
    _t(
        A.CLAIM,
        {S.ESCALATED},
        S.IN_PROGRESS,
        {R.HANDLER, R.SUPERVISOR},
        ("Claim", "认领"),
        optional=("note",),
    ),
    _t(
        A.ASSIGN,
        {S.TRIAGED, S.ESCALATED, S.IN_PROGRESS},
        S.IN_PROGRESS,
        {R.CLASSIFIER, R.HANDLER, R.SUPERVISOR, R.ADMIN},
        ("Assign", "指派"),
        required=("owner",),
        optional=("note",),
    ),
    _t(
        A.ASSIGN,
        {S.PENDING_CUSTOMER, S.PENDING_APPROVAL, S.RESOLVED},
        S.PENDING_CUSTOMER,
        SUPERVISING,
        ("Assign", "指派"),
        required=("owner",),
        optional=("note",),
        alternatives=(S.PENDING_APPROVAL, S.RESOLVED),  # a hand-over keeps the status
    ),
    _t(
        A.RECLASSIFY,
        set(RECLASSIFIABLE),
        S.TRIAGED,
        {R.CLASSIFIER, R.SUPERVISOR, R.ADMIN},
        ("Reclassify", "重新分类"),
        required=("note",),
        optional=("category", "subcategory", "severity", "complexity", "party", "department"),
        alternatives=tuple(s for s in RECLASSIFIABLE if s != S.TRIAGED),  # it keeps the status
        recomputes=ALL_CLOCKS,
    ),
    _t(
        A.ESCALATE,
        {S.NEW, S.TRIAGED, S.IN_PROGRESS},
        S.ESCALATED,
        INTAKE_ROLES,
        ("Escalate", "升级"),
        required=("note",),
        owner_only=True,
        recomputes=(Clock.COORDINATION,),
    ),
    _t(
        A.WAIT,
        {S.IN_PROGRESS},
        S.PENDING_CUSTOMER,
        CASE_WORKERS,
        ("Wait for customer", "等待客户"),
        required=("note",),
        owner_only=True,
    ),
    _t(
        A.RESUME,
        {S.PENDING_CUSTOMER},
        S.IN_PROGRESS,
        CASE_WORKERS,
        ("Resume", "恢复处理"),
        optional=("note",),
        owner_only=True,
        recomputes=ALL_CLOCKS,
    ),
    _t(
        A.PROPOSE,
        {S.IN_PROGRESS},
        S.RESOLVED,
        CASE_WORKERS,
        ("Propose resolution", "提出解决方案"),
        required=("resolution",),
        optional=("amount", "compensation_kind", "note"),
        owner_only=True,
        alternatives=(S.PENDING_APPROVAL,),
    ),
    _t(A.APPROVE, {S.PENDING_APPROVAL}, S.RESOLVED, SUPERVISING, ("Approve", "批准"), optional=("note",)),
    _t(
        A.DENY,
        {S.PENDING_APPROVAL},
        S.IN_PROGRESS,
        SUPERVISING,
        ("Deny", "不予批准"),
        required=("note",),
    ),
    _t(
        A.CONFIRM,
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
        A.REJECT,
        {S.NEW, S.TRIAGED},
        S.CLOSED,
        {R.AGENT, R.CLASSIFIER, R.SUPERVISOR, R.ADMIN},
        ("Reject (spam / duplicate)", "驳回无效投诉"),
        required=("reason",),
        optional=("duplicate_of", "note"),
    ),
    _t(
        A.MERGE,
        set(MERGEABLE),
        S.CLOSED,
        INTAKE_ROLES,
        ("Merge", "合并"),
        required=("into",),
        optional=("note",),
    ),
    _t(
        A.REOPEN,
        {S.RESOLVED, S.CLOSED},
        S.IN_PROGRESS,
        CASE_WORKERS,
        ("Reopen", "重新处理"),
        required=("note",),
    ),
    _t(
        A.REVISIT,
        {S.CLOSED},
        S.CLOSED,
        CASE_WORKERS,
        ("Record revisit", "记录回访"),
        required=("outcome",),
        optional=("note", "score"),
        alternatives=(S.IN_PROGRESS,),
    ),
    # -- the system's own moves --
    _t(
        A.ESCALATE,
        {S.NEW, S.TRIAGED, S.IN_PROGRESS, S.PENDING_CUSTOMER},
        S.ESCALATED,
        frozenset(),
        ("Escalate", "升级"),
        required=("reason",),
        optional=("clock", "escalated_at", "waited_since"),
        recomputes=(Clock.COORDINATION,),
        system=True,
    ),
    _t(
        A.CLOSE,
        {S.RESOLVED},
        S.CLOSED,
        frozenset(),
        ("Closed automatically", "自动结案"),
        required=("window_ended",),
        system=True,
    ),
    _t(
        A.CLOSE,
        {S.PENDING_CUSTOMER},
        S.CLOSED,
        frozenset(),
        ("Closed automatically", "自动结案"),
        required=("waited_since",),
        system=True,
    ),
)

PEOPLE_TRANSITIONS = tuple(t for t in TRANSITIONS if not t.system)
SYSTEM_TRANSITIONS = tuple(t for t in TRANSITIONS if t.system)
ACTIONS: tuple[Action, ...] = tuple(dict.fromkeys(t.action for t in PEOPLE_TRANSITIONS))
"""What people may ask for (`kefu case move CODE ACTION`), in table order."""

ESCALATED_FROM = frozenset(s for t in SYSTEM_TRANSITIONS if t.action == A.ESCALATE for s in t.sources)
"""Where the system escalates a case from (on intake, on a breach)."""


def find_transition(action: str, status: str, *, system: bool = False) -> Transition | None:
    """The people's (or with `system` the system's) transition for `action` out of `status`."""
    for transition in TRANSITIONS:
        if transition.system == system and transition.action == action and status in transition.sources:
            return transition
    return None


def transitions_for(action: str, *, system: bool = False) -> list[Transition]:
    return [t for t in TRANSITIONS if t.action == action and t.system == system]


def refusal(action: str, status: str, role: str, *, is_owner: bool, owner: str | None) -> Message | None:
    """Why `role` may not take `action` on a case in `status`, or None when it may."""
    if action not in ACTIONS:
        return Message("refusal.unknown_action", action=action, actions=list(ACTIONS))
    transition = find_transition(action, status)
    if transition is None:
        sources = sorted({s.value for t in transitions_for(action) for s in t.sources})
        if owner:
            return Message(
                "refusal.wrong_state_owned", action=action, status=status, owner=owner, sources=sources
            )
        return Message("refusal.wrong_state", action=action, status=status, sources=sources)
    if not transition.allows_role(role):
        roles = sorted(r.value for r in transition.roles)
        return Message("refusal.role", role=role, action=action, status=status, roles=roles)
    if transition.owner_only and role not in SUPERVISING and owner is not None and not is_owner:
        return Message("refusal.owner_only", owner=owner, action=action)
    return None


def allowed_actions(status: str, role: str, *, is_owner: bool, owner: str | None) -> list[Action]:
    """The actions this user may take on a case in this status, in table order."""
    return [
        action for action in ACTIONS if refusal(action, status, role, is_owner=is_owner, owner=owner) is None
    ]


def role_refusal(role: str, roles: frozenset[Role], what: Message) -> Message | None:
    """Why `role` may not do `what` (a `do.*` message), or None when it is one of `roles`."""
    if role in roles:
        return None
    return Message("refusal.role_may_not", role=role, what=what, roles=sorted(r.value for r in roles))


# -- labels ------------------------------------------------------------------------------------


def _pick(pair: tuple[str, str], lang: str) -> str:
    return pair[1] if lang == "zh" else pair[0]


def status_label(status: str, lang: str) -> str:
    return _pick(STATUS_LABELS[Status(status)], lang)


def status_short_label(status: str, lang: str) -> str:
    try:
        return _pick(STATUS_SHORT_LABELS[Status(status)], lang)
    except ValueError:
        return status


def action_label(action: str, lang: str) -> str:
    found = [t for t in TRANSITIONS if t.action == action]
    return _pick(found[0].label, lang) if found else action


def event_label(kind: str, lang: str) -> str:
    """A history entry's title: the action's label, or the event kind's."""
    if kind in Action.__members__.values():
        return action_label(kind, lang)
    try:
        return _pick(EVENT_LABELS[EventKind(kind)], lang)
    except ValueError:
        return kind.replace("_", " ") if lang != "zh" else kind


def role_label(role: str, lang: str) -> str:
    try:
        return _pick(ROLE_LABELS[Role(role)], lang)
    except ValueError:
        return role


STATUTORY_LABEL = ("Statutory", "法定时限")
"""A statutory clock (`statutory.<code>`) in lists; the case screen names the rule itself."""


def clock_label(clock: str, lang: str) -> str:
    if clock.startswith("statutory."):
        return _pick(STATUTORY_LABEL, lang)
    try:
        return _pick(CLOCK_LABELS[Clock(clock)], lang)
    except ValueError:
        return clock


def field_label(name: str, lang: str) -> str:
    pair = FIELD_LABELS.get(name)
    return _pick(pair, lang) if pair else (name.replace("_", " ") if lang != "zh" else name)


def word_label(code: str, lang: str) -> str:
    pair = WORD_LABELS.get(code)
    return _pick(pair, lang) if pair else code


def state_label(state: str, lang: str) -> str:
    try:
        return _pick(DEADLINE_STATE_LABELS[DeadlineState(state)], lang)
    except ValueError:
        return state


def word_code(value: str, choices: tuple[str, ...]) -> str | None:
    """The stored word among `choices` that `value` names by its code or its English or
    Chinese label (so a Chinese refusal's list can be typed back), or None."""
    return _word_index(choices).get(value.strip().casefold())


@functools.cache
def _word_index(choices: tuple[str, ...]) -> dict[str, str]:
    index: dict[str, str] = {}
    for code in choices:
        for name in (code, *WORD_LABELS.get(code, ())):
            index.setdefault(name.casefold(), code)
    return index


def action_code(value: str) -> str | None:
    """The people's action `value` names by its code or its English or Chinese label."""
    wanted = value.strip().casefold()
    for transition in PEOPLE_TRANSITIONS:
        if wanted in (transition.action.value, *(label.casefold() for label in transition.label)):
            return transition.action
    return None


def link_label(kind: str, lang: str) -> str:
    pair = LINK_LABELS.get(kind)
    return _pick(pair, lang) if pair else kind.replace("_", " ")


def term_label(kind: str, code: str, lang: str) -> str:
    """A stored code of `kind` in `lang` (the terms of `kefu.core.messages`)."""
    labels = {
        "status": status_label,
        "role": role_label,
        "action": action_label,
        "event": event_label,
        "clock": clock_label,
        "field": field_label,
        "word": word_label,
        "link": link_label,
        "state": state_label,
    }
    try:
        return labels[kind](code, lang)
    except (KeyError, ValueError):
        return code
