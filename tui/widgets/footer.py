"""KefuFooter: Textual's footer with key descriptions in the UI language."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from ..i18n import word

TEXTUAL_KEYS = ("palette",)
"""Descriptions Textual gives its own footer keys (ctrl+p), translated like kefu's."""


class KefuFooter(Footer):
    """Bindings are declared in English; the footer shows them in the app's language."""

    def compose(self) -> ComposeResult:
        lang = getattr(self.app, "lang", "en")
        for widget in super().compose():
            if isinstance(widget, FooterKey):
                widget.description = word(widget.description, lang)
            yield widget
