"""Quick entry for numbers and dates: ``Brent on 2017-06-30 (USD): 55 (48–62)`` is a numeric
question (title, unit, closing date) and its first forecast in one line.

The forecast follows the title after ``: `` or ``? ``, in any notation
:func:`forecasts.entry.parse_distribution` reads; dates make it a date question. A trailing
``(USD)`` in the title is the unit; the title's last date is when it closes, as in yes/no quick
entry. A line has no range, so the new question gets one around the forecast, open on both
sides (any value can resolve it): the 90 % interval widened by its own width each way, which
only sets the scale its CRPS is measured on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from forecasts.entry import DATE_PATTERN, END_OF_DAY, parse_date, parse_distribution
from forecasts.errors import Invalid
from forecasts.rules import MAX_UNIT_LENGTH, check_title
from forecasts.scoring.numeric import NumericRange, Quantiles, cdf_of, quantile_at

_SPLIT = re.compile(r"[:?]\s+")
_UNIT = re.compile(rf"\(([^()]{{1,{MAX_UNIT_LENGTH}}})\)\s*$")
# What a forecast of a quantity starts like: a value with an interval, or a first quantile.
_LOOKS_LIKE = re.compile(r"^[-−+]?\d[^%]*\(|^(?:q\s*\d|\d+(?:\.\d+)?\s*%\s*[:=])", re.IGNORECASE)


@dataclass(frozen=True)
class QuantityEntry:
    title: str
    question_type: str  # numeric or date
    unit: str
    closes_at: datetime | None
    quantiles: tuple[tuple[float, float], ...]  # (level, value), rising
    scale: NumericRange  # for a new question: around the forecast, open both sides


def _forecast_after(line: str) -> tuple[str, str, tuple[tuple[float, ...], tuple[float, ...]]] | None:
    """The first split into a title and a forecast that reads as one (numbers, then dates); a
    forecast that looks like one but does not read is refused with what to write."""
    refused: Invalid | None = None
    for found in _SPLIT.finditer(line):
        title, rest = line[: found.start() + 1].rstrip(":").strip(), line[found.end() :]
        kinds = ("date", "numeric") if re.match(r"\d{4}-\d", rest) else ("numeric", "date")
        for question_type in kinds:
            try:
                return title, question_type, parse_distribution(rest, "forecast", question_type)
            except Invalid as error:
                if refused is None and _LOOKS_LIKE.match(rest):
                    refused = error
    if refused is not None:
        raise refused
    return None


def _range_around(quantiles: Quantiles) -> NumericRange:
    """The 90 % interval widened by its width on each side (the stated outer quantiles where the
    forecast has no 5 % or 95 %), both sides open."""
    loose = NumericRange(quantiles.values[0] - 1, quantiles.values[-1] + 1, lower_open=True, upper_open=True)
    low, high = (float(v) for v in quantile_at(cdf_of(quantiles, loose), [0.05, 0.95]))
    width = high - low
    return NumericRange(low - width, high + width, lower_open=True, upper_open=True)


def parse_quantity_entry(line: str) -> QuantityEntry | None:
    """The line as a numeric or date question with its forecast; None when it does not end in a
    forecast of a quantity (then it may be yes/no quick entry)."""
    text = (line or "").strip()
    split = _forecast_after(text)
    if split is None:
        return None
    title, question_type, (levels, values) = split
    if question_type == "numeric" and text[len(title)] == "?":
        title += "?"
    title = check_title(title)
    quantiles = Quantiles(levels, values)
    unit = _UNIT.search(title)
    dates = DATE_PATTERN.findall(title)
    closes_at = datetime.combine(parse_date(dates[-1], "date"), END_OF_DAY, tzinfo=UTC) if dates else None
    return QuantityEntry(
        title=title,
        question_type=question_type,
        unit=unit.group(1).strip() if unit and question_type == "numeric" else "",
        closes_at=closes_at,
        quantiles=tuple(zip(quantiles.levels, quantiles.values, strict=True)),
        scale=_range_around(quantiles),
    )
