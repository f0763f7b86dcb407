"""Fatebook's CSV and mapped CSVs read as columns give exactly what their row readers give, or leave
the file to them.

The row readers (``parse_fatebook``, ``parse_generic``) are the reference: the
columnar path must take the plain yes/no files (a fixture in Fatebook's layout and
generated ones, read in many batches) and return the same bundle, notes and all,
and step aside for anything it does not read exactly.
"""

from __future__ import annotations

import csv
import io
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import services.csv_columns
from services import transfer
from services.transfer.foreign import FATEBOOK_COLUMNS, parse_fatebook, parse_generic, parse_mapping
from services.transfer.foreign_columns import fatebook_layout, mapped_layout, parse_forecast_rows_columns
from services.transfer.reading import csv_table, decode

DATA = Path(__file__).parent / "data" / "imports"
MAPPING = (
    "title=Question,probability=Chance,made_at=When,forecaster=Who,resolution=Outcome,resolved_at=Settled"
)


def _fatebook_by_rows(data: bytes) -> transfer.Parsed:
    header, rows = csv_table(decode(data, "f.csv"))
    return parse_fatebook(header, rows)


def _mapped_by_rows(data: bytes, mapping: str = MAPPING) -> transfer.Parsed:
    header, rows = csv_table(decode(data, "f.csv"))
    return parse_generic(header, rows, parse_mapping(mapping))


def _csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode()


def _stamp(when: datetime) -> str:
    return when.strftime("%Y-%m-%d %H:%M:%S")


def _fatebook_file(seed: int, n_questions: int = 40) -> bytes:
    """A yes/no Fatebook export: blank creators and creation times, notes with commas, quotes and
    newlines, tags, YES / NO / AMBIGUOUS / unresolved, forecasts never after the resolution."""
    rng = random.Random(seed)
    header = list(FATEBOOK_COLUMNS)
    rows = [header]
    start = datetime(2016, 9, 1, tzinfo=UTC)
    for q in range(n_questions):
        created = start + timedelta(hours=rng.randrange(0, 2000))
        resolve_by = created + timedelta(days=rng.randrange(10, 90))
        outcome = rng.choice(["YES", "NO", "AMBIGUOUS", "", "yes"])
        resolved = resolve_by - timedelta(days=1)
        notes = rng.choice(["", 'Seed article, "gradual" approach', "line one\nline two", "北方領土"])
        for _ in range(rng.randrange(1, 6)):
            made = created + timedelta(
                minutes=rng.randrange(0, int((resolved - created).total_seconds() // 60))
            )
            who = rng.choice(["Ana", "Bo", ""])
            row = dict.fromkeys(header, "")
            row |= {
                "Question title": f"Will event {q} happen?",
                "Forecast created by": who,
                "Forecast (scale = 0-1)": rng.choice(["0.2", "0.05", "1", "0", "0.333", " 0.7 "]),
                "Forecast created at": _stamp(made) + rng.choice(["", "Z", "+00:00"]),
                "Question created by": "Ana",
                "Question created at": _stamp(created) if q % 7 else "",
                "Question resolve by": _stamp(resolve_by),
                "Resolution": outcome,
                "Resolved at": _stamp(resolved) if outcome else "",
                "Question notes": notes,
                "Question tags": rng.choice(["", "territory; treaty", "economy"]),
            }
            rows.append([row[name] for name in header])
    if seed % 2:  # questions interleaved, as a chronological export lists them
        rows[1:] = rng.sample(rows[1:], len(rows) - 1)
    return _csv(rows)


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(services.csv_columns, "BLOCK_BYTES", 4096)


@pytest.mark.parametrize("seed", range(6))
def test_a_fatebook_export_read_as_columns_equals_the_row_reading(seed: int, small_batches: None) -> None:
    data = _fatebook_file(seed)
    columnar = parse_forecast_rows_columns(data, fatebook_layout())
    assert columnar is not None  # the columnar path took it
    assert isinstance(columnar.bundle.forecasts, transfer.ForecastColumns)
    by_rows = _fatebook_by_rows(data)
    assert not by_rows.errors
    assert columnar == by_rows
    assert transfer.read_file(data, "fatebook.csv") == by_rows


def test_the_fixture_without_its_multiple_choice_question_is_read_as_columns() -> None:
    header, rows = csv_table(decode((DATA / "fatebook.csv").read_bytes(), "fatebook.csv"))
    yes_no = [cells for _, cells in rows if not cells[header.index("Multiple choice option")]]
    data = _csv([header, *yes_no])
    columnar = parse_forecast_rows_columns(data, fatebook_layout())
    assert columnar is not None
    assert columnar == _fatebook_by_rows(data)


def _edited(data: bytes, line: int, column: str, value: str) -> bytes:
    header, rows = csv_table(decode(data, "f.csv"))
    table = [header, *[cells for _, cells in rows]]
    table[line - 1][header.index(column)] = value
    return _csv(table)


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("Multiple choice option", "Fewer than 30"),  # multiple choice
        ("Forecast (scale = 0-1)", "70"),  # outside 0–1: its message
        ("Forecast (scale = 0-1)", ""),  # missing
        ("Forecast created at", "not a date"),
        ("Forecast created at", "2016-10-15 9:00"),  # a shape only parse_time may read
        ("Question title", ""),
        ("Resolution", "MAYBE"),  # an unknown resolution word
        ("Forecast created by", "\u00a0Ana"),  # a space only Python's strip removes
        ("Question tags", "[not json"),
    ],
)
def test_anything_unusual_is_left_to_the_row_reader(column: str, value: str) -> None:
    odd = _edited(_fatebook_file(1), 2, column, value)
    assert parse_forecast_rows_columns(odd, fatebook_layout()) is None
    assert transfer.read_file(odd, "odd.csv") == _fatebook_by_rows(odd)


def test_a_repeated_forecast_is_the_row_readers_to_report() -> None:
    header, rows = csv_table(decode(_fatebook_file(2), "f.csv"))
    table = [cells for _, cells in rows]
    repeated = _csv([header, table[0], *table])
    assert parse_forecast_rows_columns(repeated, fatebook_layout()) is None
    parsed = transfer.read_file(repeated, "repeated.csv")
    assert parsed == _fatebook_by_rows(repeated)
    assert any("a second forecast" in error.reason for error in parsed.errors)


def _mapped_file(seed: int, scale: str) -> bytes:
    """A spreadsheet of one's own: decimals or percent (with and without '%'), ISO dates."""
    rng = random.Random(seed)
    rows = [["Question", "Chance", "When", "Who", "Outcome", "Settled", "Ignored"]]
    for q in range(30):
        settled = datetime(2016, 12, 15, tzinfo=UTC) + timedelta(days=q)
        outcome = rng.choice(["yes", "no", "", "n/a"])
        for k in range(rng.randrange(1, 5)):
            made = settled - timedelta(days=rng.randrange(1, 60), minutes=k)
            chance = round(rng.random(), 2)
            shown = (
                str(chance) if scale == "decimal" else rng.choice([f"{chance * 100:g}", f"{chance * 100:g}%"])
            )
            rows.append(
                [
                    f"Q{q}: will it, or not?",
                    shown,
                    made.isoformat().replace("+00:00", rng.choice(["Z", "+00:00", ""])),
                    rng.choice(["me", "analyst", ""]),
                    outcome,
                    settled.date().isoformat() if outcome else "",
                    "x",
                ]
            )
    rows[1:] = sorted(rows[1:], key=lambda row: row[2])  # by date, as a diary of forecasts is kept
    return _csv(rows)


@pytest.mark.parametrize("scale", ["decimal", "percent"])
@pytest.mark.parametrize("seed", range(3))
def test_a_mapped_csv_read_as_columns_equals_the_row_reading(
    scale: str, seed: int, small_batches: None
) -> None:
    data = _mapped_file(seed, scale)
    columnar = parse_forecast_rows_columns(data, mapped_layout(parse_mapping(MAPPING)))
    assert columnar is not None
    by_rows = _mapped_by_rows(data)
    assert not by_rows.errors
    assert columnar == by_rows  # the note on the scale included
    assert transfer.read_file(data, "mine.csv", "csv", MAPPING) == by_rows


def test_a_mapped_row_without_a_date_is_left_to_the_row_reader() -> None:
    odd = _edited(_mapped_file(0, "decimal"), 3, "When", "")
    assert parse_forecast_rows_columns(odd, mapped_layout(parse_mapping(MAPPING))) is None
    parsed = transfer.read_file(odd, "mine.csv", "csv", MAPPING)
    assert parsed == _mapped_by_rows(odd)
    assert [error.field for error in parsed.errors] == ["When"]


def test_the_fixtures_read_the_same_either_way() -> None:
    """The recorded exports (multiple choice, semicolons, broken rows) all go row by row, unchanged."""
    cases = [
        ("fatebook.csv", "auto", ""),
        ("fatebook_broken.csv", "auto", ""),
        (
            "generic_decimal.csv",
            "csv",
            "title=question,probability=p,made_at=when,resolution=outcome,resolved_at=settled",
        ),
    ]
    for name, format, mapping in cases:
        data = (DATA / name).read_bytes()
        header, rows = csv_table(decode(data, name))
        expected = (
            parse_generic(header, rows, parse_mapping(mapping)) if mapping else parse_fatebook(header, rows)
        )
        assert transfer.read_file(data, name, format, mapping) == expected, name
