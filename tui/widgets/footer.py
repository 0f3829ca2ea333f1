"""KefuFooter: Textual's footer with key descriptions in the UI language, redrawn only when
what it shows changed, and without the footer's leak.

Textual's `Footer` recomposes whenever a screen's bindings are refreshed, which kefu's screens
ask for on every page load and highlighted row (a key may apply to one case and not another):
some 17 widgets made, styled and laid out each time, most often to show the same keys again.
`bindings_changed` recomposes only when the keys shown, their state or the language changed.

Each new `FooterKey` is bound to the footer's `compact` reactive with `data_bind`; the binding
is a watcher kept on the footer and dropped only when `compact` itself changes, which it never
does here, so every recompose left its keys alive (some 1.3 GB over an agent's day).
`compose` drops the watchers of keys already removed first.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from ..i18n import word

TEXTUAL_KEYS = ("palette",)
"""Descriptions Textual gives its own footer keys (ctrl+p), translated like kefu's."""


class KefuFooter(Footer):
    """Bindings are declared in English; the footer shows them in the app's language."""

    _shown: object = None

    def compose(self) -> ComposeResult:
        self._forget_removed_keys()
        lang = getattr(self.app, "lang", "en")
        if self._bindings_ready:
            self._shown = self._what_to_show(self.screen)
        for widget in super().compose():
            if isinstance(widget, FooterKey):
                widget.description = word(widget.description, lang)
            yield widget

    def bindings_changed(self, screen: Screen[object]) -> None:
        if self._bindings_ready and self.is_attached and screen is self.screen:
            if self._what_to_show(screen) == self._shown:
                return  # the same keys in the same state: nothing to redraw
        super().bindings_changed(screen)

    def _what_to_show(self, screen: Screen[object]) -> object:
        """Everything `compose` draws from: the keys shown, enabled or not, and the language."""
        keys = tuple(
            (key, binding.action, binding.description, binding.key_display, binding.group, enabled, tooltip)
            for key, (_, binding, enabled, tooltip) in screen.active_bindings.items()
            if binding.show or key == self.app.COMMAND_PALETTE_BINDING
        )
        return (getattr(self.app, "lang", "en"), self.compact, keys)

    def _forget_removed_keys(self) -> None:
        """Drop the `data_bind` watchers of keys an earlier compose made and recompose removed
        (Textual would drop them only when `compact` changes)."""
        watchers: dict[str, list[tuple[object, object]]] = getattr(self, "__watchers", {})
        for name, found in watchers.items():
            watchers[name] = [
                (node, callback)
                for node, callback in found
                if not isinstance(node, FooterKey) or (node.parent is self and not node._closing)
            ]
