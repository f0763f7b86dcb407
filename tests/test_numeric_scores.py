"""Scores and calibration of numeric questions from the database (issue 16): every forecast put on
its question's range axis, checked against scoringrules and the scalar reference."""

from __future__ import annotations

import json

import numpy as np
import pytest
import scoringrules
from click.testing import CliRunner
from streamlit.testing.v1 import AppTest

from db import Database
from forecasts.scoring.numeric import NumericRange, Quantiles, cdf_at, cdf_of
from services import questions
from services.numeric_scores import numeric_report
from services.score_report import ReportFilters
from tests.factories import NF, NQ, NR, F, Q, R, day
from tests.test_dashboard import app_env, run_app, text  # noqa: F401 - app_env is a fixture
from tracker.cli import cli

LEVELS = np.array([0.05, 0.5, 0.95])


def three_questions(database: Database) -> dict[str, int]:
    """Brent (closed range, USD), the deficit (open above, %), documents signed (log scale)."""
    brent = NQ(database, "Brent on 2016-12-30 (USD)", lower=20, upper=120, tags=("oil",))
    NF(database, brent, 47, 40, 55, at=5)
    NF(database, brent, 54, 49, 59, at=40)
    NF(database, brent, 52, 46, 58, by="bo", at=6)
    NR(database, brent, 56.82, at=91)
    deficit = NQ(database, "Deficit 2017 (% of GDP)", lower=0, upper=10, open_upper=True, unit="%")
    NF(database, deficit, 3.2, 2.1, 4.5, at=3)
    NF(database, deficit, 2.5, 1.5, 3.5, by="bo", at=3)
    NR(database, deficit, 2.2, at=85)
    papers = NQ(database, "Documents signed in Nagato", lower=1, upper=200, log_scale=True, unit="")
    NF(database, papers, 30, 10, 60, at=7)
    NF(database, papers, 70, 40, 120, by="bo", at=7)
    NR(database, papers, 80, at=80)
    return {"brent": brent, "deficit": deficit, "papers": papers}


def test_nothing_resolved_is_no_report(database: Database) -> None:
    brent = NQ(database)
    NF(database, brent, 47, 40, 55)
    assert numeric_report(database) is None


def test_each_last_forecast_is_scored_as_a_share_of_its_range(database: Database) -> None:
    three_questions(database)
    report = numeric_report(database)
    assert report is not None
    rows = report.questions.set_index(["question", "forecaster"])
    brent = rows.xs("ana", level="forecaster").iloc[0]
    assert brent["forecast"] == "54 USD (90%: 49–59)"
    assert brent["outcome"] == "56.82 USD"
    raw = scoringrules.crps_quantile(56.82, np.array([49.0, 54.0, 59.0]), LEVELS)
    assert brent["crps"] == pytest.approx(raw / 100, abs=1e-12)
    assert brent["pit"] == pytest.approx(0.5 + 0.45 * 2.82 / 5, abs=1e-12)
    assert (bool(brent["in_50"]), bool(brent["in_90"])) == (False, True)


def test_a_log_scale_question_is_scored_on_the_log_axis(database: Database) -> None:
    three_questions(database)
    report = numeric_report(database)
    assert report is not None
    scale = NumericRange(1, 200, log_scale=True)
    for name, values in (("ana", (10.0, 30.0, 60.0)), ("bo", (40.0, 70.0, 120.0))):
        row = report.questions[
            (report.questions.title == "Documents signed in Nagato") & (report.questions.forecaster == name)
        ].iloc[0]
        expected_pit = cdf_at(cdf_of(Quantiles(tuple(LEVELS), values), scale), 80.0)
        assert row["pit"] == pytest.approx(float(expected_pit), abs=1e-12)
        on_axis = np.log(np.array(values)) / np.log(200)
        crps = scoringrules.crps_quantile(np.log(80) / np.log(200), on_axis, LEVELS)
        assert row["crps"] == pytest.approx(crps, abs=1e-12)


def test_the_card_pools_shares_and_counts_coverage_per_forecaster(database: Database) -> None:
    three_questions(database)
    report = numeric_report(database)
    assert report is not None
    card = report.card
    assert (card.n_questions, card.n_forecasters, card.n_samples) == (3, 2, 6)
    for name, mine in card.by_forecaster.items():
        shown = report.questions[report.questions.forecaster == name]
        assert mine.crps_quantile == pytest.approx(shown["crps"].mean(), abs=1e-12)
        assert mine.interval_coverage["90"].inside == int(shown["in_90"].sum())
        assert sum(mine.pit.counts) == 3
    assert card.overall.pit.counts == tuple(
        np.bincount(np.minimum((report.questions["pit"] * 10).astype(int), 9), minlength=10)
    )


def test_the_time_average_weighs_each_forecast_by_how_long_it_stood(database: Database) -> None:
    ids = three_questions(database)
    report = numeric_report(database, ReportFilters(forecasters=("ana",), tag="oil"))
    assert report is not None
    assert report.card.n_questions == 1
    first = scoringrules.crps_quantile(56.82, np.array([40.0, 47.0, 55.0]), LEVELS) / 100
    second = scoringrules.crps_quantile(56.82, np.array([49.0, 54.0, 59.0]), LEVELS) / 100
    # Made on days 5 and 40; the question closes on day 90, before the day-91 resolution: the
    # first stood 35 of the 85 days forecast, the second 50.
    expected = (first * 35 + second * 50) / 85
    assert report.time_averaged.overall.crps_quantile == pytest.approx(expected, abs=1e-12)
    assert report.questions["question"].tolist() == [questions.get_question(database, ids["brent"]).uid]


def test_forecasts_after_the_resolution_time_do_not_count(database: Database) -> None:
    brent = NQ(database, closes=None)
    NF(database, brent, 47, 40, 55, at=5)
    NF(database, brent, 57, 56, 58, at=70)  # made after the value was known on day 60
    NR(database, brent, 56.82, at=60)
    report = numeric_report(database)
    assert report is not None
    assert report.questions["forecast"].tolist() == ["47 USD (90%: 40–55)"]
    assert report.card.n_forecasts == 1


def test_filters_by_forecaster_tag_and_resolution_date(database: Database) -> None:
    three_questions(database)
    assert numeric_report(database, ReportFilters(forecasters=("nobody",))) is None
    only_bo = numeric_report(database, ReportFilters(forecasters=("bo",)))
    assert only_bo is not None
    assert set(only_bo.questions.forecaster) == {"bo"}
    late = numeric_report(database, ReportFilters(resolved_from=day(84)))
    assert late is not None
    assert set(late.questions.title) == {
        "Brent on 2016-12-30 (USD)",
        "Deficit 2017 (% of GDP)",
    }


def test_scores_prints_the_numeric_card_after_the_yes_no_one(database_url: str, database: Database) -> None:
    three_questions(database)
    treaty = Q(database, "Will Japan and Russia sign a peace treaty in 2016?")
    F(database, treaty, 0.1, at=2)
    R(database, treaty, "no", at=80)
    report = numeric_report(database)
    assert report is not None
    shown = CliRunner().invoke(cli, ["--db", database_url, "scores", "--json"])
    assert shown.exit_code == 0, shown.output
    printed = json.loads(shown.stdout)
    assert printed["n_questions"] == 1  # the yes/no card, as before
    numeric = printed["numeric"]
    assert numeric["crps_quantile"] == pytest.approx(report.card.overall.crps_quantile, abs=1e-15)
    assert numeric["pit"] == list(report.card.overall.pit.counts)
    assert numeric["interval_coverage"]["90"]["inside"] == 5
    assert numeric["time_averaged"]["by_forecaster"]["bo"]["crps_quantile"] == pytest.approx(
        report.time_averaged.by_forecaster["bo"].crps_quantile, abs=1e-15
    )
    text = CliRunner().invoke(cli, ["--db", database_url, "scores"]).output
    assert "Numeric and date questions. CRPS and interval scores are shares of each question's range" in text
    assert "Outcomes inside the 90 % central interval: 5 of 6, 83% (44%–97%)" in text


def test_scores_with_only_numeric_questions_prints_only_numeric(
    database_url: str, database: Database
) -> None:
    three_questions(database)
    printed = json.loads(CliRunner().invoke(cli, ["--db", database_url, "scores", "--json"]).stdout)
    assert list(printed) == ["numeric"]
    only_ana = json.loads(
        CliRunner().invoke(cli, ["--db", database_url, "scores", "--forecaster", "ana", "--json"]).stdout
    )
    assert list(only_ana["numeric"]["by_forecaster"]) == ["ana"]
    nobody = CliRunner().invoke(cli, ["--db", database_url, "scores", "--forecaster", "nobody"])
    assert nobody.exit_code == 1
    assert "no resolved questions to score yet (for these forecasters)" in nobody.output


def _subheaders(app: AppTest) -> list[str]:
    return [s.value for s in app.subheader]


def test_the_calibration_page_scores_numbers_when_nothing_yes_no_is_resolved(app_env: Database) -> None:  # noqa: F811
    three_questions(app_env)
    app = run_app("calibration")
    assert not [i.value for i in app.info]
    assert _subheaders(app) == ["Numbers and dates"]
    summary = app.dataframe[0].value.set_index("Forecaster")
    report = numeric_report(app_env)
    assert report is not None
    assert summary.loc["bo", "CRPS (share of range)"] == pytest.approx(
        report.card.by_forecaster["bo"].crps_quantile, abs=1e-12
    )
    assert summary.loc["ana", "Inside 90 %"] == "2 of 3: 67% (21%–94%)"
    charts = [str(chart.proto.spec) for chart in app.get("vega_lite_chart")]
    assert len(charts) == 3  # the PIT histogram and the two coverage charts
    by_question = app.dataframe[-1].value
    assert set(by_question["forecast"]) >= {"54 USD (90%: 49–59)", "2.5 % (90%: 1.5–3.5)"}
    app.selectbox(key="cal_numeric_subject").set_value("ana").run()
    assert "3 questions resolved (ana): too few" in text(app.warning[0].value)


def test_the_numeric_section_follows_the_yes_no_sections(app_env: Database) -> None:  # noqa: F811
    three_questions(app_env)
    treaty = Q(app_env, "Will Japan and Russia sign a peace treaty in 2016?")
    F(app_env, treaty, 0.1, at=2)
    R(app_env, treaty, "no", at=80)
    app = run_app("calibration")
    headers = _subheaders(app)
    assert "Calibration" in headers
    assert headers[-1] == "Numbers and dates"
    app.multiselect(key="cal_forecasters").set_value(["bo"]).run()
    assert set(app.dataframe[-1].value["forecaster"]) == {"bo"}


def test_the_calibration_page_with_nothing_resolved_says_so(app_env: Database) -> None:  # noqa: F811
    brent = NQ(app_env)
    NF(app_env, brent, 47, 40, 55)
    app = run_app("calibration")
    assert "No resolved questions match these filters yet" in app.info[0].value


def test_forecasts_stating_different_levels_are_each_scored_on_their_own(database: Database) -> None:
    """One forecaster states five quantiles, another three: neither borrows the other's levels (the
    table reads the common case, every forecast at the same levels, in one conversion)."""
    from services.forecasts import ForecastInput, add_forecast

    brent = NQ(database, "Brent on 2016-12-30 (USD)", lower=20, upper=120)
    five = ((0.05, 44.0), (0.25, 50.0), (0.5, 53.0), (0.75, 56.0), (0.95, 61.0))
    add_forecast(database, brent, ForecastInput("ana", quantiles=five, made_at=day(5)))
    NF(database, brent, 52, 46, 58, by="bo", at=6)
    NR(database, brent, 56.82, at=91)
    report = numeric_report(database)
    assert report is not None
    crps = dict(zip(report.questions["forecaster"], report.questions["crps"], strict=True))
    levels = np.array([level for level, _ in five])
    ana = scoringrules.crps_quantile(56.82, np.array([value for _, value in five]), levels) / 100
    bo = scoringrules.crps_quantile(56.82, np.array([46.0, 52.0, 58.0]), LEVELS) / 100
    assert crps["ana"] == pytest.approx(ana, abs=1e-12)
    assert crps["bo"] == pytest.approx(bo, abs=1e-12)
