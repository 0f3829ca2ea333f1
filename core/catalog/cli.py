"""Catalog entries: cli (see kefu.core.catalog)."""

MESSAGES: dict[str, tuple[str, str]] = {}
WORDS: dict[str, str] = {}
