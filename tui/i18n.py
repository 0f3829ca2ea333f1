"""The TUI's words, all from the core: nothing is translated here.

Interface words and sentences are catalog entries (`kefu.core.catalog.ui`: `WORDS` keyed by
their English, `MESSAGES` for anything with a value in it); stored codes (statuses, actions,
fields, deadline states, ...) are shown with `kefu.core.workflow`'s labels. The one thing this
module adds to `kefu.core.messages.word` is that a lifecycle action named by its English label
(a binding's description, "Claim") is shown with the transition table's label.
"""

from __future__ import annotations

from kefu.core.messages import word as catalog_word
from kefu.core.workflow import PEOPLE_TRANSITIONS, action_label

_ACTIONS: dict[str, str] = {t.label[0]: t.action for t in PEOPLE_TRANSITIONS}
"""English action label -> action (from the transition table)."""


def word(text: str, lang: str) -> str:
    """An interface word in `lang`: an action's label from the transition table, any other
    word from the catalog (English when it has no entry)."""
    action = _ACTIONS.get(text)
    return action_label(action, lang) if action is not None else catalog_word(text, lang)
