"""Reading one cell of an imported file: times, probabilities, lists, yes/no words.

Each reader raises :class:`CellError` with a message that says what was found
and what is allowed; the format readers add the line number and column.
"""

from __future__ import annotations

import json
import math
from datetime import datetime
from typing import Any

from forecasts.entry import parse_time as parse_time  # ISO 8601, no zone = UTC: one reading everywhere
from forecasts.errors import Invalid
from forecasts.rules import check_probability, normalise_tags


class CellError(ValueError):
    pass


# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(text: str) -> str:
    """The cell as our CSV exports write it: one ``'`` before a formula start (a spreadsheet shows
    the text and runs nothing) and before text that already looks escaped, so reading it back
    with :func:`unescaped` gives exactly ``text``."""
    return "'" + text if text.lstrip("'").startswith(FORMULA_STARTS) else text


def unescaped(cell: str) -> str:
    """The inverse of :func:`spreadsheet_safe` (our CSVs only: other tools' files are read as is)."""
    return cell[1:] if cell.startswith("'") and cell.lstrip("'").startswith(FORMULA_STARTS) else cell


def parse_optional_time(text: str) -> datetime | None:
    return parse_time(text) if text.strip() else None


def parse_number(text: str) -> float:
    try:
        value = float(text.strip().rstrip("%").strip())
    except ValueError:
        raise CellError(f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise CellError(f"{text!r} is not a finite number")
    return value


def parse_unit_probability(text: str) -> float:
    """A probability on the 0–1 scale."""
    if text.strip().endswith("%"):
        return parse_percent(text)
    try:
        return check_probability(parse_number(text))
    except Invalid:
        raise CellError(f"{text!r} is outside 0–1 (this column is on the 0–1 scale)") from None


def parse_percent(text: str) -> float:
    """A probability on the 0–100 scale, returned on 0–1."""
    try:
        return check_probability(parse_number(text) / 100.0)
    except Invalid:
        raise CellError(f"{text!r} is outside 0–100 (this column is in percent)") from None


def parse_list(text: str, what: str) -> tuple[Any, ...]:
    """A JSON array, as our exports write lists ('' is no list)."""
    try:
        values = json.loads(text)
    except json.JSONDecodeError:
        raise CellError(f'{what} must be a JSON list such as ["a", "b"], got {text!r}') from None
    if not isinstance(values, list):
        raise CellError(f"{what} must be a JSON list, got {text!r}")
    return tuple(values)


def parse_citations(text: str) -> tuple[tuple[str, str], ...]:
    """The events a forecast cites: a JSON list of [source name, dedupe key] pairs ('' is none)."""
    if not text.strip():
        return ()
    pairs = parse_list(text, "because")
    if not all(isinstance(p, list) and len(p) == 2 and all(isinstance(x, str) for x in p) for p in pairs):
        raise CellError(f'because must list [source, key] pairs such as [["NHK", "item-1"]], got {text!r}')
    return tuple((p[0], p[1]) for p in pairs)


def parse_cited_by(text: str) -> tuple[tuple[str, str, datetime], ...]:
    """The forecasts citing an event: [question uid, forecaster, made at] triples ('' is none)."""
    triples = parse_list(text, "cited_by") if text.strip() else ()
    if not all(isinstance(t, list) and len(t) == 3 and all(isinstance(x, str) for x in t) for t in triples):
        raise CellError(f"cited_by must list [question uid, forecaster, made at] triples, got {text!r}")
    return tuple((t[0], t[1], parse_time(t[2])) for t in triples)


def parse_names(text: str, what: str) -> tuple[str, ...]:
    """A JSON list of strings ('' is none)."""
    values = parse_list(text, what) if text.strip() else ()
    if not all(isinstance(v, str) for v in values):
        raise CellError(f"{what} must be a JSON list of strings, got {text!r}")
    return tuple(values)


def parse_tags(text: str) -> tuple[str, ...]:
    """Tags as a JSON list (ours) or separated by commas or semicolons (other trackers)."""
    stripped = text.strip()
    raw = (
        parse_list(stripped, "tags")
        if stripped.startswith("[")
        else tuple(stripped.replace(";", ",").split(","))
    )
    try:
        return normalise_tags(str(tag) for tag in raw)
    except Invalid as error:
        raise CellError(error.message) from None


def parse_bool(text: str) -> bool:
    value = text.strip().lower()
    if value in ("true", "1", "yes"):
        return True
    if value in ("false", "0", "no", ""):
        return False
    raise CellError(f"{text!r} is not true or false")


def parse_optional_number(text: str) -> float | None:
    """A finite number ('' is none): a range bound or an outcome value."""
    return parse_number(text) if text.strip() else None


def parse_quantiles(text: str) -> tuple[tuple[float, float], ...] | None:
    """A numeric forecast: a JSON list of [level, value] pairs ('' is none); the rules check the rest."""
    if not text.strip():
        return None
    pairs = parse_list(text, "quantiles")
    if not all(
        isinstance(p, list)
        and len(p) == 2
        and all(isinstance(x, int | float) and not isinstance(x, bool) for x in p)
        for p in pairs
    ):
        raise CellError(
            f"quantiles must list [level, value] pairs such as [[0.05, 48], [0.5, 55]], got {text!r}"
        )
    return tuple((float(level), float(value)) for level, value in pairs)
