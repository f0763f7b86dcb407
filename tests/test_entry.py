"""What people type: probabilities in every common notation, and quick-entry lines."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from forecasts.entry import parse_date, parse_probability, parse_quick_entry
from forecasts.errors import Invalid


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("70", 0.7),
        ("70%", 0.7),
        ("70 %", 0.7),
        ("0.7", 0.7),
        (".7", 0.7),
        ("0,7", 0.7),
        ("7:3", 0.7),
        ("1 in 20", 0.05),
        ("1 IN 4", 0.25),
        ("0", 0.0),
        ("100", 1.0),
        ("1.0", 1.0),
        ("0.5%", 0.005),
    ],
)
def test_probability_notations(text: str, expected: float) -> None:
    assert parse_probability(text) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "is empty"),
        ("1", "ambiguous"),
        ("150", "outside 0% to 100%"),
        ("101%", "outside 0% to 100%"),
        ("seventy", "is not a probability"),
        ("-5", "is not a probability"),
        ("3 in 2", "needs 0 < X ≤ N"),
        ("0:0", "nothing on either side"),
    ],
)
def test_probability_rejections_name_the_field(text: str, message: str) -> None:
    with pytest.raises(Invalid, match=message) as caught:
        parse_probability(text)
    assert caught.value.field == "probability"
    assert "70%" in str(caught.value) or "1%" in str(caught.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2017-12-31", (2017, 12, 31)),
        ("31 Dec 2017", (2017, 12, 31)),
        ("31 December 2017", (2017, 12, 31)),
        ("December 31, 2017", (2017, 12, 31)),
        ("Sept 5 2019", (2019, 9, 5)),
        ("31/12/2017", (2017, 12, 31)),
        ("2019", (2019, 12, 31)),
        ("end of 2019", (2019, 12, 31)),
    ],
)
def test_dates(text: str, expected: tuple[int, int, int]) -> None:
    assert parse_date(text).timetuple()[:3] == expected


@pytest.mark.parametrize(
    ("line", "title", "closes", "probability"),
    [
        (
            "Will Russia hand over Shikotan by 2017-12-31? 15%",
            "Will Russia hand over Shikotan by 2017-12-31?",
            datetime(2017, 12, 31, 23, 59, 59, tzinfo=UTC),
            0.15,
        ),
        (
            "Will Japan and Russia sign a peace treaty by 31 Dec 2016? 1 in 20",
            "Will Japan and Russia sign a peace treaty by 31 Dec 2016?",
            datetime(2016, 12, 31, 23, 59, 59, tzinfo=UTC),
            0.05,
        ),
        ("  Will it rain tomorrow?   0.3 ", "Will it rain tomorrow?", None, 0.3),
    ],
)
def test_quick_entry(line: str, title: str, closes: datetime | None, probability: float) -> None:
    entry = parse_quick_entry(line)
    assert (entry.title, entry.closes_at) == (title, closes)
    assert entry.probability == pytest.approx(probability)


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ("Russia hands over Shikotan 15%", "quick entry"),
        ("Will Russia hand over Shikotan? lots", "probability"),
        ("Will Russia hand over Shikotan?", "probability"),
        ("? 15%", "title"),
    ],
)
def test_quick_entry_rejections(line: str, field: str) -> None:
    with pytest.raises(Invalid) as caught:
        parse_quick_entry(line)
    assert caught.value.field == field
