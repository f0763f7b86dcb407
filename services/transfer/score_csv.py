"""Read a CSV of forecasts for ``python -m tracker score``: good rows in, bad rows named.

Columns: ``question_id, forecaster, made_at, probability, outcome`` and
optionally ``opens_at, closes_at, resolved_at``. ``outcome`` is 1 or 0 (also
yes/no, true/false); blank means unresolved and the row is left out, not
reported as an error. Times are ISO-8601; a time without a zone is UTC.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from forecasts.errors import Invalid, Refused
from forecasts.rules import check_probability
from forecasts.scoring.scorecard import ForecastTable
from services.transfer.cells import parse_time

REQUIRED = ("question_id", "forecaster", "made_at", "probability", "outcome")
OPTIONAL = ("opens_at", "closes_at", "resolved_at")
_OUTCOMES = {"1": 1.0, "0": 0.0, "yes": 1.0, "no": 0.0, "true": 1.0, "false": 0.0}


@dataclass(frozen=True)
class SkippedRow:
    line: int
    reason: str


class ScoreFileError(Refused):
    """The file as a whole cannot be scored (missing columns, no resolved rows); ``skipped`` lists
    the rows already found bad."""

    def __init__(self, message: str, skipped: list[SkippedRow] | None = None) -> None:
        super().__init__(message)
        self.skipped = list(skipped or [])


@dataclass
class ScoreFile:
    table: ForecastTable
    skipped: list[SkippedRow] = field(default_factory=list)
    n_unresolved: int = 0


def _timestamp(text: str, column: str) -> float:
    try:
        return parse_time(text).timestamp()  # the importers' reading: ISO 8601, UTC when no zone
    except Invalid:
        raise ValueError(f"{column} {text!r} is not an ISO-8601 time (e.g. 2016-12-15T06:00:00Z)") from None


def _probability(text: str) -> float:
    raw = text.strip()
    percent = raw.endswith("%")
    try:
        value = float(raw.rstrip("%").strip()) / (100 if percent else 1)
    except ValueError:
        raise ValueError(f"probability {text!r} is not a number (write 0.7 or 70%)") from None
    try:
        return check_probability(value, shown=text)
    except Invalid as error:
        raise ValueError(f"probability {error.message} (write 0.7 or 70%)") from None


def read_score_file(path: Path) -> ScoreFile:
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        columns = [c.strip() for c in reader.fieldnames or []]
        missing = [c for c in REQUIRED if c not in columns]
        if missing:
            raise ScoreFileError(
                f"{path}: missing column(s) {', '.join(missing)}; found {', '.join(columns) or 'none'}. "
                f"Needed: {', '.join(REQUIRED)} (optional: {', '.join(OPTIONAL)})"
            )
        rows: list[tuple[str, str, float, float, float, float, float, float]] = []
        skipped: list[SkippedRow] = []
        n_unresolved = 0
        outcome_of: dict[str, tuple[float, int]] = {}
        for line, raw in enumerate(reader, start=2):
            row = {(k or "").strip(): (v or "").strip() for k, v in raw.items() if k is not None}
            try:
                question, forecaster = row["question_id"], row["forecaster"]
                if not question or not forecaster:
                    raise ValueError("question_id and forecaster must not be empty")
                outcome_text = row["outcome"].lower()
                if outcome_text == "":
                    n_unresolved += 1
                    continue
                if outcome_text not in _OUTCOMES:
                    raise ValueError(f"outcome {row['outcome']!r} is not 1 or 0 (blank = unresolved)")
                outcome = _OUTCOMES[outcome_text]
                made_at = _timestamp(row["made_at"], "made_at")
                probability = _probability(row["probability"])
                window = [_timestamp(row[c], c) if row.get(c) else float("nan") for c in OPTIONAL]
                opens_at, closes_at, resolved_at = window
                if math.isfinite(resolved_at) and made_at > resolved_at:
                    raise ValueError(
                        "made_at is after resolved_at: a forecast made after the answer is known"
                    )
                if math.isfinite(opens_at) and math.isfinite(closes_at) and closes_at <= opens_at:
                    raise ValueError("closes_at must be after opens_at")
                known = outcome_of.setdefault(question, (outcome, line))
                if known[0] != outcome:
                    raise ValueError(
                        f"outcome {int(outcome)} contradicts line {known[1]} for question {question!r}"
                    )
            except ValueError as error:
                skipped.append(SkippedRow(line, str(error)))
                continue
            rows.append(
                (question, forecaster, made_at, probability, outcome, opens_at, closes_at, resolved_at)
            )
    columns_out: list[tuple[Any, ...]] = list(zip(*rows, strict=True)) if rows else [() for _ in range(8)]
    table = ForecastTable(
        question=np.asarray(columns_out[0], dtype=str),
        forecaster=np.asarray(columns_out[1], dtype=str),
        made_at=np.asarray(columns_out[2], dtype=np.float64),
        probability=np.asarray(columns_out[3], dtype=np.float64),
        outcome=np.asarray(columns_out[4], dtype=np.float64),
        opens_at=np.asarray(columns_out[5], dtype=np.float64),
        closes_at=np.asarray(columns_out[6], dtype=np.float64),
        resolved_at=np.asarray(columns_out[7], dtype=np.float64),
    )
    return ScoreFile(table=table, skipped=skipped, n_unresolved=n_unresolved)
