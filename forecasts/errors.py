"""The errors a person may see, as data: each front end words them for its own controls.

Library code says *what* is wrong and what is allowed, never how to fix it in one
particular front end: the CLI turns ``field="question"`` into ``--question``, a
page puts the message under its "Question" picker. So messages here name the
input (``field``), the offending value and what would be accepted, and stop there.
"""

from __future__ import annotations

from collections.abc import Sequence


class SummitWatchError(Exception):
    """Base of every error meant for a person rather than a traceback."""

    message: str

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Invalid(SummitWatchError, ValueError):
    """An input breaks a rule.

    ``field`` names the input (``probability``, ``closes_at``, ``settings.market``),
    ``message`` says what is wrong and what is allowed, ``value`` is what was given
    and ``allowed`` a short description of what would be accepted, when one helps.
    """

    def __init__(self, field: str, message: str, *, value: object = None, allowed: str | None = None) -> None:
        super().__init__(message)
        self.field = field
        self.value = value
        self.allowed = allowed

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class NotFound(SummitWatchError, LookupError):
    """A question, source or other record that does not exist; ``known`` lists some that do."""

    def __init__(self, kind: str, key: object, *, known: Sequence[str] = ()) -> None:
        shown = f"with id {key}" if isinstance(key, int) else f"called {key!r}"
        text = f"no {kind} {shown}"
        if known:
            text += f"; there are: {', '.join(known)}"
        super().__init__(text)
        self.kind = kind
        self.key = key
        self.known = tuple(known)


class Refused(SummitWatchError):
    """A whole operation cannot go ahead (an unreadable file, a restore over data, a second
    worker); nothing was changed. The message says why."""
