"""Errors of the forecasting domain, worded so a person knows what to change."""

from __future__ import annotations


class ValidationError(ValueError):
    """Input that breaks a rule: ``field`` names where, ``message`` says what is allowed."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


class NotFoundError(LookupError):
    """A question, forecaster or resolution that does not exist."""
