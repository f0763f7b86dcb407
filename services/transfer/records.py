"""What moves in and out of Summit Watch, independent of any file format.

Every exporter produces a :class:`Bundle` from the database and every importer
parses a file into one; the writer stores a bundle. Records are keyed by what
identifies them across databases (question uid, forecaster name, source name,
and so on), never by database ids. Times are timezone-aware UTC datetimes.
Records are named tuples: a million of them must be cheap to build.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple, overload

import numpy as np
from numpy.typing import NDArray

from forecasts.errors import Refused
from forecasts.iso_columns import datetimes_of
from forecasts.rules import FORECAST_ORIGINS


class QuestionRecord(NamedTuple):
    uid: str
    title: str
    description: str
    resolution_criteria: str
    type: str  # binary | multiple_choice | numeric | date
    options: tuple[str, ...] | None
    tags: tuple[str, ...]
    created_at: datetime
    opens_at: datetime
    closes_at: datetime | None
    resolve_by: datetime | None
    watch_rule: str | None = None  # the topic rule whose events are linked to it
    options_ordered: bool = False  # multiple choice whose options are in order
    # Numeric and date questions: the unit and the range (a date question's bounds are seconds since
    # 1970-01-01 UTC, as stored), each side open or closed, and whether the axis is logarithmic.
    unit: str = ""
    range_lower: float | None = None
    range_upper: float | None = None
    lower_open: bool = False
    upper_open: bool = False
    log_scale: bool = False


class ForecasterRecord(NamedTuple):
    name: str
    kind: str  # person | crowd
    description: str
    created_at: datetime


class ForecastRecord(NamedTuple):
    question_uid: str
    forecaster: str
    made_at: datetime
    probability: float | None
    option_probabilities: tuple[float, ...] | None
    rationale: str
    origin: str  # manual | import | crowd
    recorded_at: datetime
    because: tuple[tuple[str, str], ...] = ()  # the events it cites, as (source name, dedupe key)
    quantiles: tuple[tuple[float, float], ...] | None = None  # (level, value): numeric and date questions


@dataclass(frozen=True, eq=False)
class ForecastColumns(Sequence[ForecastRecord]):
    """Many plain yes/no forecasts (no option probabilities, no citations) as columns.

    What the columnar readers produce: a million records with two datetimes each cost
    seconds and hundreds of megabytes, these arrays a few dozen. Read as a sequence it
    yields the same :class:`ForecastRecord` values, so every consumer works unchanged;
    the writer stores the columns as they are.
    """

    question_uids: tuple[str, ...]  # by code
    forecasters: tuple[str, ...]  # by code
    question: NDArray[np.int32]  # per row, a code into question_uids
    forecaster: NDArray[np.int32]
    made_at: NDArray[np.int64]  # microseconds since 1970-01-01 UTC
    probability: NDArray[np.float64]
    rationale: list[str]
    origin: NDArray[np.int8]  # a code into forecasts.rules.FORECAST_ORIGINS, as the database keeps it
    recorded_at: NDArray[np.int64]

    def __len__(self) -> int:
        return int(self.question.size)

    def _records(self, rows: slice) -> list[ForecastRecord]:
        return [
            ForecastRecord(uid, name, made, p, None, why, origin, recorded)
            for uid, name, made, p, why, origin, recorded in zip(
                np.asarray(self.question_uids, dtype=object)[self.question[rows]].tolist(),
                np.asarray(self.forecasters, dtype=object)[self.forecaster[rows]].tolist(),
                datetimes_of(self.made_at[rows]),
                self.probability[rows].tolist(),
                self.rationale[rows],
                np.asarray(FORECAST_ORIGINS, dtype=object)[self.origin[rows]].tolist(),
                datetimes_of(self.recorded_at[rows]),
                strict=True,
            )
        ]

    @overload
    def __getitem__(self, index: int) -> ForecastRecord: ...
    @overload
    def __getitem__(self, index: slice) -> list[ForecastRecord]: ...
    def __getitem__(self, index: int | slice) -> ForecastRecord | list[ForecastRecord]:
        if isinstance(index, slice):
            return self._records(index)
        position = range(len(self))[index]  # negative positions and IndexError, as a list's
        return self._records(slice(position, position + 1))[0]

    def __iter__(self) -> Iterator[ForecastRecord]:
        for start in range(0, len(self), 50_000):
            yield from self._records(slice(start, start + 50_000))

    def __eq__(self, other: object) -> bool:
        """Equal to any sequence of the same records (a list from the row reader, say)."""
        if not isinstance(other, Sequence):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]  # mutable arrays inside: never a dict key


class ResolutionRecord(NamedTuple):
    question_uid: str
    outcome: str  # yes | no | option | value | annulled | unresolved
    option: str | None
    resolved_at: datetime | None
    recorded_at: datetime
    note: str
    source: str
    value: float | None = None  # a numeric or date question's outcome (a date in seconds since 1970)


class SourceRecord(NamedTuple):
    name: str
    kind: str
    url: str | None
    settings: dict[str, Any]
    every_seconds: int | None
    enabled: bool
    match_rule: str | None
    created_at: datetime


class EventRecord(NamedTuple):
    source: str
    dedupe_key: str
    occurred_at: datetime
    occurred_at_estimated: bool
    title: str
    summary: str
    url: str | None
    content_hash: str | None
    tags: tuple[str, ...]
    questions: tuple[str, ...]  # uids of the linked questions
    created_at: datetime
    updated_at: datetime
    link_origins: tuple[str, ...] = ()  # why each of ``questions`` is linked; empty: "source" for all
    unlinked: tuple[str, ...] = ()  # uids of questions a person unlinked it from
    # The forecasts citing it, as (question uid, forecaster, made at): the events CSV carries them
    # too, so citations survive whichever of the two CSV files is imported first.
    cited_by: tuple[tuple[str, str, datetime], ...] = ()


@dataclass
class Bundle:
    forecasters: list[ForecasterRecord] = field(default_factory=list)
    questions: list[QuestionRecord] = field(default_factory=list)
    forecasts: Sequence[ForecastRecord] = field(default_factory=list)  # a list, or ForecastColumns
    resolutions: list[ResolutionRecord] = field(default_factory=list)  # in the order they were recorded
    sources: list[SourceRecord] = field(default_factory=list)
    events: list[EventRecord] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {name: len(getattr(self, name)) for name in self.__dataclass_fields__}


@dataclass(frozen=True)
class RowError:
    """One row that could not be read: its line in a CSV (the header is line 1), or its
    position in a JSON list (``unit`` says which)."""

    line: int
    field: str
    reason: str
    unit: str = "line"

    def __str__(self) -> str:
        return f"{self.unit} {self.line}: {self.field}: {self.reason}"


class ImportRefused(Refused):
    """The file as a whole cannot be imported (unknown format, missing columns); nothing was written."""


class MappingNeeded(ImportRefused):
    """A CSV that is none of the layouts we know, or a mapping that lacks a field: the user must say
    which of ``columns`` holds what. Each front end says how (a flag, a form)."""

    def __init__(self, message: str, columns: list[str]) -> None:
        super().__init__(message)
        self.columns = columns


@dataclass
class Parsed:
    """A file read into a bundle, with the rows that could not be read, and notes on how it was read."""

    format: str
    bundle: Bundle
    errors: list[RowError] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
