"""HelpScreen: the keys of the screen underneath and of the whole app, in the UI language."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from rich.cells import cell_len
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from ..i18n import word

EXTRA_KEYS: dict[str, list[tuple[str, str]]] = {
    "QueueScreen": [("enter", "Open")],
    "SearchScreen": [("enter", "Open")],
}

if TYPE_CHECKING:
    from ..app import KefuApp


def queue_keys(underneath: Screen[Any], lang: str) -> list[tuple[str, str]]:
    """The number keys of the queue tabs this user actually has (1 … n), each with its tab."""
    tabs = getattr(underneath, "queue_list", None) or []
    return [(str(number), tab.text(lang)) for number, tab in enumerate(tabs, start=1)]


class HelpScreen(ModalScreen[None]):
    CSS_PATH = "help.tcss"
    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("f1", "close", "Close", show=False),
        Binding("question_mark", "close", "Close", show=False),
        Binding("q", "close", "Close", show=False),
    ]

    def __init__(self, underneath: Screen[Any]) -> None:
        super().__init__()
        self.underneath = underneath

    def compose(self) -> ComposeResult:
        app = cast("KefuApp", self.app)
        lang = app.lang
        with Vertical(id="help-dialog"):
            yield Static(Text(word("Help", lang) + " · kefu", style="bold"), id="help-title")
            with VerticalScroll(id="help-body"):
                yield Static(self._body(lang))
            yield Static(Text("esc " + word("Close", lang), style="dim"), id="help-hint")

    def _body(self, lang: str) -> Text:
        text = Text()
        text.append(word("Queues are tabs; Enter opens a case; the footer lists the keys.", lang))
        text.append("\n")
        text.append(
            word("Dimmed actions exist in this state but not for you; press one to hear why.", lang),
            style="dim",
        )
        everywhere = self._keys(type(self.app).BINDINGS)
        everywhere += [("ctrl+p", "Command palette"), ("ctrl+q", "Quit")]
        sections = [
            (word("Keys on this screen", lang), self._keys(type(self.underneath).BINDINGS)),
            (word("Everywhere", lang), everywhere),
        ]
        extra = queue_keys(self.underneath, lang)
        extra += EXTRA_KEYS.get(type(self.underneath).__name__, [])
        sections[0][1].extend(extra)
        for title, keys in sections:
            text.append(f"\n\n{title}\n", style="bold")
            width = max((cell_len(k) for k, _ in keys), default=0)
            for key, description in keys:
                text.append(f"  {key}" + " " * (width - cell_len(key)) + "  ", style="bold")
                text.append(word(description, lang) + "\n")
        return text

    @staticmethod
    def _keys(bindings: list[Any]) -> list[tuple[str, str]]:
        seen: set[str] = set()
        keys: list[tuple[str, str]] = []
        for binding in bindings:
            if not isinstance(binding, Binding) or not binding.description:
                continue
            if binding.action.startswith("refused") or binding.action in seen:
                continue
            seen.add(binding.action)
            display = binding.key_display or binding.key.replace("_", " ")
            keys.append((display, binding.description))
        return keys

    def action_close(self) -> None:
        self.dismiss(None)
