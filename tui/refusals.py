"""Refusals from the transition table, said in the UI language.

`core.workflow.refusal` explains in English why a role may not take an action; the TUI asks
it whether there is a refusal at all and, in Chinese, builds the sentence itself from the
same inputs (the case's state, the role, the roles the table allows), with the table's own
bilingual labels for actions, statuses and roles.
"""

from __future__ import annotations

from collections.abc import Iterable

from kefu.core.workflow import (
    ROLE_LABELS,
    SUPERVISING,
    Role,
    action_label,
    find_transition,
    refusal,
    status_label,
    transitions_for,
)


def role_label(role: str, lang: str) -> str:
    try:
        en, zh = ROLE_LABELS[Role(role)]
    except ValueError:
        return role
    return zh if lang == "zh" else en


def _roles(roles: Iterable[str], lang: str) -> str:
    return "、".join(role_label(r, lang) for r in sorted(roles))


def refusal_text(
    action: str, status: str, role: str, *, is_owner: bool, owner: str | None, lang: str
) -> str | None:
    """Why `role` may not take `action` on a case in `status` (None when it may)."""
    reason = refusal(action, status, role, is_owner=is_owner, owner=owner)
    if reason is None or lang != "zh" or not transitions_for(action):
        return reason
    verb = action_label(action, lang)
    transition = find_transition(action, status)
    if transition is None:
        sources = sorted({s.value for t in transitions_for(action) for s in t.sources})
        allowed = "、".join(status_label(s, lang) for s in sources)
        owned = f"（负责人 {owner}）" if owner else ""
        return (
            f"无法{verb}：工单当前为「{status_label(status, lang)}」{owned}"
            f"（仅可从 {allowed} {verb}）"
        )
    if not transition.allows_role(role):
        return (
            f"{role_label(role, lang)}无权{verb}「{status_label(status, lang)}」的工单"
            f"（可{verb}的角色：{_roles(transition.roles, lang)}）"
        )
    if transition.owner_only and role not in SUPERVISING:
        return f"只有负责人（{owner or '无'}）或主管可以{verb}此工单"
    return reason


def writing_refusal(role: str, allowed: Iterable[str], lang: str) -> str:
    """A role that may not add notes or contacts to cases."""
    roles = list(allowed)
    if lang == "zh":
        return f"{role_label(role, lang)}无权在工单上记录（允许的角色：{_roles(roles, lang)}）"
    return f"a {role} may not write on cases (roles allowed: {', '.join(sorted(roles))})"
