"""ActionForm: the form for one lifecycle action, asking for the fields its transition names."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kefu.core.policy import Profile
from kefu.core.workflow import Transition, action_label

from ..forms import transition_checker, transition_fields
from .form import FormScreen


class ActionForm(FormScreen):
    """Returns the fields for `move_case` (or None when cancelled)."""

    CSS_PATH = ["form.tcss", "action_form.tcss"]

    def __init__(
        self,
        transition: Transition,
        *,
        code: str,
        profile: Profile,
        lang: str,
        users: list[tuple[str, str, str]],
        current: Mapping[str, Any],
        intro: str | None = None,
    ) -> None:
        self.action = transition.action
        super().__init__(
            f"{code} · {action_label(transition.action, lang)}",
            transition_fields(transition, profile=profile, lang=lang, users=users, current=current),
            lang=lang,
            checker=transition_checker(transition, profile, code),
            save_label=action_label(transition.action, "en"),
            intro=intro,
        )
