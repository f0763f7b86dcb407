"""``python -m tracker score`` on a million-row CSV, next to pandas ``read_csv`` + scikit-learn.

Run: ``make bench``. Writes a CSV once to /tmp (1,000,000 resolved forecasts by 20
forecasters on 10,000 questions, probabilities to 0.01, ISO-8601 times with
microseconds and a zone), then runs, each in a fresh process so that start-up,
imports and memory are their own:

- baseline: ``pandas.read_csv`` of the file, then scikit-learn's
  ``brier_score_loss``, ``log_loss`` and ``calibration_curve`` on its columns;
- ours: ``python -m tracker score FILE --json`` (every row checked, the whole
  scorecard: calibration samples, CORP and Murphy decompositions and updating,
  overall and for each of the 20 forecasters).

The same again on a copy with the question windows (``opens_at``, ``closes_at``,
``resolved_at``), where ours adds the time-averaged scores. Prints wall time,
the ratio and each process's peak RSS. Targets (issue 13): ours ≤ 1.2x the
baseline on the five-column file; under 600 MB RSS.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

N_ROWS = 1_000_000
N_QUESTIONS = 10_000
N_FORECASTERS = 20
ROOT = Path(__file__).resolve().parent.parent
PLAIN = Path(tempfile.gettempdir()) / "summit-bench-score.csv"
WINDOWED = Path(tempfile.gettempdir()) / "summit-bench-score-windows.csv"

BASELINE = """
import sys
import pandas as pd
from sklearn.calibration import calibration_curve
from sklearn.metrics import brier_score_loss, log_loss
frame = pd.read_csv(sys.argv[1])
y, p = frame["outcome"].to_numpy(), frame["probability"].to_numpy()
print(brier_score_loss(y, p), log_loss(y, p), calibration_curve(y, p, n_bins=10))
"""


def _stamps(seconds: np.ndarray) -> np.ndarray:
    moments = (seconds * 1e6).astype("datetime64[us]")
    return np.char.add(np.datetime_as_string(moments, unit="us"), "Z")


def write_files() -> None:
    rng = np.random.default_rng(13)
    question = rng.integers(0, N_QUESTIONS, N_ROWS)
    truth = rng.uniform(0, 1, N_QUESTIONS)
    outcome = (rng.uniform(0, 1, N_QUESTIONS) < truth).astype(int)
    opens = 1.45e9 + rng.uniform(0, 5e7, N_QUESTIONS)
    closes = opens + rng.uniform(30, 400, N_QUESTIONS) * 86_400
    made = opens[question] + rng.uniform(0, 0.99, N_ROWS) * (closes - opens)[question]
    p = np.clip(np.round(truth[question] + rng.normal(0, 0.15, N_ROWS), 2), 0, 1)
    columns = {
        "question_id": np.char.add("q", question.astype(str)),
        "forecaster": np.char.add("forecaster-", rng.integers(0, N_FORECASTERS, N_ROWS).astype(str)),
        "made_at": _stamps(made),
        "probability": np.char.mod("%.2f", p),
        "outcome": outcome[question].astype(str),
    }
    _write(PLAIN, columns)
    windows = {"opens_at": _stamps(opens)[question], "closes_at": _stamps(closes)[question]}
    _write(WINDOWED, {**columns, **windows, "resolved_at": windows["closes_at"]})


def _write(path: Path, columns: dict[str, np.ndarray]) -> None:
    lines = columns[next(iter(columns))]
    for values in list(columns.values())[1:]:
        lines = np.char.add(np.char.add(lines, ","), values)
    path.write_text(",".join(columns) + "\n" + "\n".join(lines.tolist()) + "\n", encoding="utf-8")


def run(command: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one child process."""
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, cwd=ROOT)
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(command)} failed")
    return elapsed, usage.ru_maxrss / 1024


def compare(path: Path, label: str) -> float:
    baseline, baseline_rss = min(run([sys.executable, "-c", BASELINE, str(path)]) for _ in range(3))
    ours, ours_rss = min(
        run([sys.executable, "-m", "tracker", "score", str(path), "--json"]) for _ in range(3)
    )
    print(
        f"{label:<34} baseline {baseline:5.2f} s ({baseline_rss:4.0f} MB)   "
        f"tracker score {ours:5.2f} s ({ours_rss:4.0f} MB)   {ours / baseline:4.2f}x"
    )
    return ours / baseline


def main() -> None:
    if not (PLAIN.exists() and WINDOWED.exists()):  # in a child, so this process stays small
        subprocess.run([sys.executable, __file__, "--write"], check=True)
    print(
        f"{N_ROWS:,} rows, {N_FORECASTERS} forecasters, {N_QUESTIONS:,} questions; best of 3, each in its "
        "own process (start-up and imports included)"
    )
    ratio = compare(PLAIN, "5 columns")
    compare(WINDOWED, "with opens_at, closes_at, resolved_at")
    print(f"target: ≤ 1.2x on the 5-column file ({'met' if ratio <= 1.2 else 'NOT met'}); under 600 MB")


if __name__ == "__main__":
    write_files() if "--write" in sys.argv else main()
