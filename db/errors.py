"""Errors the storage layer raises; the CLI and dashboard word them for people."""

from __future__ import annotations


class InvalidRow(ValueError):
    """A row breaks a data rule; ``table`` and ``field`` say where, ``message`` what is allowed."""

    def __init__(self, table: str, field: str, message: str) -> None:
        self.table = table
        self.field = field
        self.message = message
        super().__init__(f"{table}.{field}: {message}")
