"""NoteForm: an internal note on a case (not a customer contact)."""

from __future__ import annotations

from ..forms import FieldSpec
from ..i18n import tr
from .form import FormScreen


class NoteForm(FormScreen):
    """Returns {text} for `add_note`."""

    CSS_PATH = ["form.tcss", "note.tcss"]

    def __init__(self, *, code: str, lang: str) -> None:
        super().__init__(
            f"{code} · {tr('Note', lang)}",
            [FieldSpec("text", tr("Text", lang), "longtext", True)],
            lang=lang,
        )
