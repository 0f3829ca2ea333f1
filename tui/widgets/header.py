"""KefuHeader: Textual's header with kefu's icon and no clock (the footer has the keys)."""

from __future__ import annotations

from typing import Any

from textual.widgets import Header

from kefu.core.catalog.ui import ICON


class KefuHeader(Header):
    """The title bar every screen shows: `kefu · <the profile's title>` and who is signed in."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("show_clock", False)
        kwargs.setdefault("icon", ICON)
        super().__init__(**kwargs)
