"""ContactForm: log a contact with the customer, offering the policy's standard phrases.

Picking a phrase (apology, restating the complaint, ...) fills the text with it in the UI
language, which the agent may then edit; the phrase code is recorded with the contact.
"""

from __future__ import annotations

from kefu.core.errors import InvalidInput
from kefu.core.messages import Message
from kefu.core.policy import Profile

from ..forms import contact_fields
from ..i18n import word
from .form import FormScreen


class ContactForm(FormScreen):
    """Returns {contact, phrase?, text?} for `add_note(contact=...)`."""

    CSS_PATH = ["form.tcss", "contact.tcss"]

    def __init__(self, *, code: str, profile: Profile, lang: str) -> None:
        self.profile = profile
        self._filled: str | None = None
        super().__init__(
            f"{code} · {word('Log contact', lang)}",
            contact_fields(profile, lang),
            lang=lang,
            checker=self._check,
            save_label="Log contact",
        )

    def field_changed(self, name: str, value: str | None) -> None:
        if name != "phrase" or not value or value not in self.profile.phrases:
            return
        text = self.profile.phrases[value].text(self.lang)
        current = self.value_of("text")
        if current in (None, self._filled):  # never overwrite what the agent wrote
            self.set_value("text", text)
            self._filled = text

    def _check(self, values: dict[str, object]) -> None:
        """A contact needs something said: the text, or a phrase (whose text the core records
        when the text is left empty); refused with the core's own message."""
        if not values.get("text") and not values.get("phrase"):
            raise InvalidInput(Message("note.empty"), field="text")
