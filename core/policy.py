"""Policy profiles: the TOML schema a shop edits, its validation, and look-ups by code or label.

A profile is a complete policy (SPEC §4): calendar, severities and SLA targets, channels,
taxonomy, parties, departments, resolutions, thresholds, revisit, retention. It is validated
on load; a bad file is refused with the file name, the line and the reason.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .calendar import Duration, WorkCalendar
from .errors import InvalidInput, PolicyError

BREACH_KINDS = ("first_response", "resolution", "coordination")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Label(_Strict):
    """A code's human name in both languages."""

    en: str = Field(min_length=1)
    zh: str = Field(min_length=1)

    def text(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


class Category(Label):
    sub: dict[str, Label] = Field(default_factory=dict)


class Severity(Label):
    escalate_on_intake: bool = False
    hint: str = ""


class Resolution(Label):
    needs_amount: bool = False
    needs_kind: bool = False  # the amount must say how it is paid: a [compensation.kinds] code


def _check_duration(value: str | None) -> str | None:
    if value is not None:
        try:
            Duration.parse(value)
        except ValueError as exc:
            raise ValueError(str(exc)) from None
    return value


def _check_target(value: str | None) -> str | None:
    """An SLA target: a duration longer than zero (a zero target is breached at intake);
    `0wd`, the end of the working day, is a real target."""
    _check_duration(value)
    if value is not None and Duration.parse(value).minutes == 0:
        raise ValueError(f"{value!r}: an SLA target must be longer than zero")
    return value


class SlaOverride(_Strict):
    first_response: str | None = None
    resolution: str | None = None
    coordination: str | None = None

    _durations = field_validator("first_response", "resolution", "coordination")(_check_target)


class SlaTargets(_Strict):
    first_response: str
    resolution: str
    coordination: str | None = None
    complex: SlaOverride | None = None

    _durations = field_validator("first_response", "resolution", "coordination")(_check_target)

    def for_complexity(self, complexity: str | None) -> dict[str, Duration]:
        """The targets that apply to a case of this complexity, parsed."""
        values = {k: getattr(self, k) for k in BREACH_KINDS}
        if complexity == "complex" and self.complex is not None:
            values.update({k: v for k, v in self.complex.model_dump().items() if v is not None})
        return {k: Duration.parse(v) for k, v in values.items() if v is not None}


class CalendarPolicy(_Strict):
    kind: Literal["cn", "weekdays", "everyday"] = "cn"
    timezone: str = "Asia/Shanghai"
    business_hours: list[str] = Field(default_factory=lambda: ["09:00-12:00", "13:00-18:00"])
    extra_holidays: list[str] = Field(default_factory=list)
    extra_workdays: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _buildable(self) -> CalendarPolicy:
        self.build()
        return self

    def build(self) -> WorkCalendar:
        return WorkCalendar.from_strings(
            self.kind, self.timezone, self.business_hours, self.extra_holidays, self.extra_workdays
        )


class Compensation(_Strict):
    currency: str = "CNY"
    approval_threshold: float = Field(ge=0)
    kinds: dict[str, Label] = Field(default_factory=dict)


class Confirmation(_Strict):
    window: str = "3wd"
    _durations = field_validator("window")(_check_duration)


class RevisitPolicy(_Strict):
    delay: str = "2wd"
    attempts: int = Field(default=3, ge=1, le=10)
    retry_after: str = "1wd"
    _durations = field_validator("delay", "retry_after")(_check_duration)


class RepeatPolicy(_Strict):
    window_days: int = Field(default=30, ge=0)


class Retention(_Strict):
    personal_data_days: int = Field(default=730, ge=30)


BreachKind = Literal["first_response", "resolution", "coordination"]


def _resolution_only() -> list[BreachKind]:
    return ["resolution"]


class Escalation(_Strict):
    on_breach: list[BreachKind] = Field(default_factory=_resolution_only)


class StatutoryDeadline(_Strict):
    """A legal limit beside the shop's own targets, with its source named."""

    en: str
    zh: str
    target: str
    source: str
    categories: list[str] = Field(default_factory=list)  # empty: every case
    _durations = field_validator("target")(_check_duration)


class ProfileInfo(_Strict):
    name: str = Field(pattern=r"^[a-z][a-z0-9_-]*$")
    title: Label
    language: Literal["zh", "en"] = "zh"
    code_prefix: str = Field(default="KF", pattern=r"^[A-Z][A-Z0-9]{0,5}$")
    effective: str | None = None
    source: str = ""


class Profile(_Strict):
    """A validated policy. Build it with `load_profile_text` / `load_profile_file`."""

    profile: ProfileInfo
    calendar: CalendarPolicy = Field(default_factory=CalendarPolicy)
    severities: dict[str, Severity]
    sla: dict[str, SlaTargets]
    channels: dict[str, Label]
    taxonomy: dict[str, Category]
    targets: dict[str, Label] = Field(default_factory=dict)
    parties: dict[str, Label]
    departments: dict[str, Label]
    resolutions: dict[str, Resolution]
    compensation: Compensation
    confirmation: Confirmation = Field(default_factory=Confirmation)
    revisit: RevisitPolicy = Field(default_factory=RevisitPolicy)
    repeat: RepeatPolicy = Field(default_factory=RepeatPolicy)
    retention: Retention = Field(default_factory=Retention)
    escalation: Escalation = Field(default_factory=Escalation)
    statutory: dict[str, StatutoryDeadline] = Field(default_factory=dict)
    phrases: dict[str, Label] = Field(default_factory=dict)
    audit_checklist: dict[str, Label] = Field(default_factory=dict)

    @field_validator("severities", "channels", "taxonomy", "parties", "departments", "resolutions")
    @classmethod
    def _not_empty(cls, value: dict[str, Any]) -> dict[str, Any]:
        if not value:
            raise ValueError("must list at least one entry")
        return value

    @model_validator(mode="before")
    @classmethod
    def _fold_dotted_sla_keys(cls, data: Any) -> Any:
        """Accept `[sla."P2.complex"]` as well as `[sla.P2.complex]`."""
        if isinstance(data, dict) and isinstance(data.get("sla"), dict):
            sla = dict(data["sla"])
            for key in [k for k in sla if "." in k]:
                severity, _, variant = key.partition(".")
                if variant == "complex" and isinstance(sla.get(severity), dict):
                    sla[severity] = {**sla[severity], "complex": sla.pop(key)}
            data = {**data, "sla": sla}
        return data

    @model_validator(mode="after")
    def _cross_references(self) -> Profile:
        for severity in self.severities:
            if severity not in self.sla:
                raise _LocatedError(
                    ("severities", severity), f"severity {severity} has no [sla.{severity}] table"
                )
        for key in self.sla:
            if key not in self.severities:
                raise _LocatedError(("sla", key), f"[sla.{key}] names no severity in [severities]")
        for code, item in self.statutory.items():
            for category in item.categories:
                if category not in self.taxonomy:
                    raise _LocatedError(("statutory", code, "categories"), f"unknown category {category!r}")
        return self

    # -- derived views -------------------------------------------------------------------

    @cached_property
    def work_calendar(self) -> WorkCalendar:
        return self.calendar.build()

    @property
    def name(self) -> str:
        return self.profile.name

    def severity_order(self) -> list[str]:
        return list(self.severities)

    @cached_property
    def _parsed_targets(self) -> dict[tuple[str, str], dict[str, Duration]]:
        return {
            (severity, complexity): targets.for_complexity(complexity)
            for severity, targets in self.sla.items()
            for complexity in ("simple", "complex")
        }

    def sla_targets(self, severity: str, complexity: str | None) -> dict[str, Duration]:
        """The parsed targets for a severity and complexity (parsed once per profile)."""
        return dict(self._parsed_targets[(severity, "complex" if complexity == "complex" else "simple")])

    def vocabulary(self, kind: str) -> dict[str, Label]:
        """The code → label table for a kind: channels, parties, departments, targets, ..."""
        if kind == "subcategories":
            return {
                f"{code}.{sub}" if "." not in sub else sub: label
                for code, cat in self.taxonomy.items()
                for sub, label in cat.sub.items()
            }
        table = getattr(self, kind)
        return dict(table)

    def label(self, kind: str, code: str | None, lang: str) -> str:
        if not code:
            return ""
        item = self.vocabulary(kind).get(code)
        return item.text(lang) if item else code

    def resolve(self, kind: str, value: str) -> str | None:
        """A code of `kind` given its code or its English or Chinese label (case-insensitive)."""
        wanted = value.strip().casefold()
        table = self.vocabulary(kind)
        for code, label in table.items():
            if wanted in (code.casefold(), label.en.casefold(), label.zh.casefold()):
                return code
        if kind == "subcategories":
            for code in table:
                if code.split(".", 1)[-1].casefold() == wanted:
                    return code
        return None


class _LocatedError(ValueError):
    def __init__(self, loc: tuple[str, ...], message: str) -> None:
        super().__init__(message)
        self.loc = loc


# -- loading ---------------------------------------------------------------------------

_HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"""^\s*((?:"[^"]*"|'[^']*'|[A-Za-z0-9_.\- ]+?))\s*=""")


def _split_key(key: str) -> tuple[str, ...]:
    parts = re.findall(r'"([^"]*)"|\'([^\']*)\'|([^."\']+)', key)
    return tuple((a or b or c).strip() for a, b, c in parts if (a or b or c).strip())


def _key_lines(text: str) -> dict[tuple[str, ...], int]:
    """Map each table header and key path in a TOML text to the line it is written on."""
    lines: dict[tuple[str, ...], int] = {}
    current: tuple[str, ...] = ()
    for number, line in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(line)
        if header:
            current = _split_key(header.group(1))
            lines.setdefault(current, number)
            continue
        key = _KEY.match(line)
        if key:
            lines.setdefault(current + _split_key(key.group(1)), number)
    return lines


def _line_of(text: str, loc: Iterable[Any]) -> int | None:
    path = tuple(str(part) for part in loc if not isinstance(part, int))
    known = _key_lines(text)
    for end in range(len(path), 0, -1):
        if path[:end] in known:
            return known[path[:end]]
        # "[sla.P2.complex]" may be written as [sla."P2.complex"]
        if end >= 3 and path[0] == "sla" and (path[0], f"{path[1]}.{path[2]}") in known:
            return known[(path[0], f"{path[1]}.{path[2]}")]
    return None


def _describe(text: str, origin: str, loc: Iterable[Any], reason: str) -> PolicyError:
    loc = tuple(loc)
    line = _line_of(text, loc)
    where = f"{origin}, line {line}" if line else origin
    field = ".".join(str(p) for p in loc if not isinstance(p, int))
    if field:
        return PolicyError(f"{where}: {field}: {reason}")
    return PolicyError(f"{where}: {reason}")


def load_profile_text(text: str, origin: str = "<policy>") -> Profile:
    """Parse and validate a profile; PolicyError names origin, line and reason on failure."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"{origin}: not valid TOML: {exc}") from None
    try:
        return Profile.model_validate(data)
    except _LocatedError as exc:
        raise _describe(text, origin, exc.loc, str(exc)) from None
    except ValidationError as exc:
        # A misspelt key shows up as "unknown key" plus "required but missing": name the typo.
        errors = sorted(exc.errors(), key=lambda e: e.get("type") != "extra_forbidden")
        first = errors[0]
        loc = first.get("loc", ())
        reason = first.get("msg", "invalid")
        if first.get("type") == "extra_forbidden":
            reason = "unknown key (check the spelling against the documented schema)"
        elif first.get("type") == "missing":
            reason = "required but missing"
        ctx_error = (first.get("ctx") or {}).get("error")
        if isinstance(ctx_error, _LocatedError):
            loc, reason = ctx_error.loc, str(ctx_error)
        reason = reason.removeprefix("Value error, ")
        more = len(exc.errors()) - 1
        err = _describe(text, origin, loc, reason)
        if more:
            err = PolicyError(f"{err.message} (and {more} more problem{'s' if more > 1 else ''})")
        raise err from None


def load_profile_file(path: Path) -> Profile:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PolicyError(f"{path}: cannot read: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise PolicyError(f"{path}: not UTF-8 text") from None
    return load_profile_text(text, str(path))


def bundled_profiles_dir() -> Path:
    """Where the four shipped profiles live (sample_data/profiles)."""
    return Path(str(resources.files("kefu"))) / "sample_data" / "profiles"


def bundled_profile_names() -> list[str]:
    return sorted(p.stem for p in bundled_profiles_dir().glob("*.toml"))


def resolve_profile_source(name_or_path: str) -> tuple[str, str]:
    """The TOML text and origin for a bundled profile name or a file path."""
    candidate = Path(name_or_path)
    if candidate.suffix == ".toml" or candidate.exists():
        if not candidate.is_file():
            raise PolicyError(f"{name_or_path}: no such profile file")
        try:
            text = candidate.read_bytes().decode("utf-8")
        except UnicodeDecodeError:
            raise PolicyError(f"{name_or_path}: not UTF-8 text") from None
        except OSError as exc:
            raise PolicyError(f"{name_or_path}: cannot read: {exc.strerror}") from None
        return text, str(candidate)
    bundled = bundled_profiles_dir() / f"{name_or_path}.toml"
    if not bundled.is_file():
        names = ", ".join(bundled_profile_names())
        raise PolicyError(f"unknown profile {name_or_path!r}: use one of {names} or a .toml file")
    return bundled.read_text(encoding="utf-8"), f"sample_data/profiles/{bundled.name}"


EFFECTIVE_SLACK = timedelta(days=1)
"""How far in the past a new revision's effective date may lie (a late run of a planned change)."""


def check_effective(effective_at: datetime | None, now: datetime) -> datetime | None:
    """A new revision's effective date: now, the future, or at most a day ago."""
    if effective_at is not None and effective_at < now - EFFECTIVE_SLACK:
        raise InvalidInput("an effective date in the past would rewrite history; use now or a future date")
    return effective_at
