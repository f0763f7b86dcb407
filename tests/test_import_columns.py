"""Our forecasts CSV read as columns gives exactly what the row reader gives, or leaves the file to it.

The row reader (``parse_forecasts_csv``) is the reference. The columnar path must
take the files our own exports write (and the export of a real history here),
return the same bundle, and step aside for anything it does not read exactly
(then ``read_file`` gives the row reader's result, messages and all).
"""

from __future__ import annotations

import pytest

from db import Database
from services import event_links, resolutions, transfer
from services.transfer.ours import parse_forecasts_csv
from services.transfer.ours_columns import parse_forecasts_columns
from services.transfer.reading import csv_table, decode
from tests.factories import F, Q, R


def _by_rows(data: bytes) -> transfer.Parsed:
    header, rows = csv_table(decode(data, "f.csv"))
    return parse_forecasts_csv(header, rows)


@pytest.fixture
def export(database: Database) -> bytes:
    """An export of a varied yes/no history: tags, a watch rule, resolutions of every kind, an undo,
    rationales with commas, quotes, newlines and non-Latin text, several forecasters and kinds."""
    ids = [Q(database, tags=["oil", "treaty"] if n % 2 else [], closes=90 + n) for n in range(6)]
    event_links.watch_question(database, ids[0], '"Northern Territories" OR Kuril*')
    why = ["", 'OPEC, then "Nagato"', "line one\nline two", "北方領土 交渉", "  spaced  "]
    for n, question in enumerate(ids):
        for k in range(5):
            who = ("ana", "bo", "crowd:manifold")[k % 3]
            F(database, question, round((n + k) / 12, 3), by=who, at=1 + k + n / 7, why=why[k])
    R(database, ids[0], "yes", at=80)
    R(database, ids[1], "no", at=81)
    R(database, ids[2], "annulled", at=82)
    R(database, ids[3], "yes", at=83)
    resolutions.undo(database, ids[3])
    return transfer.forecasts_csv(transfer.export_bundle(database)).encode()


def test_an_export_is_read_as_columns_and_equals_the_row_reading(export: bytes) -> None:
    columnar = parse_forecasts_columns(export)
    assert columnar is not None  # the columnar path took it
    assert columnar == _by_rows(export)
    assert len(columnar.bundle.forecasts) == 30


def test_read_file_gives_the_row_readers_result_either_way(export: bytes) -> None:
    assert transfer.read_file(export, "export.csv") == _by_rows(export)


def _edited(export: bytes, line: int, column: str, value: str) -> bytes:
    text = export.decode()
    header, rows = csv_table(text)
    table = [header, *[cells for _, cells in rows]]
    table[line - 1][header.index(column)] = value
    import csv
    import io

    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(table)
    return out.getvalue().encode()


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("probability", "70%"),  # percent: the row reader's own reading
        ("probability", "1.5"),  # out of range: its message
        ("probability", ""),  # missing
        ("made_at", "soon"),  # not a time
        ("made_at", "2016-10-02T06"),  # a time only parse_time reads
        ("forecaster", " ana"),  # spaces the row reader trims
        ("forecaster", ""),  # a question-only row
        ("origin", "scraped"),  # an origin the rules refuse
        ("option_probabilities", "[0.5, 0.5]"),  # not yes/no
        ("question_title", ""),  # a rule on the question
        ("tags", "[not json"),  # a cell the question reader refuses
        ("because", '[["NHK", "item-1"]]'),  # a citation
    ],
)
def test_anything_unusual_is_left_to_the_row_reader(export: bytes, column: str, value: str) -> None:
    odd = _edited(export, 2, column, value)
    assert parse_forecasts_columns(odd) is None
    assert transfer.read_file(odd, "odd.csv") == _by_rows(odd)


def test_a_repeated_forecast_and_a_late_one_are_the_row_readers_to_report(export: bytes) -> None:
    text = export.decode()
    header, *rows = text.splitlines(keepends=True)
    repeated = (header + rows[0] + "".join(rows)).encode()
    assert parse_forecasts_columns(repeated) is None
    parsed = transfer.read_file(repeated, "repeated.csv")
    assert parsed == _by_rows(repeated)
    assert any("a second forecast" in e.reason for e in parsed.errors)


def test_a_semicolon_file_is_read_row_by_row(export: bytes) -> None:
    import csv
    import io

    header, rows = csv_table(export.decode())
    out = io.StringIO()
    csv.writer(out, delimiter=";", lineterminator="\n").writerows([header, *[cells for _, cells in rows]])
    data = out.getvalue().encode()
    assert parse_forecasts_columns(data) is None
    assert transfer.read_file(data, "semicolons.csv") == _by_rows(data)
