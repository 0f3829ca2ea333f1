"""The kefu command line (Typer): thin commands that parse, call the core, and print.

Results go to stdout (a table, or one JSON document with --json); diagnostics to stderr.
Exit status: 0 done, 1 the check found what it looks for, 2 bad usage or input, 3 the
database cannot be used. Expected failures print one sentence, never a traceback.
"""

from __future__ import annotations

import json
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import click
import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine
from sqlmodel import Session
from typer.core import TyperGroup

from . import __version__
from .core import db as kdb
from .core import intake, lifecycle, policies, queues, services, views
from .core.errors import KefuError
from .core.identity import os_login
from .core.messages import Message
from .core.models import User
from .core.policy import (
    bundled_profile_names,
    check_effective,
    load_profile_text,
    resolve_profile_source,
)
from .core.workflow import ACTIONS, AUDIT_READERS, SUPERVISING, status_label

# Piped or under cron there is no terminal width to respect: never squeeze columns.
out = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 200)
err = Console(stderr=True, soft_wrap=True)


class KefuGroup(TyperGroup):
    """Turns expected failures (KefuError) into one line on stderr and the contract's exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KefuError as exc:
            err.print(f"kefu: {exc.message}", markup=False, highlight=False)
            raise typer.Exit(exc.exit_code) from None


app = typer.Typer(
    cls=KefuGroup,
    no_args_is_help=True,  # the help text (with its example) is main_callback's docstring
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)
case_app = typer.Typer(help="Scriptable case work: new, list, show, move, note.", no_args_is_help=True)
user_app = typer.Typer(help="People and their roles.", no_args_is_help=True)
policy_app = typer.Typer(help="The policy in force, validation, new revisions.", no_args_is_help=True)
app.add_typer(case_app, name="case")
app.add_typer(user_app, name="user")
app.add_typer(policy_app, name="policy")


@dataclass
class Settings:
    db: str
    as_user: str | None


def _settings(ctx: typer.Context) -> Settings:
    obj = ctx.find_root().obj
    assert isinstance(obj, Settings)
    return obj


def _version(value: bool) -> None:
    if value:
        typer.echo(f"kefu {__version__}")
        raise typer.Exit()


@app.callback()
def main_callback(
    ctx: typer.Context,
    db: Annotated[
        str,
        typer.Option("--db", envvar="KEFU_DB", help="The desk's SQLite file (default ./kefu.db)."),
    ] = "kefu.db",
    as_user: Annotated[str | None, typer.Option("--as", help="Act as this kefu user (admins only).")] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """kefu (客服): a complaint and after-sales case desk for the terminal.

    Example: kefu init --profile express --sample && kefu case list
    """
    ctx.obj = Settings(db=db, as_user=as_user)
    _warned.clear()
    warnings.showwarning = _show_warning


_warned: set[str] = set()


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: Any = None,
    line: str | None = None,
) -> None:
    """A Python warning (e.g. a calendar year without holiday data) as one line, once."""
    text = str(message)
    if text in _warned:
        return
    _warned.add(text)
    err.print(f"kefu: warning: {text}", markup=False, highlight=False)


def now_utc() -> datetime:
    return datetime.now(UTC)


@contextmanager
def acting(ctx: typer.Context, *, write: bool) -> Iterator[tuple[Session, User]]:
    """A session on the database and the kefu user acting (one transaction for writes)."""
    settings = _settings(ctx)
    engine = kdb.open_database(settings.db)
    opener = kdb.write_session if write else kdb.read_session
    with opener(engine) as session:
        actor = services.resolve_actor(session, os_login(), settings.as_user)
        yield session, actor


def parse_when(text: str, timezone: str, option: str) -> datetime:
    """services.parse_when, with a date too far out for the time zone refused in one sentence."""
    from .core.errors import InvalidInput

    try:
        return services.parse_when(text, timezone, option)
    except (OverflowError, ValueError):
        raise InvalidInput(f"{option} {text!r} is out of range") from None


def engine_for(ctx: typer.Context) -> Engine:
    return kdb.open_database(_settings(ctx).db)


def print_json(document: Any) -> None:
    sys.stdout.write(json.dumps(document, ensure_ascii=False, indent=2, default=str) + "\n")


# -- init / demo -----------------------------------------------------------------------


@app.command()
def init(
    ctx: typer.Context,
    profile: Annotated[
        str,
        typer.Option(help=f"A bundled profile ({', '.join(bundled_profile_names())}) or a .toml file."),
    ] = "ecommerce",
    sample: Annotated[bool, typer.Option("--sample", help="Add sample users and cases.")] = False,
) -> None:
    """Create a database with a policy; you become its first admin.

    Example: kefu init --profile express --sample
    """
    from .core.samples import seed_sample_desk

    settings = _settings(ctx)
    text, origin = resolve_profile_source(profile)
    parsed = load_profile_text(text, origin)
    now = now_utc()
    engine = kdb.create_database(settings.db)
    login = os_login()
    try:
        with kdb.write_session(engine) as session:
            admin, _ = services.initialize_desk(
                session=session, admin_name=login, text=text, origin=origin, now=now
            )
            count = 0
            if sample:
                count = seed_sample_desk(session=session, admin=admin, profile_name=parsed.name, now=now)
    except BaseException:
        engine.dispose()
        path = Path(settings.db)
        if "://" not in settings.db:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        raise
    err.print(
        f"Created {settings.db} with the {parsed.name} profile; {login} is its admin"
        + (f"; {count} sample cases." if sample else "."),
        markup=False,
    )


# -- users -----------------------------------------------------------------------------


@user_app.command("add")
def user_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The person's OS login.")],
    role: Annotated[
        str, typer.Option(help="agent, classifier, handler, supervisor, analyst, auditor or admin.")
    ],
    display_name: Annotated[str, typer.Option("--display-name", help="Name shown in the TUI.")] = "",
    department: Annotated[str | None, typer.Option(help="Their team (a department code).")] = None,
) -> None:
    """Add a person (admins only).

    Example: kefu user add alice --role agent --department cs
    """
    with acting(ctx, write=True) as (session, actor):
        user = services.add_user(
            session=session,
            actor=actor,
            name=name,
            role=role,
            display_name=display_name,
            department=department,
            now=now_utc(),
        )
        err.print(f"Added {user.name} as {user.role}.", markup=False)


@user_app.command("set")
def user_set(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The person's OS login.")],
    role: Annotated[
        str | None,
        typer.Option(help="agent, classifier, handler, supervisor, analyst, auditor or admin."),
    ] = None,
    department: Annotated[
        str | None, typer.Option(help='Their team (a department code; "" for none).')
    ] = None,
    display_name: Annotated[str | None, typer.Option("--display-name", help="Name shown in the TUI.")] = None,
    active: Annotated[
        bool | None,
        typer.Option("--active/--inactive", help="Let them in, or keep them out (history stays)."),
    ] = None,
) -> None:
    """Change a person's role, team, display name, or deactivate them (admins only).

    Example: kefu user set alice --role handler --department cs
    """
    from .core.errors import InvalidInput

    if role is None and department is None and display_name is None and active is None:
        raise InvalidInput(
            "nothing to change: give --role, --department, --display-name, --active or --inactive"
        )
    with acting(ctx, write=True) as (session, actor):
        user = services.update_user(
            session=session,
            actor=actor,
            name=name,
            now=now_utc(),
            role=role,
            department=department,
            display_name=display_name,
            active=active,
        )
        summary = (
            f"{user.name}: {user.role}, department {user.department or '(none)'}, "
            f"{'active' if user.active else 'inactive'}"
        )
    err.print(summary, markup=False, highlight=False)


@user_app.command("list")
def user_list(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON document.")] = False,
) -> None:
    """List the people and their roles.

    Example: kefu user list --json
    """
    with acting(ctx, write=False) as (session, _actor):
        users = services.list_users(session)
        rows = [
            {
                "name": u.name,
                "role": u.role,
                "display_name": u.display_name,
                "department": u.department,
                "active": u.active,
            }
            for u in users
        ]
    if as_json:
        print_json(rows)
        return
    table = Table("name", "role", "display name", "department", "active")
    for r in rows:
        table.add_row(
            r["name"],
            r["role"],
            r["display_name"],
            r["department"] or "",
            "yes" if r["active"] else "no",
        )
    out.print(table)


# -- cases -----------------------------------------------------------------------------


@case_app.command("new")
def case_new(
    ctx: typer.Context,
    description: Annotated[str, typer.Option("--description", "-d", help="What the customer says.")],
    channel: Annotated[str, typer.Option(help="Channel code or label, e.g. hotline / 客服热线.")],
    name: Annotated[str | None, typer.Option("--name", help="Customer name.")] = None,
    phone: Annotated[str | None, typer.Option(help="Customer phone.")] = None,
    email: Annotated[str | None, typer.Option(help="Customer e-mail.")] = None,
    order: Annotated[str | None, typer.Option("--order", help="Order or waybill number.")] = None,
    target: Annotated[str | None, typer.Option(help="What it is against (merchant, courier, ...).")] = None,
    target_name: Annotated[str | None, typer.Option("--target-name", help="Which one, by name.")] = None,
    demand: Annotated[str | None, typer.Option(help="What the customer asks for.")] = None,
    place: Annotated[str | None, typer.Option(help="Where it happened.")] = None,
    incident_at: Annotated[
        str | None, typer.Option("--incident-at", help="When it happened (ISO 8601).")
    ] = None,
    received_at: Annotated[
        str | None, typer.Option("--received-at", help="When it was received (default: now).")
    ] = None,
    category: Annotated[str | None, typer.Option(help="Category code or label.")] = None,
    subcategory: Annotated[str | None, typer.Option(help="Subcategory code or label.")] = None,
    severity: Annotated[
        str | None, typer.Option(help="A severity code from the policy (see kefu policy show).")
    ] = None,
    complexity: Annotated[str | None, typer.Option(help="simple or complex.")] = None,
    party: Annotated[str | None, typer.Option(help="Responsible party code.")] = None,
    department: Annotated[str | None, typer.Option(help="Department / queue code.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the new case as JSON.")] = False,
) -> None:
    """Record a new complaint and print its code.

    Example: kefu case new --channel hotline --phone 13800001111 -d "快递三天没更新"
    """
    now = now_utc()
    with acting(ctx, write=True) as (session, actor):
        _, profile = policies.policy_in_force(session, now)
        tz = profile.calendar.timezone
        fields: dict[str, Any] = {
            "channel": channel,
            "description": description,
            "customer_name": name,
            "customer_phone": phone,
            "customer_email": email,
            "order_no": order,
            "target": target,
            "target_name": target_name,
            "demand": demand,
            "incident_place": place,
            "category": category,
            "subcategory": subcategory,
            "severity": severity,
            "complexity": complexity,
            "party": party,
            "department": department,
        }
        if incident_at:
            fields["incident_at"] = parse_when(incident_at, tz, "--incident-at")
        if received_at:
            fields["received_at"] = parse_when(received_at, tz, "--received-at")
        case = intake.create_case(
            session=session,
            actor=actor,
            now=now,
            **{k: v for k, v in fields.items() if v is not None},
        )
        detail = views.case_detail(session, case, actor, now) if as_json else None
        code, repeat_of = case.code, case.repeat_of
    if detail is not None:
        print_json(detail.as_json())
    else:
        typer.echo(code)
    if repeat_of:
        err.print(f"note: repeat complaint, linked to {repeat_of}", markup=False)


@case_app.command("list")
def case_list(
    ctx: typer.Context,
    status: Annotated[str | None, typer.Option(help="Only this status.")] = None,
    open_only: Annotated[bool, typer.Option("--open", help="Only cases not closed.")] = False,
    mine: Annotated[bool, typer.Option("--mine", help="Only cases I own.")] = False,
    owner: Annotated[str | None, typer.Option(help="Only cases this user owns.")] = None,
    unassigned: Annotated[bool, typer.Option("--unassigned", help="Only cases with no owner.")] = False,
    search: Annotated[
        str | None,
        typer.Option(
            "--search",
            "-s",
            help="Code (or its start), order number, phone, customer name or words; as in the TUI.",
        ),
    ] = None,
    limit: Annotated[int, typer.Option(help="At most this many rows.", min=1, max=100000)] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON document.")] = False,
) -> None:
    """List cases, most recently received first.

    Example: kefu case list --open --mine --json
    """

    now = now_utc()
    with acting(ctx, write=False) as (session, actor):
        flt = queues.CaseFilter(
            status=status,
            open_only=open_only,
            owner=actor.name if mine else owner,
            unassigned=unassigned,
            text=search,
        )
        cases, total = queues.list_cases(session, actor=actor, flt=flt, limit=limit)
        rows = [views.case_summary(c, policies.case_profile(session, c), actor, now) for c in cases]
        _, profile = policies.policy_in_force(session, now)
    if total > len(rows):
        err.print(f"showing {len(rows)} of {total}; use --limit", markup=False, highlight=False)
    if as_json:
        print_json([r.as_json() for r in rows])
        return
    lang = profile.profile.language
    table = Table("code", "received", "channel", "category", "sev", "customer", "owner", "status", "SLA")
    table.columns[0].no_wrap = table.columns[1].no_wrap = True
    for r in rows:
        table.add_row(
            r.code,
            f"{r.received_at:%m-%d %H:%M}",
            r.label("channels", r.channel, lang),
            r.label("taxonomy", r.category, lang),
            r.severity,
            r.customer.name or r.customer.phone or "",
            r.owner or "",
            status_label(r.status, lang),
            r.sla,
        )
    out.print(table)
    if not rows:
        err.print("no cases match", markup=False)


@case_app.command("show")
def case_show(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help="The case code, e.g. KF-20261124-0007.")],
    as_json: Annotated[bool, typer.Option("--json", help="The case and its full history as JSON.")] = False,
) -> None:
    """Show one case with its deadlines and history.

    Example: kefu case show KF-20261124-0007 --json
    """
    now = now_utc()
    with acting(ctx, write=False) as (session, actor):
        case = lifecycle.get_case(session, code)
        detail = views.case_detail(session, case, actor, now)
    if as_json:
        print_json(detail.as_json())
        return
    _print_case(detail)


def _print_case(d: views.CaseDetail) -> None:
    lang = d.profile.profile.language
    out.print(f"[bold]{d.code}[/bold]  {status_label(d.status, lang)}  ({d.status})  v{d.version}")
    target = d.label("targets", d.target, lang)
    category = d.label("taxonomy", d.category, lang)
    rows = [
        ("received", d.received_at.isoformat(timespec="seconds")),
        ("channel", d.label("channels", d.channel, lang)),
        ("customer", " ".join(x for x in (d.customer.name, d.customer.phone, d.customer.email) if x)),
        ("order", d.order_no),
        ("against", " ".join(x for x in (target, d.target_name) if x)),
        ("category", " / ".join(x for x in (category, d.subcategory_label(lang)) if x)),
        ("severity", f"{d.label('severities', d.severity, lang)} ({d.complexity})"),
        ("party", d.label("parties", d.party, lang)),
        ("department", d.label("departments", d.department, lang)),
        ("owner", d.owner),
        ("demand", d.demand),
        ("resolution", d.label("resolutions", d.resolution, lang)),
        ("repeat of", d.repeat_of),
        ("links", ", ".join(f"{link.kind} {link.code}" for link in d.links)),
    ]
    for key, value in rows:
        if value:
            out.print(f"  {key:<11} {value}", markup=False)
    out.print(f"  {'description':<11} {d.description}", markup=False)
    for clock, deadline in d.deadlines.items():
        due = deadline.due.isoformat(timespec="seconds") if deadline.due else ""
        out.print(f"  due {clock:<16} {due}  {deadline.state}", markup=False)
    out.print("history:")
    for e in d.history:
        move = f" {e.from_status or ''}→{e.to_status}" if e.to_status and e.to_status != e.from_status else ""
        note = f"  {e.note_text('en')}" if e.note else ""
        out.print(f"  {e.at:%Y-%m-%d %H:%M}  {e.actor:<8} {e.action}{move}{note}", markup=False)
    if d.allowed_actions:
        out.print("you may: " + ", ".join(d.allowed_actions), markup=False)


@case_app.command("move")
def case_move(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help="The case code.")],
    action: Annotated[str, typer.Argument(help="One of: " + ", ".join(ACTIONS) + ".")],
    note: Annotated[str | None, typer.Option(help="Why / what was done (some actions need it).")] = None,
    category: Annotated[str | None, typer.Option(help="triage: category.")] = None,
    subcategory: Annotated[str | None, typer.Option(help="triage: subcategory.")] = None,
    severity: Annotated[str | None, typer.Option(help="triage: severity.")] = None,
    complexity: Annotated[str | None, typer.Option(help="triage: simple or complex.")] = None,
    party: Annotated[str | None, typer.Option(help="triage: responsible party.")] = None,
    department: Annotated[str | None, typer.Option(help="triage: department / queue.")] = None,
    owner: Annotated[str | None, typer.Option(help="assign: the new owner.")] = None,
    resolution: Annotated[str | None, typer.Option(help="propose: resolution type.")] = None,
    amount: Annotated[float | None, typer.Option(help="propose: compensation amount.")] = None,
    kind: Annotated[str | None, typer.Option("--kind", help="propose: cash, voucher or gift.")] = None,
    satisfied: Annotated[str | None, typer.Option(help="confirm: yes or no.")] = None,
    score: Annotated[int | None, typer.Option(help="confirm/revisit: satisfaction 1-5.")] = None,
    reason: Annotated[str | None, typer.Option(help="reject: spam or duplicate.")] = None,
    duplicate_of: Annotated[
        str | None, typer.Option("--duplicate-of", help="reject: the original case.")
    ] = None,
    outcome: Annotated[
        str | None, typer.Option(help="revisit: satisfied, unsatisfied or unreachable.")
    ] = None,
    expect_version: Annotated[
        int | None,
        typer.Option("--expect-version", help="Refuse if the case is no longer at this version."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the case afterwards as JSON.")] = False,
) -> None:
    """Take a lifecycle action on a case (refused with a reason if not allowed).

    Example: kefu case move KF-20261124-0007 propose --resolution compensation --amount 50 --kind cash
    """
    given = {
        "note": note,
        "category": category,
        "subcategory": subcategory,
        "severity": severity,
        "complexity": complexity,
        "party": party,
        "department": department,
        "owner": owner,
        "resolution": resolution,
        "amount": amount,
        "compensation_kind": kind,
        "satisfied": satisfied,
        "score": score,
        "reason": reason,
        "duplicate_of": duplicate_of,
        "outcome": outcome,
    }
    now = now_utc()
    with acting(ctx, write=True) as (session, actor):
        case = lifecycle.move_case(
            session=session,
            code=code,
            action=action,
            actor=actor,
            now=now,
            expected_version=expect_version,
            **{k: v for k, v in given.items() if v is not None},
        )
        detail = views.case_detail(session, case, actor, now) if as_json else None
        summary = f"{case.code}: {action} → {case.status}" + (f" (owner {case.owner})" if case.owner else "")
    if detail is not None:
        print_json(detail.as_json())
    else:
        typer.echo(summary)


@case_app.command("note")
def case_note(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help="The case code.")],
    text: Annotated[str, typer.Argument(help="The note (may be empty with --phrase).")] = "",
    contact: Annotated[
        str | None, typer.Option(help="Log a customer contact: call, message, email or visit.")
    ] = None,
    phrase: Annotated[str | None, typer.Option(help="Standard phrase used (see `kefu policy show`).")] = None,
) -> None:
    """Add a note, or log a contact with the customer (meets the first-response clock).

    Example: kefu case note KF-20261124-0007 "已致歉并说明处理时限" --contact call --phrase apology
    """
    with acting(ctx, write=True) as (session, actor):
        event = services.add_note(
            session=session,
            code=code,
            actor=actor,
            now=now_utc(),
            text=text,
            contact=contact,
            phrase=phrase,
        )
        what = event.action
    typer.echo(f"{code.upper()}: {what} recorded")


@case_app.command("attach")
def case_attach(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help="The case code.")],
    path: Annotated[Path, typer.Argument(help="The evidence file (kept by path and SHA-256).")],
) -> None:
    """Attach evidence to a case by path and SHA-256.

    Example: kefu case attach KF-20261124-0007 photos/damaged-box.jpg
    """
    with acting(ctx, write=True) as (session, actor):
        attachment = services.attach_file(session=session, code=code, actor=actor, now=now_utc(), path=path)
        digest = attachment.sha256
    typer.echo(f"{code.upper()}: attached {path} sha256 {digest}")


# -- policy ----------------------------------------------------------------------------


@policy_app.command("show")
def policy_show(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON document.")] = False,
    toml: Annotated[bool, typer.Option("--toml", help="Print the TOML source in force.")] = False,
) -> None:
    """Show the policy in force and its revisions.

    Example: kefu policy show --toml > my-policy.toml
    """
    now = now_utc()
    with acting(ctx, write=False) as (session, _actor):
        version, profile = policies.policy_in_force(session, now)
        revisions = [
            {
                "version": v.version,
                "profile": v.profile,
                "effective_at": views.iso(v.effective_at, profile),
                "applied_by": v.applied_by,
                "origin": v.origin,
            }
            for v in policies.policy_versions(session)
        ]
        source = version.source_toml
        number = version.version
    if toml:
        sys.stdout.write(source)
        return
    if as_json:
        print_json({"in_force": number, "revisions": revisions, "policy": profile.model_dump()})
        return
    lang = profile.profile.language
    out.print(f"[bold]{profile.profile.title.text(lang)}[/bold] ({profile.name}), revision {number}")
    cal = profile.calendar
    out.print(f"calendar: {cal.kind}, {cal.timezone}, hours {', '.join(cal.business_hours)}", markup=False)
    table = Table("severity", "first response", "resolution", "coordination", "complex")
    for code, targets in profile.sla.items():
        cx = targets.complex
        table.add_row(
            _severity_label(code, profile.severities[code].text(lang)),
            targets.first_response,
            targets.resolution,
            targets.coordination or "",
            "" if cx is None else " ".join(f"{k}={v}" for k, v in cx.model_dump().items() if v),
        )
    out.print(table)
    for kind in ("channels", "taxonomy", "parties", "departments", "resolutions", "phrases"):
        items = profile.vocabulary(kind)
        out.print(f"{kind}: " + ", ".join(f"{c} ({v.text(lang)})" for c, v in items.items()), markup=False)
    out.print(
        f"approval above {profile.compensation.approval_threshold:g} {profile.compensation.currency}; "
        f"confirmation window {profile.confirmation.window}; revisit after {profile.revisit.delay}, "
        f"{profile.revisit.attempts} attempts; repeat window {profile.repeat.window_days} days",
        markup=False,
    )
    for rev in revisions:
        out.print(
            f"  revision {rev['version']} effective {rev['effective_at']} "
            f"by {rev['applied_by']} ({rev['origin']})",
            markup=False,
        )


def _severity_label(code: str, label: str) -> str:
    """The severity's label, with its code in front unless the label already starts with it."""
    return label if label.split(" ", 1)[0] == code else f"{code} {label}"


@policy_app.command("check")
def policy_check(
    file: Annotated[Path, typer.Argument(help="A profile TOML file.")],
) -> None:
    """Validate a policy file without applying it (exit 2 with line and reason if broken).

    Example: kefu policy check my-policy.toml
    """
    text, origin = resolve_profile_source(str(file))
    profile = load_profile_text(text, origin)
    typer.echo(
        f"{file}: ok ({profile.name}, {len(profile.taxonomy)} categories, "
        f"{len(profile.severities)} severities)"
    )


@policy_app.command("apply")
def policy_apply(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="A profile TOML file.")],
    effective: Annotated[
        str | None, typer.Option(help="When it takes effect (ISO 8601; default now).")
    ] = None,
) -> None:
    """Store a new policy revision (admins); open cases keep the revision they were opened under.

    Example: kefu policy apply my-policy.toml --effective 2027-01-01
    """
    text, origin = resolve_profile_source(str(file))
    profile = load_profile_text(text, origin)
    now = now_utc()
    with acting(ctx, write=True) as (session, actor):
        when = parse_when(effective, profile.calendar.timezone, "--effective") if effective else None
        version = services.apply_policy(
            session=session,
            actor=actor,
            text=text,
            origin=origin,
            now=now,
            effective_at=check_effective(when, now),
        )
        number = version.version
    typer.echo(f"policy revision {number} applied ({profile.name})")


# -- maintenance -----------------------------------------------------------------------


@app.command()
def backup(
    ctx: typer.Context,
    to: Annotated[
        Path | None, typer.Option("--to", help="Target file (default: kefu-backup-<time>.db).")
    ] = None,
) -> None:
    """Take a consistent online copy of the SQLite file while others keep working.

    Example: kefu backup --to /backups/kefu-$(date +%F).db
    """
    engine = engine_for(ctx)
    with kdb.read_session(engine) as session:
        user = services.resolve_actor(session, os_login(), _settings(ctx).as_user)
        services.require_role(user, SUPERVISING, Message("do.backup"))
    target = to or Path(f"kefu-backup-{now_utc():%Y%m%dT%H%M%SZ}.db")
    kdb.backup_sqlite(engine, target)
    typer.echo(str(target))


@app.command()
def doctor(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON document.")] = False,
) -> None:
    """Check integrity, schema and calendar coverage; exit 1 if anything needs attention.

    A line marked ?? is a warning that does not fail (e.g. next year's holidays not yet known).

    Example: kefu doctor --json
    """
    from .core import health

    report = health.doctor(_settings(ctx).db, now_utc())
    if as_json:
        print_json(report)
    else:
        for check in report["checks"]:
            mark = "!! " if not check["ok"] else "?? " if check.get("warning") else "ok "
            out.print(f"{mark} {check['name']}: {check['detail']}", markup=False)
    if not report["ok"]:
        raise typer.Exit(1)


# -- SLA check and revisits (cron) ---------------------------------------------------------

sla_app = typer.Typer(help="SLA clocks: record breaches, escalate, auto-close.", no_args_is_help=True)
revisit_app = typer.Typer(help="Revisit calls after closure (回访).", no_args_is_help=True)
app.add_typer(sla_app, name="sla")
app.add_typer(revisit_app, name="revisit")


def _system_actor(ctx: typer.Context, as_of: str | None) -> tuple[Engine, User, datetime | None]:
    """The engine, the acting user (detached) and --as-of read in the policy's time zone."""
    engine = engine_for(ctx)
    with kdb.read_session(engine) as session:
        actor = services.resolve_actor(session, os_login(), _settings(ctx).as_user)
        _, profile = policies.policy_in_force(session, now_utc())
        session.expunge(actor)
    when = parse_when(as_of, profile.calendar.timezone, "--as-of") if as_of else None
    return engine, actor, when


@sla_app.command("check")
def sla_check(
    ctx: typer.Context,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Evaluate at this time (ISO 8601; default now).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON document.")] = False,
) -> None:
    """Check every open case's clocks: record new breaches once, escalate, auto-close; exit 1 if
    any open case is breached.

    Example: */5 * * * * kefu --db /srv/kefu.db sla check --json >> /var/log/kefu-sla.jsonl
    """
    from .core import slacheck

    engine, actor, when = _system_actor(ctx, as_of)
    now = now_utc()
    report = slacheck.check_sla(engine=engine, actor=actor, now=now, as_of=when or now)
    if as_json:
        print_json(report.as_dict())
    else:
        _print_sla_report(report)
    if report.any_breached:
        raise typer.Exit(1)


def _print_sla_report(report: Any) -> None:
    from .core.messages import duration

    def duration_text(minutes: float) -> str:
        return duration(abs(minutes), "en")

    if report.breached:
        table = Table("code", "clock", "due", "overdue by", "owner", "department", "this run")
        for row in report.breached:
            mark = "escalated" if row.escalated else ("new" if row.new else "")
            table.add_row(
                row.code,
                row.clock,
                row.due_text(),
                duration_text(row.minutes),
                row.owner or "",
                row.department or "",
                mark,
            )
        out.print(table)
    if report.at_risk:
        table = Table("code", "clock (at risk)", "due", "left", "owner", "department")
        for row in report.at_risk:
            table.add_row(
                row.code,
                row.clock,
                row.due_text(),
                duration_text(row.minutes),
                row.owner or "",
                row.department or "",
            )
        out.print(table)
    for closed in report.auto_closed:
        out.print(f"{closed.code}: closed, no answer within the confirmation window", markup=False)
    breached_cases = len({r.code for r in report.breached})
    err.print(
        f"{breached_cases} case(s) breached, {len(report.new_breaches)} new breach(es) recorded, "
        f"{len(report.escalated)} escalated, {len(report.auto_closed)} auto-closed, "
        f"{len({r.code for r in report.at_risk})} at risk",
        markup=False,
    )


@revisit_app.command("schedule")
def revisit_schedule(
    ctx: typer.Context,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Treat this time as now (ISO 8601).")] = None,
) -> None:
    """Make revisits whose time has come visible in the due queue (for cron).

    Example: 0 8 * * * kefu --db /srv/kefu.db revisit schedule
    """
    from .core import revisits

    now = now_utc()
    with acting(ctx, write=True) as (session, actor):
        _, profile = policies.policy_in_force(session, now)
        when = parse_when(as_of, profile.calendar.timezone, "--as-of") if as_of else None
        run = revisits.mark_due_revisits(session=session, actor=actor, now=now, as_of=when)
    typer.echo(f"{len(run.became_due)} revisit(s) now due")
    if run.cancelled:
        err.print(
            f"{len(run.cancelled)} revisit(s) cancelled (case reopened): " + ", ".join(run.cancelled),
            markup=False,
        )


@revisit_app.command("due")
def revisit_due(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON document.")] = False,
) -> None:
    """List the revisit calls that are due, oldest first.

    Example: kefu revisit due --json
    """
    from .core import revisits

    with acting(ctx, write=False) as (session, actor):
        rows = revisits.due_revisits(session, actor)
    if as_json:
        print_json(rows)
        return
    table = Table("code", "customer", "phone", "due", "attempts", "owner")
    for r in rows:
        table.add_row(
            r["code"],
            r["customer"]["name"] or "",
            r["customer"]["phone"] or "",
            (r["due_at"] or "")[:16].replace("T", " "),
            f"{r['attempts']}/{r['attempts_allowed']}",
            r["owner"] or "",
        )
    out.print(table)
    if not rows:
        err.print("no revisits due", markup=False)


# -- import ----------------------------------------------------------------------------


def _import_epilog() -> str:
    from .core import importer

    return (
        "\b\nColumns (English or Chinese headers / JSON keys; each line: field: other names):\n"
        + importer.columns_help()
        + "\n\nRows are keyed by (source, external_id); a row without an id is keyed by a hash "
        "of its checked content, so importing it again finds it. Times without an offset are "
        "read in the profile's time zone (or --tz)."
        + "\n\nExit status: 0 every row imported or already present; 2 some rows rejected, or "
        "the file could not be read."
    )


@app.command("import", epilog=_import_epilog())
def import_cases(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="A .csv, .jsonl or .xlsx file.")],
    fmt: Annotated[
        str | None, typer.Option("--format", help="csv, jsonl or xlsx (default: by suffix).")
    ] = None,
    source: Annotated[
        str | None,
        typer.Option(
            help="Where the rows come from; with each row's id it is the key that "
            "makes re-imports add nothing (default: the file name without suffix)."
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check every row and count, but store nothing.")
    ] = False,
    errors: Annotated[
        Path | None,
        typer.Option(
            "--errors",
            help="Write the rejected rows, with error_line, error_field "
            "and error_reason, to this CSV (fix it and import it again).",
        ),
    ] = None,
    encoding: Annotated[
        str | None,
        typer.Option(help="Text encoding (default: UTF-8 with or without BOM, else GB18030)."),
    ] = None,
    tz: Annotated[
        str | None,
        typer.Option("--tz", help="Time zone of times written without an offset (default: the profile's)."),
    ] = None,
    ignore_unknown: Annotated[
        bool,
        typer.Option(
            "--ignore-unknown",
            help="Skip columns kefu does not know instead of "
            "refusing the file (they are named in the summary).",
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as one JSON document.")] = False,
) -> None:
    """Import complaints from a CSV, JSON Lines or XLSX file; re-running it adds nothing.

    Example: kefu import sample_data/imports/hotline_2026-11.csv --errors rejected.csv
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from .core import importer

    engine = engine_for(ctx)
    with kdb.read_session(engine) as session:
        actor = services.resolve_actor(session, os_login(), _settings(ctx).as_user)
    options = importer.ImportOptions(
        path=file,
        format=fmt,
        source=source,
        encoding=encoding,
        timezone=tz,
        dry_run=dry_run,
        ignore_unknown=ignore_unknown,
        errors_path=errors,
    )
    if err.is_terminal:
        columns = (TextColumn(f"importing {file.name}"), BarColumn(), MofNCompleteColumn())
        with Progress(*columns, console=err, transient=True) as bar:
            task = bar.add_task("import", total=None)

            def advance(done: int, total: int | None) -> None:
                bar.update(task, completed=done, total=total)

            report = importer.import_file(
                engine=engine, actor=actor, now=now_utc(), options=options, progress=advance
            )
    else:
        report = importer.import_file(engine=engine, actor=actor, now=now_utc(), options=options)
    shown = report.errors[:20]
    for problem in shown:
        err.print(f"{file.name} {problem}", markup=False, highlight=False)
    if report.rejected > len(shown):
        more = report.rejected - len(shown)
        where = f" (all in {errors})" if errors else "; write them all with --errors OUT.csv"
        err.print(f"... and {more} more rejected rows{where}", markup=False, highlight=False)
    if report.ignored_columns:
        err.print("ignored columns: " + ", ".join(report.ignored_columns), markup=False, highlight=False)
    if report.other_sheets:
        err.print(
            "only the first sheet was read; not read: " + ", ".join(report.other_sheets),
            markup=False,
            highlight=False,
        )
    if as_json:
        print_json(report.as_dict())
    err.print(report.summary(), markup=False, highlight=False)
    raise typer.Exit(report.exit_code)


# -- the terminal UI -------------------------------------------------------------------


def _ui_language(lang: str | None) -> str | None:
    if lang is not None and lang not in ("zh", "en"):
        raise typer.BadParameter(f"--lang is zh or en, not {lang!r}")
    return lang


@app.command()
def tui(
    ctx: typer.Context,
    lang: Annotated[str | None, typer.Option(help="zh or en (default: the profile's language).")] = None,
) -> None:
    """Open the terminal UI on the desk, as you (admins: as --as USER).

    Example: kefu --db /srv/kefu/kefu.db tui --lang en
    """
    from .tui.app import KefuApp

    settings = _settings(ctx)
    KefuApp(settings.db, user=settings.as_user, lang=_ui_language(lang)).run()


def _terminal_state() -> list[Any] | None:
    """The terminal's settings before the TUI changes them (None: not a terminal)."""
    try:
        import termios
    except ImportError:
        return None
    try:
        return termios.tcgetattr(sys.__stdin__.fileno()) if sys.__stdin__ else None
    except (OSError, ValueError, termios.error):  # termios.error: stdin is not a terminal
        return None


def _restore_terminal(saved: list[Any] | None) -> None:
    """Best effort, from a signal handler: the saved settings, main screen, cursor, no mouse."""
    import signal

    if saved is None:
        return
    try:
        import termios

        signal.signal(signal.SIGTTOU, signal.SIG_IGN)  # also when run in the background
        stream = sys.__stderr__
        if stream is not None and stream.isatty():
            stream.write("\x1b[?1000l\x1b[?1003l\x1b[?1006l\x1b[?2004l\x1b[?1049l\x1b[?25h")
            stream.flush()
        termios.tcsetattr(sys.__stdin__.fileno(), termios.TCSANOW, saved)  # type: ignore[union-attr]
    except Exception:  # noqa: BLE001 - the process is leaving; nothing to report to
        pass


@app.command()
def demo(
    ctx: typer.Context,
    profile: Annotated[
        str, typer.Option(help=f"A bundled profile ({', '.join(bundled_profile_names())}).")
    ] = "express",
    as_user: Annotated[
        str | None, typer.Option("--as", help="Try the desk as one of its sample users.")
    ] = None,
    lang: Annotated[str | None, typer.Option(help="zh or en (default: the profile's language).")] = None,
) -> None:
    """Open the TUI on a throwaway sample desk; nothing is kept after you quit.

    Example: kefu demo --profile express --as liuting
    """
    import os
    import shutil
    import signal
    import tempfile

    from .core.samples import seed_sample_desk
    from .tui.app import KefuApp

    text, origin = resolve_profile_source(profile)
    parsed = load_profile_text(text, origin)
    folder = Path(tempfile.mkdtemp(prefix="kefu-demo-"))
    db = str(folder / "demo.db")
    try:
        engine = kdb.create_database(db)
        now = now_utc()
        with kdb.write_session(engine) as session:
            admin, _ = services.initialize_desk(
                session=session, admin_name=os_login(), text=text, origin=origin, now=now
            )
            count = seed_sample_desk(session=session, admin=admin, profile_name=parsed.name, now=now)
            people = [u.name for u in services.list_users(session) if u.active]
        engine.dispose()
        who = as_user or _settings(ctx).as_user
        if who is not None and who not in people:
            raise KefuError(
                f"no sample user named {who!r}; the {parsed.name} demo desk has: {', '.join(people)}"
            )
        err.print(
            f"kefu demo: {count} sample cases ({parsed.name}) in {folder}, removed when you quit",
            markup=False,
            highlight=False,
        )
        ui = KefuApp(db, user=who, lang=_ui_language(lang))
        # A closed terminal or SSH session (SIGHUP) or a kill (SIGTERM, also from `timeout`)
        # still removes the desk. Quitting through Textual from a signal handler races its own
        # terminal handlers (SIGCONT, SIGTTOU), so: put the terminal back, remove, leave.
        saved = _terminal_state()

        def quit_on_signal(signum: int, _frame: object) -> None:
            _restore_terminal(saved)
            shutil.rmtree(folder, ignore_errors=True)
            if saved is not None:  # a real terminal: leave at once, before Textual's handlers
                os._exit(128 + signum)
            raise SystemExit(128 + signum)

        previous = {
            hang_up: signal.signal(hang_up, quit_on_signal) for hang_up in (signal.SIGHUP, signal.SIGTERM)
        }
        try:
            ui.run()
        finally:
            for hang_up, handler in previous.items():
                signal.signal(hang_up, handler)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# -- reports and spot checks -------------------------------------------------------------

REPORT_FORMATS = ("table", "csv", "json")


def _write_export(text: str, out_path: Path | None, what: str) -> None:
    """An export to --out (UTF-8; CSV with its BOM) or to stdout."""
    from .core.exports import open_for_export

    if out_path is None:
        sys.stdout.write(text)
        return
    try:
        with open_for_export(out_path) as handle:
            handle.write(text)
    except OSError as exc:
        raise KefuError(f"{out_path}: cannot write: {exc.strerror}") from None
    err.print(f"wrote {what} to {out_path}", markup=False)


def _export_cases(rows: Any, fmt: str, out_path: Path | None, period: dict[str, str], masked: bool) -> None:
    """`kefu report --by case`: written row by row (a year of cases never sits in memory)."""
    from contextlib import nullcontext

    from .core import reports
    from .core.exports import open_for_export, write_csv, write_json_items

    columns = reports.CASE_EXPORT_COLUMNS
    if fmt == "table":
        shown = ("code", "received_at", "status", "category", "owner", "customer_phone",
                 "on_time", "handling_business_minutes")  # fmt: skip
        table = Table(*shown)
        count = 0
        for r in rows:
            table.add_row(*("" if r[c] is None else str(r[c]) for c in shown))
            count += 1
        out.print(table)
        err.print(f"{count} cases received {period['from']} .. {period['to']}", markup=False)
        return
    try:
        target = open_for_export(out_path) if out_path is not None else nullcontext(sys.stdout)
        with target as stream:
            if fmt == "json":
                head = {"report": "cases", "format_version": reports.REPORT_FORMAT_VERSION,
                        "period": period, "masked": masked}  # fmt: skip
                count = write_json_items(stream, head, "cases", rows)
            else:
                count = write_csv(stream, columns, ([r[c] for c in columns] for r in rows))
    except OSError as exc:
        raise KefuError(f"{out_path}: cannot write: {exc.strerror}") from None
    if out_path is not None:
        err.print(f"wrote {count} cases to {out_path}", markup=False)


@app.command("report")
def report_command(
    ctx: typer.Context,
    first: Annotated[
        str | None,
        typer.Option(
            "--from", help="First local date, YYYY-MM-DD or YYYY-MM (default: the 1st of this month)."
        ),
    ] = None,
    last: Annotated[
        str | None,
        typer.Option("--to", help="Last local date, inclusive (default: today)."),
    ] = None,
    by: Annotated[
        str,
        typer.Option(
            help="category, channel, department, party, agent, day — or case for one row per case (masked)."
        ),
    ] = "category",
    fmt: Annotated[
        str, typer.Option("--format", help="table, csv (Excel-safe, UTF-8 BOM) or json.")
    ] = "table",
    out_path: Annotated[
        Path | None, typer.Option("--out", help="Write the csv or json to this file.")
    ] = None,
    unmasked: Annotated[
        bool,
        typer.Option(
            "--unmasked",
            help="--by case: show customers' names, phones and e-mails (only roles that handle cases).",
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Same as --format json.")] = False,
) -> None:
    """KPIs of a period, each rate shown with its numerator and denominator.

    On-time, satisfaction, repeat, first response and reopen rates, handling time in business
    hours (average and P90), compensation paid and breaches, per group; see the README.

    Example: kefu report --from 2026-11 --to 2026-11 --by department --format csv --out nov.csv
    """
    from .core import reports
    from .core.errors import InvalidInput
    from .core.exports import csv_text, json_text

    fmt = "json" if as_json else fmt.strip().lower()
    if fmt not in REPORT_FORMATS:
        raise InvalidInput(f"--format must be one of: {', '.join(REPORT_FORMATS)}")
    by = by.strip().lower()
    if out_path is not None and fmt == "table":
        raise InvalidInput("--out writes csv or json; add --format csv or --format json")
    if unmasked and by != "case":
        raise InvalidInput("--unmasked goes with --by case (KPIs hold no personal data)")
    now = now_utc()
    with acting(ctx, write=False) as (session, actor):
        _, profile = policies.policy_in_force(session, now)
        period = reports.parse_period(profile, first=first, last=last, now=now)
        if by == "case":
            rows = reports.case_rows(session=session, actor=actor, period=period, now=now, unmasked=unmasked)
            _export_cases(rows, fmt, out_path, period.as_dict(now), not unmasked)
            return
        report = reports.kpi_report(session=session, actor=actor, period=period, by=by, now=now)
    if fmt == "json":
        _write_export(json_text(report.as_dict()), out_path, f"the {by} report")
    elif fmt == "csv":
        _write_export(csv_text(report.csv_header(), report.csv_rows()), out_path, f"the {by} report")
    else:
        cells = reports.report_table_rows(report)
        table = Table(*cells[0], title=f"{period.first} .. {period.last} ({period.timezone})")
        for row in cells[1:-1]:
            table.add_row(*row)
        table.add_row(*cells[-1], style="bold")
        out.print(table)


audit_app = typer.Typer(
    help="Spot checks of closed cases: draw a sample, score it, report per agent.",
    no_args_is_help=True,
)
app.add_typer(audit_app, name="audit")


def _audit_case_json(row: dict[str, Any], profile: Any) -> dict[str, Any]:
    return {
        **row,
        "closed_at": views.iso(row.get("closed_at"), profile),
        **({"scored_at": views.iso(row["scored_at"], profile)} if "scored_at" in row else {}),
    }


@audit_app.command("sample")
def audit_sample(
    ctx: typer.Context,
    n: Annotated[int, typer.Option("--n", help="How many cases (per agent with --by agent).")] = 20,
    by: Annotated[str | None, typer.Option("--by", help="agent: draw --n cases from each agent.")] = None,
    seed: Annotated[
        int | None,
        typer.Option(
            help="Seed: the same seed on the same cases draws the same "
            "sample (default: a random one, printed)."
        ),
    ] = None,
    first: Annotated[str | None, typer.Option("--from", help="Closed on or after this local date.")] = None,
    last: Annotated[str | None, typer.Option("--to", help="Closed on or before this date.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON document.")] = False,
) -> None:
    """Draw a reproducible random sample of closed cases for auditors (stored as a batch).

    Example: kefu audit sample --n 5 --by agent --from 2026-11 --to 2026-11 --seed 2026
    """
    from .core import audit, reports
    from .core.errors import InvalidInput

    if by is not None and by.strip().lower() != "agent":
        raise InvalidInput("--by takes only: agent")
    now = now_utc()
    with acting(ctx, write=True) as (session, actor):
        _, profile = policies.policy_in_force(session, now)
        period = reports.parse_period(profile, first=first, last=last, now=now)
        batch, drawn = audit.draw_sample(
            session=session,
            actor=actor,
            now=now,
            period=period,
            n=n,
            by_agent=by is not None,
            seed=seed,
        )
        document = {
            "batch": batch.id,
            "seed": batch.seed,
            "size": batch.size,
            "by": "agent" if batch.by_agent else None,
            "period": {"from": batch.period_from, "to": batch.period_to},
            "population": batch.population,
            "cases": [
                {
                    "position": d.position,
                    "code": d.code,
                    "agent": d.agent,
                    "category": d.category,
                    "closed_at": views.iso(d.closed_at, profile),
                }
                for d in drawn
            ],
        }
    if as_json:
        print_json(document)
        return
    table = Table("#", "code", "agent", "category", "closed")
    for c in document["cases"]:
        table.add_row(
            str(c["position"]),
            c["code"],
            c["agent"] or "",
            c["category"] or "",
            (c["closed_at"] or "")[:16].replace("T", " "),
        )
    out.print(table)
    err.print(
        f"batch {document['batch']}: {len(drawn)} of {document['population']} closed cases, "
        f"seed {document['seed']}",
        markup=False,
    )


@audit_app.command("show")
def audit_show(
    ctx: typer.Context,
    batch: Annotated[int | None, typer.Argument(help="Batch number (default: the latest).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON document.")] = False,
) -> None:
    """Show an audit batch: its cases and the points scored so far.

    Example: kefu audit show 3 --json
    """
    from .core import audit

    now = now_utc()
    with acting(ctx, write=False) as (session, actor):
        services.require_role(actor, AUDIT_READERS, Message("do.read_audits"))
        _, profile = policies.policy_in_force(session, now)
        found = audit.get_batch(session, batch)
        cases = [_audit_case_json(r, profile) for r in audit.batch_cases(session, found)]
        document = {
            "batch": found.id,
            "seed": found.seed,
            "drawn_by": found.drawn_by,
            "drawn_at": views.iso(found.drawn_at, profile),
            "period": {"from": found.period_from, "to": found.period_to},
            "checklist": list(audit.checklist(profile)),
            "cases": cases,
        }
    if as_json:
        print_json(document)
        return
    table = Table("#", "code", "agent", "scores", "scored by", "note")
    for c in cases:
        scores = " ".join(f"{k}={v}" for k, v in c["scores"].items())
        table.add_row(
            str(c["position"]), c["code"], c["agent"] or "", scores, c["scored_by"] or "", c["note"] or ""
        )
    out.print(table)
    err.print(f"batch {found.id}, seed {found.seed}; items: {', '.join(document['checklist'])}", markup=False)


@audit_app.command("score")
def audit_score(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help="A sampled case's code.")],
    item: Annotated[
        list[str] | None,
        typer.Option(
            "--item",
            help="ITEM=POINTS for a checklist item, 0 (not met) to 2 (fully met); repeat for each item.",
        ),
    ] = None,
    note: Annotated[str | None, typer.Option(help="The auditor's remark.")] = None,
    batch: Annotated[
        int | None, typer.Option(help="The batch (default: the latest that holds the case).")
    ] = None,
) -> None:
    """Score a sampled case against the policy's audit checklist.

    Example: kefu audit score KF-20261124-0007 --item recorded_complete=2 --item resolution_fair=1
    """
    from .core import audit

    items = audit.parse_items(item or [])
    with acting(ctx, write=True) as (session, actor):
        sample = audit.score_case(
            session=session,
            actor=actor,
            now=now_utc(),
            code=code,
            items=items,
            note=note,
            batch_id=batch,
        )
        where = sample.batch_id
    typer.echo(f"{code.upper()}: {len(items)} item(s) scored in batch {where}")


@audit_app.command("report")
def audit_report_command(
    ctx: typer.Context,
    batch: Annotated[int | None, typer.Option(help="Only this batch (default: all).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON document.")] = False,
) -> None:
    """Audit scores per agent: cases drawn and scored, points over possible points.

    Example: kefu audit report --json
    """
    from .core import audit

    with acting(ctx, write=False) as (session, actor):
        document = audit.audit_report(session=session, actor=actor, now=now_utc(), batch_id=batch)
    if as_json:
        print_json(document)
        return
    table = Table("agent", "drawn", "scored", "points", "score", *document["checklist"])
    for row in [*document["agents"], {**document["total"], "agent": "total", "items": {}}]:
        pct = row["percent"]
        table.add_row(
            row["agent"] or "(none)",
            str(row["drawn"]),
            str(row["scored"]),
            f"{row['points']}/{row['possible']}",
            "—" if pct is None else f"{pct:.1f}%",
            *(
                ""
                if (it := row["items"].get(code)) is None or it["percent"] is None
                else f"{it['percent']:.0f}%"
                for code in document["checklist"]
            ),
        )
    out.print(table)


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
