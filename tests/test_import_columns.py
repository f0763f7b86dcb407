"""Our forecasts CSV read as columns gives exactly what the row reader gives, or leaves the file to it.

The row reader (``parse_forecasts_csv``) is the reference. The columnar path must
take the files our own exports write (and the export of a real history here),
return the same bundle, and step aside for anything it does not read exactly
(then ``read_file`` gives the row reader's result, messages and all).
"""

from __future__ import annotations

import pytest

from db import Database
from services import event_links, questions, resolutions, transfer
from services.transfer.ours import parse_forecasts_csv
from services.transfer.ours_columns import parse_forecasts_columns
from services.transfer.reading import csv_table, decode
from tests.factories import F, Q, R, day


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


def test_batches_of_a_few_rows_read_as_one_file(export: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    import services.csv_columns

    monkeypatch.setattr(services.csv_columns, "BLOCK_BYTES", 2048)  # several batches of a 30-row file
    columnar = parse_forecasts_columns(export)
    assert columnar is not None
    assert columnar == _by_rows(export)


def test_a_path_is_read_as_its_bytes_are(export: bytes, tmp_path) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(export)
    assert transfer.read_file(path, path.name) == transfer.read_file(export, path.name)


def _rows_of(export: bytes) -> tuple[list[str], list[list[str]]]:
    header, rows = csv_table(export.decode())
    return header, [cells for _, cells in rows]


def _csv(header: list[str], rows: list[list[str]]) -> bytes:
    import csv
    import io

    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([header, *rows])
    return out.getvalue().encode()


def test_reimporting_an_export_changes_nothing(database: Database, export: bytes) -> None:
    parsed = parse_forecasts_columns(export)
    assert parsed is not None
    assert isinstance(parsed.bundle.forecasts, transfer.ForecastColumns)
    counts = transfer.import_bundle(database, parsed.bundle)
    assert not counts.changed
    assert counts.unchanged["forecasts"] == 30


@pytest.mark.parametrize("scan_share", [0.0, 2.0], ids=["whole-table", "by-question"])
def test_the_columns_write_what_the_row_reader_would_write(
    database: Database, export: bytes, scan_share: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Changed values, a new forecast, and one dated after a resolution stored since the export:
    the columnar writer counts as the row writer does, and stores what the row writer then finds
    unchanged in every value (stored keys read by a scan of the table, or question by question)."""
    import db.forecast_keys

    monkeypatch.setattr(db.forecast_keys, "SCAN_SHARE", scan_share)
    header, rows = _rows_of(export)
    col = {name: header.index(name) for name in header}
    still_open = next(q for q in questions.list_questions(database) if q.outcome is None)
    q4 = [row for row in rows if row[col["question_uid"]] == still_open.uid]
    rows[0][col["probability"]] = "0.99"
    rows[1][col["rationale"]] = "changed my mind"
    rows[2][col["recorded_at"]] = "2016-12-31T00:00:00+00:00"
    before, after = list(q4[0]), list(q4[0])
    before[col["made_at"]] = before[col["recorded_at"]] = day(5.9).isoformat(timespec="microseconds")
    after[col["made_at"]] = after[col["recorded_at"]] = day(7).isoformat()
    edited = _csv(header, [*rows, before, after])
    R(database, still_open.id, "no", at=6)  # settled after the export: the row dated after it is refused

    columnar = parse_forecasts_columns(edited)
    assert columnar is not None
    assert isinstance(columnar.bundle.forecasts, transfer.ForecastColumns)
    by_rows = _by_rows(edited)
    dry_columns = transfer.import_bundle(database, columnar.bundle, dry_run=True)
    dry_rows = transfer.import_bundle(database, by_rows.bundle, dry_run=True)
    assert dry_columns == dry_rows
    assert (dry_columns.new["forecasts"], dry_columns.updated["forecasts"]) == (1, 3)
    assert len(dry_columns.refused) == 1
    assert "after the question was resolved" in dry_columns.refused[0]

    transfer.import_bundle(database, columnar.bundle)
    again = transfer.import_bundle(database, by_rows.bundle)  # the row writer compares every value
    assert not again.changed, again.summary()
    assert again.unchanged["forecasts"] == 31


@pytest.mark.parametrize(("scan_share", "scan_ids"), [(0.0, 2), (0.0, 250_000), (2.0, 250_000)])
def test_stored_keys_read_in_bulk_equal_the_stored_forecasts(
    database: Database, scan_share: float, scan_ids: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every value the bulk read returns is the stored one, exactly: rationales, a later recorded_at,
    a probability that 15 digits do not carry, a multiple-choice forecast (no probability)."""
    import numpy as np
    from sqlalchemy import select

    import db.forecast_keys
    from db.models import Forecast
    from forecasts.iso_columns import micros_of
    from forecasts.rules import FORECAST_ORIGINS

    monkeypatch.setattr(db.forecast_keys, "SCAN_SHARE", scan_share)
    monkeypatch.setattr(db.forecast_keys, "SCAN_IDS", scan_ids)
    yes_no, choice, other = Q(database), Q(database, options=["a", "b"]), Q(database)
    F(database, yes_no, 0.1 + 0.2, by="ana", at=1, why='OPEC, then "Nagato"\n北方領土')
    F(database, yes_no, 1 / 3, by="bo", at=1.5)
    F(database, choice, [0.25, 0.75], by="ana", at=2)
    F(database, other, 0.5, by="ana", at=3)
    with database.write_session() as session:  # recorded later than made, as an import keeps it
        session.scalars(select(Forecast).where(Forecast.question_id == yes_no)).first().recorded_at = day(40)
    with database.read_session() as session:
        keys = db.forecast_keys.stored_forecasts(session.connection(), [yes_no, choice])
        expected = sorted(
            session.scalars(select(Forecast).where(Forecast.question_id.in_([yes_no, choice]))),
            key=lambda f: f.id,
        )
    order = np.argsort(keys.id)
    assert keys.id[order].tolist() == [f.id for f in expected]
    assert keys.question_id[order].tolist() == [f.question_id for f in expected]
    assert keys.forecaster_id[order].tolist() == [f.forecaster_id for f in expected]
    assert keys.made_at[order].tolist() == [micros_of(f.made_at) for f in expected]
    assert keys.recorded_at[order].tolist() == [micros_of(f.recorded_at) for f in expected]
    assert keys.rationale[order].tolist() == [f.rationale for f in expected]
    assert keys.origin[order].tolist() == [FORECAST_ORIGINS.index(f.origin) for f in expected]
    probabilities = np.array([np.nan if f.probability is None else f.probability for f in expected])
    # The bulk read may round in the 16th digit (SQLite's text of a REAL); exact_probabilities never.
    assert np.allclose(keys.probability[order], probabilities, rtol=1e-15, atol=0, equal_nan=True)
    with database.read_session() as session:
        exact = db.forecast_keys.exact_probabilities(session.connection(), keys.id[order])
    assert np.array_equal(exact, probabilities, equal_nan=True)


def test_a_probability_the_bulk_read_rounds_is_not_called_changed(database: Database) -> None:
    """0.1 + 0.2 is stored as 0.30000000000000004; importing that value again changes nothing."""
    question = Q(database)
    F(database, question, 0.1 + 0.2, by="ana", at=1)
    F(database, question, 0.7, by="bo", at=2)  # two rows: one alone does not sniff as commas
    data = transfer.forecasts_csv(transfer.export_bundle(database)).encode()
    parsed = parse_forecasts_columns(data)
    assert parsed is not None
    assert parsed.bundle.forecasts[0].probability == 0.1 + 0.2
    counts = transfer.import_bundle(database, parsed.bundle)
    assert not counts.changed, counts.summary()


def test_a_quote_after_the_sniffed_sample_is_read_as_a_spreadsheet_writes_it(export: bytes) -> None:
    """The first 64 KB hold no quote at all; a later rationale with a doubled quote and a comma is
    read as written, by either reader (the sniffer's guess at quoting is not trusted)."""
    header, rows = _rows_of(export)
    col = {name: header.index(name) for name in header}
    template = [cell if not set(cell) & set('",\n') else "" for cell in rows[0]]  # a watch rule, tags
    template[col["question_title"]] = "A plain title"
    lines = []
    for i in range(400):
        row = list(template)
        row[col["made_at"]] = row[col["recorded_at"]] = day(1 + i / 1000).isoformat()
        row[col["rationale"]] = ""
        lines.append(row)
    lines[-1][col["rationale"]] = 'she said "no", then left'
    data = _csv(header, lines)
    assert b'"' not in data[:65536]
    for parsed in (transfer.read_file(data, "late-quote.csv"), _by_rows(data)):
        assert not parsed.errors
        assert parsed.bundle.forecasts[-1].rationale == 'she said "no", then left'


def _read_ahead_always(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(transfer, "READ_AHEAD_BYTES", 0)  # the tests' files are small


def test_stored_forecasts_read_ahead_are_the_stored_forecasts(
    database: Database, export: bytes, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Read beside the parse, the stored forecasts are what the writer would read itself (SQLite);
    PostgreSQL has no such copy and the writer reads them in its transaction."""
    import numpy as np

    import db.forecast_keys

    _read_ahead_always(monkeypatch)
    path = tmp_path / "export.csv"
    path.write_bytes(export)
    ids = [q.id for q in questions.list_questions(database)]
    with transfer.stored_read_ahead(database, path) as lookup:
        if not database.is_sqlite:
            assert lookup is None
            return
        assert lookup is not None
        ahead = lookup(ids[:3])
    assert ahead is not None
    with database.read_session() as session:
        own = db.forecast_keys.stored_forecasts(session.connection(), ids[:3])
    order_ahead, order_own = np.argsort(ahead.id), np.argsort(own.id)
    for name in own._fields:
        values_ahead, values_own = getattr(ahead, name)[order_ahead], getattr(own, name)[order_own]
        assert values_ahead.tolist() == values_own.tolist(), name


def test_a_commit_after_the_read_ahead_is_not_missed(
    database: Database, export: bytes, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A forecast changed by another writer after the copy was read: the copy is not used, and the
    import sees the change (the file's value differs again, so it is updated back)."""
    from sqlalchemy import select

    from db.models import Forecast

    _read_ahead_always(monkeypatch)
    path = tmp_path / "export.csv"
    path.write_bytes(export)
    with transfer.stored_read_ahead(database, path) as lookup:
        assert lookup is None or lookup([]) is not None  # waits for the copy; nothing moved yet
        with database.write_session() as session:  # as the worker or the dashboard would, meanwhile
            session.scalars(select(Forecast).order_by(Forecast.id)).first().probability = 0.77
        assert lookup is None or lookup([]) is None  # the copy is stale now
        parsed = transfer.read_file(path, path.name)
        counts = transfer.import_bundle(database, parsed.bundle, stored_ahead=lookup)
    assert (counts.updated.get("forecasts"), counts.unchanged["forecasts"]) == (1, 29)


def test_an_unchanged_file_read_with_the_copy_beside_changes_nothing(
    sqlite_database: Database, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _read_ahead_always(monkeypatch)
    question = Q(sqlite_database)
    for k in range(4):
        F(sqlite_database, question, 0.2 + k / 10, by=("ana", "bo")[k % 2], at=1 + k)
    path = tmp_path / "export.csv"
    path.write_text(transfer.forecasts_csv(transfer.export_bundle(sqlite_database)))
    with transfer.stored_read_ahead(sqlite_database, path) as lookup:
        assert lookup is not None
        parsed = transfer.read_file(path, path.name)
        counts = transfer.import_bundle(sqlite_database, parsed.bundle, stored_ahead=lookup)
    assert not counts.changed, counts.summary()
    assert counts.unchanged["forecasts"] == 4


def test_no_repeat_is_missed_when_two_keys_hash_alike() -> None:
    """The repeat check sorts one hash of (pair, time); keys that hash alike go to the exact sort."""
    import numpy as np

    from services.transfer.columns import _MIXER, _any_repeated

    made = np.array([1_481_760_000_000_000, 1_481_760_000_000_001], dtype=np.int64)
    with np.errstate(over="ignore"):
        mixed = made * _MIXER
    pair = np.array([5, (mixed[0] ^ 5) ^ mixed[1]], dtype=np.int64)  # the second hashes as the first
    with np.errstate(over="ignore"):
        assert (made * _MIXER ^ pair)[0] == (made * _MIXER ^ pair)[1]
    assert not _any_repeated(pair, made)
    assert _any_repeated(np.array([5, 7, 5]), np.array([10, 10, 10]))
    assert not _any_repeated(np.array([5, 7, 5]), np.array([10, 10, 11]))
