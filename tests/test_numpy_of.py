"""Arrow columns to numpy from their buffers agree with pyarrow's own to_numpy, slice for slice."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from services.csv_columns import numpy_of

VALUES = {
    "bool": pa.array([True, False, True, True, False, False, True, False, True, True, False]),
    "int8": pa.array(range(-5, 6), pa.int8()),
    "int32": pa.array(range(11), pa.int32()),
    "int64": pa.array([2**40 + i for i in range(11)], pa.int64()),
    "float64": pa.array([i / 7 for i in range(11)], pa.float64()),
    "with nulls": pa.array([1.5, None, 2.5] * 3, pa.float64()),
    "strings (pyarrow's path)": pa.array(list("abcdefghijk")),
}


@pytest.mark.parametrize("name", VALUES)
@pytest.mark.parametrize(("start", "stop"), [(0, None), (3, None), (1, 4), (9, 10), (5, 5)])
def test_a_column_reads_as_pyarrow_reads_it(name: str, start: int, stop: int | None) -> None:
    array = VALUES[name][start:stop]
    expected = array.to_numpy(zero_copy_only=False)
    got = numpy_of(array)
    assert got.dtype == expected.dtype
    np.testing.assert_array_equal(got, expected)


def test_a_chunked_column_is_its_chunks_in_order() -> None:
    chunked = pa.chunked_array([VALUES["bool"][2:], VALUES["bool"][:3], VALUES["bool"][7:9]])
    np.testing.assert_array_equal(numpy_of(chunked), chunked.to_numpy())
    np.testing.assert_array_equal(
        numpy_of(pc.binary_length(pa.chunked_array([["ab", ""], ["c"]]))), [2, 0, 1]
    )


def test_reading_and_checking_a_score_file_never_imports_pandas(tmp_path: Path) -> None:
    """pandas costs 0.1-0.15 s to import: the score command's budget against pandas' own baseline."""
    path = tmp_path / "scores.csv"
    path.write_text(
        "question_id,forecaster,made_at,probability,outcome\n"
        "q1,ana,2016-12-01T00:00:00Z,0.7,yes\nq2,ana,2016-12-02T00:00:00Z,70%,no\n"
    )
    script = (
        "import sys; from pathlib import Path; from services.score_file import read_score_file; "
        f"assert not read_score_file(Path({str(path)!r})).skipped; print('pandas' in sys.modules)"
    )
    project = Path(__file__).resolve().parent.parent
    run = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=project
    )
    assert run.stdout.strip() == "False"
