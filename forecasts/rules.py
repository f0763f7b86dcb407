"""Every rule about questions, forecasts, resolutions and sources, over plain values.

This is the one home of each rule and of its wording: the services, every
importer, the bulk insert path and the database's own row rules call these
functions, and CHECK constraints in the schema stay behind them as the last
guard. Each check returns the cleaned value or raises :class:`Invalid` naming
the field; nothing here knows about a database, a form or a command line.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

import numpy as np
from numpy.typing import NDArray

from forecasts.errors import Invalid
from forecasts.scoring.numeric import NumericRange, Quantiles, cdf_of
from forecasts.topic_rules import RuleError, compile_rule

# --- the vocabulary ------------------------------------------------------------------------

QUESTION_TYPES = ("binary", "multiple_choice", "numeric", "date")
RANGED_TYPES = ("numeric", "date")  # a range, a unit; forecasts are quantiles, outcomes values
FORECASTER_KINDS = ("person", "crowd")
FORECAST_ORIGINS = ("manual", "import", "crowd")
# Why an event is linked to a question: its source is tied to the question, the question's
# watch rule matched it, a person linked it, or a forecast on the question cites it.
LINK_ORIGINS = ("source", "rule", "manual", "cited")
# "unresolved" is the row an undo appends: the latest row wins, so it reopens the question.
RESOLUTION_OUTCOMES = ("yes", "no", "option", "value", "annulled", "unresolved")
# What a crowd platform may propose: never a value (a number is entered, and checked, by the user).
PROPOSED_OUTCOMES = ("yes", "no", "option", "annulled", "unresolved")

# Tolerance for "sums to 1": six decimals, enough for hand-typed percentages like 33.3333%.
SUM_TOLERANCE = 1e-6
# A forecast or resolution this far ahead of the clock is a clock difference, not the future.
CLOCK_SLACK = timedelta(minutes=1)
MIN_TITLE_LENGTH = 5
MAX_TITLE_LENGTH = 500
MAX_OPTION_LENGTH = 200
MAX_NAME_LENGTH = 120
MAX_TAG_LENGTH = 64
MAX_UNIT_LENGTH = 40
MAX_UID_LENGTH = 64
# The longest text a file's cell may hold (a rationale, a description, a note): 100,000
# characters is a short book; a 10 MB cell is a broken or hostile file, not a forecast.
MAX_CELL_LENGTH = 100_000
MAX_RESOLUTION_SOURCE_LENGTH = 200
MAX_CONTENT_HASH_LENGTH = 64
MIN_EVERY_SECONDS = 10  # polite polling is the user's call, but not a busy loop
_SOURCE_NAME = re.compile(r"[\w.:-]{1,120}")


def _one_of(field: str, value: object, allowed: Sequence[str]) -> str:
    if value not in allowed:
        raise Invalid(
            field,
            f"must be one of {', '.join(allowed)}, got {value!r}",
            value=value,
            allowed=", ".join(allowed),
        )
    return str(value)


def _utc(when: datetime) -> str:
    return f"{when:%Y-%m-%d %H:%M} UTC"


# --- questions -----------------------------------------------------------------------------


def check_title(title: str | None) -> str:
    """The question's text, stripped: at least a few words, at most what the database keeps."""
    clean = " ".join((title or "").split())
    if len(clean) < MIN_TITLE_LENGTH:
        raise Invalid(
            "title", f"write the whole question (at least {MIN_TITLE_LENGTH} characters)", value=title
        )
    if len(clean) > MAX_TITLE_LENGTH:
        raise Invalid("title", f"is {len(clean)} characters; at most {MAX_TITLE_LENGTH}", value=title)
    return clean


def check_uid(uid: str) -> str:
    """A question's stable id, as exports and imports name it."""
    if not uid.strip() or len(uid) > MAX_UID_LENGTH or uid != uid.strip():
        raise Invalid(
            "uid", f"must be 1 to {MAX_UID_LENGTH} characters without surrounding spaces", value=uid
        )
    return uid


def check_resolution_source(source: str) -> str:
    """Who or what settled a question ("manual", a source's name)."""
    if len(source) > MAX_RESOLUTION_SOURCE_LENGTH:
        raise Invalid("source", f"is longer than {MAX_RESOLUTION_SOURCE_LENGTH} characters", value=source)
    return source


def check_question_type(question_type: str) -> str:
    return _one_of("type", question_type, QUESTION_TYPES)


def check_options(question_type: str, options: Sequence[str] | None) -> tuple[str, ...] | None:
    """None for a yes/no question; two or more distinct, named options for multiple choice."""
    check_question_type(question_type)
    if question_type == "binary" or question_type in RANGED_TYPES:
        if options:
            kind = "yes/no" if question_type == "binary" else question_type
            raise Invalid("options", f"a {kind} question has no options", value=options)
        return None
    values: list[object] = list(options or [])  # stored JSON may hold anything
    names = [option.strip() for option in values if isinstance(option, str)]
    if len(names) != len(values) or not all(names):
        raise Invalid("options", "every option needs a name", value=options)
    cleaned = tuple(names)
    if len(cleaned) < 2:
        raise Invalid("options", "a multiple-choice question needs at least two options", value=options)
    if len(set(cleaned)) != len(cleaned):
        raise Invalid("options", "options must be distinct", value=options)
    if any(len(option) > MAX_OPTION_LENGTH for option in cleaned):
        raise Invalid("options", f"an option is at most {MAX_OPTION_LENGTH} characters", value=options)
    return cleaned


def check_aware(when: datetime | None, field: str) -> datetime | None:
    """Times are stored in UTC; a time without a zone is refused rather than guessed."""
    if when is not None and (when.tzinfo is None or when.utcoffset() is None):
        raise Invalid(field, "needs a timezone (times are stored in UTC)", value=when)
    return when


def check_window(opens_at: datetime, closes_at: datetime | None, resolve_by: datetime | None) -> None:
    """A question closes, and is due to resolve, no earlier than it opens."""
    for field, when in (("closes_at", closes_at), ("resolve_by", resolve_by)):
        check_aware(when, field)
        if when is not None and when < opens_at:
            raise Invalid(field, f"must not be before the question opens ({_utc(opens_at)})", value=when)


def normalise_tag(tag: str) -> str:
    """One spelling per tag: trimmed, lower case, inner spaces collapsed."""
    clean = " ".join(str(tag).split()).lower()
    if len(clean) > MAX_TAG_LENGTH:
        raise Invalid("tags", f"{clean[:20]!r}… is longer than {MAX_TAG_LENGTH} characters", value=tag)
    return clean


def normalise_tags(tags: Iterable[str]) -> tuple[str, ...]:
    """Tags as stored: normalised, without blanks or repeats, sorted."""
    return tuple(sorted({normalise_tag(tag) for tag in tags if str(tag).strip()}))


def split_tags(text: str) -> tuple[str, ...]:
    """Tags typed in one box, separated by commas or semicolons."""
    return normalise_tags(text.replace(";", ",").split(","))


# --- forecasters ---------------------------------------------------------------------------


def check_forecaster_name(name: str | None) -> str:
    clean = (name or "").strip()
    if not clean:
        raise Invalid("forecaster", "is empty; enter your name or handle", value=name)
    if len(clean) > MAX_NAME_LENGTH:
        raise Invalid("forecaster", f"is longer than {MAX_NAME_LENGTH} characters", value=name)
    return clean


def check_forecaster_kind(kind: str) -> str:
    return _one_of("forecaster_kind", kind, FORECASTER_KINDS)


# --- forecasts -----------------------------------------------------------------------------


def check_probability(value: object, field: str = "probability", *, shown: str | None = None) -> float:
    """A probability in [0, 1]; ``shown`` is the value as the person wrote it, for the message."""
    if type(value) is float and 0.0 <= value <= 1.0:  # the common case, first: a million imports
        return value
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise Invalid(field, f"must be a number between 0% and 100%, got {shown or value!r}", value=value)
    if not 0.0 <= value <= 1.0:
        given = repr(shown) if shown is not None else f"{value!r}"
        raise Invalid(field, f"{given} is outside 0% to 100%", value=value, allowed="0 to 1")
    return float(value)


def check_option_probabilities(values: Sequence[object] | None, options: Sequence[str]) -> tuple[float, ...]:
    """One probability per option, each in [0, 1], adding up to 1."""
    field = "option_probabilities"
    given = list(values or [])
    if len(given) != len(options):
        raise Invalid(
            field, f"needs {len(options)} probabilities, one per option ({', '.join(options)})", value=values
        )
    numbers = tuple(
        check_probability(value, field, shown=f"{option}: {value!r}")
        for option, value in zip(options, given, strict=True)
    )
    total = math.fsum(numbers)
    if abs(total - 1.0) > SUM_TOLERANCE:
        raise Invalid(field, f"must add up to 100%, they add up to {total:.2%}", value=values)
    return numbers


def check_forecast_values(
    question_type: str,
    options: Sequence[str] | None,
    probability: object,
    option_probabilities: Sequence[object] | None,
) -> tuple[float | None, tuple[float, ...] | None]:
    """A yes/no question takes one probability; a multiple-choice question one per option; a numeric
    or date question neither (its quantiles are checked by :func:`check_quantiles`)."""
    if question_type in RANGED_TYPES:
        if probability is not None or option_probabilities is not None:
            raise Invalid("quantiles", f"a {question_type} question takes quantiles, not probabilities")
        return None, None
    if question_type == "binary":
        if option_probabilities is not None:
            raise Invalid("probability", "a yes/no question takes one probability, not one per option")
        if probability is None:
            raise Invalid("probability", "is required for a yes/no question")
        return check_probability(probability), None
    if probability is not None:
        raise Invalid("option_probabilities", f"give one probability per option ({', '.join(options or [])})")
    return None, check_option_probabilities(option_probabilities, options or [])


def forecast_suspects(
    binary: Sequence[bool],
    probabilities: Sequence[object],
    option_probabilities: Sequence[object],
    origins: Sequence[object],
) -> list[int]:
    """Column-wise: the rows that may break :func:`check_origin` or :func:`check_forecast_values`.

    Every row with an unknown origin, every multiple-choice row, and every yes/no row whose
    probability is missing, not a float, outside [0, 1] or beside option probabilities. Every
    other row passes both rules as it is, so a million-row import runs the rules on the
    suspects only (found in one numpy pass). Positions, in order.
    """
    n = len(binary)
    known = set(FORECAST_ORIGINS)
    unknown_origin = np.fromiter((o not in known for o in origins), bool, count=n)
    try:
        values = np.array(probabilities, dtype=np.float64)  # None becomes nan
    except (TypeError, ValueError):  # a text in the column: every row is a suspect
        return list(range(n))
    floats = np.fromiter((type(p) is float for p in probabilities), bool, count=n)
    with_options = np.fromiter((o is not None for o in option_probabilities), bool, count=n)
    in_range = (values >= 0.0) & (values <= 1.0)  # nan compares false
    is_binary = np.fromiter(binary, bool, count=n)
    suspect = unknown_origin | ~is_binary | ~in_range | ~floats | with_options
    return [int(i) for i in np.flatnonzero(suspect)]


def yes_no_suspects(
    binary: NDArray[np.bool_], probabilities: NDArray[np.float64], origin_codes: NDArray[np.integer]
) -> list[int]:
    """:func:`forecast_suspects` for yes/no forecasts held as arrays (floats already, no option
    probabilities; origins as codes into FORECAST_ORIGINS): rows on a question that is not yes/no,
    with a probability outside [0, 1] or nan, or with an unknown origin code."""
    in_range = (probabilities >= 0.0) & (probabilities <= 1.0)
    known = (origin_codes >= 0) & (origin_codes < len(FORECAST_ORIGINS))
    return [int(i) for i in np.flatnonzero(~binary | ~in_range | ~known)]


def check_origin(origin: str) -> str:
    if origin in FORECAST_ORIGINS:  # the common case, without the message's work
        return origin
    return _one_of("origin", origin, FORECAST_ORIGINS)


def check_not_in_future(made_at: datetime, now: datetime) -> datetime:
    """No forecast from the future (a form's, a file's or a feed's)."""
    if made_at > now + CLOCK_SLACK:
        raise Invalid("made_at", "is in the future; a forecast is made now or in the past", value=made_at)
    return made_at


def check_made_after_opening(made_at: datetime, opens_at: datetime) -> datetime:
    if made_at < opens_at:
        raise Invalid("made_at", f"is before the question opened ({_utc(opens_at)})", value=made_at)
    return made_at


def check_made_at(
    made_at: datetime, *, opens_at: datetime, closes_at: datetime | None, now: datetime | None
) -> datetime:
    """A forecast is made while its question is open, and not in the future (when ``now`` is known)."""
    check_aware(made_at, "made_at")
    if now is not None:
        check_not_in_future(made_at, now)
    check_made_after_opening(made_at, opens_at)
    if closes_at is not None and made_at >= closes_at:
        raise Invalid(
            "made_at", f"the question closed on {_utc(closes_at)}; no forecasts after that", value=made_at
        )
    return made_at


def check_not_after_resolution(made_at: datetime, resolved_at: datetime | None) -> None:
    """No forecast dated after the world settled the question (from a form, a file or a feed)."""
    if resolved_at is not None and made_at > resolved_at:
        raise Invalid("made_at", f"is after the question was resolved ({_utc(resolved_at)})", value=made_at)


def check_open_for_forecasts(settled_as: str | None) -> None:
    """New forecasts are for open questions: once resolved, undo the resolution to forecast again."""
    if settled_as is not None:
        raise Invalid(
            "question", f"is resolved ({settled_as}); undo the resolution to forecast again", value=settled_as
        )


# --- numeric and date questions -------------------------------------------------------------


def check_unit(unit: str | None) -> str:
    clean = (unit or "").strip()
    if len(clean) > MAX_UNIT_LENGTH:
        raise Invalid("unit", f"is at most {MAX_UNIT_LENGTH} characters, got {len(clean)}", value=unit)
    return clean


def check_range(
    question_type: str,
    lower: float | None,
    upper: float | None,
    *,
    lower_open: bool = False,
    upper_open: bool = False,
    log_scale: bool = False,
) -> NumericRange | None:
    """None for yes/no and multiple choice (which have no range); for a numeric or date question
    the range, lower below upper, above 0 on a log scale."""
    if question_type not in RANGED_TYPES:
        if lower is not None or upper is not None or log_scale:
            raise Invalid("range", f"a {question_type} question has no range")
        return None
    if lower is None or upper is None:
        raise Invalid("range", f"a {question_type} question needs a range: its lower and upper bounds")
    return NumericRange(float(lower), float(upper), bool(lower_open), bool(upper_open), bool(log_scale))


def check_quantiles(pairs: object, scale: NumericRange) -> tuple[tuple[float, float], ...]:
    """A numeric forecast: at least 3 (level, value) pairs, levels rising inside (0, 1) and values
    rising, inside the range where it is closed."""
    if not isinstance(pairs, list | tuple) or not all(
        isinstance(pair, list | tuple) and len(pair) == 2 for pair in pairs
    ):
        example = "[[0.05, 48], [0.5, 55], [0.95, 62]]"
        raise Invalid("quantiles", f"give them as (level, value) pairs, e.g. {example}")
    try:
        levels = tuple(float(level) for level, _ in pairs)
        values = tuple(float(value) for _, value in pairs)
    except (TypeError, ValueError):
        raise Invalid("quantiles", "every level and value must be a number", value=pairs) from None
    forecast = Quantiles(levels, values)
    cdf_of(forecast, scale)  # refuses values outside a closed range
    return tuple(zip(levels, values, strict=True))


def check_forecast_quantiles(
    question_type: str, scale: NumericRange | None, quantiles: object
) -> tuple[tuple[float, float], ...] | None:
    """Quantiles on a numeric or date question (required there, checked against its range), none on
    the other kinds."""
    if scale is None:
        if quantiles is not None:
            raise Invalid("quantiles", "only a numeric or date question takes quantiles")
        return None
    if quantiles is None:
        raise Invalid("quantiles", f"a {question_type} question takes quantiles, e.g. 55 (48–62)")
    return check_quantiles(quantiles, scale)


# --- resolutions ---------------------------------------------------------------------------


def allowed_outcomes(question_type: str) -> tuple[str, ...]:
    if question_type in RANGED_TYPES:
        return ("value", "annulled")
    return ("yes", "no", "annulled") if question_type == "binary" else ("option", "annulled")


def check_outcome(
    question_type: str,
    options: Sequence[str] | None,
    outcome: str,
    option: str | None,
    value: float | None = None,
    scale: NumericRange | None = None,
) -> None:
    """yes / no / annulled for a yes/no question; one of its options or annulled for multiple choice;
    a value (inside the range where it is closed) or annulled for a numeric or date question.
    ``unresolved`` is the row an undo appends, and always allowed."""
    if outcome != "unresolved" and outcome not in allowed_outcomes(question_type):
        if question_type == "binary":
            allowed = "one of yes, no, annulled"
        elif question_type in RANGED_TYPES:
            allowed = "a value or annulled"
        else:
            allowed = f"an option ({', '.join(options or [])}) or annulled"
        message = f"must be {allowed} for this question, got {outcome!r}"
        raise Invalid("outcome", message, value=outcome, allowed=allowed)
    if outcome == "option" and option not in (options or ()):
        raise Invalid("option", f"must be one of {', '.join(options or [])}, got {option!r}", value=option)
    if outcome != "option" and option is not None:
        raise Invalid("option", f"is only set when the outcome is an option, not {outcome!r}", value=option)
    if outcome == "value":
        check_outcome_value(value, scale)
    elif value is not None:
        raise Invalid("value", f"is only set when the outcome is a value, not {outcome!r}", value=value)


def check_outcome_value(value: object, scale: NumericRange | None) -> float:
    """A finite number; below (above) the range only where the range is open on that side."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise Invalid("value", f"must be a finite number, got {value!r}", value=value)
    number = float(value)
    if scale is not None:
        if number < scale.lower and not scale.lower_open:
            raise Invalid("value", f"{number:g} is below the closed range, which starts at {scale.lower:g}")
        if number > scale.upper and not scale.upper_open:
            raise Invalid("value", f"{number:g} is above the closed range, which ends at {scale.upper:g}")
        if scale.log_scale and number <= 0:
            raise Invalid("value", f"{number:g} is not above 0, as a log-scale question needs")
    return number


def check_resolved_at(
    resolved_at: datetime | None, outcome: str, *, opens_at: datetime, now: datetime | None
) -> datetime | None:
    """When the world settled the question: required, not before it opened, not in the future."""
    if outcome == "unresolved":
        return resolved_at
    if resolved_at is None:
        raise Invalid("resolved_at", "is required: when the world settled the question")
    check_aware(resolved_at, "resolved_at")
    if resolved_at < opens_at:
        raise Invalid(
            "resolved_at", f"must not be before the question opened ({_utc(opens_at)})", value=resolved_at
        )
    if now is not None and resolved_at > now + CLOCK_SLACK:
        raise Invalid(
            "resolved_at",
            "is in the future; resolve a question once the world has settled it",
            value=resolved_at,
        )
    return resolved_at


def check_can_resolve(settled_as: str | None) -> None:
    if settled_as is not None:
        raise Invalid("outcome", f"the question is already resolved ({settled_as}); undo that first")


def check_can_undo(settled_as: str | None) -> None:
    if settled_as is None:
        raise Invalid("outcome", "the question is not resolved; nothing to undo")


# --- sources -------------------------------------------------------------------------------


def check_source_name(name: str | None) -> str:
    clean = (name or "").strip()
    if not _SOURCE_NAME.fullmatch(clean):
        raise Invalid("name", "use letters, digits, '-', '_', '.' or ':' (up to 120), no spaces", value=name)
    return clean


def check_http_url(url: str | None, field: str = "url") -> str | None:
    """Only http(s) addresses are polled or shown as links."""
    if url is None or not url.strip():
        return None
    clean = url.strip()
    if not re.fullmatch(r"https?://[^\s/]+\S*", clean, re.IGNORECASE):
        raise Invalid(field, f"must be an http:// or https:// address without spaces, got {url!r}", value=url)
    return clean


MAX_EVENT_KEY_LENGTH = 512
MAX_EVENT_TITLE_LENGTH = 1000
MAX_URL_LENGTH = 2000
_HTTP_LINK = re.compile(r"https?://[^\s/]+\S*", re.IGNORECASE)


def stored_text(text: str) -> str:
    """Text as the database keeps it: without NUL characters (PostgreSQL refuses them, and no
    page would show them)."""
    return text.replace("\x00", "")


def event_key(key: str) -> str:
    """A source's key for an item, as stored: a key longer than the column is replaced by its
    hash — cut, two items whose keys share their first 512 characters would become one."""
    clean = stored_text(key)
    if len(clean) <= MAX_EVENT_KEY_LENGTH:
        return clean
    return "sha256:" + hashlib.sha256(clean.encode("utf-8")).hexdigest()


def event_title(title: str) -> str:
    """An item's title as stored: a feed's title longer than the column is cut, not refused."""
    return stored_text(title)[:MAX_EVENT_TITLE_LENGTH]


def event_content_hash(content_hash: str | None) -> str | None:
    """An item's content hash as stored: ours are SHA-256 hex; one longer than the column is not
    ours, and is dropped (it only saves re-reading an unchanged item)."""
    if content_hash is None or len(content_hash) > MAX_CONTENT_HASH_LENGTH:
        return None
    return content_hash


def event_tags(tags: Iterable[str]) -> tuple[str, ...]:
    """An item's tags as stored: feed categories can be long, a tag is at most MAX_TAG_LENGTH."""
    return normalise_tags(stored_text(tag)[:MAX_TAG_LENGTH] for tag in tags if tag)


def event_link(url: str | None) -> str | None:
    """An item's link if it may be shown as one: http(s), no spaces, within the column; else None
    (``javascript:``, ``data:``, ``file:`` or a malformed address is kept as text by the caller)."""
    clean = stored_text(url or "").strip()
    if not clean or len(clean) > MAX_URL_LENGTH or not _HTTP_LINK.fullmatch(clean):
        return None
    return clean


def check_interval(seconds: int) -> int:
    if seconds < MIN_EVERY_SECONDS:
        raise Invalid("every", f"must be at least {MIN_EVERY_SECONDS} seconds, got {seconds}", value=seconds)
    return seconds


MAX_RULE_LENGTH = 2000


def check_topic_rule(rule: str | None, field: str = "rule") -> str | None:
    """A topic rule that reads (words, "phrases", prefix*, AND / OR / NOT, parentheses); empty is none."""
    if rule is None or not rule.strip():
        return None
    text = " ".join(rule.split())
    if len(text) > MAX_RULE_LENGTH:
        raise Invalid(field, f"is {len(text)} characters; at most {MAX_RULE_LENGTH}", value=text[:40])
    try:
        compile_rule(text)
    except RuleError as error:
        raise Invalid(
            field,
            f"cannot be read: {error}",
            value=text,
            allowed='words, "phrases", prefix*, AND, OR, NOT, ( )',
        ) from None
    return text
