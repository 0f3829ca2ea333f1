"""KefuFooter: Textual's footer with key descriptions in the UI language."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from ..i18n import tr


class KefuFooter(Footer):
    """Bindings are declared in English; the footer shows them in the app's language."""

    def compose(self) -> ComposeResult:
        lang = getattr(self.app, "lang", "en")
        for widget in super().compose():
            if isinstance(widget, FooterKey):
                widget.description = tr(widget.description, lang)
            yield widget
