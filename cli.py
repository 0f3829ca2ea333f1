"""The kefu command line (Typer): thin commands that parse, call the core, and print.

Results go to stdout (a table, or one JSON document with --json); diagnostics to stderr.
Exit status: 0 done, 1 the check found what it looks for, 2 bad usage or input, 3 the
database cannot be used. Expected failures print one sentence, never a traceback.

What kefu says is in the user's language (`language()`): `--lang` / `KEFU_LANG`, else the
language of the desk's policy in force once the command has opened the desk, else the
locale's. Sentences and table headings come from the catalog (kefu.core.catalog.cli); JSON
keeps its keys and codes in every language. Typer's help and Click's usage errors are English.
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
import warnings
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any
from zoneinfo import ZoneInfo

import typer
from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text
from typer.core import TyperCommand, TyperGroup

from . import __version__
from .core.bundled import bundled_profile_names
from .core.errors import CannotWrite, InvalidInput, KefuError, NotFound, os_reason
from .core.identity import os_login
from .core.lazy import module as _lazy
from .core.messages import Message, join, normal_lang, term, word
from .core.when import DATE_ONLY_CHOICES, DateOnly
from .core.workflow import ACTIONS, field_label, link_label, status_label

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlmodel import Session

    from .core import db as kdb
    from .core import desklog, intake, lifecycle, payments, policies, queues, services, views
    from .core import policy as kpolicy
    from .core.models import User
    from .core.policy import Profile
    from .core.slacheck import SlaReport
else:
    # A command imports what it uses when it first uses it: `kefu --version`, `--help` and the
    # commands that only read never import the ORM's write paths, the importer, phonenumbers or
    # the TUI (issue 14; `python -X importtime -m kefu.cli --version`).
    kdb = _lazy("kefu.core.db")
    desklog, intake, lifecycle, payments, policies, queues, services, views = (
        _lazy(f"kefu.core.{name}")
        for name in ("desklog", "intake", "lifecycle", "payments", "policies", "queues", "services", "views")
    )
    kpolicy = _lazy("kefu.core.policy")

# Piped or under cron there is no terminal width to respect: never squeeze columns.
out = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 200)
err = Console(stderr=True, soft_wrap=True)


class KefuGroup(TyperGroup):
    """Turns expected failures (KefuError) into one line on stderr, in the user's language,
    and the contract's exit code."""

    def invoke(self, ctx: Any) -> Any:  # typer's own (vendored) click Context
        try:
            return super().invoke(ctx)
        except KefuError as exc:
            err.print(f"kefu: {exc.text(language(ctx))}", markup=False, highlight=False)
            raise typer.Exit(exc.exit_code) from None
        except BrokenPipeError:
            # `kefu report ... | head`: the reader has what it wanted; leave quietly (Python would
            # complain again when it flushes stdout at exit, so stdout goes to /dev/null first).
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise typer.Exit(0) from None
        except OSError as exc:
            # A full disk, an I/O error, a file that vanished, anywhere else: one sentence, exit 3
            # (files kefu writes are written whole or not at all: `exports.WholeFile`).
            where = exc.filename if exc.filename is not None else _settings(ctx).db
            message = Message("cli.os_error", path=str(where), reason=os_reason(exc))
            err.print(f"kefu: {message.text(language(ctx))}", markup=False, highlight=False)
            raise typer.Exit(3) from None
        except Exception as exc:
            # SQLAlchemy's errors, if the command got as far as importing it (--help never does)
            orm = sys.modules.get("sqlalchemy.exc")
            if not isinstance(exc, (sqlite3.DatabaseError, *((orm.DBAPIError,) if orm else ()))):
                raise
            # The file failed under a command outside a session (damaged pages, an I/O error).
            failed = kdb.failure(_settings(ctx).db, exc)
            err.print(f"kefu: {failed.text(language(ctx))}", markup=False, highlight=False)
            raise typer.Exit(3) from None


app = typer.Typer(
    cls=KefuGroup,
    no_args_is_help=True,  # the help text (with its example) is main_callback's docstring
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)
case_app = typer.Typer(
    help="Scriptable case work: new, list, show, move, note, set, attach.", no_args_is_help=True
)
user_app = typer.Typer(help="People and their roles.", no_args_is_help=True)
policy_app = typer.Typer(help="The policy in force, validation, new revisions.", no_args_is_help=True)
app.add_typer(case_app, name="case")
app.add_typer(user_app, name="user")
app.add_typer(policy_app, name="policy")


@dataclass
class Settings:
    db: str
    as_user: str | None
    lang: str | None = None
    """`--lang` / `KEFU_LANG` (en or zh), when given."""
    lang_given_here: bool = False
    """Whether --lang was typed on the command line (it then also opens the TUI in it)."""
    desk_lang: str | None = None
    """The language of the desk's policy in force, once the command has opened the desk."""


def _settings(ctx: typer.Context) -> Settings:
    obj = ctx.find_root().obj
    assert isinstance(obj, Settings)
    return obj


# -- the language ------------------------------------------------------------------------


def locale_language(environ: Mapping[str, str] = os.environ) -> str:
    """The locale's language (LC_ALL, then LC_MESSAGES, then LANG, as POSIX reads them): zh
    for any Chinese locale, else en."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(name, "").strip()
        if value:
            return normal_lang(value)
    return "en"


_running: Settings | None = None
"""The settings of the command running now (for what has no context: warnings)."""


def language(ctx: typer.Context | None = None) -> str:
    """The one place the CLI decides its language: `--lang` / `KEFU_LANG`; else the desk's
    (the profile language of its policy in force) once the command has opened the desk;
    else the locale's; else English. Without `ctx`, the command running now."""
    settings = ctx.find_root().obj if ctx is not None else _running
    if isinstance(settings, Settings):
        if settings.lang is not None:
            return settings.lang
        if settings.desk_lang is not None:
            return settings.desk_lang
    return locale_language()


def _note_desk_language(ctx: typer.Context, session: Session) -> None:
    """Remember the desk's language (its policy in force's) for the rest of the command; a
    desk without a policy keeps the locale's, and its command fails on its own."""
    try:
        _, profile = policies.policy_in_force(session, now_utc())
    except KefuError:
        return
    _settings(ctx).desk_lang = normal_lang(profile.profile.language)


def _lang_option(ctx: typer.Context, param: Any, value: str | None) -> str | None:
    """--lang / KEFU_LANG: en or zh, or a locale name such as zh_CN.UTF-8 or en_US.UTF-8. A
    value kefu cannot speak is a usage error when typed; from KEFU_LANG it is left aside (the
    desk's or the locale's language decides), so a cron job does not fail on it."""
    if value is None or not value.strip():
        return None
    text = value.strip().lower()
    if text.startswith(("zh", "en")) or text in ("c", "posix") or text.startswith(("c.", "posix.")):
        return normal_lang(text)
    source = ctx.get_parameter_source(param.name) if param is not None else None
    if source is not None and source.name == "ENVIRONMENT":
        return None
    raise typer.BadParameter(f"use en or zh (or a locale such as zh_CN.UTF-8), not {value!r}")


def say(key: str, lang: str, **params: Any) -> str:
    """A catalog sentence or word of the CLI in `lang`."""
    return Message(key, **params).text(lang)


def _code(kind: str, code: str | None, lang: str) -> str:
    """A stored code as a table shows it: English keeps the code, Chinese shows its label."""
    if not code:
        return ""
    return code if lang == "en" else term(kind, code, lang)


def _vocab(profile: Profile, kind: str, code: str | None, lang: str) -> str:
    """A policy code (a department, a category...) as a table shows it: English keeps the
    code, Chinese shows the policy's label."""
    if not code:
        return ""
    return code if lang == "en" else profile.label(kind, code, lang)


def _parenthesized(text: str, aside: str, lang: str) -> str:
    """`text (aside)`; Chinese `text（aside）`."""
    return f"{text} ({aside})" if lang == "en" else f"{text}（{aside}）"


def _table(lang: str, *keys: str) -> Table:
    """A table whose headings are the catalog's `cli.col.*` words in `lang`."""
    return Table(*(say(key, lang) for key in keys))


def _pad(text: str, width: int) -> str:
    """`text` padded to `width` terminal cells (a Chinese character takes two)."""
    return text + " " * max(0, width - cell_len(text))


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
    lang: Annotated[
        str | None,
        typer.Option(
            "--lang",
            envvar="KEFU_LANG",
            callback=_lang_option,
            help="en or zh: the language of messages and tables (default: the desk's; "
            "before a desk is open, the locale's). JSON keeps its keys and codes.",
        ),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """kefu (客服): a complaint and after-sales case desk for the terminal.

    Example: kefu init --profile express --sample && kefu case list
    """
    global _running
    source = ctx.get_parameter_source("lang")
    given_here = source is not None and source.name == "COMMANDLINE"
    ctx.obj = _running = Settings(db=db, as_user=as_user, lang=lang, lang_given_here=given_here)
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
    """A Python warning (e.g. a calendar year without holiday data) as one line, once; in the
    user's language when it carries a catalog message (`msg`)."""
    lang = language()
    found = getattr(message, "msg", None)
    text = found.text(lang) if isinstance(found, Message) else str(message)
    if text in _warned:
        return
    _warned.add(text)
    err.print(f"kefu: {say('cli.warning', lang, text=text)}", markup=False, highlight=False)


def now_utc() -> datetime:
    return datetime.now(UTC)


@contextmanager
def desk_session(ctx: typer.Context, engine: Engine, *, write: bool) -> Iterator[tuple[Session, User]]:
    """A session on the desk and the kefu user acting (one transaction for writes); from here
    on the command speaks the desk's language (unless --lang says otherwise)."""
    opener = kdb.write_session if write else kdb.read_session
    with opener(engine) as session:
        _note_desk_language(ctx, session)
        actor = services.resolve_actor(session, os_login(), _settings(ctx).as_user)
        yield session, actor


def desk_user(ctx: typer.Context, engine: Engine) -> User:
    """The kefu user acting, read in a session of its own (detached), for commands whose core
    call opens its own sessions."""
    with desk_session(ctx, engine, write=False) as (session, actor):
        session.expunge(actor)
    return actor


@contextmanager
def acting(ctx: typer.Context, *, write: bool) -> Iterator[tuple[Session, User]]:
    """A session on the database and the kefu user acting (one transaction for writes)."""
    with desk_session(ctx, engine_for(ctx), write=write) as (session, actor):
        yield session, actor


def parse_when(text: str, timezone: str, option: str, **rules: Any) -> datetime:
    """services.parse_when, with a date too far out for the time zone refused in one sentence."""
    try:
        return services.parse_when(text, timezone, option, **rules)
    except (OverflowError, ValueError):
        raise InvalidInput(Message("cli.out_of_range", option=option, text=text), field=option) from None


def date_only_rule(given: str | None) -> DateOnly:
    """`--date-only`: how a date alone is read as a time of receipt (refused when not given)."""
    if given is None:
        return DateOnly.REFUSE
    choice = given.strip().lower()
    if choice not in DATE_ONLY_CHOICES:
        raise InvalidInput(
            Message("cli.bad_date_only", given=given, choices=list(DATE_ONLY_CHOICES)), field="date_only"
        )
    return DateOnly(choice)


def engine_for(ctx: typer.Context) -> Engine:
    """The desk's database, migrated to this kefu's schema (sessions: `desk_session`)."""
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
    group: Annotated[
        str | None,
        typer.Option(help="Share the desk with this OS group (0660, setgid directory); default: yours only."),
    ] = None,
) -> None:
    """Create a database with a policy; you become its first admin.

    Example: kefu init --profile express --group kefu
    """
    from .core.samples import seed_sample_desk

    settings = _settings(ctx)
    text, origin = kpolicy.resolve_profile_source(profile)
    parsed = kpolicy.load_profile_text(text, origin)
    now = now_utc()
    engine = kdb.create_database(settings.db, group=group)
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
        if "://" not in settings.db:
            kdb.remove_sqlite_files(Path(settings.db))
        raise
    settings.desk_lang = normal_lang(parsed.profile.language)
    params = {"db": settings.db, "profile": parsed.name, "login": login}
    if sample:
        note = say("cli.created_sample", language(ctx), count=count, **params)
    else:
        note = say("cli.created", language(ctx), **params)
    err.print(note, markup=False)


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
        added = say("cli.user_added", language(ctx), name=user.name, role=user.role)
    err.print(added, markup=False)  # once committed: nothing is said done before it is


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
    hand_over_to: Annotated[
        str | None,
        typer.Option("--hand-over-to", help="Give their open cases to this person (with --inactive)."),
    ] = None,
) -> None:
    """Change a person's role, team, display name, or deactivate them (admins only).

    Example: kefu user set alice --role handler --department cs
    """
    if hand_over_to is not None and active is not False:
        raise InvalidInput(Message("cli.hand_over_needs_inactive"), field="--hand-over-to")
    if role is None and department is None and display_name is None and active is None:
        raise InvalidInput(Message("cli.user_set_nothing"))
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
        handed: list[str] = []
        if hand_over_to is not None:
            handed = services.hand_over(
                session=session, actor=actor, name=user.name, to=hand_over_to, now=now_utc()
            )
        still = services.open_cases_of(session, user.name) if not user.active else []
        _, profile = policies.policy_in_force(session, now_utc())
        summary = Message(
            "cli.user_summary_active" if user.active else "cli.user_summary_inactive",
            name=user.name,
            role=user.role,
            department=_label_param(profile, "departments", user.department),
        )
    err.print(summary.text(language(ctx)), markup=False, highlight=False)
    if handed:
        err.print(say("cli.handed_over", language(ctx), count=len(handed), to=hand_over_to), markup=False)
    if still:
        err.print(say("cli.still_owns", language(ctx), name=name, count=len(still)), markup=False)


def _label_param(profile: Profile, kind: str, code: str | None) -> dict[str, str] | None:
    """A policy code as a `{x:label}` message parameter: English shows the code, Chinese the
    policy's label (None reads "(none)")."""
    if not code:
        return None
    return {"code": code, "en": code, "zh": profile.label(kind, code, "zh")}


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
        _, profile = policies.policy_in_force(session, now_utc())
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
        lang = language(ctx)
        table = _table(
            lang,
            "cli.col.name",
            "cli.col.role",
            "cli.col.display_name",
            "cli.col.department",
            "cli.col.active",
        )
        for u in users:
            table.add_row(
                u.name,
                _code("role", u.role, lang),
                u.display_name,
                _vocab(profile, "departments", u.department, lang),
                _code("word", "yes" if u.active else "no", lang),
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
        str | None,
        typer.Option("--received-at", help="When it was received, e.g. 2026/11/3 9:05 (default: now)."),
    ] = None,
    date_only: Annotated[
        str | None,
        typer.Option("--date-only", help="Read a --received-at without a time as noon or start-of-business."),
    ] = None,
    delivered_on: Annotated[
        str | None, typer.Option("--delivered-on", help="When the goods were signed for / sold (YYYY-MM-DD).")
    ] = None,
    returned_on: Annotated[
        str | None, typer.Option("--returned-on", help="When the returned goods came back (YYYY-MM-DD).")
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
            fields["received_at"] = parse_when(
                received_at, tz, "--received-at", date_only=date_only_rule(date_only),
                business_hours=list(profile.calendar.business_hours),
            )  # fmt: skip
        if delivered_on:
            fields["delivered_on"] = services.parse_day(delivered_on, "--delivered-on")
        if returned_on:
            fields["returned_on"] = services.parse_day(returned_on, "--returned-on")
        case = intake.create_case(
            session=session,
            actor=actor,
            now=now,
            **{k: v for k, v in fields.items() if v is not None},
        )
        detail = views.case_detail(session, case, actor, now) if as_json else None
        code, repeat_of = case.code, case.repeat_of
        rule = intake.rule_notice(
            profile, channel=case.channel, category=case.category, subcategory=case.subcategory,
            severity=profile.resolve("severities", severity) if severity else None,
        )  # fmt: skip
    if detail is not None:
        print_json(detail.as_json())
    else:
        typer.echo(code)
    if repeat_of:
        err.print(say("cli.repeat_note", language(ctx), code=repeat_of), markup=False)
    if rule is not None:  # the policy set the severity or escalated: the agent is told
        err.print(say("cli.rule_note", language(ctx), rule=rule), markup=False)


@case_app.command("set")
def case_set(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help="The case code.")],
    delivered_on: Annotated[
        str | None, typer.Option("--delivered-on", help="When the goods were signed for / sold (YYYY-MM-DD).")
    ] = None,
    returned_on: Annotated[
        str | None, typer.Option("--returned-on", help="When the returned goods came back (YYYY-MM-DD).")
    ] = None,
    name: Annotated[str | None, typer.Option("--name", help="Correct the customer's name.")] = None,
    phone: Annotated[str | None, typer.Option(help="Correct the customer's phone.")] = None,
    email: Annotated[str | None, typer.Option(help="Correct the customer's e-mail.")] = None,
    order: Annotated[str | None, typer.Option("--order", help="Correct the order or waybill number.")] = None,
    note: Annotated[
        str | None, typer.Option(help="Why (a correction of the customer or order needs it).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the case afterwards as JSON.")] = False,
) -> None:
    """Record details learnt after intake, or correct who the customer is.

    Example: kefu case set KF-20261124-0007 --returned-on 2026-11-28
    """
    now = now_utc()
    days = (delivered_on, returned_on)
    contact = (name, phone, email, order)
    if all(v is None for v in (*days, *contact)):
        raise InvalidInput(Message("case.nothing_to_set", code=code.upper()))
    with acting(ctx, write=True) as (session, actor):
        if any(v is not None for v in days):
            given = {
                "delivered_on": services.parse_day(delivered_on, "--delivered-on") if delivered_on else None,
                "returned_on": services.parse_day(returned_on, "--returned-on") if returned_on else None,
            }
            case = services.set_goods_days(session=session, code=code, actor=actor, now=now, **given)
        if any(v is not None for v in contact):
            case = intake.correct_contact(
                session=session,
                code=code,
                actor=actor,
                now=now,
                note=note,
                customer_name=name,
                customer_phone=phone,
                customer_email=email,
                order_no=order,
            )
        detail = views.case_detail(session, case, actor, now) if as_json else None
        number = case.version
    if detail is not None:
        print_json(detail.as_json())
    else:
        typer.echo(say("cli.case_set", language(ctx), code=code.upper(), version=number))


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
    engine = engine_for(ctx)
    with desk_session(ctx, engine, write=False) as (session, actor):
        flt = queues.CaseFilter(
            status=status,
            open_only=open_only,
            owner=actor.name if mine else owner,
            unassigned=unassigned,
            text=search,
        )
        cases, total = queues.list_cases(session, actor=actor, flt=flt, limit=limit)
        rows = [views.case_summary(c, policies.case_profile(session, c), actor, now) for c in cases]
    if search:  # a look-up (by a phone, a name, an order): who found whose cases is recorded
        desklog.note_views(engine, viewer=actor, cases=cases, now=now, where="search")
    lang = language(ctx)
    if total > len(rows):
        err.print(say("cli.showing", lang, shown=len(rows), total=total), markup=False, highlight=False)
    if as_json:
        print_json([r.as_json() for r in rows])
        return
    table = _table(
        lang,
        "cli.col.code",
        "cli.col.received",
        "cli.col.channel",
        "cli.col.category",
        "cli.col.sev",
        "cli.col.customer",
        "cli.col.owner",
        "cli.col.status",
        "cli.col.sla",
    )
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
            _code("state", r.sla, lang),
        )
    out.print(table)
    if not rows:
        err.print(say("cli.no_cases", lang), markup=False)


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
    engine = engine_for(ctx)
    with desk_session(ctx, engine, write=False) as (session, actor):
        case = lifecycle.get_case(session, code)
        detail = views.case_detail(session, case, actor, now)
    desklog.note_views(engine, viewer=actor, cases=[case], now=now, where="case")
    if as_json:
        print_json(detail.as_json())
        return
    _print_case(detail, language(ctx))


def _print_case(d: views.CaseDetail, lang: str) -> None:
    status = f"{status_label(d.status, lang)}  ({d.status})" if lang == "en" else status_label(d.status, lang)
    heading = Text(f"{d.code}  {status}  v{d.version}")
    heading.stylize("bold", 0, len(d.code))
    out.print(heading)
    target = d.label("targets", d.target, lang)
    category = d.label("taxonomy", d.category, lang)
    links = (f"{link_label(link.kind, lang)} {link.code}" for link in d.links)
    rows = [
        (field_label("received_at", lang), d.received_at.isoformat(timespec="seconds")),
        (field_label("channel", lang), d.label("channels", d.channel, lang)),
        (
            say("cli.field.customer", lang),
            d.purged_text(lang)
            or " ".join(x for x in (d.customer.name, d.customer.phone, d.customer.email) if x),
        ),
        (field_label("order_no", lang), d.order_no),
        (field_label("delivered_on", lang), d.delivered_on),
        (field_label("returned_on", lang), d.returned_on),
        (say("cli.field.against", lang), " ".join(x for x in (target, d.target_name) if x)),
        (field_label("category", lang), " / ".join(x for x in (category, d.subcategory_label(lang)) if x)),
        (
            field_label("severity", lang),
            _parenthesized(d.label("severities", d.severity, lang), _code("word", d.complexity, lang), lang),
        ),
        (field_label("party", lang), d.label("parties", d.party, lang)),
        (field_label("department", lang), d.label("departments", d.department, lang)),
        (field_label("owner", lang), d.owner),
        (field_label("demand", lang), d.demand),
        (field_label("resolution", lang), d.label("resolutions", d.resolution, lang)),
        (field_label("repeat_of", lang), d.repeat_of),
        (say("cli.field.links", lang), join(list(links), lang)),
    ]
    for name, value in rows:
        if value:
            out.print(f"  {_pad(name, 11)} {value}", markup=False)
    out.print(f"  {_pad(field_label('description', lang), 11)} {d.description}", markup=False)
    due_word = say("cli.field.due", lang)
    for clock, deadline in d.deadlines.items():
        due = deadline.due.isoformat(timespec="seconds") if deadline.due else ""
        clock_text = _pad(_code("clock", clock, lang), 16)
        assumed = (
            say("cli.assumed_years", lang, years=deadline.assumed_years) if deadline.assumed_years else ""
        )
        state = _code("state", deadline.state, lang)
        out.print(f"  {due_word} {clock_text} {due}  {state}  {assumed}".rstrip(), markup=False)
    if d.waiting is not None:
        w = d.waiting
        parts = [say("cli.waiting_since", lang, since=f"{w.since:%Y-%m-%d %H:%M}")]
        if w.remind_at is not None:
            parts.append(say("cli.waiting_remind", lang, at=f"{w.remind_at:%Y-%m-%d %H:%M}"))
        if w.give_up_at is not None:
            key = "cli.waiting_close" if w.on_give_up == "close" else "cli.waiting_escalate"
            parts.append(say(key, lang, at=f"{w.give_up_at:%Y-%m-%d %H:%M}"))
        out.print("  " + "  ".join(parts), markup=False)
    legal_word = say("cli.statutory", lang)
    for p in d.statutory_periods:
        parts = [f"  {legal_word} {p.label(lang)}", say("cli.statutory_ends", lang, day=p.last_day)]
        if p.kind == "duty":
            parts.append(_code("state", p.state, lang))
        elif p.received_within is not None:
            parts.append(
                say("cli.statutory_window_in" if p.received_within else "cli.statutory_window_out", lang)
            )
        parts.append(f"({p.source})")
        out.print("  ".join(parts), markup=False)
    if d.customer_cases:
        out.print(say("cli.customer_others", lang, count=d.customer_case_count - 1), markup=False)
        for c in d.customer_cases[:10]:
            out.print(f"  {_customer_case_line(c, lang)}", markup=False)
    if d.payments:
        currency = d.profile.compensation.currency
        out.print(say("cli.payments", lang, paid=f"{d.compensation_paid:g}", currency=currency), markup=False)
        for row in d.payments:
            out.print(f"  {_payment_line(row, d, lang)}", markup=False)
    for m in d.merged_cases:
        channel = d.label("channels", m.channel, lang)
        received = f"{m.received_at:%Y-%m-%d %H:%M}"
        out.print(
            say("cli.merged_heading", lang, code=m.code, received=received, channel=channel), markup=False
        )
        who = " ".join(x for x in (m.customer.name, m.customer.phone, m.customer.email, m.order_no) if x)
        if who:
            out.print(f"  {_pad(say('cli.field.customer', lang), 11)} {who}", markup=False)
        out.print(f"  {_pad(field_label('description', lang), 11)} {m.description}", markup=False)
        if m.attachments:
            out.print(f"  {say('cli.merged_attachments', lang, count=len(m.attachments))}", markup=False)
        for e in m.history:
            out.print(f"  {_history_line(e, d.profile, lang)}", markup=False)
    if any(r.instance > 1 or r.ended_at is not None for r in d.records):
        out.print(say("cli.records", lang), markup=False)
        for r in d.records:
            out.print(f"  {_record_line(r, lang)}", markup=False)
    out.print(say("cli.history", lang), markup=False)
    for e in d.history:
        out.print(f"  {_history_line(e, d.profile, lang)}", markup=False)
    if d.allowed_actions:
        out.print(say("cli.you_may", lang, actions=[str(a) for a in d.allowed_actions]), markup=False)


_QUIET_CHANGES = frozenset(
    {"status", "version", "updated_at", "handling_business_minutes", "paused_at", "statutory_clock"}
)
"""Changes a history line leaves to the status and the deadline lines (`case show --json` has all)."""


def _history_line(e: views.HistoryEntry, profile: Profile, lang: str) -> str:
    """When, who, what (status before→after), the fields it changed, and the note."""
    move = ""
    if e.to_status and e.to_status != e.from_status:
        move = f" {_code('status', e.from_status, lang)}→{_code('status', e.to_status, lang)}"

    def value(name: str, v: Any) -> str:
        return views.change_value_text(profile, name, v, lang)

    changed = [
        f"{field_label(name, lang)} "
        + (value(name, after) if before in (None, "") else f"{value(name, before)}→{value(name, after)}")
        for name, (before, after) in e.changes.items()
        if name not in _QUIET_CHANGES and not name.startswith("due_") and not name.endswith("_at")
    ]
    what = _code("event", e.action, lang)
    parts = [f"{e.at:%Y-%m-%d %H:%M}  {_pad(e.actor, 8)} {what}{move}", *changed]
    if e.note or e.message:
        parts.append(e.note_text(lang) or "")
    return "  ".join(p for p in parts if p)


def _payment_line(p: views.PaymentView, d: views.CaseDetail, lang: str) -> str:
    """#n amount kind — status — who let it be paid, when (or who denied / voided it, why)."""
    kind = d.profile.compensation.kinds.get(p.kind or "")
    parts = [
        f"#{p.no}",
        f"{p.amount:g} {d.profile.compensation.currency}",
        kind.text(lang) if kind else p.kind or "",
    ]
    parts.append(_code("word", p.status, lang))
    parts.append(say("cli.payment_proposed", lang, who=p.proposed_by, at=f"{p.proposed_at:%Y-%m-%d %H:%M}"))
    if p.approved_by and p.approved_at is not None and not p.approved_on_proposal:
        parts.append(say("cli.payment_by", lang, who=p.approved_by, at=f"{p.approved_at:%Y-%m-%d %H:%M}"))
    if p.paid_at is not None:
        parts.append(say("cli.payment_paid", lang, at=f"{p.paid_at:%Y-%m-%d %H:%M}"))
    if p.closed_by and p.closed_at is not None:
        parts.append(say("cli.payment_closed_by", lang, who=p.closed_by, at=f"{p.closed_at:%Y-%m-%d %H:%M}"))
    if p.note:
        parts.append(p.note)
    return "  ".join(x for x in parts if x)


def _record_line(r: views.DeadlineRecordView, lang: str) -> str:
    """One deadline instance: clock #n, target, start → due, how it stands, how it ended."""
    parts = [
        f"{_pad(_code('clock', r.clock, lang), 16)} #{r.instance}",
        _pad(r.target, 5),
        f"{r.started_at:%Y-%m-%d %H:%M} → {r.due_at:%Y-%m-%d %H:%M}",
        _code("state", r.state, lang),
    ]
    if r.met_at is not None:
        parts.append(say("cli.record_met", lang, at=f"{r.met_at:%m-%d %H:%M}"))
    if r.end_reason:
        parts.append(_code("word", r.end_reason, lang))
    if r.assumed_years:
        parts.append(say("cli.assumed_years", lang, years=r.assumed_years))
    return "  ".join(parts)


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
    into: Annotated[str | None, typer.Option("--into", help="merge: the original case.")] = None,
    expect_version: Annotated[
        int | None,
        typer.Option("--expect-version", help="Refuse if the case is no longer at this version."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the case afterwards as JSON.")] = False,
) -> None:
    """Take a lifecycle action on a case (refused with a reason if not allowed).

    Example: kefu case move KF-20261124-0007 propose --resolution compensation --amount 50 --kind cash
    """
    given: dict[str, Any] = {
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
        "into": into,
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
        moved = {"code": case.code, "action": action, "status": case.status}
        summary = (
            Message("cli.moved_owner", owner=case.owner, **moved)
            if case.owner
            else Message("cli.moved", **moved)
        )
        paid = None
        if case.compensation_amount and action in ("propose", "approve"):
            currency = policies.case_profile(session, case).compensation.currency
            paid = Message(
                "cli.paid_total", paid=f"{payments.paid_total(session, case.id):g}", currency=currency
            )
    if detail is not None:
        print_json(detail.as_json())
    else:
        lang = language(ctx)
        typer.echo(summary.text(lang) + (paid.text(lang) if paid is not None else ""))


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
    typer.echo(say("cli.noted", language(ctx), code=code.upper(), what=what))


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
    typer.echo(say("cli.attached", language(ctx), code=code.upper(), path=str(path), digest=digest))


@case_app.command("void-payment")
def case_void_payment(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help="The case code.")],
    no: Annotated[int, typer.Argument(help="The payment's number (`kefu case show CODE`).")],
    note: Annotated[str | None, typer.Option(help="Why it was never paid (required).")] = None,
) -> None:
    """Mark a recorded payment as never made (supervisors): the row stays, void, with the reason.

    Example: kefu case void-payment KF-20261124-0007 1 --note "客户拒绝50元补偿，未支付"
    """
    now = now_utc()
    with acting(ctx, write=True) as (session, actor):
        done = services.void_payment(session=session, code=code, no=no, actor=actor, now=now, note=note)
        text = Message(
            "cli.payment_voided",
            code=done.code,
            no=done.no,
            before=f"{done.before:g}",
            after=f"{done.after:g}",
            currency=done.currency,
        )
    typer.echo(text.text(language(ctx)))


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
    lang = language(ctx)
    title = profile.profile.title.text(lang)
    heading = say("cli.policy_heading", lang, title=title, name=profile.name, number=number)
    shown = Text(heading)
    shown.stylize("bold", 0, len(title))  # the title comes first in both languages
    out.print(shown)
    cal = profile.calendar
    kind = kpolicy.calendar_kind_name(cal.kind)
    hours = list(cal.business_hours)
    out.print(say("cli.policy_calendar", lang, kind=kind, timezone=cal.timezone, hours=hours), markup=False)
    table = _table(
        lang,
        "cli.col.severity",
        "cli.col.first_response",
        "cli.col.resolution",
        "cli.col.coordination",
        "cli.col.complex",
    )
    for code, targets in profile.sla.items():
        cx = targets.complex
        table.add_row(
            _severity_label(code, profile.severities[code].text(lang)),
            targets.first_response,
            targets.resolution,
            targets.coordination or "",
            ""
            if cx is None
            else " ".join(f"{_code('clock', k, lang)}={v}" for k, v in cx.model_dump().items() if v),
        )
    out.print(table)
    for vocabulary, key in _VOCABULARIES.items():
        items = [
            say("cli.vocabulary_item", lang, code=c, label=v.text(lang))
            for c, v in profile.vocabulary(vocabulary).items()
        ]
        out.print(say("cli.vocabulary", lang, kind=Message(key), items=items), markup=False)
    terms = Message(
        "cli.policy_terms",
        threshold=profile.compensation.approval_threshold,
        currency=profile.compensation.currency,
        window=profile.confirmation.window,
        delay=profile.revisit.delay,
        attempts=profile.revisit.attempts,
        days=profile.repeat.window_days,
    )
    out.print(terms.text(lang), markup=False)
    for rev in revisions:
        line = Message(
            "cli.policy_revision_line",
            version=rev["version"],
            at=rev["effective_at"],
            who=rev["applied_by"],
            origin=rev["origin"],
        )
        out.print(f"  {line.text(lang)}", markup=False)


_VOCABULARIES = {
    "channels": "cli.vocab.channels",
    "taxonomy": "cli.vocab.taxonomy",
    "parties": "cli.vocab.parties",
    "departments": "cli.vocab.departments",
    "resolutions": "cli.vocab.resolutions",
    "phrases": "cli.vocab.phrases",
}
"""The policy's vocabularies `policy show` lists, in its order, with their names."""


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
    text, origin = kpolicy.resolve_profile_source(str(file))
    profile = kpolicy.load_profile_text(text, origin)
    checked = Message(
        "cli.policy_ok",
        file=str(file),
        name=profile.name,
        categories=len(profile.taxonomy),
        severities=len(profile.severities),
    )
    typer.echo(checked.text(language()))
    _warn_statutory_overruns(profile, language(), profile.effective_at())


def _warn_statutory_overruns(profile: Profile, lang: str, effective: datetime | None) -> None:
    """A shop target that can end after a statutory duty, named with the dates (stderr): on
    the days the revision will govern (from its effective date or today, whichever is later)."""
    from .core import statutory

    today = profile.work_calendar.local(max(now_utc(), effective or now_utc())).date()
    for overrun in statutory.overruns(profile, today):
        err.print(statutory.overrun_message(overrun, profile).text(lang), markup=False)


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
    now = now_utc()
    with acting(ctx, write=True) as (session, actor):
        # Read once the desk is open, so a broken file is explained in the desk's language.
        text, origin = kpolicy.resolve_profile_source(str(file))
        profile = kpolicy.load_profile_text(text, origin)
        when = parse_when(effective, profile.calendar.timezone, "--effective") if effective else None
        version = services.apply_policy(
            session=session,
            actor=actor,
            text=text,
            origin=origin,
            now=now,
            effective_at=kpolicy.check_effective(when, now),
        )
        number, in_force = version.version, version.effective_at
        on_desk = policies.profile_for_version(version, policies.desk_years(session))  # its entered years
    typer.echo(say("cli.policy_applied", language(ctx), number=number, name=profile.name))
    _warn_statutory_overruns(on_desk, language(ctx), in_force)


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
    target = to or Path(f"kefu-backup-{now_utc():%Y%m%dT%H%M%SZ}.db")
    services.take_backup(engine=engine, actor=desk_user(ctx, engine), target=target)
    typer.echo(str(target))


@app.command()
def purge(
    ctx: typer.Context,
    older_than: Annotated[
        int | None,
        typer.Option("--older-than", help="Days since closing (default: the policy's personal_data_days)."),
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="List the cases; change nothing.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON document.")] = False,
) -> None:
    """Anonymise the personal data of cases closed longer ago than the retention period,
    keeping the statistics (admins).

    Example: kefu purge --dry-run
    """
    from .core import retention

    now = now_utc()
    with acting(ctx, write=not dry_run) as (session, actor):
        _, profile = policies.policy_in_force(session, now)
        done = retention.purge(
            session=session, actor=actor, now=now, older_than_days=older_than, dry_run=dry_run
        )
    zone = ZoneInfo(profile.calendar.timezone)
    if as_json:
        print_json(done.as_json(zone))
        return
    lang = language(ctx)
    before = done.cutoff.astimezone(zone).date().isoformat()
    if done.dry_run:
        for code in done.codes:
            out.print(code, markup=False)
        err.print(say("cli.purge_would", lang, cases=done.cases, days=done.days, before=before), markup=False)
        return
    out.print(
        say("cli.purged", lang, cases=done.cases, days=done.days, before=before, events=done.events,
            customers=done.customers),
        markup=False,
    )  # fmt: skip
    if done.attachments:
        out.print(say("cli.purged_attachments", lang, count=len(done.attachments)), markup=False)
        for path in done.attachments:
            out.print(path, markup=False)


@app.command()
def doctor(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON document.")] = False,
    fix: Annotated[
        bool, typer.Option("--fix", help="Mend the file's modes and group where you may (its owner or root).")
    ] = False,
) -> None:
    """Check integrity, schema and calendar coverage; exit 1 if anything needs attention.

    A line marked ?? is a warning that does not fail (e.g. next year's holidays not yet known).

    Example: kefu doctor --json
    """
    from .core import health

    _peek_desk_language(ctx)
    lang = language(ctx)
    report = health.doctor(_settings(ctx).db, now_utc(), lang=lang, fix=fix)
    if as_json:
        print_json(report)
    else:
        for check in report["checks"]:
            if not check["ok"]:
                mark = "cli.mark.failed"
            elif check.get("warning"):
                mark = "cli.mark.warning"  # ?? : a warning that does not fail
            else:
                mark = "cli.mark.ok"
            name = str(check["name"])
            shown = Message(_CHECKS[name]) if name in _CHECKS else name
            line = Message("cli.doctor_line", mark=Message(mark), name=shown, detail=str(check["detail"]))
            out.print(line.text(lang), markup=False)
    if not report["ok"]:
        raise typer.Exit(1)


_CHECKS = {
    "database": "cli.check.database",
    "schema": "cli.check.schema",
    "integrity": "cli.check.integrity",
    "journal": "cli.check.journal",
    "calendar": "cli.check.calendar",
    "cases": "cli.check.cases",
    "permissions": "cli.check.permissions",
    "history": "cli.check.history",
}
"""Doctor's checks as its lines name them (English: the check's name, as in the JSON)."""


def _peek_desk_language(ctx: typer.Context) -> None:
    """The desk's language for a command that reads the file itself (doctor), when the desk
    can be read as it is; otherwise the command keeps the locale's."""
    from sqlalchemy.exc import SQLAlchemyError

    try:
        engine = kdb.open_database(_settings(ctx).db, migrate=False)
    except (KefuError, SQLAlchemyError, sqlite3.DatabaseError):  # doctor itself will say why
        return
    try:
        with kdb.read_session(engine) as session:
            _note_desk_language(ctx, session)
    except (KefuError, SQLAlchemyError):
        pass
    finally:
        engine.dispose()


# -- SLA check and revisits (cron) ---------------------------------------------------------

sla_app = typer.Typer(help="SLA clocks: record breaches, escalate, auto-close.", no_args_is_help=True)
revisit_app = typer.Typer(help="Revisit calls after closure (回访).", no_args_is_help=True)
app.add_typer(sla_app, name="sla")
app.add_typer(revisit_app, name="revisit")


def _system_actor(ctx: typer.Context, as_of: str | None) -> tuple[Engine, User, Profile, datetime | None]:
    """The engine, the acting user (detached), the policy in force and --as-of read in its
    time zone."""
    engine = engine_for(ctx)
    with desk_session(ctx, engine, write=False) as (session, actor):
        _, profile = policies.policy_in_force(session, now_utc())
        session.expunge(actor)
    when = parse_when(as_of, profile.calendar.timezone, "--as-of") if as_of else None
    return engine, actor, profile, when


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

    engine, actor, profile, when = _system_actor(ctx, as_of)
    now = now_utc()
    report = slacheck.check_sla(engine=engine, actor=actor, now=now, as_of=when or now)
    if as_json:
        print_json(report.as_dict())
    else:
        _print_sla_report(report, profile, language(ctx))
    if report.any_breached:
        raise typer.Exit(1)


@sla_app.command("rebase")
def sla_rebase(
    ctx: typer.Context,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Say what would move; change nothing.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON document.")] = False,
) -> None:
    """Recompute open cases' unmet deadlines on the working calendar as it is now.

    Run it after `kefu calendar add`: the time already used stays used; one event per deadline
    moved.

    Example: kefu calendar add 2027.toml && kefu sla rebase
    """
    from .core import rebase

    engine, actor, profile, _ = _system_actor(ctx, None)
    report = rebase.rebase(engine=engine, actor=actor, now=now_utc(), dry_run=dry_run)
    if as_json:
        print_json(report.as_dict())
        return
    lang = language(ctx)
    zone = profile.work_calendar.local
    for case in report.cases:
        for m in case.moved:
            out.print(
                f"  {case.code}  {_pad(_code('clock', m.clock, lang), 16)} "
                f"{zone(m.before):%Y-%m-%d %H:%M} → {zone(m.after):%Y-%m-%d %H:%M}",
                markup=False,
            )
    key = "cli.rebase_would" if dry_run else "cli.rebase_done"
    typer.echo(say(key, lang, moved=report.moved, cases=len(report.cases), scanned=report.scanned))


customer_app = typer.Typer(help="Customers: one per person, with every case of theirs.", no_args_is_help=True)
app.add_typer(customer_app, name="customer")


@customer_app.command("show")
def customer_show(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(help="A case code, a phone number or an e-mail address.")],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON document.")] = False,
) -> None:
    """A customer and their timeline: every case, its outcome and what was paid.

    Example: kefu customer show "+86 138 1234 5678"
    """
    engine = engine_for(ctx)
    with desk_session(ctx, engine, write=False) as (session, actor):
        detail = views.customer_for_key(session, key, actor)
    shown: list[desklog.Shown] = [detail.case, *(c for c in detail.cases if c.code != detail.case.code)]
    desklog.note_views(engine, viewer=actor, cases=shown, now=now_utc(), where="customer")
    if as_json:
        print_json(detail.as_json())
        return
    lang = language(ctx)
    who = " ".join(x for x in (detail.customer.name, detail.customer.phone, detail.customer.email) if x)
    out.print(
        say("cli.customer_heading", lang, who=who or "-", cases=detail.total_cases, open=detail.open_cases,
            paid=f"{detail.compensation_paid:g} {detail.currency}"),
        markup=False,
    )  # fmt: skip
    for c in detail.cases:
        out.print(f"  {_customer_case_line(c, lang)}", markup=False)


def _customer_case_line(c: views.CustomerCase, lang: str) -> str:
    parts = [c.code, f"{c.received_at:%Y-%m-%d %H:%M}", _code("status", c.status, lang)]
    if c.resolution:
        parts.append(c.resolution_label(lang))
    if c.close_reason:
        parts.append(_code("word", c.close_reason, lang))
    if c.compensation_paid:
        parts.append(f"{c.compensation_paid:g}")
    if c.satisfied is not None:
        parts.append(say("cli.customer_satisfied" if c.satisfied else "cli.customer_unsatisfied", lang))
    if c.repeat_of:
        parts.append(f"{link_label('repeat', lang)} {c.repeat_of}")
    return "  ".join(parts)


calendar_app = typer.Typer(
    help="The desk's working calendar: enter a year's official holidays (调休).", no_args_is_help=True
)
app.add_typer(calendar_app, name="calendar")


@calendar_app.command("add")
def calendar_add(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="A TOML file: year, source, [[holidays]], [[workdays]].")],
    replace: Annotated[bool, typer.Option("--replace", help="Replace the year if already entered.")] = False,
) -> None:
    """Enter a year's official holiday arrangement for the desk (admins).

    Then run `kefu sla rebase` to move the open deadlines that assumed weekdays for that year.

    Example: kefu calendar add 2027.toml
    """
    from .core import calendars

    now = now_utc()
    lang = language(ctx)
    with acting(ctx, write=True) as (session, actor):
        arrangement = calendars.read_year_file(file)
        _, before = calendars.add_year(
            session=session, actor=actor, arrangement=arrangement, origin=str(file), now=now, replace=replace
        )
        policies.forget_desk_years(session)
    days_off, workdays = len(arrangement.days_off()), len(arrangement.workdays)
    key = "cli.calendar_replaced" if before is not None else "cli.calendar_added"
    typer.echo(say(key, lang, year=arrangement.year, days_off=days_off, workdays=workdays))


@calendar_app.command("remove")
def calendar_remove(
    ctx: typer.Context,
    year: Annotated[int, typer.Argument(help="The year to take back.")],
) -> None:
    """Take back a year entered for the desk (admins); then run `kefu sla rebase`.

    Example: kefu calendar remove 2027
    """
    from .core import calendars

    with acting(ctx, write=True) as (session, actor):
        calendars.remove_year(session=session, actor=actor, year=year)
    typer.echo(say("cli.calendar_removed", language(ctx), year=year))


@calendar_app.command("show")
def calendar_show(
    ctx: typer.Context,
    year: Annotated[int | None, typer.Argument(help="One year (default: every year entered).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON document.")] = False,
) -> None:
    """The years entered for the desk, and which years the working calendar knows.

    Example: kefu calendar show 2027 --json
    """
    from .core import calendars

    with acting(ctx, write=False) as (session, _actor):
        rows = [r for r in calendars.stored_years(session) if year is None or r.year == year]
        _, profile = policies.policy_in_force(session, now_utc())
        calendar = profile.work_calendar
    entered = [(r, calendars.YearArrangement.from_json(json.loads(r.arrangement_json))) for r in rows]
    covered = calendar.covered_years()
    if as_json:
        print_json(
            {
                "kind": calendar.kind,
                "shipped_years": {"from": covered.start, "to": covered.stop - 1} if covered else None,
                "entered": [
                    {
                        **a.as_json(),
                        "entered_by": r.entered_by,
                        "entered_at": calendar.local(r.entered_at).isoformat(timespec="seconds"),
                    }
                    for r, a in entered
                ],
            }
        )
        return
    lang = language(ctx)
    if covered:
        typer.echo(say("cli.calendar_shipped", lang, first=covered.start, last=covered.stop - 1))
    if year is not None and not entered:
        typer.echo(say("cli.calendar_not_entered", lang, year=year))
    for r, a in entered:
        local = f"{calendar.local(r.entered_at):%Y-%m-%d %H:%M}"
        heading = say(
            "cli.calendar_year", lang, year=a.year, source=a.source or "-", by=r.entered_by, at=local
        )
        out.print(heading, markup=False)
        for name, first, last in a.holidays:
            span = first.isoformat() if first == last else f"{first.isoformat()} – {last.isoformat()}"
            days = say("cli.calendar_days", lang, days=(last - first).days + 1)
            out.print(f"  {_pad(name, 10)} {span}  ({days})", markup=False)
        for name, day in a.workdays:
            out.print(
                f"  {_pad(name, 10)} {day.isoformat()}  {say('cli.calendar_workday', lang)}", markup=False
            )


def _clock_text(clock: str, lang: str) -> str:
    """A clock as a table shows it; a statutory one with its rule's code (a case may owe two)."""
    if clock.startswith("statutory.") and lang != "en":
        return f"{term('clock', clock, lang)} {clock.removeprefix('statutory.')}"
    return _code("clock", clock, lang)


def _print_sla_report(report: SlaReport, profile: Profile, lang: str) -> None:
    from .core.messages import duration

    def overdue_text(minutes: float) -> str:
        return duration(-minutes, lang).removeprefix("-")  # time overdue rounds up

    def left_text(minutes: float) -> str:
        return duration(minutes, lang)  # time left rounds down

    if report.breached:
        table = _table(
            lang,
            "cli.col.code",
            "cli.col.clock",
            "cli.col.due",
            "cli.col.overdue_by",
            "cli.col.owner",
            "cli.col.department",
            "cli.col.this_run",
        )
        for row in report.breached:
            mark = (
                say("cli.sla.escalated", lang)
                if row.escalated
                else say("cli.sla.new", lang)
                if row.new
                else ""
            )
            table.add_row(
                row.code,
                _clock_text(row.clock, lang),
                row.due_text(),
                overdue_text(row.minutes),
                row.owner or "",
                _vocab(profile, "departments", row.department, lang),
                mark,
            )
        out.print(table)
    if report.at_risk:
        table = _table(
            lang,
            "cli.col.code",
            "cli.col.clock_at_risk",
            "cli.col.due",
            "cli.col.left",
            "cli.col.owner",
            "cli.col.department",
        )
        for row in report.at_risk:
            table.add_row(
                row.code,
                _clock_text(row.clock, lang),
                row.due_text(),
                left_text(row.minutes),
                row.owner or "",
                _vocab(profile, "departments", row.department, lang),
            )
        out.print(table)
    for closed in report.auto_closed:
        out.print(say("cli.sla.auto_closed", lang, code=closed.code), markup=False)
    summary = Message(
        "cli.sla.summary",
        breached=len({r.code for r in report.breached}),
        new=len(report.new_breaches),
        escalated=len(report.escalated),
        closed=len(report.auto_closed),
        at_risk=len({r.code for r in report.at_risk}),
    )
    err.print(summary.text(lang), markup=False)


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
    lang = language(ctx)
    typer.echo(say("cli.revisits_now_due", lang, count=len(run.became_due)))
    if run.cancelled:
        cancelled = Message("cli.revisits_cancelled", count=len(run.cancelled), codes=list(run.cancelled))
        err.print(cancelled.text(lang), markup=False)


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
        print_json([r.as_json() for r in rows])
        return
    lang = language(ctx)
    table = _table(
        lang,
        "cli.col.code",
        "cli.col.customer",
        "cli.col.phone",
        "cli.col.due",
        "cli.col.attempts",
        "cli.col.owner",
    )
    for r in rows:
        table.add_row(
            r.code,
            r.customer.name or "",
            r.customer.phone or "",
            f"{r.due_at:%Y-%m-%d %H:%M}",
            f"{r.attempts}/{r.attempts_allowed}",
            r.owner or "",
        )
    out.print(table)
    if not rows:
        err.print(say("cli.no_revisits", lang), markup=False)


# -- reading the core's JSON documents (audit, revisits) into table cells ------------------------


def _text(value: object) -> str:
    """A document's value as a cell: "" for none."""
    return "" if value is None else str(value)


def _minute(value: object) -> str:
    """An ISO 8601 time of a document as a cell, to the minute (2026-11-24 09:30)."""
    return _text(value)[:16].replace("T", " ")


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _items(value: object) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else []


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


class _ImportCommand(TyperCommand):
    """`kefu import`, whose help lists the importer's columns: read when the help is shown, so
    no other command imports the importer."""

    @property
    def epilog(self) -> str:
        return _import_epilog()

    @epilog.setter
    def epilog(self, _value: str | None) -> None:
        pass


@app.command("import", cls=_ImportCommand)
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
    date_only: Annotated[
        str | None,
        typer.Option(
            "--date-only",
            help="How a received_at with a date but no time is read: noon or start-of-business "
            "(default: such a row is refused — the time of receipt starts the SLA clocks).",
        ),
    ] = None,
    update: Annotated[
        bool,
        typer.Option(
            "--update",
            help="Rows imported before whose contact or goods dates changed: apply them as "
            "corrections (an update event each). Without it they are only reported.",
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
    actor = desk_user(ctx, engine)
    lang = language(ctx)
    options = importer.ImportOptions(
        path=file,
        format=fmt,
        source=source,
        encoding=encoding,
        timezone=tz,
        dry_run=dry_run,
        ignore_unknown=ignore_unknown,
        errors_path=errors,
        lang=lang,
        date_only=date_only_rule(date_only),
        update=update,
    )
    if err.is_terminal:
        columns = (TextColumn(say("cli.importing", lang, file=file.name)), BarColumn(), MofNCompleteColumn())
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
        err.print(f"{file.name} {problem.text(lang)}", markup=False, highlight=False)
    if report.rejected > len(shown):
        more = report.rejected - len(shown)
        if errors:
            rest = Message("cli.import_more", more=more, path=str(errors))
        else:
            rest = Message("cli.import_more_hint", more=more)
        err.print(rest.text(lang), markup=False, highlight=False)
    if report.ignored_columns:
        ignored = Message("cli.ignored_columns", columns=list(report.ignored_columns))
        err.print(ignored.text(lang), markup=False, highlight=False)
    if report.other_sheets:
        sheets = Message("cli.other_sheets", sheets=list(report.other_sheets))
        err.print(sheets.text(lang), markup=False, highlight=False)
    if as_json:
        print_json(report.as_dict(lang))
    err.print(report.summary(lang), markup=False, highlight=False)
    raise typer.Exit(report.exit_code)


# -- the terminal UI -------------------------------------------------------------------


def _ui_language(ctx: typer.Context, lang: str | None) -> str | None:
    """The TUI's language: its own --lang, else kefu's --lang when typed on the command line
    (not KEFU_LANG, which is the command line's), else None: the profile's."""
    if lang is not None:
        if not lang.strip().lower().startswith(("zh", "en")):
            raise typer.BadParameter(f"--lang is zh or en, not {lang!r}")
        lang = normal_lang(lang)
    settings = _settings(ctx)
    return lang or (settings.lang if settings.lang_given_here else None)


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
    _peek_desk_language(ctx)  # for a refusal before the TUI starts (not a kefu user, ...)
    KefuApp(settings.db, user=settings.as_user, lang=_ui_language(ctx, lang)).run()


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

    ui_lang = _ui_language(ctx, lang)  # a bad --lang is refused before a desk is built
    text, origin = kpolicy.resolve_profile_source(profile)
    parsed = kpolicy.load_profile_text(text, origin)
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
        _settings(ctx).desk_lang = normal_lang(parsed.profile.language)
        who = as_user or _settings(ctx).as_user
        if who is not None and who not in people:
            raise NotFound(
                Message("cli.demo_no_user", who=who, profile=parsed.name, people=people), field="as"
            )
        ready = Message("cli.demo_ready", count=count, profile=parsed.name, folder=str(folder))
        err.print(ready.text(ui_lang or language(ctx)), markup=False, highlight=False)
        ui = KefuApp(db, user=who, lang=ui_lang)
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


def _write_export(text: str, out_path: Path | None) -> None:
    """An export to --out (UTF-8; CSV with its BOM) or to stdout."""
    from .core.exports import open_for_export

    if out_path is None:
        sys.stdout.write(text)
        return
    try:
        with open_for_export(out_path) as handle:
            handle.write(text)
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise CannotWrite(Message("cli.cannot_write", path=str(out_path), reason=os_reason(exc))) from None


_CASE_TABLE = {
    "code": "cli.col.code",
    "received_at": "cli.col.received_at",
    "status": "cli.col.status",
    "category": "cli.col.category",
    "owner": "cli.col.owner",
    "customer_phone": "cli.col.customer_phone",
    "on_time": "cli.col.on_time",
    "handling_business_minutes": "cli.col.handling_business_minutes",
}
"""The columns `kefu report --by case` shows as a table, and their headings."""


def _case_cell(column: str, value: Any, profile: Profile, lang: str) -> str:
    """One cell of the case table: as the export writes it in English; Chinese shows the
    labels of status, category and yes/no."""
    if value is None:
        return ""
    if lang != "en" and column == "status":
        return status_label(str(value), lang)
    if lang != "en" and column == "category":
        return profile.label("taxonomy", str(value), lang)
    if lang != "en" and isinstance(value, bool):
        return _code("word", "yes" if value else "no", lang)
    return str(value)


def _export_cases(
    rows: Iterable[dict[str, Any]],
    fmt: str,
    out_path: Path | None,
    period: dict[str, str],
    masked: bool,
    profile: Profile,
    lang: str,
) -> None:
    """`kefu report --by case`: written row by row (a year of cases never sits in memory)."""
    from contextlib import nullcontext

    from .core import reports
    from .core.exports import open_for_export, write_csv, write_json_items

    columns = reports.CASE_EXPORT_COLUMNS
    if fmt == "table":
        table = _table(lang, *_CASE_TABLE.values())
        count = 0
        for r in rows:
            table.add_row(*(_case_cell(c, r[c], profile, lang) for c in _CASE_TABLE))
            count += 1
        out.print(table)
        received = Message("cli.cases_received", count=count, first=period["from"], last=period["to"])
        err.print(received.text(lang), markup=False)
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
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise CannotWrite(Message("cli.cannot_write", path=str(out_path), reason=os_reason(exc))) from None
    if out_path is not None:
        err.print(say("cli.wrote_cases", lang, count=count, path=str(out_path)), markup=False)


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
    from .core.exports import csv_text, json_text

    fmt = "json" if as_json else fmt.strip().lower()
    if fmt not in REPORT_FORMATS:
        raise InvalidInput(Message("cli.report_format", formats=list(REPORT_FORMATS)), field="format")
    by = by.strip().lower()
    if out_path is not None and fmt == "table":
        raise InvalidInput(Message("cli.out_needs_format"), field="out")
    if unmasked and by != "case":
        raise InvalidInput(Message("cli.unmasked_needs_case"), field="unmasked")
    now = now_utc()
    engine = engine_for(ctx)
    with desk_session(ctx, engine, write=False) as (session, actor):
        lang = language(ctx)
        _, profile = policies.policy_in_force(session, now)
        period = reports.parse_period(profile, first=first, last=last, now=now)
        if unmasked:
            reports.require_unmasked_allowed(actor)
            span = period.as_dict(now)
            desklog.note_export(engine, actor=actor, period=f"{span['from']}..{span['to']}", now=now)
        if by == "case":
            rows = reports.case_rows(session=session, actor=actor, period=period, now=now, unmasked=unmasked)
            _export_cases(rows, fmt, out_path, period.as_dict(now), not unmasked, profile, lang)
            return
        # The table's group labels in the CLI's language; CSV and JSON as they always were.
        report = reports.kpi_report(
            session=session, actor=actor, period=period, by=by, now=now, lang=lang if fmt == "table" else None
        )
    if fmt in ("json", "csv"):
        if fmt == "json":
            _write_export(json_text(report.as_dict()), out_path)
        else:
            _write_export(csv_text(report.csv_header(), report.csv_rows()), out_path)
        if out_path is not None:
            grouping = reports.grouping_name(by)
            err.print(say("cli.wrote_report", lang, by=grouping, path=str(out_path)), markup=False)
    else:
        cells = reports.report_table_rows(report, lang=lang)
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

    if by is not None and by.strip().lower() != "agent":
        raise InvalidInput(Message("cli.audit_by"), field="by")
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
        cases = [
            {
                "position": d.position,
                "code": d.code,
                "agent": d.agent,
                "category": d.category,
                "closed_at": views.iso(d.closed_at, profile),
            }
            for d in drawn
        ]
        document = {
            "batch": batch.id,
            "seed": batch.seed,
            "size": batch.size,
            "by": "agent" if batch.by_agent else None,
            "period": {"from": batch.period_from, "to": batch.period_to},
            "population": batch.population,
            "cases": cases,
        }
        drawn_note = Message(
            "cli.audit_drawn", batch=batch.id, drawn=len(drawn), population=batch.population, seed=batch.seed
        )
    if as_json:
        print_json(document)
        return
    lang = language(ctx)
    table = _table(
        lang, "cli.col.number", "cli.col.code", "cli.col.agent", "cli.col.category", "cli.col.closed"
    )
    for d in drawn:
        table.add_row(
            str(d.position),
            d.code,
            d.agent or "",
            _vocab(profile, "taxonomy", d.category, lang),
            _minute(views.iso(d.closed_at, profile)),
        )
    out.print(table)
    err.print(drawn_note.text(lang), markup=False)


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
        _, profile = policies.policy_in_force(session, now)
        found = audit.get_batch(session, actor, batch)
        cases = [_audit_case_json(r, profile) for r in audit.batch_cases(session, found)]
        checklist = audit.checklist(profile)
        document = {
            "batch": found.id,
            "seed": found.seed,
            "drawn_by": found.drawn_by,
            "drawn_at": views.iso(found.drawn_at, profile),
            "period": {"from": found.period_from, "to": found.period_to},
            "checklist": list(checklist),
            "cases": cases,
        }
        batch_id, batch_seed = found.id, found.seed
    if as_json:
        print_json(document)
        return
    lang = language(ctx)
    table = _table(
        lang,
        "cli.col.number",
        "cli.col.code",
        "cli.col.agent",
        "cli.col.scores",
        "cli.col.scored_by",
        "cli.col.note",
    )
    for c in cases:
        scores = " ".join(f"{k}={v}" for k, v in _mapping(c.get("scores")).items())
        table.add_row(
            _text(c.get("position")),
            _text(c.get("code")),
            _text(c.get("agent")),
            scores,
            _text(c.get("scored_by")),
            _text(c.get("note")),
        )
    out.print(table)
    items = [
        code if lang == "en" else say("cli.vocabulary_item", lang, code=code, label=label.text(lang))
        for code, label in checklist.items()
    ]
    err.print(say("cli.audit_batch", lang, batch=batch_id, seed=batch_seed, items=items), markup=False)


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
    typer.echo(say("cli.audit_scored", language(ctx), code=code.upper(), count=len(items), batch=where))


_CHAIN_WORDS = {"changed": "cli.chain_changed", "unsealed": "cli.chain_unsealed", "gap": "cli.chain_gap"}


@audit_app.command("verify")
def audit_verify(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON document.")] = False,
) -> None:
    """Recompute the history's hash chain: report events changed, deleted or added outside kefu
    (exit 1 when there are any).

    Example: kefu audit verify --json
    """
    from .core import audit

    with acting(ctx, write=False) as (session, actor):
        found = audit.verify_history(session, actor)
        _, profile = policies.policy_in_force(session, now_utc())
    if as_json:
        print_json({
            "ok": found.ok, "events": found.history.events, "append_only": found.history.guarded,
            "problems": [{"event": p.event_id, "code": p.code, "what": p.what} for p in found.events],
            "desk_log": {
                "entries": found.desk_log.events, "append_only": found.desk_log.guarded,
                "problems": [{"entry": p.event_id, "subject": p.code, "what": p.what} for p in found.entries],
            },
            "users": [
                {"name": d.name, "what": d.what, "fields": {f: list(v) for f, v in d.fields.items()}}
                for d in found.users
            ],
        })  # fmt: skip
    else:
        lang = language(ctx)
        for p in found.events:
            what = say(_CHAIN_WORDS[p.what], lang)
            out.print(say("cli.chain_problem", lang, id=p.event_id, code=p.code, what=what), markup=False)
        for p in found.entries:
            what = say(_CHAIN_WORDS[p.what], lang)
            out.print(
                say("cli.desk_log_problem", lang, id=p.event_id, subject=p.code, what=what), markup=False
            )
        for d in found.users:
            out.print(
                say(_DRIFT_WORDS[d.what], lang, name=d.name, fields=_drift_fields(d, profile, lang)),
                markup=False,
            )
        if not (found.history.guarded and found.desk_log.guarded):
            out.print(say("cli.chain_unguarded", lang), markup=False)
        if found.ok:
            out.print(
                say("cli.chain_ok", lang, events=found.history.events, entries=found.desk_log.events),
                markup=False,
            )
    if not found.ok:
        raise typer.Exit(1)


_DRIFT_WORDS = {"added": "cli.user_added_outside", "changed": "cli.user_changed_outside",
                "removed": "cli.user_removed_outside"}  # fmt: skip


def _drift_fields(drift: Any, profile: Profile, lang: str) -> str:
    def shown(name: str, value: Any) -> str:
        return views.change_value_text(profile, name, value, lang)

    return "; ".join(
        say("cli.user_field_drift", lang, field=name, recorded=shown(name, was), found=shown(name, now))
        for name, (was, now) in drift.fields.items()
    )


_ACCESS_WHERE = {"case": "cli.access_case", "customer": "cli.access_customer", "tui": "cli.access_tui",
                 "search": "cli.access_search"}  # fmt: skip


@audit_app.command("access")
def audit_access(
    ctx: typer.Context,
    case: Annotated[str | None, typer.Option("--case", help="Only views of this case.")] = None,
    user: Annotated[str | None, typer.Option("--user", help="Only what this person viewed.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON document.")] = False,
) -> None:
    """Who was shown customers' personal data of cases they neither own nor recorded, and every
    unmasked export, newest first (the last 1,000).

    Example: kefu audit access --case KF-20261124-0007
    """
    from .core.desklog import Kind

    now = now_utc()
    with acting(ctx, write=False) as (session, actor):
        _, profile = policies.policy_in_force(session, now)
        found = desklog.entries(
            session, actor=actor, kinds=(Kind.VIEWED, Kind.EXPORT), by=user,
            subject=case.strip().upper() if case else None,
        )  # fmt: skip
    zone = ZoneInfo(profile.calendar.timezone)
    if as_json:
        print_json({"entries": [
            {"at": e.at.astimezone(zone).isoformat(), "user": e.actor, "kind": e.kind, "subject": e.subject,
             **e.detail} for e in found
        ]})  # fmt: skip
        return
    lang = language(ctx)
    table = _table(lang, "cli.col.at", "cli.col.user", "cli.col.what", "cli.col.case_or_period")
    for e in found:
        what = (
            "cli.access_export"
            if e.kind == Kind.EXPORT
            else _ACCESS_WHERE.get(str(e.detail.get("where")), "cli.access_case")
        )
        table.add_row(
            e.at.astimezone(zone).isoformat(timespec="seconds"), e.actor, say(what, lang), e.subject
        )
    out.print(table)
    if not found:
        err.print(say("cli.no_access", lang), markup=False)


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
    lang = language(ctx)
    checklist = [str(code) for code in _mapping(document.get("checklist"))]  # item code -> label
    headings = [
        say(key, lang)
        for key in ("cli.col.agent", "cli.col.drawn", "cli.col.scored", "cli.col.points", "cli.col.score")
    ]
    table = Table(*headings, *checklist)
    total = {**_mapping(document.get("total")), "agent": None, "items": {}}
    rows = [_mapping(row) for row in _items(document.get("agents"))]
    for row in [*rows, total]:
        pct = row.get("percent")
        items = _mapping(row.get("items"))
        agent = say("report.total", lang) if row is total else _text(row.get("agent")) or word("(none)", lang)
        table.add_row(
            agent,
            _text(row.get("drawn")),
            _text(row.get("scored")),
            f"{row.get('points')}/{row.get('possible')}",
            "—" if pct is None else f"{pct:.1f}%",
            *(_percent(_mapping(items.get(code)).get("percent")) for code in checklist),
        )
    out.print(table)


def _percent(value: object) -> str:
    """An audit item's share of points as a cell: 50%, or empty when nothing was scored."""
    return f"{value:.0f}%" if isinstance(value, int | float) else ""


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
