"""The errors kefu expects: each carries one catalog message a user can act on.

The CLI and the TUI catch `KefuError` and show `text(lang)` in their user's language; anything
else is a bug. `exit_code` follows the CLI contract (2 = bad usage or bad input, 3 = the
database cannot be used). `field` names the input field the problem is about, when there is
one, so a form can put the cursor there and an import can name the column.
"""

from __future__ import annotations

import errno

from .messages import Message


def os_reason(exc: OSError) -> Message | str:
    """Why the system refused, as a user reads it: a full disk said so in their language,
    anything else in the system's own words."""
    return Message("disk.full") if exc.errno == errno.ENOSPC else exc.strerror or str(exc)


class KefuError(Exception):
    """An expected failure with a message meant for the user."""

    exit_code = 2

    def __init__(self, message: Message, *, field: str | None = None) -> None:
        if not isinstance(message, Message):
            raise TypeError(f"{type(self).__name__} takes a catalog Message, not {message!r}")
        super().__init__(message.text("en"))
        self.msg = message
        self.field = field

    @property
    def message(self) -> str:
        """The message in English (logs, tests); show `text(lang)` to people."""
        return self.msg.text("en")

    def text(self, lang: str) -> str:
        return self.msg.text(lang)

    def __str__(self) -> str:
        return self.message


class NotFound(KefuError):
    """A case, user or file named by the user does not exist."""


class Refused(KefuError):
    """A transition or change is not allowed (state, role or missing field)."""


class PermissionDenied(Refused):
    """The actor's role may not do this."""


class Conflict(Refused):
    """The case changed under the user (stale version, or another user won the race)."""


class InvalidInput(KefuError):
    """Bad input: a value, a file, a field."""


class PolicyError(InvalidInput):
    """A profile/policy file is malformed; the message names the file, line and reason."""


class DatabaseError(KefuError):
    """The database cannot be used as it is (wrong file, newer schema, locked too long)."""

    exit_code = 3


class CannotWrite(KefuError):
    """A file kefu writes (an export, an errors file) could not be written: a full disk, an
    I/O error. Nothing is left under its name (`exports.WholeFile`)."""

    exit_code = 3
