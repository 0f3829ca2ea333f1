"""CorrectContactForm: correct who the customer is — name, phone, e-mail, order — with a reason.

The same rule as `kefu case set` (`intake.correct_contact`): canonical forms, before -> after
in one `update` event, the customer record and repeat links follow. The form writes itself, so
a refusal (a bad number, no reason, a concurrent change) keeps everything typed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from textual import work
from textual.message import Message

from kefu.core import db as kdb
from kefu.core import intake
from kefu.core.errors import KefuError

from ..forms import FieldSpec
from ..i18n import word
from .form import FormScreen

if TYPE_CHECKING:
    from kefu.core.views import CaseDetail

    from ..app import KefuApp

CONTACT_FIELDS = (
    ("customer_name", "Customer name"),
    ("customer_phone", "Phone"),
    ("customer_email", "E-mail"),
    ("order_no", "Order"),
)


class CorrectContactForm(FormScreen):
    """Dismissed with the case code once corrected (None when cancelled)."""

    @dataclass
    class Saved(Message):
        done: bool
        error: KefuError | None = None

    def __init__(self, detail: CaseDetail) -> None:
        app = cast("KefuApp", self.app)
        self.kefu = app
        self.code = detail.code
        lang = app.lang
        current = {
            "customer_name": detail.customer.name,
            "customer_phone": detail.customer.phone,
            "customer_email": detail.customer.email,
            "order_no": detail.order_no,
        }
        fields = [
            FieldSpec(name, word(label, lang), "text", False, value=current[name])
            for name, label in CONTACT_FIELDS
        ]
        fields.append(FieldSpec("note", word("Reason", lang), "longtext", True))
        super().__init__(f"{detail.code} · {word('Correct contact', lang)}", fields, lang=lang)
        self._saving = False

    def submit(self, values: dict[str, Any]) -> None:
        if self._saving:
            return
        self._saving = True
        self._save({name: values.get(name) or "" for name, _ in CONTACT_FIELDS}, values.get("note"))

    @work(thread=True, exclusive=True, group="correct-save")
    def _save(self, given: dict[str, str], note: str | None) -> None:
        app = self.kefu
        try:
            with kdb.write_session(app.engine) as session:
                intake.correct_contact(
                    session=session, code=self.code, actor=app.actor, now=app.now(), note=note, **given
                )
        except KefuError as exc:
            self.post_message(self.Saved(False, exc))
            return
        self.post_message(self.Saved(True))

    def on_correct_contact_form_saved(self, message: Saved) -> None:
        self._saving = False
        if message.error is not None:
            self.show_problem(message.error)
            return
        self.dismiss(self.code)
