"""The message catalog (kefu.core.catalog): every key in both languages with the same
placeholders, every key used by the code, every message renders, and nothing the core raises
is a bare string."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest

from kefu.core import catalog
from kefu.core.errors import InvalidInput, KefuError
from kefu.core.messages import Message, duration, term, tr, word

ROOT = Path(__file__).resolve().parents[1]
SOURCES = [ROOT / "cli.py", *sorted((ROOT / "core").rglob("*.py")), *sorted((ROOT / "tui").rglob("*.py"))]
CODE = "\n".join(p.read_text(encoding="utf-8") for p in SOURCES if "catalog" not in p.parts)
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")


NAMES = "|".join(
    [
        r"`[^`]*`",  # a command to type
        r"\bkefu( [a-z]+)*\b",  # kefu and its commands
        r"--[a-z-]+( [A-Za-z0-9._=/-]+)?",  # an option and its value
        r"\S*[._/=\[\]]\S*",  # files, zones, keys, tables: .xlsx, Asia/Shanghai, [sla.P1], a=b
        r"\b[a-z]+(_[a-z]+)+\b",  # configuration keys and codes: extra_holidays
        r"\b[A-Z][A-Za-z0-9-]*\b",  # names of programs, formats and codes: SQLite, Excel, UTF-16
        r"\b(chinesecalendar|defusedxml|pg_dump|agent)\b",  # what is written in lower case
    ]
)
"""What Chinese text may write in Latin letters."""


def _fields(template: str) -> set[str]:
    return {name.split(".")[0].split("[")[0] for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("key", sorted(catalog.MESSAGES))
def test_each_message_has_both_languages_and_the_same_placeholders(key: str) -> None:
    en, zh = catalog.MESSAGES[key]
    assert en.strip() and zh.strip(), key
    assert _fields(en) == _fields(zh), f"{key}: {_fields(en)} vs {_fields(zh)}"
    text_only = re.sub(r"\{[^}]*\}", "", zh)
    if re.search(r"[A-Za-z]{3,}", re.sub(NAMES, "", text_only)):
        # Chinese text may name kefu and its commands, options with their values, files,
        # configuration keys, codes and other programs; not English words.
        pytest.fail(f"{key}: English words in the Chinese text: {zh!r}")
    if re.sub(r"[\s{}:：，、。；（）()「」.,;!?/\-—…*%+=0-9a-z_]", "", text_only):
        assert CJK.search(zh), f"{key}: the Chinese text has no Chinese: {zh!r}"


@pytest.mark.parametrize("key", sorted(catalog.MESSAGES))
def test_each_message_is_used_by_the_code(key: str) -> None:
    """A key nobody raises or shows is dead text (keys are written as string literals)."""
    assert f'"{key}"' in CODE or f"'{key}'" in CODE or _legacy(key), f"{key} is used nowhere"


def _legacy(key: str) -> bool:
    migrations = ROOT / "core" / "migrations" / "versions"
    return any(f'"{key}"' in p.read_text(encoding="utf-8") for p in migrations.glob("*.py"))


@pytest.mark.parametrize("word_en", sorted(catalog.WORDS))
def test_each_word_has_a_chinese_and_is_used(word_en: str) -> None:
    zh = catalog.WORDS[word_en]
    assert zh.strip() and zh != word_en or not re.search("[A-Za-z]", word_en), word_en
    quoted = [f'"{word_en}"', f"'{word_en}'"]
    assert any(q in CODE for q in quoted), f"word {word_en!r} is used nowhere"


def test_an_unknown_key_fails_at_once() -> None:
    with pytest.raises(KeyError, match="not in the catalog"):
        Message("no.such.key")


def test_terms_render_codes_in_english_and_labels_in_chinese() -> None:
    assert term("status", "in_progress", "en") == "in_progress"
    assert term("status", "in_progress", "zh") == "处理中"
    assert term("a_role", "admin", "en") == "an admin"
    assert term("a_role", "agent", "en") == "an agent"
    assert term("role", "admin", "zh") == "管理员"
    assert term("clock", "first_response", "en") == "first response"
    assert term("clock", "first_response", "zh") == "首次响应"
    assert term("label", {"code": "apology", "en": "Apology", "zh": "致歉"}, "zh") == "致歉"
    message = Message(
        "refusal.role", role="agent", action="claim", status="escalated", roles=["handler", "supervisor"]
    )
    assert (
        message.text("en") == "an agent may not claim an escalated case (roles allowed: handler, supervisor)"
    )
    assert (
        message.text("zh")
        == "售后客服专员无权对「升级处理」的工单执行「认领」（可执行的角色：处理跟进小组、上级主管）"
    )
    assert message.text("zh_CN.UTF-8") == message.text("zh")


def test_nested_messages_survive_storage() -> None:
    inner = Message("refusal.owner_only", owner="bob", action="wait")
    outer = Message("case.refused", code="T-1", reason=inner)
    again = Message.from_dict(outer.as_dict())
    assert again.text("zh") == outer.text("zh") == "T-1：只有负责人（bob）或主管可以对此工单执行「等待客户」"


def test_durations_in_both_languages() -> None:
    assert [duration(m, "en") for m in (133, 45, 4560, -35, 0.5)] == ["2h13m", "45m", "3d04h", "-35m", "0m"]
    assert [duration(m, "zh") for m in (133, 45, 4560, -35)] == ["2时13分", "45分", "3天04时", "-35分"]


def test_words_fall_back_to_english() -> None:
    assert word("Claim", "en") == "Claim"
    assert word("Something new", "zh") == "Something new"
    assert tr("{n} found", "en", n=3) == "3 found"


def test_errors_carry_messages_and_name_their_field() -> None:
    error = InvalidInput(Message("field.required", field="channel"), field="channel")
    assert (error.message, error.text("zh"), error.field) == ("channel is required", "请填写渠道", "channel")


ERRORS = {
    "KefuError",
    "NotFound",
    "Refused",
    "PermissionDenied",
    "Conflict",
    "InvalidInput",
    "PolicyError",
    "DatabaseError",
}


def test_nothing_raises_a_bare_string() -> None:
    """Every expected error the core and the interfaces raise is built from a catalog message."""
    offenders = []
    for path in SOURCES:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not (
                isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ERRORS
            ):
                continue
            first = node.args[0] if node.args else None
            if isinstance(first, ast.Constant | ast.JoinedStr | ast.BinOp):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []


def test_a_bare_string_is_refused() -> None:
    with pytest.raises(TypeError):
        KefuError("plain text")  # type: ignore[arg-type]
