"""The flat table every score is computed from: resolved binary forecasts, one row each."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

Floats = NDArray[np.float64]


def derive_codes(table: object) -> None:
    """Fill a frozen table's ``question_codes`` and ``forecaster_codes`` from its labels where the
    reader gave none."""
    for labels, codes in (("question", "question_codes"), ("forecaster", "forecaster_codes")):
        if getattr(table, codes) is None:
            inverse = np.unique(getattr(table, labels), return_inverse=True)[1].reshape(-1)
            object.__setattr__(table, codes, inverse)  # the frozen-dataclass idiom for derived fields


@dataclass(frozen=True)
class ForecastTable:
    """Resolved binary forecasts, one row each. Times are seconds since the epoch (UTC).

    Window columns may be nan where unknown; time-averaged scores need
    ``opens_at`` and ``closes_at`` for every question.

    ``question_codes`` and ``forecaster_codes`` are integers, equal exactly where
    the labels are: grouping by them is ten times faster than by strings. A
    reader that has database ids passes them; otherwise they are derived.
    """

    question: NDArray[np.str_]
    forecaster: NDArray[np.str_]
    made_at: Floats
    probability: Floats
    outcome: Floats
    opens_at: Floats
    closes_at: Floats
    resolved_at: Floats
    question_codes: NDArray[np.intp] = field(default=None, repr=False, compare=False)  # type: ignore[arg-type]  # derived below
    forecaster_codes: NDArray[np.intp] = field(default=None, repr=False, compare=False)  # type: ignore[arg-type]  # derived below

    def __post_init__(self) -> None:
        # A question without a close date is scored over its life, from opening to resolution.
        no_close = np.isnan(self.closes_at)
        if np.any(no_close):
            object.__setattr__(self, "closes_at", np.where(no_close, self.resolved_at, self.closes_at))
        derive_codes(self)

    def __len__(self) -> int:
        return int(self.probability.size)

    def subset(self, mask: NDArray[np.bool_]) -> ForecastTable:
        return ForecastTable(**{name: getattr(self, name)[mask] for name in self.__dataclass_fields__})

    @property
    def windowed(self) -> NDArray[np.bool_]:
        """Rows whose question has a window to average over (opens, then closes or resolves later)."""
        with np.errstate(invalid="ignore"):
            return np.isfinite(self.opens_at) & np.isfinite(self.closes_at) & (self.closes_at > self.opens_at)

    @property
    def has_windows(self) -> bool:
        return len(self) > 0 and bool(np.all(self.windowed))
