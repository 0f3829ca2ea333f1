"""FilterScreen: narrow the current queue by severity, channel or category."""

from __future__ import annotations

from typing import Any

from kefu.core.policy import Profile
from kefu.core.queues import QueueFilter

from ..forms import FieldSpec, vocabulary_options
from ..i18n import word
from .form import FormScreen


class FilterScreen(FormScreen):
    """Returns a `QueueFilter` (all blank: no filter), or None when cancelled."""

    CSS_PATH = ["form.tcss", "filter.tcss"]

    def __init__(self, current: QueueFilter, *, profile: Profile, lang: str) -> None:
        def spec(name: str, label: str, kind: str, value: str | None) -> FieldSpec:
            return FieldSpec(
                name, word(label, lang), "select", False, vocabulary_options(profile, kind, lang), value
            )

        super().__init__(
            word("Filter queue", lang),
            [
                spec("severity", "Severity", "severities", current.severity),
                spec("channel", "Channel", "channels", current.channel),
                spec("category", "Category", "taxonomy", current.category),
            ],
            lang=lang,
            save_label="Filter",
        )

    def submit(self, values: dict[str, Any]) -> None:
        self.dismiss(
            QueueFilter(
                severity=values.get("severity"),
                channel=values.get("channel"),
                category=values.get("category"),
            )
        )
