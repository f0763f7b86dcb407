"""Reading what people type: probabilities in any common notation, dates, intervals, quick entry.

``parse_probability`` accepts ``70``, ``70%``, ``0.7``, odds ``7:3`` and ``1 in 20``.
``parse_quick_entry`` reads a line such as
``Will Russia hand over Shikotan by 2017-12-31? 15%`` into a title, a date and
a probability. Every rejection says which field and what is allowed.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from forecasts.errors import Invalid
from forecasts.rules import check_interval, check_probability, check_title

PROBABILITY_HELP = "write 70, 70%, 0.7, odds 7:3 or 1 in 20"
_NUMBER = r"\d+(?:\.\d+)?|\.\d+"
_ODDS = re.compile(rf"^({_NUMBER})\s*:\s*({_NUMBER})$")
_ONE_IN = re.compile(rf"^({_NUMBER})\s+in\s+({_NUMBER})$", re.IGNORECASE)
_PERCENT = re.compile(rf"^({_NUMBER})\s*%$")
_PLAIN = re.compile(rf"^({_NUMBER})$")


def parse_probability(text: str, field: str = "probability") -> float:
    """A probability in [0, 1] from any common notation.

    A bare number above 1 is a percentage (``70`` → 0.7); a bare number with a
    decimal point up to 1 is a probability (``0.7``). A bare ``1`` is ambiguous
    (1% or certain?) and refused with a hint, like anything outside [0, 100%].
    """
    raw = (text or "").strip().replace(",", ".")
    if not raw:
        raise Invalid(field, f"is empty; {PROBABILITY_HELP}")
    if match := _PERCENT.match(raw):
        value = float(match.group(1)) / 100
    elif match := _ODDS.match(raw):
        for_, against = float(match.group(1)), float(match.group(2))
        if for_ + against == 0:
            raise Invalid(field, f"odds {raw!r} have nothing on either side; {PROBABILITY_HELP}")
        value = for_ / (for_ + against)
    elif match := _ONE_IN.match(raw):
        hits, trials = float(match.group(1)), float(match.group(2))
        if trials == 0 or hits > trials:
            raise Invalid(field, f"{raw!r} needs 0 < X ≤ N in 'X in N'; {PROBABILITY_HELP}")
        value = hits / trials
    elif match := _PLAIN.match(raw):
        number = float(match.group(1))
        if raw == "1":
            raise Invalid(field, "'1' is ambiguous: write 1% or 100% (or 1.0 for certainty)")
        value = number if ("." in raw or number == 0) and number <= 1 else number / 100
    else:
        raise Invalid(field, f"{raw!r} is not a probability; {PROBABILITY_HELP}")
    try:
        return check_probability(value, field, shown=raw)
    except Invalid as error:
        raise Invalid(field, f"{error.message}; {PROBABILITY_HELP}", value=raw) from None


_DATE_FORMATS = ("%Y-%m-%d", "%d %b %Y", "%d %B %Y", "%b %d %Y", "%B %d %Y", "%d/%m/%Y", "%Y/%m/%d")
_MONTH_NAMES = (
    r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)
DATE_PATTERN = re.compile(
    rf"\b(\d{{4}}-\d{{2}}-\d{{2}}|\d{{4}}/\d{{2}}/\d{{2}}|\d{{1,2}}/\d{{1,2}}/\d{{4}}|"
    rf"\d{{1,2}}\s+(?:{_MONTH_NAMES})\.?,?\s+\d{{4}}|(?:{_MONTH_NAMES})\.?\s+\d{{1,2}},?\s+\d{{4}}|"
    rf"(?:end of\s+)?\d{{4}})\b",
    re.IGNORECASE,
)
# End of day, UTC: "by 31 Dec 2016" includes the 31st.
END_OF_DAY = time(23, 59, 59)


def parse_date(text: str, field: str = "date") -> date:
    """A calendar date from ISO (2017-12-31), '31 Dec 2017', 'December 31, 2017', '31/12/2017', or a year."""
    raw = re.sub(r"\s+", " ", text.strip().rstrip(".").replace(",", ""))
    year_only = re.fullmatch(r"(?:end of )?(\d{4})", raw, re.IGNORECASE)
    if year_only:
        return date(int(year_only.group(1)), 12, 31)
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(raw.replace("Sept ", "Sep "), fmt).date()
        except ValueError:
            continue
    raise Invalid(field, f"{text!r} is not a date; write 2017-12-31, 31 Dec 2017 or December 31, 2017")


@dataclass(frozen=True)
class QuickEntry:
    title: str
    closes_at: datetime | None
    probability: float


def parse_quick_entry(line: str) -> QuickEntry:
    """``Will Russia hand over Shikotan by 2017-12-31? 15%`` → title, closing date, probability.

    The probability is whatever follows the last question mark; the closing
    date is the last date in the title (end of that day, UTC), if any.
    """
    text = (line or "").strip()
    if "?" not in text:
        raise Invalid(
            "quick entry",
            "write a question ending in '?' and then a probability, e.g. "
            "'Will Russia hand over Shikotan by 2017-12-31? 15%', or a quantity, a colon and its "
            "median with a 90% interval, e.g. 'Brent on 2017-06-30 (USD): 55 (48–62)'",
        )
    title, _, rest = text.rpartition("?")
    title = check_title(title.strip() + "?")
    probability = parse_probability(rest, "probability")
    dates = DATE_PATTERN.findall(title)
    closes_at = None
    if dates:
        closes_at = datetime.combine(parse_date(dates[-1], "date"), END_OF_DAY, tzinfo=UTC)
    return QuickEntry(title=title, closes_at=closes_at, probability=probability)


_INTERVAL = re.compile(r"^\s*(\d+)\s*([smhd]?)\s*$", re.IGNORECASE)
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_interval(text: str, field: str = "every") -> int:
    """``15m`` → 900 seconds; also ``30s``, ``2h``, ``1d`` or plain seconds."""
    match = _INTERVAL.match(text or "")
    if not match:
        raise Invalid(field, f"{text!r} is not an interval; write 30s, 15m, 2h or 1d", value=text)
    return check_interval(int(match.group(1)) * _UNITS[match.group(2).lower()])


def format_interval(seconds: int | None) -> str:
    """900 → ``15m``: the shortest exact spelling, the way ``parse_interval`` reads it back."""
    if not seconds:
        return "—"
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def parse_time(text: str, field: str = "time") -> datetime:
    """ISO 8601 (``2016-12-15``, ``2016-12-15 06:00``, ``…T06:00:00.123456Z``, ``…+09:00``), in UTC.

    A time without a zone is read as UTC: every format we read writes UTC.
    """
    value = (text or "").strip()
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise Invalid(
            field, f"{text!r} is not a date; write it as 2016-12-15 or 2016-12-15T06:00:00Z", value=text
        ) from None
    if when.tzinfo is UTC:  # '…Z' parses straight to UTC: the common case, kept cheap
        return when
    try:
        return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00+01:00 is before year 1 in UTC
        raise Invalid(field, f"{text!r} falls outside the years 1–9999 in UTC", value=text) from None


# A number as people type it for a quantity: a sign (ASCII or the minus sign), digits, a fraction,
# thousands separated by commas. A date question's values are ISO dates.
_QUANTITY = r"[-−+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
_ISO_DATE = r"\d{4}-\d{1,2}-\d{1,2}"
# Between an interval's ends: an en or em dash, "to", or a hyphen; a hyphen between two dates
# needs spaces round it (2017-01-10 - 2017-06-30), as a date holds hyphens itself.
_BETWEEN = {"numeric": r"\s*(?:–|—|to|-)\s*", "date": r"(?:\s*(?:–|—|to)\s*|\s+-\s+)"}


def _distribution_patterns(question_type: str) -> tuple[re.Pattern[str], re.Pattern[str]]:
    value = _ISO_DATE if question_type == "date" else _QUANTITY
    between = _BETWEEN["date" if question_type == "date" else "numeric"]
    median_and_interval = re.compile(rf"^({value})\s*\(\s*({value}){between}({value})\s*\)$", re.IGNORECASE)
    one_quantile = re.compile(
        rf"^(?:q\s*(\d{{1,2}})|(\d{{1,2}}(?:\.\d+)?)\s*%)\s*[:=]?\s*({value})$", re.IGNORECASE
    )
    return median_and_interval, one_quantile


DISTRIBUTION_HELP = (
    "write a median and a 90% interval, 55 (48–62), or three or more quantiles, "
    "5%: 48, 50%: 55, 95%: 62 (or q05=48 q50=55 q95=62)"
)
DATE_DISTRIBUTION_HELP = (
    "write a median date and a 90% interval, 2017-03-15 (2017-01-10 to 2017-06-30), or three or "
    "more quantiles, 5%: 2017-01-10, 50%: 2017-03-15, 95%: 2017-06-30"
)


def _quantity(text: str) -> float:
    return float(text.replace(",", "").replace("−", "-"))


def parse_number(text: str, field: str = "value") -> float:
    """``56.82``, ``1,200``, ``−3`` → a finite number, or :class:`Invalid` saying what to write."""
    cleaned = (text or "").strip()
    try:
        number = _quantity(cleaned)
    except ValueError:
        raise Invalid(field, f"{cleaned!r} is not a number (write e.g. 56.82)", value=text) from None
    if not math.isfinite(number):
        raise Invalid(field, f"{cleaned!r} is not a finite number", value=text)
    return number


def date_value(day: date) -> float:
    """A date question's value for a day: its start, UTC, in seconds since 1970."""
    return datetime.combine(day, time.min, tzinfo=UTC).timestamp()


def parse_value(text: str, question_type: str = "numeric", field: str = "value") -> float:
    """A numeric question's value (``56.82``) or a date question's (``2017-03-18``, as seconds)."""
    if question_type == "date":
        return date_value(parse_date(text, field))
    return parse_number(text, field)


def _value_of(text: str, question_type: str) -> float:
    return date_value(date.fromisoformat(_padded(text))) if question_type == "date" else _quantity(text)


def _padded(text: str) -> str:
    year, month, day = text.split("-")
    return f"{year}-{int(month):02d}-{int(day):02d}"


def parse_distribution(
    text: str, field: str = "forecast", question_type: str = "numeric"
) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """``55 (48–62)`` → levels (0.05, 0.5, 0.95) and values (48, 55, 62); ``5%: 48, 50%: 55, 95%: 62``
    or ``q05=48 q50=55 q95=62`` → those. A date question takes dates the same ways (values in
    seconds since 1970). Returns (levels, values) in the order given; the caller's
    :class:`~forecasts.scoring.numeric.Quantiles` checks that both rise."""
    cleaned = (text or "").strip()
    help_text = DATE_DISTRIBUTION_HELP if question_type == "date" else DISTRIBUTION_HELP
    median_and_interval, one_quantile = _distribution_patterns(question_type)
    try:
        if match := median_and_interval.match(cleaned):
            median, low, high = (_value_of(group, question_type) for group in match.groups())
            if not low < median < high:
                raise Invalid(field, f"in {cleaned!r} the median must lie inside its interval; {help_text}")
            return (0.05, 0.5, 0.95), (low, median, high)
        parts = [part.strip() for part in re.split(r"[;,]\s+|\s+(?=q\s*\d)", cleaned) if part.strip()]
        levels, values = [], []
        for part in parts:
            found = one_quantile.match(part)
            if found is None:
                raise Invalid(field, f"{part!r} in {cleaned!r} is not a quantile; {help_text}")
            levels.append(float(found.group(1) or found.group(2)) / 100)
            values.append(_value_of(found.group(3), question_type))
    except Invalid:
        raise
    except ValueError as error:  # a date such as 2017-02-30
        raise Invalid(field, f"in {cleaned!r}: {error}; {help_text}") from None
    if len(levels) < 3:
        raise Invalid(field, f"{cleaned!r} gives {len(levels)} quantiles, not 3 or more; {help_text}")
    return tuple(levels), tuple(values)
