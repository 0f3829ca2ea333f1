"""The errors kefu expects: each carries one sentence a user can act on.

The CLI and the TUI catch `KefuError` and show its message; anything else is a bug and may
show a traceback. `exit_code` follows the CLI contract (2 = bad usage or bad input).
"""

from __future__ import annotations


class KefuError(Exception):
    """An expected failure with a message meant for the user."""

    exit_code = 2

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

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
