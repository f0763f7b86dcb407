"""`python -m tracker score FILE.csv`: the same numbers as sklearn and R, bad rows named by line."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from sklearn.metrics import brier_score_loss, log_loss

from tests.test_scoring import niamey
from tracker import exit_codes
from tracker.cli import cli

HEADER = ["question_id", "forecaster", "made_at", "probability", "outcome"]


def write_csv(path: Path, rows: list[list[object]], header: list[str] = HEADER) -> Path:
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def run_json(path: Path, *extra: str) -> tuple[int, dict]:
    result = CliRunner().invoke(cli, ["score", str(path), "--json", *extra])
    return result.exit_code, json.loads(result.stdout)


def test_matches_sklearn_on_random_forecasts(tmp_path: Path) -> None:
    rng = np.random.default_rng(2016)
    n = 400
    question = rng.integers(0, 60, n)
    outcome = rng.integers(0, 2, 60)[question]
    p = np.round(rng.uniform(0.001, 0.999, n), 3)
    rows = [
        [f"q{q}", f"f{i % 3}", f"2016-10-{1 + i % 28:02d}T{i % 24:02d}:00:00Z", p[i], outcome[i]]
        for i, q in enumerate(question)
    ]
    code, report = run_json(write_csv(tmp_path / "f.csv", rows), "--samples", "every")
    assert code == 0
    assert report["n_forecasts"] == n
    assert report["brier"] == pytest.approx(brier_score_loss(outcome, p))
    assert report["log"] == pytest.approx(log_loss(outcome, p))
    mine = (np.arange(n) % 3) == 1
    assert report["by_forecaster"]["f1"]["brier"] == pytest.approx(brier_score_loss(outcome[mine], p[mine]))
    corp = report["corp"]
    assert corp["mcb"] - corp["dsc"] + corp["unc"] == pytest.approx(report["brier"])
    assert sum(b["count"] for b in report["calibration"]) == n


def test_niamey_matches_r_reliabilitydiag(tmp_path: Path) -> None:
    data = niamey()
    rows = []
    for method in ("Logistic", "EMOS", "ENS", "EPC"):
        for day, (p, y) in enumerate(zip(data[method], data["obs"], strict=True)):
            rows.append([f"2016-day-{day}", method, "2016-07-01T00:00:00Z", repr(float(p)), int(y)])
    code, report = run_json(write_csv(tmp_path / "niamey.csv", rows))
    assert code == 0
    expected = {
        "Logistic": (0.01708, 0.05554, 0.24421),
        "EMOS": (0.01828, 0.03047, 0.24421),
        "ENS": (0.06607, 0.04412, 0.24421),
        "EPC": (0.02235, 0.03228, 0.24421),
    }
    for method, (mcb, dsc, unc) in expected.items():
        corp = report["by_forecaster"][method]["corp"]
        assert (corp["mcb"], corp["dsc"], corp["unc"]) == pytest.approx((mcb, dsc, unc), abs=5e-6)


def test_json_has_the_documented_keys(tmp_path: Path) -> None:
    rows = [["q1", "ana", "2016-10-15", "0.8", "1"], ["q2", "ana", "2016-10-15", "30%", "0"]]
    code, report = run_json(write_csv(tmp_path / "f.csv", rows))
    assert code == 0
    documented = {"n_forecasts", "n_questions", "brier", "log", "calibration", "corp", "murphy"}
    assert set(report) >= documented | {"by_forecaster", "skipped"}
    assert set(report["calibration"][0]) == {
        "lower",
        "upper",
        "count",
        "mean_forecast",
        "observed",
        "ci_low",
        "ci_high",
    }
    assert set(report["corp"]) >= {"mcb", "dsc", "unc"}
    assert set(report["murphy"]) >= {"rel", "res", "unc", "wbv", "wbc"}
    assert report["brier"] == pytest.approx((0.2**2 + 0.3**2) / 2)
    assert report["log"] == pytest.approx(-(np.log(0.8) + np.log(0.7)) / 2)
    assert set(report["by_forecaster"]["ana"]) >= {"brier", "log", "calibration", "corp", "murphy"}


def test_last_forecast_per_question_is_the_default_sample(tmp_path: Path) -> None:
    rows = [
        ["q1", "ana", "2016-10-15T00:00:00Z", "0.2", "1"],
        ["q1", "ana", "2016-12-01T00:00:00Z", "0.9", "1"],
    ]
    code, report = run_json(write_csv(tmp_path / "f.csv", rows))
    assert (code, report["n_samples"]) == (0, 1)
    assert report["brier"] == pytest.approx(0.01)


def test_windows_add_time_averaged_scores(tmp_path: Path) -> None:
    header = [*HEADER, "opens_at", "closes_at", "resolved_at"]
    window = ["2016-01-01T00:00:00Z", "2016-01-08T00:00:00Z", "2016-01-08T00:00:00Z"]
    rows = [
        ["q1", "u1", "2016-01-01T00:00:00Z", "0.9", "1", *window],
        ["q1", "u1", "2016-01-04T00:00:00Z", "0.95", "1", *window],
        ["q1", "u2", "2016-01-01T00:00:00Z", "0.25", "1", *window],
        ["q1", "u2", "2016-01-03T00:00:00Z", "0.2", "1", *window],
        ["q1", "u3", "2016-01-06T00:00:00Z", "0.99", "1", *window],
    ]
    code, report = run_json(write_csv(tmp_path / "f.csv", rows, header))
    assert code == 0
    timeline = report["by_forecaster"]["u1"]["timeline"]
    # Fatebook's vectors, halved to our 0–1 scale.
    assert timeline["relative_brier_daily"] == pytest.approx(-0.43 / 2, abs=1e-4)
    assert timeline["brier_daily"] == pytest.approx(0.0114 / 2, abs=1e-4)
    assert report["by_forecaster"]["u3"]["timeline"]["coverage"] == pytest.approx(2 / 7)


def test_bad_rows_are_named_and_the_rest_is_scored(tmp_path: Path) -> None:
    rows = [
        ["q1", "ana", "2016-10-15", "0.8", "1"],
        ["q2", "ana", "2016-10-15", "1.5", "0"],
        ["q3", "ana", "yesterday", "0.5", "0"],
        ["q4", "ana", "2016-10-15", "0.5", "maybe"],
        ["q5", "ana", "2016-10-15", "0.5", ""],
        ["q1", "bob", "2016-10-15", "0.5", "0"],
    ]
    result = CliRunner().invoke(cli, ["score", str(write_csv(tmp_path / "f.csv", rows))])
    assert result.exit_code == exit_codes.ROWS_SKIPPED
    assert ":3: skipped: probability '1.5' is outside 0% to 100%" in result.stderr
    assert ":4: skipped: made_at 'yesterday' is not an ISO-8601 time" in result.stderr
    assert ":5: skipped: outcome 'maybe' is not 1 or 0" in result.stderr
    assert ":7: skipped: outcome 0 contradicts line 2" in result.stderr
    assert "Scored 1 forecasts on 1 questions" in result.stdout
    assert "1 unresolved rows left out" in result.stdout


def test_missing_columns_are_a_clear_error(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "f.csv", [["q1", "0.5"]], ["question", "p"])
    result = CliRunner().invoke(cli, ["score", str(path)])
    assert result.exit_code == 1
    assert "missing column(s) question_id, forecaster, made_at, probability, outcome" in result.output
    assert "found question, p" in result.output


def test_only_unresolved_rows_is_a_clear_error(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "f.csv", [["q1", "ana", "2016-10-15", "0.5", ""]])
    result = CliRunner().invoke(cli, ["score", str(path)])
    assert result.exit_code == 1
    assert "no resolved forecasts to score" in result.output


def test_readable_table_names_the_scales(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "f.csv", [["q1", "ana", "2016-10-15", "0.8", "1"]])
    result = CliRunner().invoke(cli, ["score", str(path)])
    assert result.exit_code == 0
    assert "Brier 0.0400 on the 0–1 scale (0.0800 on the 0–2 scale)" in result.stdout
    assert "natural log, p clamped to [0.001, 0.999]" in result.stdout
