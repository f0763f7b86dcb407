"""Reading a CSV of numeric forecasts: whole columns checked with numpy give what Python's csv
module reads row by row (``read_rows``, the reference), and every bad row is named by its line
with what is wrong and what is allowed."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forecasts.scoring.numeric import NumericRange, Quantiles, cdf_of, crps_cdf, crps_quantile
from forecasts.scoring.numeric_card import row_scores
from services.csv_columns import read_csv_columns
from services.numeric_score_file import (
    NumericScoreFile,
    _read_columns,
    is_numeric_file,
    quantile_columns,
    read_numeric_file,
    read_rows,
)
from services.score_file import ScoreFileError

HEADER = [
    "question_id",
    "forecaster",
    "made_at",
    "q05",
    "q25",
    "q50",
    "q75",
    "q95",
    "lower",
    "upper",
    "outcome",
]
CELLS = {
    "question_id": ["brent", "deficit", " docs ", ""],
    "forecaster": ["ana", "bo", ""],
    "made_at": ["2016-12-01T00:00:00Z", "2016-12-02 06:30", "2016-12-15T09:00:00+09:00", "soon"],
    "q05": ["40", "48.5", "", "x", "1,200"],
    "q25": ["50", "52", "", "45"],
    "q50": ["55", "55.0", "", "inf"],
    "q75": ["58", "60", ""],
    "q95": ["62", "70", "", "57"],
    "lower": ["", "0", "50", "100"],
    "upper": ["", "200", "60", "0"],
    "outcome": ["55.21", "44", "", "120", "n/a", "1e2"],
}
ROWS = st.lists(st.tuples(*(st.sampled_from(CELLS[name]) for name in HEADER)), min_size=1, max_size=40)


def write(path: Path, header: list[str], rows: list[tuple[str, ...]] | list[list[str]]) -> Path:
    def quoted(cell: str) -> str:
        return f'"{cell}"' if any(c in cell for c in ',"\n') else cell

    lines = [",".join(header)] + [",".join(quoted(c) for c in row) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def same(got: NumericScoreFile, expected: NumericScoreFile) -> None:
    assert got.skipped == expected.skipped
    assert got.n_unresolved == expected.n_unresolved
    for name in ("question", "forecaster", "question_codes", "forecaster_codes"):
        assert getattr(got.table, name).tolist() == getattr(expected.table, name).tolist(), name
    for name in (
        "levels",
        "values",
        "made_at",
        "outcome",
        "lower",
        "upper",
        "opens_at",
        "closes_at",
        "resolved_at",
    ):
        np.testing.assert_array_equal(getattr(got.table, name), getattr(expected.table, name), err_msg=name)


def both(path: Path) -> NumericScoreFile:
    got = read_numeric_file(path)
    same(got, read_rows(path))
    return got


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=ROWS)
def test_a_file_read_as_columns_is_the_file_read_row_by_row(tmp_path: Path, rows) -> None:
    path = write(tmp_path / "f.csv", HEADER, rows)
    same(_read_columns(read_csv_columns(path), quantile_columns(HEADER)), read_rows(path))


GOOD = ["brent", "ana", "2016-12-01T00:00:00Z", "48", "52", "55", "58", "62", "", "", "55.21"]


def changed(**cells: str) -> list[str]:
    row = list(GOOD)
    for name, value in cells.items():
        row[HEADER.index(name)] = value
    return row


BAD_ROWS = [
    (changed(q25="about 50"), "q25 'about 50' is not a number"),
    (changed(q95="1,200"), "q95 '1,200' is not a number (write 12000, without thousands separators)"),
    (
        changed(q05="", q25="", q75=""),
        "needs at least 3 quantiles, got q50, q95 (fill 3 or more of q05, q25, q50, q75, q95)",
    ),
    (changed(q75="54"), "q75 54 is not above q50 55: quantiles rise with their levels"),
    (changed(q50="", q75="50"), "q75 50 is not above q25 52: quantiles rise with their levels"),
    (changed(outcome="n/a"), "outcome 'n/a' is not a number (blank = unresolved)"),
    (changed(outcome="inf"), "outcome 'inf' is not a finite number (blank = unresolved)"),
    (changed(made_at="soon"), "made_at 'soon' is not an ISO-8601 time (e.g. 2016-12-15T06:00:00Z)"),
    (changed(question_id=""), "question_id and forecaster must not be empty"),
    (changed(lower="80", upper="20"), "lower 80 must be below upper 20"),
    (changed(lower="50"), "lower 50 must be below the lowest quantile (48)"),
    (changed(upper="60"), "upper 60 must be above the highest quantile (62)"),
    (
        changed(lower="0", outcome="-3"),
        "outcome -3 is outside the closed range at lower 0 (leave lower blank if the range is open there)",
    ),
]


@pytest.mark.parametrize(
    ("row", "says"), BAD_ROWS, ids=[says.split(" ")[0] + str(i) for i, (_, says) in enumerate(BAD_ROWS)]
)
def test_a_bad_row_is_named_by_line_and_says_what_is_allowed(
    tmp_path: Path, row: list[str], says: str
) -> None:
    got = both(write(tmp_path / "f.csv", HEADER, [GOOD, row, changed(question_id="docs")]))
    assert [(s.line, s.reason) for s in got.skipped] == [(3, says)]
    assert got.table.question.tolist() == ["brent", "docs"]


def test_a_second_outcome_for_a_question_is_refused_and_unresolved_rows_are_counted(tmp_path: Path) -> None:
    rows = [
        GOOD,
        changed(forecaster="bo", outcome="57"),
        changed(forecaster="bo", outcome=""),
        changed(outcome=""),
    ]
    got = both(write(tmp_path / "f.csv", HEADER, rows))
    assert [(s.line, s.reason) for s in got.skipped] == [
        (3, "outcome 57 contradicts line 2 for question 'brent'")
    ]
    assert got.n_unresolved == 2


def test_window_columns_are_checked_as_for_yes_no_files(tmp_path: Path) -> None:
    header = [*HEADER, "opens_at", "closes_at", "resolved_at"]
    rows = [
        [*GOOD, "2016-11-01", "2016-12-31", "2016-12-30"],
        [*changed(forecaster="bo"), "2016-11-01", "2016-10-01", ""],
        [*changed(forecaster="cy"), "", "", "2016-11-30"],
    ]
    got = both(write(tmp_path / "f.csv", header, rows))
    assert [(s.line, s.reason) for s in got.skipped] == [
        (3, "closes_at must be after opens_at"),
        (4, "made_at is after resolved_at: a forecast made after the answer is known"),
    ]


def test_quantile_columns_take_any_levels_and_refuse_twins() -> None:
    assert quantile_columns(["q2.5", "q50", "question_id", "q97.5", "q10", "q0", "q100"]) == {
        "q2.5": 0.025,
        "q10": 0.1,
        "q50": 0.5,
        "q97.5": 0.975,
    }
    with pytest.raises(
        ScoreFileError, match=re.escape("columns q05 and q5 both give the 5.0% quantile: keep one")
    ):
        quantile_columns(["q05", "q5", "q50"])


def test_a_file_of_both_kinds_is_refused_and_a_yes_no_file_is_not_numeric(tmp_path: Path) -> None:
    mixed = write(tmp_path / "mixed.csv", [*HEADER, "probability"], [[*GOOD, "0.5"]])
    with pytest.raises(
        ScoreFileError, match=re.escape("a file holds yes/no forecasts (probability) or numeric ones")
    ):
        is_numeric_file(mixed)
    yes_no = write(
        tmp_path / "binary.csv", ["question_id", "forecaster", "made_at", "probability", "outcome"], []
    )
    assert not is_numeric_file(yes_no)
    assert is_numeric_file(write(tmp_path / "numeric.csv", HEADER, [GOOD]))


@pytest.mark.parametrize(
    ("header", "says"),
    [
        (["question_id", "forecaster", "made_at", "q05", "q50", "q95"], "missing column(s) outcome"),
        (
            ["question_id", "forecaster", "made_at", "q25", "q75", "outcome"],
            "missing column(s) quantiles (only q25, q75)",
        ),
    ],
)
def test_missing_columns_say_what_is_needed(tmp_path: Path, header: list[str], says: str) -> None:
    with pytest.raises(ScoreFileError) as refused:
        read_numeric_file(write(tmp_path / "f.csv", header, []))
    assert says in refused.value.message
    assert (
        "Needed: question_id, forecaster, made_at, outcome and at least 3 quantile columns qNN"
        in refused.value.message
    )


def test_rows_stating_different_levels_are_each_scored_on_their_own(tmp_path: Path) -> None:
    """A file may leave levels blank; each row is scored on the quantiles it states."""
    rows = [
        GOOD,
        changed(forecaster="bo", q05="", q95="", lower="0", upper="200"),
        changed(forecaster="cy", q25="", q75="", upper="90"),
        changed(question_id="docs", forecaster="di", q05="", q50="", outcome="70"),
    ]
    got = both(write(tmp_path / "f.csv", HEADER, rows))
    scores = row_scores(got.table)
    for i in range(len(got.table)):
        stated = ~np.isnan(got.table.values[i])
        levels, values = tuple(got.table.levels[stated]), tuple(got.table.values[i][stated])
        lower, upper = got.table.lower[i], got.table.upper[i]
        scale = NumericRange(
            -1e9 if math.isnan(lower) else lower,
            1e9 if math.isnan(upper) else upper,
            lower_open=math.isnan(lower),
            upper_open=math.isnan(upper),
        )
        outcome = float(got.table.outcome[i])
        forecast = Quantiles(levels, values)
        assert scores.crps_quantile[i] == pytest.approx(crps_quantile(forecast, outcome), abs=1e-12)
        assert scores.crps_cdf[i] == pytest.approx(crps_cdf(cdf_of(forecast, scale), outcome), abs=1e-11)
