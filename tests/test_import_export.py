"""Import and export, read like a user's session: export, import, import again, break a file."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from db import Database
from db.models import Forecast, Question, Resolution
from services.demo import load_demo
from services.transfer import (
    ImportRefused,
    bundle_json,
    events_csv,
    export_bundle,
    forecasts_csv,
    import_bundle,
    read_file,
)

DATA = Path(__file__).parent / "data" / "imports"


def export_all(database: Database) -> tuple[str, str, str]:
    bundle = export_bundle(database)
    return forecasts_csv(bundle), events_csv(bundle), bundle_json(bundle)


def import_text(database: Database, text: str, name: str, **options: str):
    parsed = read_file(text.encode(), name, **options)
    assert parsed.errors == []
    return import_bundle(database, parsed.bundle)


def count(database: Database, model, *where) -> int:
    with database.read_session() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture
def demo(database: Database) -> Database:
    """The demo is a real history to export: 32 questions, 224 forecasts, 42 events."""
    load_demo(database)
    return database


@pytest.fixture
def empty(sqlite_template: Path, tmp_path: Path) -> Database:
    """A second database, at the newest schema and empty, to import into."""
    import shutil

    from db.engine import connect

    shutil.copyfile(sqlite_template, tmp_path / "empty.db")
    database = connect(f"sqlite:///{tmp_path / 'empty.db'}")
    yield database
    database.dispose()


def test_json_export_imports_into_an_empty_database_byte_for_byte(demo: Database, empty: Database) -> None:
    _, _, dumped = export_all(demo)
    import_text(empty, dumped, "summit.json")
    assert export_all(empty)[2] == dumped


def test_csv_exports_import_into_an_empty_database_byte_for_byte(demo: Database, empty: Database) -> None:
    forecasts, events, _ = export_all(demo)
    import_text(empty, forecasts, "summit.csv")
    import_text(empty, events, "summit.events.csv")
    again = export_all(empty)
    assert again[0] == forecasts
    assert again[1] == events


def test_importing_the_same_export_twice_changes_nothing(demo: Database) -> None:
    _, _, dumped = export_all(demo)
    counts = import_text(demo, dumped, "summit.json")
    assert not counts.changed
    assert counts.unchanged["forecasts"] == count(demo, Forecast)
    assert export_all(demo)[2] == dumped


def test_a_changed_forecast_is_updated_not_duplicated(demo: Database) -> None:
    forecasts, _, _ = export_all(demo)
    header, first, *rest = forecasts.splitlines(keepends=True)
    cells = first.split(",")
    probability_column = header.split(",").index("probability")
    assert cells[probability_column] not in ("", "0.123")
    cells[probability_column] = "0.123"
    before = count(demo, Forecast)
    counts = import_text(demo, "".join([header, ",".join(cells), *rest]), "edited.csv")
    assert counts.updated["forecasts"] == 1
    assert counts.new.get("forecasts", 0) == 0
    assert count(demo, Forecast) == before


def test_export_keeps_every_resolution_ever_recorded_in_json(demo: Database, empty: Database) -> None:
    from datetime import UTC, datetime

    from services import resolutions

    with demo.read_session() as session:
        question_id = session.scalar(select(Question.id).where(Question.uid == "demo-clinton-wins-2016"))
    resolutions.undo(demo, question_id)
    resolutions.resolve(demo, question_id, outcome="annulled", resolved_at=datetime(2016, 11, 9, tzinfo=UTC))
    _, _, dumped = export_all(demo)
    import_text(empty, dumped, "summit.json")
    assert count(empty, Resolution) == count(demo, Resolution)
    assert export_all(empty)[2] == dumped


# --- other trackers' files ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fixture", "options", "format_name", "questions", "forecasts", "resolutions", "skipped"),
    [
        ("fatebook.csv", {}, "fatebook", 4, 5, 3, []),
        (
            "fatebook_broken.csv",
            {},
            "fatebook",
            1,
            1,
            0,
            [
                (3, "Forecast (scale = 0-1)", "outside 0–1"),
                (4, "Forecast created at", "not a date"),
                (5, "resolution", "unknown resolution 'MAYBE'"),
                (6, "Question title", "is empty"),
            ],
        ),
        (
            "predictionbook.json",
            {},
            "predictionbook",
            3,
            4,
            3,
            [(4, "responses.confidence", "outside 0–100"), (5, "created_at", "not a date")],
        ),
        (
            "generic_semicolon_percent.csv",
            {
                "mapping": "title=Frage,probability=Wahrscheinlichkeit,made_at=Datum,"
                "resolution=Ergebnis,resolved_at=Aufgelöst"
            },
            "csv",
            2,
            3,
            2,
            [],
        ),
        (
            "generic_decimal.csv",
            {
                "format": "csv",
                "mapping": "title=question,probability=p,made_at=when,resolution=outcome,resolved_at=settled",
            },
            "csv",
            2,
            2,
            2,
            [],
        ),
    ],
)
def test_foreign_files_import_once_with_line_numbered_reasons(
    database: Database,
    fixture: str,
    options: dict[str, str],
    format_name: str,
    questions: int,
    forecasts: int,
    resolutions: int,
    skipped: list[tuple[int, str, str]],
) -> None:
    parsed = read_file((DATA / fixture).read_bytes(), fixture, **options)
    assert parsed.format == format_name
    assert [(e.line, e.field) for e in parsed.errors] == [(line, field) for line, field, _ in skipped]
    for error, (_, _, words) in zip(parsed.errors, skipped, strict=True):
        assert words in error.reason
    first = import_bundle(database, parsed.bundle)
    assert (
        first.new.get("questions", 0),
        first.new.get("forecasts", 0),
        first.new.get("resolutions", 0),
    ) == (
        questions,
        forecasts,
        resolutions,
    )
    again = import_bundle(database, read_file((DATA / fixture).read_bytes(), fixture, **options).bundle)
    assert not again.changed  # the second import finds everything already there
    assert count(database, Question) == questions
    assert count(database, Forecast) == forecasts


def test_fatebook_multiple_choice_rows_become_one_forecast(database: Database) -> None:
    parsed = read_file((DATA / "fatebook.csv").read_bytes(), "fatebook.csv")
    documents = next(q for q in parsed.bundle.questions if q.title.startswith("How many documents"))
    assert documents.options == ("Fewer than 30", "30 to 79", "80 or more")
    (forecast,) = [f for f in parsed.bundle.forecasts if f.question_uid == documents.uid]
    assert forecast.option_probabilities == (0.2, 0.5, 0.3)
    (resolution,) = [r for r in parsed.bundle.resolutions if r.question_uid == documents.uid]
    assert (resolution.outcome, resolution.option) == ("option", "80 or more")


def test_fatebook_tags_notes_and_quotes_survive() -> None:
    parsed = read_file((DATA / "fatebook.csv").read_bytes(), "fatebook.csv")
    treaty = next(q for q in parsed.bundle.questions if "peace treaty" in q.title)
    assert treaty.tags == ("territory", "treaty")
    assert treaty.description == 'Seed article, "gradual" approach'


def test_predictionbook_comments_are_not_forecasts_and_withdrawn_is_annulled() -> None:
    parsed = read_file((DATA / "predictionbook.json").read_bytes(), "pb.json")
    assert {f.forecaster for f in parsed.bundle.forecasts} == {"gwern"}
    outcomes = {r.question_uid: r.outcome for r in parsed.bundle.resolutions}
    assert outcomes == {
        "predictionbook-pb-aaaa-1": "no",
        "predictionbook-102": "yes",
        "predictionbook-103": "annulled",
    }
    visit = next(r for r in parsed.bundle.resolutions if r.question_uid == "predictionbook-102")
    # No judgement date: a day after the last update, or the deadline, whichever is later.
    assert visit.resolved_at.isoformat() == "2016-12-31T00:00:00+00:00"


@pytest.mark.parametrize(
    ("content", "options", "message"),
    [
        ((DATA / "fatebook_renamed.csv").read_bytes(), {}, "columns not recognised"),
        (
            (DATA / "fatebook_renamed.csv").read_bytes(),
            {"format": "fatebook"},
            "lacks the column(s) Question title",
        ),
        (b"question_uid,question_title\nq1,Will it?\n", {}, "lacks the column(s) opens_at"),
        (b"Frage;Wert\nA;1\n", {"format": "csv"}, "needs a column mapping"),
        (
            b"Frage;Wert\nA;1\n",
            {"format": "csv", "mapping": "title=Frage,probability=Missing"},
            "lacks the column(s) Missing",
        ),
        (b"{not json", {}, "looks like JSON but is not"),
        ("Frage,Wert\n".encode("cp1252") + b"\xe4\xf6\xfc,1\n", {}, "not UTF-8"),
        (b"", {}, "empty"),
    ],
)
def test_files_that_cannot_be_read_at_all_are_refused_with_what_to_do(
    database: Database, content: bytes, options: dict[str, str], message: str
) -> None:
    with pytest.raises(ImportRefused, match=message.replace("(", r"\(").replace(")", r"\)")):
        read_file(content, "upload.csv", **options)


def test_a_broken_file_leaves_the_database_as_it_was(demo: Database) -> None:
    _, _, before = export_all(demo)
    broken = (DATA / "fatebook.csv").read_text().replace("2016-10-15 09:00:00", "15/10/2016")
    parsed = read_file(broken.encode(), "fatebook.csv")
    assert parsed.errors
    with pytest.raises(ImportRefused):
        read_file((DATA / "fatebook_renamed.csv").read_bytes(), "renamed.csv", format="fatebook")
    import_bundle(demo, parsed.bundle, dry_run=True)
    assert export_all(demo)[2] == before


def test_a_dry_run_counts_but_writes_nothing(database: Database) -> None:
    parsed = read_file((DATA / "fatebook.csv").read_bytes(), "fatebook.csv")
    counts = import_bundle(database, parsed.bundle, dry_run=True)
    assert counts.new["forecasts"] == 5
    assert count(database, Forecast) == 0


def test_a_ten_megabyte_fatebook_file_imports_with_progress(database: Database) -> None:
    header, row = (DATA / "fatebook.csv").read_text().splitlines()[:2]
    lines = [header]
    size, i = len(header), 0
    while size < 10_000_000:
        minutes, hours = i % 60, (i // 60) % 24
        line = row.replace(
            "2016-10-15 09:00:00,Ana,2016-10-15", f"2016-10-15 {hours:02d}:{minutes:02d}:00,Ana,2016-10-15"
        )
        line = line.replace("in December 2016?", f"in December 2016 (variant {i // 1440})?")
        lines.append(line)
        size += len(line) + 1
        i += 1
    data = ("\n".join(lines) + "\n").encode()
    assert len(data) >= 10_000_000
    parsed = read_file(data, "big.csv")
    assert parsed.errors == []
    seen: list[int] = []
    counts = import_bundle(database, parsed.bundle, progress=lambda done, total: seen.append(done))
    assert counts.new["forecasts"] == len(parsed.bundle.forecasts) > 20_000
    assert seen == sorted(seen)
    assert seen[-1] == counts.new["forecasts"]
    assert len(seen) > 1  # written in batches, each reported


def test_a_question_cannot_change_shape_under_its_forecasts(demo: Database) -> None:
    import csv
    import io

    forecasts, _, _ = export_all(demo)
    table = list(csv.reader(io.StringIO(forecasts)))
    column = {name: i for i, name in enumerate(table[0])}
    # Turn the first yes/no question of the export into a multiple-choice one, with one forecast
    # that fits the new shape (the question's other rows no longer do and are refused).
    first = next(
        row
        for row in table[1:]
        if row[column["question_type"]] == "binary"
        and row[column["forecaster"]]
        and not row[column["resolution_outcome"]]  # an open one: a yes/no outcome would not fit either
    )
    for row in table[1:]:  # the question's fields are read from its first row: change them on all
        if row[column["question_uid"]] == first[column["question_uid"]]:
            row[column["question_type"]], row[column["options"]] = "multiple_choice", '["A", "B"]'
    first[column["probability"]], first[column["option_probabilities"]] = "", "[0.5, 0.5]"
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(table)
    parsed = read_file(out.getvalue().encode(), "reshaped.csv")
    before = export_all(demo)[2]
    with pytest.raises(ImportRefused, match="type and options cannot change once it has forecasts"):
        import_bundle(demo, parsed.bundle)
    assert export_all(demo)[2] == before


def test_a_forecast_after_the_stored_resolution_is_refused_by_name(database: Database) -> None:
    """ "No forecast after resolution" checks the database's resolution, not only the file's."""
    from services import questions
    from tests.factories import F, Q, R

    q = Q(database, "Will the summit produce a treaty?")
    F(database, q, 0.2, by="ana", at=2)
    R(database, q, "no", at=30)
    import csv
    import io

    header, row = list(csv.reader(io.StringIO(export_all(database)[0])))[:2]
    cells = dict(zip(header, row, strict=True))
    cells["made_at"] = cells["recorded_at"] = "2016-11-15T00:00:00.000000Z"  # after day 30
    for column in [c for c in header if c.startswith("resolution_") or c == "resolved_at"]:
        cells[column] = ""  # a file that knows nothing of the resolution
    out = io.StringIO()
    csv.writer(out).writerows([header, [cells[c] for c in header]])
    parsed = read_file(out.getvalue().encode(), "late.csv")
    assert parsed.errors == []  # nothing in the file itself is wrong…
    counts = import_bundle(database, parsed.bundle)
    assert counts.refused == [
        f"forecast by ana on {questions.get_question(database, q).uid} at 2016-11-15 00:00 UTC: "
        "made_at is after the question was resolved (2016-10-31 00:00 UTC)"
    ]
    assert counts.new.get("forecasts", 0) == 0
    assert count(database, Forecast) == 1


def test_the_bulk_path_applies_the_row_rules(database: Database) -> None:
    """Core inserts skip the ORM's before-flush rules; the bulk path applies them itself."""
    from db import InvalidRow
    from db.bulk import QuestionShape, insert_forecasts
    from forecasts.scoring.numeric import NumericRange
    from tests.factories import Q, day

    q = Q(database, options=["a", "b"])
    forecaster = 1  # never looked up: the rules refuse each row before it reaches the database
    shapes = {q: QuestionShape("multiple_choice", ("a", "b"))}
    row = (q, forecaster, day(1), None, [0.7, 0.7], "", "import", day(1), None)
    with pytest.raises(InvalidRow, match="must add up to 100%"), database.write_session() as session:
        insert_forecasts(session.connection(), [row], shapes)
    binary = {q: QuestionShape("binary", None)}
    with pytest.raises(InvalidRow, match="outside 0% to 100%"), database.write_session() as session:
        insert_forecasts(
            session.connection(), [(q, forecaster, day(1), 1.5, None, "", "import", day(1), None)], binary
        )
    pairs = [[0.05, 40.0], [0.5, 55.0], [0.95, 130.0]]
    with pytest.raises(InvalidRow, match="only a numeric or date question takes quantiles"):
        with database.write_session() as session:
            yes_no_with_quantiles = (q, forecaster, day(1), 0.5, None, "", "import", day(1), pairs)
            insert_forecasts(session.connection(), [yes_no_with_quantiles], binary)
    numeric = {q: QuestionShape("numeric", None, NumericRange(0, 120))}
    with pytest.raises(InvalidRow, match="130"), database.write_session() as session:
        insert_forecasts(
            session.connection(), [(q, forecaster, day(1), None, None, "", "import", day(1), pairs)], numeric
        )
    assert count(database, Forecast) == 0


@pytest.mark.parametrize(
    ("shape", "probability", "origin", "message"),
    [
        (("multiple_choice", ("a", "b")), 0.5, 1, "give one probability per option"),
        (("binary", None), 1.5, 1, "outside 0% to 100%"),
        (("binary", None), float("nan"), 1, "probability"),
        (("binary", None), 0.5, 7, "origin"),
    ],
)
def test_the_columnar_bulk_path_applies_the_row_rules(
    database: Database,
    shape: tuple[str, tuple[str, ...] | None],
    probability: float,
    origin: int,
    message: str,
) -> None:
    """Forecasts inserted as columns pass the same rules, one bad row refusing the batch."""
    import numpy as np

    from db import InvalidRow
    from db.bulk import ForecastColumnRows, QuestionShape, insert_forecast_columns
    from forecasts.iso_columns import micros_of
    from tests.factories import Q, day

    q = Q(database)
    when = np.array([micros_of(day(1)), micros_of(day(2))], dtype=np.int64)
    rows = ForecastColumnRows(
        question_id=np.array([q, q]),
        forecaster_id=np.array([1, 1]),
        made_at=when,
        probability=np.array([0.5, probability]),
        rationale=["", ""],
        origin=np.array([1, origin], dtype=np.int8),
        recorded_at=when,
    )
    with pytest.raises(InvalidRow, match=message), database.write_session() as session:
        insert_forecast_columns(session.connection(), rows, {q: QuestionShape(*shape)})
    assert count(database, Forecast) == 0


MAPPED_LATE = (
    "title=Question,created_at=Asked,probability=Chance,made_at=When,resolution=Outcome,resolved_at=Settled"
)


@pytest.mark.parametrize(
    ("data", "options"),
    [
        (  # every forecast dated after the file's own resolution: each one refused
            "Question,Asked,Chance,When,Outcome,Settled\n"
            "Will the treaty be signed?,2016-10-01,0.2,2016-12-20,no,2016-12-16\n"
            "Will the treaty be signed?,2016-10-01,0.1,2016-12-21,no,2016-12-16\n"
            "Will Putin visit Nagato?,2016-10-01,0.9,2016-12-01,yes,2016-12-15\n",
            {"format": "csv", "mapping": MAPPED_LATE},
        ),
        (  # a probability outside 0-1 on a question's only row
            "question_uid,question_title,opens_at,forecaster,made_at,probability\n"
            "q-1,Will the treaty be signed?,2016-10-01T00:00:00Z,ana,2016-10-02T00:00:00Z,1.5\n"
            "q-2,Will Putin visit Nagato?,2016-10-01T00:00:00Z,ana,2016-10-02T00:00:00Z,0.9\n",
            {},
        ),
    ],
    ids=["mapped-late", "ours-bad-probability"],
)
def test_a_question_whose_forecasts_were_all_refused_is_not_created(
    database: Database, data: str, options: dict[str, str]
) -> None:
    """The preview counts exactly what the import writes, and neither makes an empty question."""
    parsed = read_file(data.encode(), "file.csv", **options)
    assert parsed.errors
    assert [q.title for q in parsed.bundle.questions] == ["Will Putin visit Nagato?"]
    assert any("is left out: none of its forecasts could be imported" in note for note in parsed.notes)
    preview = import_bundle(database, parsed.bundle, dry_run=True)
    written = import_bundle(database, parsed.bundle)
    assert (preview.new, preview.updated) == (written.new, written.updated)
    assert written.new["questions"] == 1
    assert count(database, Question) == 1


# --- exports that are safe to open (issue 15, item 8) ------------------------------------------

FORMULAS = ['=HYPERLINK("http://127.0.0.1:9/x","click")', "+1 call", "-2 days", "@SUM(A1)", "\tindented"]


def test_cells_a_spreadsheet_would_run_are_written_as_text_and_read_back_exactly(
    database: Database, empty: Database
) -> None:
    """Every cell that starts with = + - @, a tab or a CR gets one leading ' in our CSVs (a
    spreadsheet then shows it); text that already starts with ' and then one of those gets
    another; the importer takes one off, so export → import → export gives the same bytes."""
    import csv
    import io

    from tests.factories import E, F, Q, S

    question = Q(database, "=1+1 will the summit happen?")
    F(database, question, 0.4, by="ana", at=1, why=FORMULAS[1])
    F(database, question, 0.6, by="ana", at=2, why="'=already quoted")
    source = S(database, "wire").id
    E(database, source, FORMULAS[0], at=3)
    forecasts, events, _ = export_all(database)
    cells = [cell for row in csv.reader(io.StringIO(forecasts)) for cell in row]
    assert "'=1+1 will the summit happen?" in cells
    assert "'+1 call" in cells
    assert "''=already quoted" in cells
    assert not [cell for cell in cells if cell.startswith(("=", "+", "-", "@", "\t", "\r"))]
    event_cells = [cell for row in csv.reader(io.StringIO(events)) for cell in row]
    assert "'" + FORMULAS[0] in event_cells

    import_text(empty, forecasts, "summit.csv")
    import_text(empty, events, "summit.events.csv")
    assert export_all(empty)[:2] == (forecasts, events)
    from services import questions

    titles = [q.title for q in questions.list_questions(empty)]
    assert titles == ["=1+1 will the summit happen?"]  # stored as the user typed it


def test_raw_csv_exports_write_cells_as_stored(database: Database) -> None:
    from tests.factories import Q

    Q(database, "=1+1 will the summit happen?")
    raw = forecasts_csv(export_bundle(database), raw=True)
    assert "\n=1+1 will the summit happen?," not in raw  # the uid comes first
    assert ",=1+1 will the summit happen?," in raw


@pytest.mark.parametrize(
    ("year", "written"),
    [
        (5, "0005-01-02T03:04:05.000006Z"),
        (999, "0999-01-02T03:04:05.000006Z"),
        (2016, "2016-01-02T03:04:05.000006Z"),
    ],
)
def test_times_are_written_with_four_digit_years(year: int, written: str) -> None:
    from datetime import UTC, datetime

    from services.transfer.cells import parse_time
    from services.transfer.export import iso

    when = datetime(year, 1, 2, 3, 4, 5, 6, tzinfo=UTC)
    assert iso(when) == written
    assert parse_time(written) == when


def test_a_fatebook_export_as_fatebook_writes_it(database: Database) -> None:
    """Fatebook's export (lib/web/export.ts) writes times as YYYY-MM-DD HH:MM:S in UTC — seconds
    not zero-padded, no zone — and on each multiple-choice row that option's own YES or NO."""
    from datetime import UTC, datetime

    from services import questions

    parsed = read_file((DATA / "fatebook_export_2024.csv").read_bytes(), "fatebook.csv")
    assert parsed.errors == []
    forecasts = {(f.question_uid, f.made_at) for f in parsed.bundle.forecasts}
    assert len(forecasts) == 4  # 2 yes/no, 1 multiple-choice (its three rows), 1 open
    made = sorted(f.made_at for f in parsed.bundle.forecasts)
    assert made[0] == datetime(2016, 10, 15, 9, 0, 5, tzinfo=UTC)
    assert datetime(2016, 12, 10, 9, 1, 12, tzinfo=UTC) in made
    counts = import_bundle(database, parsed.bundle)
    assert counts.new["questions"] == 3
    by_title = {q.title: q for q in questions.list_questions(database)}
    documents = by_title["How many cooperation documents will be signed in Nagato and Tokyo?"]
    assert documents.outcome == "80 or more"
    assert by_title["Will Abe and Putin sign a peace treaty in December 2016?"].outcome == "no"
    assert by_title["Will Japan lift sanctions on Russia by 2017?"].outcome is None


def test_fatebook_option_verdicts_that_name_two_winners_are_reported_by_line() -> None:
    text = (
        (DATA / "fatebook_export_2024.csv")
        .read_text()
        .replace(
            '"30 to 79","Ana",0.6,2016-11-02 08:00:7,"Ana",2016-11-02 08:00:7,2016-12-17 00:00:0,"NO"',
            '"30 to 79","Ana",0.6,2016-11-02 08:00:7,"Ana",2016-11-02 08:00:7,2016-12-17 00:00:0,"YES"',
        )
    )
    parsed = read_file(text.encode(), "fatebook.csv")
    assert [(e.line, e.field) for e in parsed.errors] == [(6, "resolution")]
    assert "YES for 2 options ('30 to 79', '80 or more')" in parsed.errors[0].reason


def test_predictionbook_imports_the_account_owners_responses_unless_asked() -> None:
    """/api/my_predictions returns {"user", "predictions"}; each prediction carries everyone's
    responses. The title is description_with_group when PredictionBook gives one."""
    data = (DATA / "predictionbook_my_predictions.json").read_bytes()
    mine = read_file(data, "pb.json")
    assert mine.errors == []
    assert sorted((f.forecaster, f.probability) for f in mine.bundle.forecasts) == [
        ("Ana", 0.08),
        ("Ana", 0.2),
        ("Ana", 0.7),
    ]
    assert mine.notes == [
        "2 responses by other people were left out (only the account owner's are imported; "
        "--all-responders imports everyone's)"
    ]
    titles = sorted(q.title for q in mine.bundle.questions)
    assert titles == [
        "Joint economic activity on the islands announced at the summit",
        "[Kuril talks] Abe and Putin sign a peace treaty in December 2016",
    ]
    everyone = read_file(data, "pb.json", all_responders=True)
    assert sorted(f.forecaster for f in everyone.bundle.forecasts) == ["Ana", "Ana", "Ana", "gwern", "gwern"]
    assert everyone.notes == []
