"""The columnar reading of a score CSV gives what the row-by-row reading gives: same table, same messages.

``read_rows`` (Python's csv module, one row at a time) is the reference; the
columnar reader is checked against it on generated files and on the shapes
real tools write, and its ISO-8601 times against ``parse_time`` cell by cell.
"""

from __future__ import annotations

import string
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forecasts.entry import parse_time
from forecasts.errors import Invalid
from services.csv_columns import ArrowCannotRead, decimals, iso_times, read_csv_columns
from services.score_file import ScoreFile, _read_columns, read_rows, read_score_file

# --- times ------------------------------------------------------------------------------------

DIGITS = st.text(string.digits, min_size=1, max_size=2)
SHAPED_TIMES = st.builds(
    "{:04d}-{:02d}-{:02d}{}".format,
    st.integers(0, 9999),
    st.integers(0, 13),
    st.integers(0, 32),
    st.one_of(
        st.just(""),
        st.builds(
            "{}{:02d}:{:02d}{}{}{}".format,
            st.sampled_from("T t_"),
            st.integers(0, 25),
            st.integers(0, 61),
            st.one_of(st.just(""), st.builds(":{:02d}".format, st.integers(0, 61))),
            st.one_of(
                st.just(""),
                st.builds("{}{}".format, st.sampled_from(".,"), st.text(string.digits, max_size=8)),
            ),
            st.sampled_from(
                ["", "Z", "z", "+09:00", "-05:30", "+23:59", "+24:00", "+0900", "+09", "-00:00", "+05:61"]
            ),
        ),
    ),
)
ANY_TIMES = st.one_of(SHAPED_TIMES, st.text(string.digits + "-:T .Z+", max_size=30), st.text(max_size=12))


def _times(texts: list[str]):
    return iso_times(pa.array(texts, type=pa.string()))


@settings(max_examples=400, deadline=None)
@given(st.lists(ANY_TIMES, min_size=1, max_size=30))
def test_a_time_read_as_a_column_is_the_time_parse_time_reads(texts: list[str]) -> None:
    times = _times(texts)
    for text, seconds, ok in zip(texts, times.seconds, times.ok, strict=True):
        try:
            expected = parse_time(text).timestamp()
        except Invalid:
            assert not ok, text  # never accepts what the one-cell parser refuses
            continue
        if ok:  # cells it does not read are left to parse_time: never guessed
            assert seconds == expected, text


@pytest.mark.parametrize(
    "text",
    [
        "2016-12-15",
        "2016-12-15T06:00",
        "2016-12-15 06:00:00",
        "2016-12-15T06:00:00Z",
        "2016-12-15T06:00:00.5Z",
        "2016-12-15T06:00:00.123456+09:00",
        "2016-12-15T06:00:00,25-05:30",
        "2016-02-29T23:59:59",
        "1900-03-01T00:00:00Z",
        "2200-12-31T23:59:59.999999",
        "1969-12-31T23:59:59.999999Z",
    ],
)
def test_the_shapes_tools_write_are_read_as_columns(text: str) -> None:
    times = _times([text])
    assert times.ok[0], text
    assert times.seconds[0] == parse_time(text).timestamp()


@pytest.mark.parametrize(
    "text",
    ["2015-02-29", "2016-12-15T24:00:00", "2016-12-15T06:00:60", "2016-13-01", "0000-01-01", "2016-12-15Z"],
)
def test_impossible_times_are_not_read(text: str) -> None:
    assert not _times([text]).ok[0]


def test_a_time_before_year_one_in_utc_is_refused_not_a_crash() -> None:
    with pytest.raises(Invalid, match="years 1–9999"):
        parse_time("0001-01-01T00:00:00+01:00")
    assert not _times(["0001-01-01T00:00:00+01:00"]).ok[0]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.floats(0, 1),
            st.integers(0, 17).flatmap(lambda places: st.decimals(-2, 200, places=places)).map(str),
            st.text("0123456789.-+eE_ ", max_size=18),
            st.sampled_from(["nan", "-inf", "Infinity", "1e400", "1_0", "\u0661", " 0.5"]),
        ),
        max_size=20,
    )
)
def test_a_decimal_read_as_a_column_is_pythons_float(values: list) -> None:
    texts = [v if isinstance(v, str) else repr(v) for v in values]
    numbers, ok = decimals(pa.array(texts, type=pa.string()))
    if all(ok):  # read as one column: then every cell must also be one float() reads
        assert all(_float_or_none(t) is not None for t in texts)
    for text, number, fast in zip(texts, numbers, ok, strict=True):
        if fast:  # what it reads, it reads as float() does
            expected = _float_or_none(text)
            assert expected is not None, text
            assert number == expected or (np.isnan(number) and np.isnan(expected)), text
            assert np.signbit(number) == np.signbit(expected), text


def _float_or_none(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


# --- whole files --------------------------------------------------------------------------------

HEADER = [
    "question_id",
    "forecaster",
    "made_at",
    "probability",
    "outcome",
    "opens_at",
    "closes_at",
    "resolved_at",
]
CELLS = {
    "question_id": ["q1", "q2", " q3 ", "", "q\u00a0", "«q»"],
    "forecaster": ["ana", "bo", "", " ana", "\u2003bo"],
    "made_at": [
        "2016-12-01T00:00:00Z",
        "2016-12-02 06:30",
        "2016-12-03T00:00:00.25+09:00",
        "2016-12-20",
        "soon",
        "",
    ],
    "probability": ["0.7", "70%", " 0.25 ", "1", "0", "-0.00", "1.5", "abc", "", "7e-1", "50 %", "nan"],
    "outcome": ["1", "0", "yes", "NO", "True", "", "maybe"],
    "opens_at": ["", "2016-11-01", "2016-12-10", "bad"],
    "closes_at": ["", "2016-12-31", "2016-11-15"],
    "resolved_at": ["", "2016-12-16", "2016-11-30T00:00:00Z"],
}
ROWS = st.lists(st.tuples(*(st.sampled_from(CELLS[name]) for name in HEADER)), min_size=1, max_size=40)


def _write(path: Path, header: list[str], rows: list[tuple[str, ...]]) -> Path:
    def quoted(cell: str) -> str:
        return f'"{cell}"' if any(c in cell for c in ',"\n') else cell

    lines = [",".join(header)] + [",".join(quoted(c) for c in row) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _same(got: ScoreFile, expected: ScoreFile) -> None:
    assert got.skipped == expected.skipped
    assert got.n_unresolved == expected.n_unresolved
    for name in ("question", "forecaster", "question_codes", "forecaster_codes"):
        assert getattr(got.table, name).tolist() == getattr(expected.table, name).tolist(), name
    for name in ("made_at", "probability", "outcome", "opens_at", "closes_at", "resolved_at"):
        np.testing.assert_array_equal(getattr(got.table, name), getattr(expected.table, name), err_msg=name)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=ROWS, with_window=st.booleans())
def test_a_file_read_as_columns_is_the_file_read_row_by_row(tmp_path: Path, rows, with_window: bool) -> None:
    header = HEADER if with_window else HEADER[:5]
    path = _write(tmp_path / "f.csv", header, [row[: len(header)] for row in rows])
    _same(_read_columns(read_csv_columns(path)), read_rows(path))


def _both(path: Path) -> ScoreFile:
    got = read_score_file(path)
    _same(got, read_rows(path))
    return got


def test_bad_rows_are_named_by_line_and_the_rest_scored(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "f.csv",
        HEADER[:5],
        [
            ("q1", "ana", "2016-12-01T00:00:00Z", "0.7", "1"),
            ("q1", "bo", "2016-12-01T00:00:00Z", "150%", "1"),
            ("q2", "ana", "yesterday", "0.2", "0"),
            ("q1", "bo", "2016-12-02T00:00:00Z", "0.4", "0"),
            ("q3", "ana", "2016-12-01T00:00:00Z", "0.5", ""),
        ],
    )
    got = _both(path)
    assert [(s.line, s.reason) for s in got.skipped] == [
        (3, "probability '150%' is outside 0% to 100% (write 0.7 or 70%)"),
        (4, "made_at 'yesterday' is not an ISO-8601 time (e.g. 2016-12-15T06:00:00Z)"),
        (5, "outcome 0 contradicts line 2 for question 'q1'"),
    ]
    assert got.n_unresolved == 1
    assert got.table.question.tolist() == ["q1"]


@pytest.mark.parametrize(
    "content",
    [
        "question_id,forecaster,made_at,probability,outcome\nq1,ana,2016-12-01,0.7,1,extra\nq2,bo,2016-12-01,0.1,0\n",
        "question_id,forecaster,made_at,probability,outcome\nq1,ana,2016-12-01\nq2,bo,2016-12-01,0.1,0\n",
        "\ufeffquestion_id,forecaster,made_at,probability,outcome\r\nq1,ana,2016-12-01,0.7,1\r\n",
        'question_id,forecaster,made_at,probability,outcome\n"q\n1",ana,2016-12-01,0.7,1\nq2,bo,2016-12-01,0.1,0\n',
        "question_id,forecaster,made_at,probability,outcome,outcome\nq1,ana,2016-12-01,0.7,maybe,1\n",
        " question_id , forecaster ,made_at,probability,outcome\n\nq1,ana,2016-12-01,0.7,1\n\n",
    ],
    ids=[
        "long row",
        "short row",
        "BOM and CRLF",
        "newline in a quoted cell",
        "duplicate column",
        "blank lines",
    ],
)
def test_files_arrow_reads_otherwise_read_as_python_reads_them(tmp_path: Path, content: str) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(content.encode("utf-8"))
    _both(path)


def test_ragged_files_fall_back_to_the_row_reader(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_text("question_id,forecaster,made_at,probability,outcome\nq1,ana,2016-12-01,0.7,1,extra\n")
    with pytest.raises(ArrowCannotRead):
        read_csv_columns(path)


def test_a_million_row_shape_is_read_as_columns_without_falling_back(tmp_path: Path) -> None:
    # A file as a script writes it: the columnar path reads every cell, none row by row.
    moments = np.datetime64("2016-01-01T00:00:00") + np.arange(2000) * np.timedelta64(3_600_123_457, "us")
    stamps = [f"{m}Z" for m in moments.astype("datetime64[us]")]
    rows = [
        (f"q{i % 50}", f"f{i % 7}", stamps[i], f"{(i % 101) / 100:.2f}", str((i % 50) % 2))
        for i in range(2000)
    ]
    path = _write(tmp_path / "f.csv", HEADER[:5], rows)
    times = iso_times(read_csv_columns(path).text("made_at"))
    assert times.ok.all()
    assert times.seconds[1] == datetime.fromisoformat(stamps[1]).astimezone(UTC).timestamp()
    _both(path)
