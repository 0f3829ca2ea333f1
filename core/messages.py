"""What kefu says, in English and Chinese: a message is a catalog key and its parameters.

Every refusal, validation error, system note and interface sentence is written once in the
catalog (`kefu.core.catalog`) as an English and a Chinese template, and raised or returned as
a `Message` — never as a finished sentence. Each interface renders it in its user's language
(the TUI's, the CLI's `--lang` / `KEFU_LANG`), and a stored system note keeps its key and
parameters so the history reads in either language. See docs/ARCHITECTURE.md, "Messages".

Templates use `str.format` fields. A field's format spec may name a *term kind*, which renders
a stored code in the target language: English keeps the code (`in_progress`, `agent`), Chinese
shows its label (处理中, 售后客服专员). A kind prefixed with `a_` puts the English article
first ("an admin"). A list or tuple value is rendered item by item and joined (", " / "、").

    {status:status}  {role:a_role}  {roles:role}  {action:action}  {clock:clock}
    {field:field}    {word:word}    {item:label}  {codes}  {n:,}

`label` takes a {"code", "en", "zh"} mapping (a policy vocabulary entry): English shows the
code, Chinese the Chinese label.
"""

from __future__ import annotations

import functools
import math
import re
import string
from collections.abc import Mapping
from datetime import date
from typing import Any

from .catalog import MESSAGES, WORDS

LANGS = ("en", "zh")
"""The languages every message exists in."""

DEFAULT_LANG = "en"


def normal_lang(lang: str | None) -> str:
    """`zh` for any Chinese locale name (zh, zh_CN.UTF-8, zh-Hans), else `en`."""
    if lang is not None and lang in LANGS:
        return lang
    return "zh" if (lang or "").strip().lower().startswith("zh") else "en"


@functools.cache
def _plain(template: str) -> bool:
    """Whether a template has no term specs, conversions or nested fields: then `str.format`
    with plain values renders it (several times faster than the term-aware formatter, which
    matters where a message is rendered per imported row)."""
    return all(
        not spec and conversion is None and (name is None or name.isidentifier())
        for _, name, spec, conversion in string.Formatter().parse(template)
    )


_SCALARS = (str, int, float, type(None))


# Control characters shown as what they are instead of acting on the terminal: C0 (but tab
# and newline) as Unicode's control pictures (ESC is ␛), DEL as ␡, C1 and the bidirectional
# overrides / isolates / marks (which reorder what follows) as U+FFFD. One character for one,
# so styled text keeps its spans.
_NEUTRAL: dict[int, int] = {c: 0x2400 + c for c in range(0x20) if c not in (0x09, 0x0A)}
_NEUTRAL[0x7F] = 0x2421
_NEUTRAL.update(dict.fromkeys(range(0x80, 0xA0), 0xFFFD))
_NEUTRAL.update(dict.fromkeys((0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)), 0xFFFD))


def terminal_safe(text: str) -> str:
    """`text` with every control character neutralised (see `_NEUTRAL`): what kefu prints of
    customer text, stored or quoted, never moves a cursor, clears a screen or sets a title."""
    return text.translate(_NEUTRAL)


_HALF_CHARACTER = re.compile("[\ud800-\udfff]")
"""A lone surrogate: half a character (what Python makes of a command-line byte that is not
UTF-8, or a JSON `\\ud800`), which no database can store."""


def neutralise(text: str) -> str:
    """Free text as kefu stores it: line ends as newlines, other control characters
    neutralised (`terminal_safe`), half a character as U+FFFD."""
    return terminal_safe(_HALF_CHARACTER.sub("\ufffd", text.replace("\r\n", "\n").replace("\r", "\n")))


class Message:
    """A catalog key and its parameters; rendered by `text(lang)`.

    Parameters must be JSON values (strings, numbers, booleans, None, lists, mappings) so a
    message can be stored with a system note and rendered again later in another language.
    """

    __slots__ = ("key", "params", "_scalar")

    def __init__(self, key: str, /, **params: Any) -> None:
        if key not in MESSAGES:
            raise KeyError(f"message {key!r} is not in the catalog (kefu.core.catalog)")
        self.key = key
        self.params = params
        self._scalar: bool | None = None

    def _scalars(self) -> bool:
        """Whether every parameter is a plain string, number or None (the fast paths)."""
        if self._scalar is None:
            self._scalar = all(type(v) in _SCALARS for v in self.params.values())
        return self._scalar

    def text(self, lang: str = DEFAULT_LANG) -> str:
        """The sentence in `lang` (en or zh), safe for a terminal whatever its parameters hold
        (`terminal_safe`: a refusal quoting a hostile cell cannot clear the screen)."""
        lang = normal_lang(lang)
        en, zh = MESSAGES[self.key]
        template = zh if lang == "zh" else en
        if self._scalars() and _plain(template):
            return terminal_safe(template.format_map(self.params))
        return terminal_safe(_Formatter(lang).vformat(template, (), self.params))

    def as_dict(self) -> dict[str, Any]:
        """What a history event stores to render the note again in any language."""
        if self._scalars():
            return {"key": self.key, "params": self.params}
        return {"key": self.key, "params": {k: _json_value(v) for k, v in self.params.items()}}

    def __getstate__(self) -> tuple[str, dict[str, Any]]:
        return self.key, self.params

    def __setstate__(self, state: tuple[str, dict[str, Any]]) -> None:
        self.key, self.params = state
        self._scalar = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Message:
        return cls(str(data["key"]), **dict(data.get("params") or {}))

    def __str__(self) -> str:
        return self.text(DEFAULT_LANG)

    def __repr__(self) -> str:
        return f"Message({self.key!r}, **{self.params!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Message) and (self.key, self.params) == (other.key, other.params)

    def __hash__(self) -> int:
        return hash(self.key)


Text = Message | str
"""Something to show: a catalog message, or text that is shown as it is (a person's note)."""


def render(value: Text | None, lang: str) -> str:
    """A message in `lang`; plain text (what a person typed) as it is."""
    if value is None:
        return ""
    return value.text(lang) if isinstance(value, Message) else value


def join(items: list[str] | tuple[str, ...], lang: str, *, strong: bool = False) -> str:
    """Items as a list in `lang`: ", " / "、" (`strong`: "; " / "；", for items that hold commas)."""
    if normal_lang(lang) == "zh":
        return ("；" if strong else "、").join(items)
    return ("; " if strong else ", ").join(items)


def word(text: str, lang: str) -> str:
    """A short interface word (a heading, a button) in `lang`: the English word is its key."""
    if normal_lang(lang) != "zh":
        return text
    return WORDS.get(text, text)


def tr(text: str, lang: str, **values: object) -> str:
    """`word(text)` with `{name}` placeholders filled from `values` (terms as in messages)."""
    template = word(text, lang)
    if not values:
        return template
    return _Formatter(normal_lang(lang)).vformat(template, (), values)


def _json_value(value: Any) -> Any:
    """A parameter as JSON: nested messages as their dictionaries."""
    if isinstance(value, Message):
        return value.as_dict()
    if isinstance(value, list | tuple):
        return [_json_value(item) for item in value]
    return value


# -- terms ---------------------------------------------------------------------------------


def _article(english: str) -> str:
    return ("an " if english[:1].lower() in "aeiou" else "a ") + english


def term(kind: str, code: Any, lang: str) -> str:
    """One stored code shown in `lang` (see the module docstring for the kinds)."""
    from . import workflow

    lang = normal_lang(lang)
    with_article = kind.startswith("a_")
    kind = kind.removeprefix("a_")
    if code is None or code == "":
        return word("(none)", lang)
    if kind == "day":  # "2026-02-14" or "2026-02-14 18:00" with its weekday
        text = str(code)
        try:
            weekday = date.fromisoformat(text[:10]).weekday()
        except ValueError:
            return text
        names = _WEEKDAYS_ZH if lang == "zh" else _WEEKDAYS_EN
        return f"{text}（{names[weekday]}）" if lang == "zh" else f"{text} ({names[weekday]})"
    if kind == "label":
        if isinstance(code, Mapping):
            text = str(code.get("zh") if lang == "zh" else code.get("code", code.get("en")))
        else:
            text = str(code)
    elif lang == "en":
        text = str(code).replace("_", " ") if kind == "clock" else str(code)
    else:
        text = workflow.term_label(kind, str(code), lang)
    return _article(text) if with_article and lang == "en" else text


TERM_KINDS = frozenset(
    {"status", "role", "action", "clock", "field", "word", "event", "link", "state", "label", "day"}
)
_WEEKDAYS_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_WEEKDAYS_ZH = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")


class _Formatter(string.Formatter):
    def __init__(self, lang: str) -> None:
        super().__init__()
        self.lang = lang

    def format_field(self, value: Any, format_spec: str) -> str:
        kind = format_spec.removeprefix("a_")
        if isinstance(value, list | tuple):
            return join([self.format_field(item, format_spec) for item in value], self.lang)
        if kind in TERM_KINDS:
            return term(format_spec, value, self.lang)
        if isinstance(value, Message):
            return value.text(self.lang)
        if isinstance(value, Mapping) and "key" in value:
            return Message.from_dict(value).text(self.lang)
        return super().format_field(value, format_spec)


def duration(minutes: float | None, lang: str) -> str:
    """How long, compactly, for tables and countdowns: `2h13m`, `45m`, `3d04h`, `-35m` once
    passed (Chinese `2时13分`, `45分`, `3天04时`). Time left rounds down and time overdue rounds
    up, so a clock never shows 0m left nor -0m overdue."""
    if minutes is None:
        return ""
    sign = "-" if minutes < 0 else ""
    total = math.ceil(-minutes) if minutes < 0 else math.floor(minutes)
    days, rest = divmod(total, 24 * 60)
    hours, mins = divmod(rest, 60)
    d, h, m = ("天", "时", "分") if normal_lang(lang) == "zh" else ("d", "h", "m")
    if days:
        return f"{sign}{days}{d}{hours:02d}{h}"
    if hours:
        return f"{sign}{hours}{h}{mins:02d}{m}"
    return f"{sign}{mins}{m}"
