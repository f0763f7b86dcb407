"""The one rules module, over plain values: each rule, its field and its wording, table by table."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from forecasts import rules
from forecasts.errors import Invalid
from forecasts.scoring.numeric import NumericRange

T0 = datetime(2016, 12, 1, tzinfo=UTC)


def fails(check, *args, **kwargs) -> Invalid:
    with pytest.raises(Invalid) as caught:
        check(*args, **kwargs)
    return caught.value


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, 0.0),
        (1, 1.0),
        (0.25, 0.25),
        (True, None),
        (1.5, None),
        (-0.01, None),
        (float("nan"), None),
        ("0.5", None),
    ],
)
def test_probability_range(value: object, expected: float | None) -> None:
    if expected is None:
        assert fails(rules.check_probability, value).field == "probability"
    else:
        assert rules.check_probability(value) == expected


def test_probability_message_quotes_what_was_written() -> None:
    assert fails(rules.check_probability, 1.5, shown="150%").message == "'150%' is outside 0% to 100%"


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ([0.5, 0.5], "needs 3 probabilities, one per option (a, b, c)"),
        ([0.5, 0.6, -0.1], "outside 0% to 100%"),
        ([0.3, 0.5, 0.3], "must add up to 100%, they add up to 110.00%"),
    ],
)
def test_option_probabilities(values: list[float], message: str) -> None:
    error = fails(rules.check_option_probabilities, values, ("a", "b", "c"))
    assert (error.field, message in error.message) == ("option_probabilities", True)


def test_option_probabilities_allow_hand_typed_thirds() -> None:
    assert rules.check_option_probabilities([0.333333, 0.333333, 0.333334], ("a", "b", "c"))


@pytest.mark.parametrize(
    ("question_type", "options", "message"),
    [
        ("binary", ["a", "b"], "a yes/no question has no options"),
        ("multiple_choice", ["only"], "at least two options"),
        ("multiple_choice", ["a", "a"], "distinct"),
        ("multiple_choice", ["a", " "], "every option needs a name"),
        ("multiple_choice", ["a", 3], "every option needs a name"),
        ("ranking", None, "must be one of binary, multiple_choice, numeric, date"),
        ("numeric", ["a", "b"], "a numeric question has no options"),
    ],
)
def test_question_shape(question_type: str, options: list[object] | None, message: str) -> None:
    assert message in fails(rules.check_options, question_type, options).message


def test_options_are_trimmed() -> None:
    assert rules.check_options("multiple_choice", [" yes ", "no"]) == ("yes", "no")


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        (["Treaty", " territory ", "treaty", ""], ("territory", "treaty")),
        (["Northern   Territories"], ("northern territories",)),
        ([], ()),
    ],
)
def test_tags_have_one_spelling(tags: list[str], expected: tuple[str, ...]) -> None:
    assert rules.normalise_tags(tags) == expected


def test_a_tag_too_long_to_store_is_refused() -> None:
    assert fails(rules.normalise_tags, ["x" * 65]).field == "tags"
    assert rules.split_tags("summit; Treaty,summit") == ("summit", "treaty")


@pytest.mark.parametrize(
    ("made_at", "closes_at", "message"),
    [
        (T0 - timedelta(days=1), None, "before the question opened"),
        (T0 + timedelta(days=10), T0 + timedelta(days=5), "closed on 2016-12-06"),
        (T0 + timedelta(days=40), None, "in the future"),
    ],
)
def test_forecast_times(made_at: datetime, closes_at: datetime | None, message: str) -> None:
    now = T0 + timedelta(days=30)
    error = fails(rules.check_made_at, made_at, opens_at=T0, closes_at=closes_at, now=now)
    assert (error.field, message in error.message) == ("made_at", True)


def test_no_forecast_after_resolution() -> None:
    rules.check_not_after_resolution(T0, T0)  # at the moment it settled is still before
    error = fails(rules.check_not_after_resolution, T0 + timedelta(seconds=1), T0)
    assert error.message == "is after the question was resolved (2016-12-01 00:00 UTC)"


@pytest.mark.parametrize(
    ("question_type", "outcome", "option", "field"),
    [
        ("binary", "option", "a", "outcome"),
        ("binary", "maybe", None, "outcome"),
        ("multiple_choice", "yes", None, "outcome"),
        ("multiple_choice", "option", "z", "option"),
        ("binary", "no", "a", "option"),
    ],
)
def test_outcomes(question_type: str, outcome: str, option: str | None, field: str) -> None:
    options = ("a", "b") if question_type == "multiple_choice" else None
    assert fails(rules.check_outcome, question_type, options, outcome, option).field == field


BRENT = NumericRange(20.0, 120.0)  # USD a barrel, closed on both sides
DEFICIT = NumericRange(0.0, 10.0, upper_open=True)  # % of GDP: may exceed 10


@pytest.mark.parametrize(
    ("outcome", "value", "scale", "says"),
    [
        ("yes", None, BRENT, "must be a value or annulled for this question, got 'yes'"),
        ("value", None, BRENT, "must be a finite number, got None"),
        ("value", float("nan"), BRENT, "must be a finite number, got nan"),
        ("value", 130.0, BRENT, "130 is above the closed range, which ends at 120"),
        ("value", -1.0, DEFICIT, "-1 is below the closed range, which starts at 0"),
        ("annulled", 55.0, BRENT, "is only set when the outcome is a value, not 'annulled'"),
    ],
)
def test_numeric_outcomes(outcome: str, value: float | None, scale: NumericRange, says: str) -> None:
    assert says in fails(rules.check_outcome, "numeric", None, outcome, None, value, scale).message


def test_a_value_past_an_open_side_is_an_outcome() -> None:
    rules.check_outcome("numeric", None, "value", None, 12.5, DEFICIT)
    rules.check_outcome("numeric", None, "value", None, 120.0, BRENT)  # a closed bound is inside


@pytest.mark.parametrize(
    ("pairs", "says"),
    [
        ([[0.05, 48], [0.5, 55]], "give at least 3 quantiles"),
        ([[0.05, 48], [0.5, 55], [0.5, 62]], "must rise strictly, each between 0 and 1"),
        ([[0.05, 48], [0.5, 47], [0.95, 62]], "must rise strictly with their levels"),
        ([[0.05, 10], [0.5, 55], [0.95, 62]], "must lie inside the closed range 20.0 to 120.0"),
        ([[0.05, "48"], [0.5, "fifty"], [0.95, 62]], "every level and value must be a number"),
        ({"0.5": 55}, "give them as (level, value) pairs"),
    ],
)
def test_quantile_forecasts(pairs: object, says: str) -> None:
    assert says in fails(rules.check_quantiles, pairs, BRENT).message


def test_quantiles_come_back_as_numbers() -> None:
    assert rules.check_quantiles([[0.05, 48], [0.5, "55"], [0.95, 62]], BRENT) == (
        (0.05, 48.0),
        (0.5, 55.0),
        (0.95, 62.0),
    )


@pytest.mark.parametrize(
    ("question_type", "bounds", "flags", "says"),
    [
        ("numeric", (None, 120.0), {}, "a numeric question needs a range"),
        ("date", (5.0, 5.0), {}, "must run from a lower to a higher number"),
        ("numeric", (0.0, 10.0), {"log_scale": True}, "a log scale needs a range above 0"),
        ("binary", (0.0, 1.0), {}, "a binary question has no range"),
    ],
)
def test_ranges(question_type: str, bounds: tuple, flags: dict, says: str) -> None:
    assert says in fails(rules.check_range, question_type, *bounds, **flags).message


def test_a_numeric_question_takes_quantiles_not_probabilities() -> None:
    error = fails(rules.check_forecast_values, "numeric", None, 0.7, None)
    assert (error.field, error.message) == (
        "quantiles",
        "a numeric question takes quantiles, not probabilities",
    )


def test_allowed_outcomes_are_named_for_the_question() -> None:
    error = fails(rules.check_outcome, "binary", None, "maybe", None)
    assert error.message == "must be one of yes, no, annulled for this question, got 'maybe'"


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://tass.com/rss", True),
        ("http://127.0.0.1:9/feed", True),
        ("ftp://x", False),
        ("javascript:alert(1)", False),
    ],
)
def test_only_http_urls(url: str, ok: bool) -> None:
    if ok:
        assert rules.check_http_url(url) == url
    else:
        assert fails(rules.check_http_url, url).field == "url"


def test_every_error_names_its_field_value_and_allowed() -> None:
    error = fails(rules.check_origin, "psychic")
    assert (error.field, error.value, error.allowed) == ("origin", "psychic", "manual, import, crowd")
    assert str(error) == "origin: must be one of manual, import, crowd, got 'psychic'"
