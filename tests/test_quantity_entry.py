"""Quick entry of numbers and dates (issue 16): one line is a numeric or date question and its first
forecast; anything else is left to yes/no quick entry, and a forecast that does not read says why."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from forecasts.entry import parse_distribution, parse_quick_entry, parse_value
from forecasts.errors import Invalid
from forecasts.quantity_entry import parse_quantity_entry


def seconds(day: str) -> float:
    return datetime.fromisoformat(day).replace(tzinfo=UTC).timestamp()


@pytest.mark.parametrize(
    ("line", "title", "kind", "unit", "values"),
    [
        (
            "Brent on 2027-06-30 (USD): 55 (48–62)",
            "Brent on 2027-06-30 (USD)",
            "numeric",
            "USD",
            (48, 55, 62),
        ),
        (
            "Brent (USD a barrel): 55 (48 to 62)",
            "Brent (USD a barrel)",
            "numeric",
            "USD a barrel",
            (48, 55, 62),
        ),
        (
            "How many documents will be signed? 60 (40-80)",
            "How many documents will be signed?",
            "numeric",
            "",
            (40, 60, 80),
        ),
        ("Oil: Brent (USD): 5%: 50, 50%: 55, 95%: 62", "Oil: Brent (USD)", "numeric", "USD", (50, 55, 62)),
        (
            "Deficit (% of GDP): q05=2.1 q50=3.2 q95=4.5",
            "Deficit (% of GDP)",
            "numeric",
            "% of GDP",
            (2.1, 3.2, 4.5),
        ),
        (
            "Russia's 2017 deficit (RUB bn): 2,700 (1,900–3,400)",
            "Russia's 2017 deficit (RUB bn)",
            "numeric",
            "RUB bn",
            (1900, 2700, 3400),
        ),
        (
            "First joint project on the islands (date): 2017-09-01 (2017-03-01 to 2018-06-30)",
            "First joint project on the islands (date)",
            "date",
            "",
            (seconds("2017-03-01"), seconds("2017-09-01"), seconds("2018-06-30")),
        ),
        (
            "Putin visits Japan again: 5%: 2017-1-15, 50%: 2018-05-01, 95%: 2019-12-31",
            "Putin visits Japan again",
            "date",
            "",
            (seconds("2017-01-15"), seconds("2018-05-01"), seconds("2019-12-31")),
        ),
    ],
)
def test_a_line_is_a_quantity_question_and_its_forecast(
    line: str, title: str, kind: str, unit: str, values: tuple[float, ...]
) -> None:
    entry = parse_quantity_entry(line)
    assert entry is not None
    assert (entry.title, entry.question_type, entry.unit) == (title, kind, unit)
    assert tuple(v for _, v in entry.quantiles) == pytest.approx(values)


def test_the_title_date_is_when_it_closes_and_the_range_is_open_around_the_forecast() -> None:
    entry = parse_quantity_entry("Brent on 2027-06-30 (USD): 55 (48–62)")
    assert entry is not None
    assert entry.closes_at == datetime(2027, 6, 30, 23, 59, 59, tzinfo=UTC)
    assert (entry.scale.lower, entry.scale.upper) == (34.0, 76.0)  # 48–62 widened by 14 each way
    assert entry.scale.lower_open
    assert entry.scale.upper_open


def test_the_range_of_a_quantile_list_comes_from_its_5_and_95_percent_points() -> None:
    entry = parse_quantity_entry("Brent: 25%: 50, 50%: 55, 75%: 60")
    assert entry is not None
    # Open tails run on with the outer slopes (25 % per 5 USD): 5 % at 46, 95 % at 64.
    assert (entry.scale.lower, entry.scale.upper) == pytest.approx((28.0, 82.0))


@pytest.mark.parametrize(
    "line",
    [
        "Will Russia hand over Shikotan by 2030-12-31? 5%",
        "Will Abe visit Moscow? 1 in 3",
        "Kuril talks: will a treaty be signed? 10%",
        "Brent on 2027-06-30 (USD) 55",
    ],
)
def test_other_lines_are_left_to_yes_no_quick_entry(line: str) -> None:
    assert parse_quantity_entry(line) is None


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            "Brent (USD): 55 (62–48)",
            "the median must lie inside its interval; write a median and a 90% interval",
        ),
        ("Brent (USD): 55 (48–62", "'55 (48–62' in '55 (48–62' is not a quantile"),
        ("Brent (USD): 5%: 50, 95%: 62", "gives 2 quantiles, not 3 or more"),
        (
            "Visit: 2017-02-30 (2017-01-10 to 2017-06-30)",
            "day is out of range for month; write a median date",
        ),
    ],
)
def test_a_forecast_that_does_not_read_says_what_to_write(line: str, message: str) -> None:
    with pytest.raises(Invalid, match=re.escape(message)):
        parse_quantity_entry(line)


def test_yes_no_quick_entry_names_the_quantity_form_too() -> None:
    with pytest.raises(Invalid, match="Brent on 2017-06-30 \\(USD\\): 55 \\(48–62\\)"):
        parse_quick_entry("Brent next June")


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("2017-03-15 (2017-01-10 to 2017-06-30)", ("2017-01-10", "2017-03-15", "2017-06-30")),
        ("2017-03-15 (2017-01-10 – 2017-06-30)", ("2017-01-10", "2017-03-15", "2017-06-30")),
        ("2017-03-15 (2017-01-10 - 2017-06-30)", ("2017-01-10", "2017-03-15", "2017-06-30")),
        ("q05=2017-01-10 q50=2017-03-15 q95=2017-06-30", ("2017-01-10", "2017-03-15", "2017-06-30")),
    ],
)
def test_date_distributions(text: str, values: tuple[str, ...]) -> None:
    levels, stated = parse_distribution(text, question_type="date")
    assert levels == (0.05, 0.5, 0.95)
    assert stated == tuple(seconds(day) for day in values)


def test_a_date_interval_with_a_bare_hyphen_is_refused_as_ambiguous() -> None:
    with pytest.raises(Invalid, match="is not a quantile; write a median date"):
        parse_distribution("2017-03-15 (2017-01-10-2017-06-30)", question_type="date")


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("56.82", "numeric", 56.82),
        ("−3", "numeric", -3.0),
        ("2017-03-18", "date", seconds("2017-03-18")),
        ("18 Mar 2017", "date", seconds("2017-03-18")),
    ],
)
def test_values(text: str, kind: str, value: float) -> None:
    assert parse_value(text, kind) == value


def test_a_value_that_is_not_a_date_says_how_to_write_one() -> None:
    with pytest.raises(Invalid, match="'soon' is not a date; write 2017-12-31"):
        parse_value("soon", "date")
