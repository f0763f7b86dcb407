"""The storage layer's error: a row that breaks a rule, in the same family as every input error."""

from __future__ import annotations

from forecasts.errors import Invalid


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
