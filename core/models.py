"""The tables: users, policy versions, cases (the current projection), events (the history).

Every timestamp is stored as UTC and read back timezone-aware (`UTCDateTime`); a naive
datetime is refused at bind time so that no local time slips into the file.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Column, DateTime, Index, Integer, Text, TypeDecorator, UniqueConstraint, text
from sqlalchemy.engine import Dialect
from sqlmodel import Field, SQLModel


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out; naive values are a bug and are refused."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r} given to the database; pass an aware one")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _ts(nullable: bool = True, index: bool = False) -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable, index=index))


class User(SQLModel, table=True):
    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, max_length=64)
    role: str = Field(max_length=20)
    display_name: str = Field(default="", max_length=100)
    department: str | None = Field(default=None, max_length=50)
    active: bool = True
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class PolicyVersion(SQLModel, table=True):
    """One revision of the policy. Cases keep the id of the revision they were opened under."""

    __tablename__ = "policy_versions"

    id: int | None = Field(default=None, primary_key=True)
    profile: str = Field(max_length=50)
    version: int
    effective_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    applied_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    applied_by: str = Field(max_length=64)
    source_toml: str = Field(sa_column=Column(Text, nullable=False))
    origin: str = Field(default="", max_length=500)


_CASE_VERSION = Column("version", Integer, nullable=False, default=1)


class Customer(SQLModel, table=True):
    """One person who complains, keyed by their canonical phone number (kefu.core.customers),
    or by e-mail when they gave no phone. Their cases point here (`cases.customer_id`)."""

    __tablename__ = "customers"

    id: int | None = Field(default=None, primary_key=True)
    phone: str | None = Field(default=None, max_length=40, unique=True)
    email: str | None = Field(default=None, max_length=200, index=True)
    name: str | None = Field(default=None, max_length=100)
    """The name given most recently."""
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class Case(SQLModel, table=True):
    """The current state of a complaint; its history is in `events`."""

    __tablename__ = "cases"
    __table_args__ = (
        UniqueConstraint("source", "external_id", name="uq_cases_source_external_id"),
        Index("ix_cases_open_status", "status", "due_resolution"),
        Index("ix_cases_owner_status", "owner", "status"),
        Index("ix_cases_received", "received_at"),
        Index("ix_cases_phone", "customer_phone"),
        Index("ix_cases_order", "order_no"),
        Index("ix_cases_due_statutory", "due_statutory"),
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, max_length=40)
    policy_version_id: int = Field(foreign_key="policy_versions.id")
    status: str = Field(max_length=20)
    version: int = Field(default=1, sa_column=_CASE_VERSION)

    # intake
    channel: str = Field(max_length=40)
    customer_name: str | None = Field(default=None, max_length=100)
    customer_phone: str | None = Field(default=None, max_length=40)
    customer_email: str | None = Field(default=None, max_length=200)
    customer_id: int | None = Field(default=None, foreign_key="customers.id", index=True)
    order_no: str | None = Field(default=None, max_length=80)
    target: str | None = Field(default=None, max_length=40)
    target_name: str | None = Field(default=None, max_length=200)
    description: str = Field(sa_column=Column(Text, nullable=False))
    incident_at: datetime | None = _ts()
    incident_place: str | None = Field(default=None, max_length=200)
    delivered_on: date | None = None
    """The goods' sign-off / delivery / sale date, which statutory windows count from."""
    returned_on: date | None = None
    """When the merchant received the returned goods (the refund period counts from it)."""
    demand: str | None = Field(default=None, sa_column=Column(Text))
    received_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    source: str | None = Field(default=None, max_length=60)
    external_id: str | None = Field(default=None, max_length=120)
    created_by: str = Field(max_length=64)

    # classification
    category: str | None = Field(default=None, max_length=60)
    subcategory: str | None = Field(default=None, max_length=80)
    severity: str = Field(max_length=10)
    complexity: str = Field(default="simple", max_length=10)
    party: str | None = Field(default=None, max_length=40)
    department: str | None = Field(default=None, max_length=50)
    owner: str | None = Field(default=None, max_length=64)

    # resolution
    resolution: str | None = Field(default=None, max_length=40)
    resolution_note: str | None = Field(default=None, sa_column=Column(Text))
    compensation_amount: float | None = None
    compensation_kind: str | None = Field(default=None, max_length=20)
    satisfied: bool | None = None
    satisfaction_score: int | None = None
    close_reason: str | None = Field(default=None, max_length=30)
    reopen_count: int = 0
    repeat_of: str | None = Field(default=None, max_length=40)
    revisit_outcome: str | None = Field(default=None, max_length=20)
    # business minutes from receipt to resolved_at on the case's calendar, set when resolved
    # (reports average it over a million cases without redoing calendar arithmetic per row)
    handling_business_minutes: int | None = None

    # clocks (stored for sorting and indexed queries; recomputable from events)
    first_response_at: datetime | None = _ts()
    escalated_at: datetime | None = _ts()
    paused_at: datetime | None = _ts()
    resolved_at: datetime | None = _ts()
    closed_at: datetime | None = _ts()
    due_first_response: datetime | None = _ts()
    due_resolution: datetime | None = _ts()
    due_coordination: datetime | None = _ts()
    due_statutory: datetime | None = _ts()
    """The earliest unmet statutory duty's end (kefu.core.statutory), for indexed queries."""
    statutory_clock: str | None = Field(default=None, max_length=60)
    """Which one (`statutory.<code>`)."""
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    purged_at: datetime | None = _ts()
    """When the customer's personal data was removed after retention (`kefu purge`)."""

    # UPDATE ... WHERE version = :seen, so a stale write fails instead of overwriting.
    __mapper_args__ = {"version_id_col": _CASE_VERSION}


class Event(SQLModel, table=True):
    """One append-only entry in a case's history."""

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_case", "case_id", "id"),
        Index(
            "ix_events_unsealed",
            "id",
            sqlite_where=text("hash IS NULL"),
            postgresql_where=text("hash IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id")
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    actor: str = Field(max_length=64)
    action: str = Field(max_length=30)
    from_status: str | None = Field(default=None, max_length=20)
    to_status: str | None = Field(default=None, max_length=20)
    changes_json: str = Field(default="{}", sa_column=Column(Text, nullable=False))
    note: str | None = Field(default=None, sa_column=Column(Text))
    # A note kefu wrote itself, as its catalog message ({"key", "params"}), so it reads in
    # either language; `note` holds its English text (kefu.core.history).
    message_json: str | None = Field(default=None, sa_column=Column(Text))
    hash: str | None = Field(default=None, max_length=64)
    """SHA-256 of this event chained to the one before it (`history.seal`): a change, deletion
    or insertion in the history breaks the chain (`kefu audit verify`)."""

    @property
    def changes(self) -> dict[str, Any]:
        return json.loads(self.changes_json or "{}")


class DeskEntry(SQLModel, table=True):
    """One entry in the desk's own append-only record (`kefu.core.desklog`): a person added or
    changed (with their state after it), personal data viewed by someone not on the case, a
    retention purge. Hashed and chained like the history (`history.DESK_LOG`)."""

    __tablename__ = "desk_log"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    actor: str = Field(max_length=64)
    kind: str = Field(max_length=30, index=True)
    subject: str = Field(max_length=120, index=True)
    """A user's login, or a case code."""
    detail_json: str = Field(default="{}", sa_column=Column(Text, nullable=False))
    hash: str | None = Field(default=None, max_length=64)

    @property
    def detail(self) -> dict[str, Any]:
        return json.loads(self.detail_json or "{}")


class CaseLink(SQLModel, table=True):
    """A relation between two cases: repeat (same customer/order in the window), duplicate."""

    __tablename__ = "case_links"
    __table_args__ = (UniqueConstraint("case_id", "other_id", "kind"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    other_id: int = Field(foreign_key="cases.id", index=True)
    kind: str = Field(max_length=20)


class Attachment(SQLModel, table=True):
    """Evidence kept by path and SHA-256, so a moved or altered file is noticed."""

    __tablename__ = "attachments"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    path: str = Field(max_length=1000)
    sha256: str = Field(max_length=64)
    size: int
    added_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    added_by: str = Field(max_length=64)


class Payment(SQLModel, table=True):
    """One row of the compensation ledger: what a proposal paid (or asked to pay) the customer.

    Totals and reports sum the paid rows; the approval threshold applies to a case's running
    total (`kefu.core.payments`). The case's `compensation_amount` / `_kind` are the current
    proposal's, shown with its resolution."""

    __tablename__ = "payments"
    __table_args__ = (
        UniqueConstraint("case_id", "no", name="uq_payments_case_no"),
        Index("ix_payments_paid", "status", "paid_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    no: int
    """1, 2, ... within the case (`kefu case void-payment CODE NO`)."""
    amount: float
    kind: str | None = Field(default=None, max_length=20)
    resolution: str | None = Field(default=None, max_length=40)
    status: str = Field(max_length=20)  # workflow.PaymentStatus
    proposed_by: str = Field(max_length=64)
    proposed_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    approved_by: str | None = Field(default=None, max_length=64)
    """Who let it be offered: the supervisor who approved it, or the proposer within the threshold."""
    approved_at: datetime | None = _ts()
    paid_at: datetime | None = _ts()
    """When the customer accepted it (the report's date)."""
    closed_by: str | None = Field(default=None, max_length=64)
    """Who denied, declined (the customer's answer recorded by) or voided it."""
    closed_at: datetime | None = _ts()
    note: str | None = Field(default=None, sa_column=Column(Text))
    """Why it was denied or voided."""


class CodeCounter(SQLModel, table=True):
    """The last sequence number used for case codes of one prefix and local day."""

    __tablename__ = "code_counters"

    day_key: str = Field(primary_key=True, max_length=30)
    last: int = 0


class Revisit(SQLModel, table=True):
    """A follow-up call after closure (回访): scheduled, due, then done or given up."""

    __tablename__ = "revisits"
    __table_args__ = (Index("ix_revisits_status_due", "status", "due_at"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    due_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    status: str = Field(default="scheduled", max_length=20)  # workflow.RevisitStatus
    attempts: int = 0
    outcome: str | None = Field(default=None, max_length=20)
    note: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class Deadline(SQLModel, table=True):
    """One instance of a clock a case ran: its start, target, due time and how it ended.

    A case's `due_*` columns are the projection of its current instances (the ones with no
    `ended_at`). A reopen or a change of severity ends an instance and starts another; a met or
    ended instance is never rewritten (an open one's due moves later while the customer is
    waited for). See kefu.core.deadlines."""

    __tablename__ = "deadlines"
    __table_args__ = (
        UniqueConstraint("case_id", "clock", "instance"),  # also the index of a case's records
        # The reports read the ended instances by due time: an index of those rows only.
        Index(
            "ix_deadlines_ended",
            "clock",
            "due_at",
            sqlite_where=text("ended_at IS NOT NULL"),
            postgresql_where=text("ended_at IS NOT NULL"),
        ),
        # `sla check` finds the open statutory duties by due time: an index of the open rows.
        Index(
            "ix_deadlines_open",
            "clock",
            "due_at",
            sqlite_where=text("met_at IS NULL AND ended_at IS NULL"),
            postgresql_where=text("met_at IS NULL AND ended_at IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id")
    clock: str = Field(max_length=60)  # a workflow.Clock, or statutory.<code>
    instance: int = 1
    policy_version_id: int = Field(foreign_key="policy_versions.id")
    target: str = Field(max_length=20)  # as the policy writes it: 8bh, 3wd, 7d
    started_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    due_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    met_at: datetime | None = _ts()
    ended_at: datetime | None = _ts()
    """When it stopped being the case's current instance of its clock (replaced or cancelled)."""
    end_reason: str | None = Field(default=None, max_length=20)  # replaced | cancelled
    paused_at: datetime | None = _ts()
    """Set while the case waits for the customer and this unmet clock has not run out: it does
    not fall due while stopped (its due time moves on when the wait ends)."""
    assumed_years: str | None = Field(default=None, max_length=40)
    """Years its due time was computed in without official holiday data (weekdays assumed)."""


class CalendarYear(SQLModel, table=True):
    """One year's official holiday arrangement, entered for the desk (`kefu calendar add`):
    the days off (the holidays with the weekends they span) and the make-up working days."""

    __tablename__ = "calendar_years"

    id: int | None = Field(default=None, primary_key=True)
    year: int = Field(unique=True)
    source: str = Field(default="", max_length=500)
    """Where the arrangement comes from, e.g. the State Council notice."""
    arrangement_json: str = Field(sa_column=Column(Text, nullable=False))
    """{"holidays": [{"name", "from", "to"}], "workdays": [{"name", "date"}]}, ISO dates."""
    entered_by: str = Field(max_length=64)
    entered_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    origin: str = Field(default="", max_length=500)


class Breach(SQLModel, table=True):
    """A deadline found passed while unmet; recorded once per case, clock and due time."""

    __tablename__ = "breaches"
    __table_args__ = (UniqueConstraint("case_id", "kind", "due_at"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    kind: str = Field(max_length=60)  # a clock, or statutory.<code>
    due_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    recorded_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    department: str | None = Field(default=None, max_length=50)


# Indexes for the SLA clocks (migration 0002): `kefu sla check` searches open cases by status
# and deadline, and resolved cases by when they were resolved, never by walking every case.
_cases = SQLModel.metadata.tables["cases"]
Index(
    "ix_cases_first_response_due",
    _cases.c.status,
    _cases.c.first_response_at,
    _cases.c.due_first_response,
)
Index("ix_cases_coordination_due", _cases.c.status, _cases.c.due_coordination)
Index("ix_cases_status_resolved", _cases.c.status, _cases.c.resolved_at)
# The TUI's "my team" queue (migration 0004): a department's cases that are not closed.
Index("ix_cases_department_status", _cases.c.department, _cases.c.status)


class AuditBatch(SQLModel, table=True):
    """One spot check drawn by an auditor: the seed and the rule, so it can be drawn again."""

    __tablename__ = "audit_batches"

    id: int | None = Field(default=None, primary_key=True)
    drawn_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    drawn_by: str = Field(max_length=64)
    seed: int
    size: int  # cases asked for (per agent when by_agent)
    by_agent: bool = False
    period_from: str = Field(max_length=10)  # local dates, inclusive
    period_to: str = Field(max_length=10)
    population: int  # closed cases the sample was drawn from


class AuditSample(SQLModel, table=True):
    """One closed case in an audit batch, with the auditor's verdict once scored."""

    __tablename__ = "audit_samples"
    __table_args__ = (UniqueConstraint("batch_id", "case_id"),)

    id: int | None = Field(default=None, primary_key=True)
    batch_id: int = Field(foreign_key="audit_batches.id", index=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    position: int
    agent: str | None = Field(default=None, max_length=64)  # the case's owner when drawn
    scored_at: datetime | None = _ts()
    scored_by: str | None = Field(default=None, max_length=64)
    note: str | None = Field(default=None, sa_column=Column(Text))


class AuditScore(SQLModel, table=True):
    """The points one sampled case got on one checklist item."""

    __tablename__ = "audit_scores"
    __table_args__ = (UniqueConstraint("sample_id", "item"),)

    id: int | None = Field(default=None, primary_key=True)
    sample_id: int = Field(foreign_key="audit_samples.id", index=True)
    item: str = Field(max_length=60)
    score: int
    max_score: int
