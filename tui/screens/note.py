"""NoteForm: an internal note on a case (not a customer contact)."""

from __future__ import annotations

from ..forms import FieldSpec
from ..i18n import word
from .form import FormScreen


class NoteForm(FormScreen):
    """Returns {text} for `add_note`."""

    CSS_PATH = ["form.tcss", "note.tcss"]

    def __init__(self, *, code: str, lang: str) -> None:
        super().__init__(
            f"{code} · {word('Note', lang)}",
            [FieldSpec("text", word("Text", lang), "longtext", True)],
            lang=lang,
        )
