"""`python -m tracker score FILE.csv` on numeric forecasts (quantile columns): CRPS as
scoringrules computes it, interval coverage and the PIT histogram per forecaster, bad rows named
by line."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
import scoringrules
from click.testing import CliRunner

from forecasts.scoring.numeric import NumericRange, Quantiles, cdf_at, cdf_of
from tracker import exit_codes
from tracker.cli import cli

LEVELS = (0.05, 0.25, 0.5, 0.75, 0.95)
COLUMNS = ("q05", "q25", "q50", "q75", "q95")
HEADER = ["question_id", "forecaster", "made_at", *COLUMNS, "outcome", "opens_at", "closes_at", "resolved_at"]
Z = np.array([-1.6448536, -0.6744898, 0.0, 0.6744898, 1.6448536])


def forecasts(seed: int, n_questions: int = 40) -> list[dict[str, str]]:
    """Three forecasters, two forecasts each per question: one too narrow, one too wide."""
    rng = np.random.default_rng(seed)
    rows = []
    for q in range(n_questions):
        truth = round(float(rng.normal(55, 8)), 2)
        for name, spread, sd in (("narrow", 6.0, 1.5), ("wide", 2.0, 8.0), ("fair", 3.0, 3.0)):
            for day in (1, 2):
                values = truth + rng.normal(0, spread) + sd * Z
                row = {
                    "question_id": f"brent-{q}",
                    "forecaster": name,
                    "made_at": f"2016-12-0{day}T09:00:00Z",
                }
                row |= {c: f"{v:.3f}" for c, v in zip(COLUMNS, values, strict=True)}
                row |= {"outcome": f"{truth}", "opens_at": "2016-11-30", "closes_at": "2016-12-03"}
                rows.append(row | {"resolved_at": "2016-12-30"})
    return rows


def write(path: Path, rows: list[dict[str, str]], header: list[str] = HEADER) -> Path:
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def run(path: Path, *extra: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["score", str(path), *extra])
    return result.exit_code, result.stdout, result.stderr


def run_json(path: Path, *extra: str) -> tuple[int, dict]:
    code, out, _ = run(path, "--json", *extra)
    return code, json.loads(out)


def last_per_forecaster(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    last: dict[tuple[str, str], dict[str, str]] = {}
    for row in sorted(rows, key=lambda r: r["made_at"]):
        last[(row["question_id"], row["forecaster"])] = row
    return list(last.values())


def arrays(rows: list[dict[str, str]]) -> tuple[np.ndarray, np.ndarray]:
    values = np.array([[float(r[c]) for c in COLUMNS] for r in rows])
    return values, np.array([float(r["outcome"]) for r in rows])


@pytest.mark.parametrize("samples", ["last", "every"])
def test_crps_matches_scoringrules_overall_and_per_forecaster(tmp_path: Path, samples: str) -> None:
    rows = forecasts(16)
    code, report = run_json(write(tmp_path / "f.csv", rows), "--samples", samples)
    assert code == 0
    assert report["kind"] == "numeric"
    chosen = last_per_forecaster(rows) if samples == "last" else rows
    values, outcome = arrays(chosen)
    expected = scoringrules.crps_quantile(outcome, values, np.array(LEVELS))
    assert report["crps_quantile"] == pytest.approx(float(expected.mean()), abs=1e-9)
    assert report["n_samples"] == len(chosen)
    for name, mine in report["by_forecaster"].items():
        own = np.array([r["forecaster"] == name for r in chosen])
        assert mine["crps_quantile"] == pytest.approx(float(expected[own].mean()), abs=1e-9)
        for label, (low, high) in {"50": (1, 3), "90": (0, 4)}.items():
            inside = (values[own, low] <= outcome[own]) & (outcome[own] <= values[own, high])
            assert mine["interval_coverage"][label]["inside"] == int(inside.sum())
            assert mine["interval_coverage"][label]["n"] == int(own.sum())
            is_expected = scoringrules.interval_score(
                outcome[own], values[own, low], values[own, high], 1 - (int(label) / 100)
            )
            assert mine["interval_score"][label] == pytest.approx(float(is_expected.mean()), abs=1e-9)


def test_the_pit_histogram_counts_where_each_outcome_fell_in_its_forecast(tmp_path: Path) -> None:
    rows = forecasts(17)
    _, report = run_json(write(tmp_path / "f.csv", rows))
    scale = NumericRange(-1e6, 1e6, lower_open=True, upper_open=True)
    for name, mine in report["by_forecaster"].items():
        own = [r for r in last_per_forecaster(rows) if r["forecaster"] == name]
        values, outcome = arrays(own)
        pit = [
            float(cdf_at(cdf_of(Quantiles(LEVELS, tuple(v)), scale), y))
            for v, y in zip(values, outcome, strict=True)
        ]
        expected = np.bincount(np.minimum((np.array(pit) * 10).astype(int), 9), minlength=10)
        assert mine["pit"] == expected.tolist()
        assert mine["pit_band"]["low"] < len(own) / 10 < mine["pit_band"]["high"]
    # Too narrow intervals pile outcomes at the ends, too wide ones in the middle.
    narrow, wide = report["by_forecaster"]["narrow"]["pit"], report["by_forecaster"]["wide"]["pit"]
    assert narrow[0] + narrow[9] > wide[0] + wide[9]
    assert report["by_forecaster"]["narrow"]["interval_coverage"]["90"]["share"] < 0.7
    assert report["by_forecaster"]["wide"]["interval_coverage"]["50"]["share"] > 0.7


def test_time_weighted_scores_are_the_average_over_each_window(tmp_path: Path) -> None:
    """Each forecast weighs the share of the window it stood: Dec 1 09:00 to Dec 2 09:00 (24 h),
    then to closes_at, Dec 3 00:00 (15 h); before the first forecast nothing stands."""
    rows = forecasts(18, n_questions=10)
    _, report = run_json(write(tmp_path / "f.csv", rows), "--samples", "time")
    values, outcome = arrays(rows)
    crps = scoringrules.crps_quantile(outcome, values, np.array(LEVELS))
    first = np.array([r["made_at"].startswith("2016-12-01") for r in rows])
    expected = (24 * crps[first].mean() + 15 * crps[~first].mean()) / 39
    assert report["crps_quantile"] == pytest.approx(float(expected), abs=1e-9)


def test_bad_rows_are_named_by_line_the_rest_scored_and_the_exit_code_says_so(tmp_path: Path) -> None:
    rows = forecasts(19, n_questions=3)
    rows[1] = rows[1] | {"q75": rows[1]["q25"]}
    rows[4] = rows[4] | {"outcome": "sixty"}
    rows.append(rows[0] | {"outcome": ""})
    code, out, err = run(write(tmp_path / "f.csv", rows))
    assert code == exit_codes.ROWS_SKIPPED
    assert f"f.csv:3: skipped: q75 {float(rows[1]['q25']):.15g} is not above q50" in err
    assert "f.csv:6: skipped: outcome 'sixty' is not a number (blank = unresolved)" in err
    assert "2 rows skipped (see above); the rest was scored." in err
    assert "Scored 16 numeric forecasts on 3 questions by 3 forecasters" in out
    assert "1 unresolved rows left out." in out


def test_the_text_report_names_each_score_its_tails_and_its_calibration(tmp_path: Path) -> None:
    code, out, _ = run(write(tmp_path / "f.csv", forecasts(20)))
    assert code == 0
    lines = out.splitlines()
    assert any(line.startswith("CRPS ") and "scoringrules.crps_quantile" in line for line in lines)
    assert any("Tails: linear between quantiles" in line for line in lines)
    assert sum(line.startswith("[0.") for line in lines) == 10  # the PIT histogram's ten bins
    assert any(line.startswith("Outcomes inside the 90 % central interval:") for line in lines)
    header = next(line for line in lines if line.startswith("forecaster"))
    assert "CRPS q" in header
    assert "in 90%" in header


def test_refusals_say_what_to_do(tmp_path: Path) -> None:
    no_window = write(tmp_path / "f.csv", forecasts(21, 2), HEADER[:9])
    code, _, err = run(no_window, "--samples", "time")
    assert code == 1
    assert "time-weighted samples need opens_at and closes_at for every question" in err
    nothing = write(tmp_path / "g.csv", [r | {"outcome": ""} for r in forecasts(21, 2)])
    code, _, err = run(nothing)
    assert code == 1
    assert "no resolved forecasts to score (needs rows with a number in outcome)" in err
