"""The storage layer's errors, in the same family as every input error: a row that breaks a rule, a
store that failed, a database that is not ours."""

from __future__ import annotations

import errno
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import DBAPIError

from forecasts.errors import Invalid, Refused


class InvalidRow(Invalid):
    """A row breaks a data rule; ``table`` and ``field`` say where, ``message`` what is allowed."""

    def __init__(self, table: str, field: str, message: str, *, value: object = None) -> None:
        super().__init__(field, message, value=value)
        self.table = table

    def __str__(self) -> str:
        return f"{self.table}.{self.field}: {self.message}"

    @classmethod
    def from_invalid(cls, table: str, error: Invalid) -> InvalidRow:
        return cls(table, error.field, error.message, value=error.value)


class StorageFailed(Refused):
    """The storage itself failed (a read-only file, a full disk, a damaged file); the transaction
    was rolled back, so nothing was changed. The message says which and what to do."""


class NotOurDatabase(Refused):
    """``--db`` names something Summit Watch must not write to: another application's database,
    a file that is not SQLite, or a schema newer than this code knows. Nothing was changed."""


# What SQLite (and PostgreSQL) say, and what it means for the person.
_STORAGE_FAILURES = (
    (
        ("readonly database", "read-only", "read only"),
        "is read-only: nothing was changed; use a copy you can write to",
    ),
    (
        ("disk is full", "no space left", "disk full"),
        "has no space left: nothing was changed; free some space and try again",
    ),
    (
        ("malformed", "not a database", "disk i/o error", "file is encrypted"),
        "is damaged or not a database: nothing was changed; restore a backup (`restore`)",
    ),
)


def storage_failure(error: BaseException, where: str) -> StorageFailed | None:
    """The failure as one line naming ``where``, or None for an error that is not the storage's."""
    text = str(getattr(error, "orig", None) or error).lower()
    if isinstance(error, OSError) and error.errno == errno.ENOSPC:
        text = "disk is full"
    for signs, meaning in _STORAGE_FAILURES:
        if any(sign in text for sign in signs):
            return StorageFailed(f"the database {where} {meaning}")
    return None


@contextmanager
def storage_failures(where: str) -> Iterator[None]:
    """Inside, a read-only file, a full disk or a damaged file becomes one StorageFailed line
    naming ``where``; any other error passes through unchanged."""
    try:
        yield
    except (DBAPIError, OSError) as error:
        failure = storage_failure(error, where)
        if failure is None:
            raise
        raise failure from error
