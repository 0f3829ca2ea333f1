"""The catalog: every sentence and interface word kefu shows, in English and Chinese.

`MESSAGES` maps a key to its (English, Chinese) templates; `WORDS` maps a short interface word
(a heading, a button, a column) in English to its Chinese. Each area keeps its entries in its
own module here; this package merges them and refuses a key defined twice. Render through
`kefu.core.messages` (`Message(key, **params).text(lang)`, `word(text, lang)`).
tests/test_catalog.py fails on a key without both languages, a placeholder one language lacks,
or a key nothing uses.
"""

from __future__ import annotations

from . import cli, importing, lifecycle, reports, store, ui

AREAS = (lifecycle, store, reports, importing, cli, ui)


def _messages() -> dict[str, tuple[str, str]]:
    merged: dict[str, tuple[str, str]] = {}
    for area in AREAS:
        for key, value in area.MESSAGES.items():
            if key in merged:
                raise RuntimeError(f"message {key!r} is defined twice ({area.__name__})")
            merged[key] = value
    return merged


def _words() -> dict[str, str]:
    merged: dict[str, str] = {}
    for area in AREAS:
        for key, value in area.WORDS.items():
            if key in merged:
                raise RuntimeError(f"word {key!r} is defined twice ({area.__name__})")
            merged[key] = value
    return merged


MESSAGES = _messages()
WORDS = _words()
