"""Numeric questions in the database (issue 16): created with a range and a unit, forecast as
quantiles, resolved to a value, and safe on every page and command that lists questions."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime

import pytest
from click.testing import CliRunner

from db import Database
from db.models import Forecast
from forecasts.entry import date_value
from forecasts.errors import Invalid
from forecasts.scoring.numeric import NumericRange, Quantiles, crps_quantile
from services import forecasts, questions, resolutions
from tests.factories import NF, NQ, NR, F, Q, R, day
from tests.test_dashboard import PAGES, app_env, count, run_app, text  # noqa: F401 - app_env is a fixture
from tracker.cli import cli


def summit_with_numbers(database: Database) -> tuple[int, int]:
    """A yes/no question, and Brent before and after the OPEC deal: one open, one resolved."""
    treaty = Q(database, "Will Japan and Russia sign a peace treaty in 2016?")
    F(database, treaty, 0.1, at=2)
    R(database, treaty, "no", at=80)
    brent = NQ(database)
    NF(database, brent, 47, 40, 55, at=5)
    NF(database, brent, 52, 46, 58, by="bo", at=6)
    NF(database, brent, 54, 49, 59, at=40)  # after OPEC's 30 November deal
    NR(database, brent, 56.82, at=91)
    deficit = NQ(
        database, "Russia's 2017 budget deficit (% of GDP)", lower=0, upper=10, open_upper=True, unit="%"
    )
    NF(database, deficit, 3.2, 2.1, 4.5, at=3)
    return brent, deficit


def test_a_numeric_question_keeps_its_range_unit_quantiles_and_value(database: Database) -> None:
    brent, _ = summit_with_numbers(database)
    detail = questions.get_question(database, brent)
    assert (detail.type, detail.unit, detail.status, detail.outcome, detail.value) == (
        "numeric",
        "USD",
        "resolved",
        "56.82 USD",
        56.82,
    )
    assert (detail.scale.lower, detail.scale.upper) == (20.0, 120.0)
    latest = forecasts.latest_forecasts(database, brent)
    assert latest["quantiles"].iloc[0] == [[0.05, 49.0], [0.5, 54.0], [0.95, 59.0]]
    listed = {q.id: q for q in questions.list_questions(database)}
    assert listed[brent].outcome == "56.82 USD"


def test_numeric_forecasts_are_checked_against_the_range(database: Database) -> None:
    brent = NQ(database)
    with pytest.raises(Invalid, match=re.escape("must lie inside the closed range 20.0 to 120.0")):
        NF(database, brent, 50, 10, 60)
    with pytest.raises(Invalid, match="a numeric question takes quantiles, not probabilities"):
        forecasts.add_forecast(
            database, brent, forecasts.ForecastInput("ana", probability=0.5, made_at=day(2))
        )
    with pytest.raises(Invalid, match=re.escape("a numeric question takes quantiles, e.g. 55")):
        forecasts.add_forecast(database, brent, forecasts.ForecastInput("ana", made_at=day(2)))
    with pytest.raises(Invalid, match="is above the closed range, which ends at 120"):
        NR(database, brent, 130)


def test_the_command_line_adds_forecasts_and_resolves_a_numeric_question(database_url: str) -> None:
    runner = CliRunner()

    def run(*args: str) -> str:
        result = runner.invoke(cli, ["--db", database_url, *args])
        assert result.exit_code == 0, result.output
        return result.stdout

    run(
        "questions",
        "add",
        "Brent on 2017-06-30 (USD)",
        "--type",
        "numeric",
        "--lower",
        "20",
        "--upper",
        "120",
        "--unit",
        "USD",
        "--opens",
        "2016-11-01",
        "--closes",
        "2017-06-29",
    )
    first = run("forecast", "1", "55 (48–62)", "--by", "analyst", "--at", "2016-12-01")
    assert "Saved analyst's forecast of 55 USD (90%: 48–62) on question 1." in first
    run(
        "forecast", "1", "5%: 50, 25%: 54, 50%: 56, 75%: 58, 95%: 63", "--by", "analyst", "--at", "2016-12-15"
    )
    refused = runner.invoke(cli, ["--db", database_url, "forecast", "1", "70%", "--by", "analyst"])
    assert refused.exit_code == 1
    assert "is not a quantile; write a median and a 90% interval, 55 (48–62)" in refused.output
    assert "Resolved question 1: 47.92 USD" in run("resolve", "1", "47.92", "--at", "2017-06-30")
    shown = run("questions", "show", "1")
    assert "numeric from 20 USD to 120 USD, resolved" in shown
    assert "5%: 50 · 25%: 54 · 50%: 56 · 75%: 58 · 95%: 63 USD" in shown
    data = json.loads(run("questions", "show", "1", "--json"))
    assert data["question"]["scale"] == {
        "lower": 20.0,
        "upper": 120.0,
        "lower_open": False,
        "upper_open": False,
        "log_scale": False,
    }


@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs_with_numeric_questions(app_env: Database, page: str) -> None:  # noqa: F811
    summit_with_numbers(app_env)
    app = run_app(page)
    assert app.title[0].value


@pytest.mark.parametrize("which", [0, 1])
def test_a_numeric_question_page_runs(app_env: Database, which: int) -> None:  # noqa: F811
    ids = summit_with_numbers(app_env)
    app = run_app("questions", question=str(ids[which]))
    assert app.header[0].value
    assert len(app.get("vega_lite_chart")) == 1
    latest = app.dataframe[0].value
    assert latest["probability"].iloc[0] in ("54 USD (90%: 49–59)", "3.2 % (90%: 2.1–4.5)")


def test_forecast_twice_and_resolve_on_the_question_page(app_env: Database) -> None:  # noqa: F811
    """The issue's walk-through on the page: two forecasts, a refusal that says what to write, the
    resolution reviewed with each forecaster's CRPS and PIT, then stored."""
    brent = NQ(app_env, "Brent on 2017-06-30 (USD)", closes=None)
    app = run_app("questions", question=str(brent))
    save = f"FormSubmitter:forecast-{brent}-Save forecast"
    app.text_input(key=f"f-name-{brent}").input("me")
    app.text_input(key=f"f-q-{brent}").input("70%")
    app.button(key=save).click().run()
    assert "Forecast: '70%' in '70%' is not a quantile" in text(app.error[0].value)
    app.text_input(key=f"f-q-{brent}").input("55 (48–62)")
    app.button(key=save).click().run()
    assert "Saved me's forecast" in app.success[0].value
    app.text_input(key=f"f-q-{brent}").input("5%: 50, 25%: 54, 50%: 56, 75%: 58, 95%: 63")
    app.button(key=save).click().run()
    assert count(app_env, Forecast, Forecast.question_id == brent) == 2
    specs = [str(chart.proto.spec) for chart in app.get("vega_lite_chart")]
    assert len(specs) == 1  # the fan chart: its bands and median
    assert all(field in specs[0] for field in ('"q05"', '"q25"', '"q50"', '"q75"', '"q95"'))
    app.radio(key=f"r-outcome-{brent}").set_value("the value")
    app.text_input(key=f"r-value-{brent}").input("130")
    app.button(key=f"FormSubmitter:resolve-{brent}-Review the resolution").click().run()
    assert "Value: 130 is above the closed range, which ends at 120" in text(app.error[0].value)
    app.text_input(key=f"r-value-{brent}").input("47.92")
    app.button(key=f"FormSubmitter:resolve-{brent}-Review the resolution").click().run()
    scored = app.dataframe[-1].value
    assert list(scored.columns) == ["Forecaster", "Last forecast", "Where it fell (PIT)", "CRPS"]
    expected = crps_quantile(Quantiles((0.05, 0.25, 0.5, 0.75, 0.95), (50, 54, 56, 58, 63)), 47.92)
    assert scored["CRPS"].iloc[0] == round(expected, 3)
    app.button(key=f"r-confirm-{brent}").click().run()
    assert questions.get_question(app_env, brent).outcome == "47.92 USD"


@pytest.mark.parametrize("suffix", [".json", ".csv"])
def test_an_export_carries_numeric_questions_and_their_scores(
    database_url: str, tmp_path, suffix: str
) -> None:
    """Range, unit, quantiles and the resolved value survive export → import into an empty database:
    the copy scores the same, and exporting it again gives the same bytes."""
    from db.engine import connect
    from services.numeric_scores import numeric_report

    database = connect(database_url)
    summit_with_numbers(database)
    runner = CliRunner()
    out, copy = tmp_path / f"all{suffix}", tmp_path / "copy.db"
    exported = runner.invoke(cli, ["--db", database_url, "export", "--out", str(out)])
    assert exported.exit_code == 0, exported.output
    assert "Exported 3 questions, 5 forecasts, 2 resolutions" in exported.stdout
    assert exported.stderr == ""
    files = [out] if suffix == ".json" else [out, out.with_name("all.events.csv")]
    for path in files:
        imported = runner.invoke(cli, ["--db", f"sqlite:///{copy}", "import", str(path)])
        assert imported.exit_code == 0, imported.output
    copied = connect(f"sqlite:///{copy}")
    brent = {q.title: q.id for q in questions.list_questions(copied)}["Brent on 2016-12-30 (USD a barrel)"]
    detail = questions.get_question(copied, brent)
    assert (detail.unit, detail.value, detail.scale.lower, detail.scale.upper) == ("USD", 56.82, 20.0, 120.0)
    before, after = numeric_report(database), numeric_report(copied)
    assert before is not None
    assert after is not None
    assert after.questions.drop(columns="question").equals(before.questions.drop(columns="question"))
    again = tmp_path / f"again{suffix}"
    assert runner.invoke(cli, ["--db", f"sqlite:///{copy}", "export", "--out", str(again)]).exit_code == 0
    assert again.read_bytes() == out.read_bytes()
    database.dispose()
    copied.dispose()


BRENT_ROW = {
    "question_uid": "brent",
    "question_title": "Brent on 2016-12-30 (USD)",
    "question_type": "numeric",
    "unit": "USD",
    "range_lower": "20",
    "range_upper": "120",
    "opens_at": "2016-10-01T00:00:00Z",
    "forecaster": "ana",
    "made_at": "2016-10-05T00:00:00Z",
    "quantiles": "[[0.05, 48], [0.5, 55], [0.95, 62]]",
}


@pytest.mark.parametrize(
    ("cells", "message"),
    [
        ({"quantiles": "55 (48-62)"}, "quantiles: quantiles must be a JSON list"),
        ({"quantiles": '[[0.05, "48"], [0.5, 55]]'}, "quantiles must list [level, value] pairs"),
        ({"quantiles": "[[0.05, 48], [0.5, 55], [0.95, 130]]"}, "inside the closed range 20.0 to 120.0"),
        ({"quantiles": "", "probability": "0.4"}, "a numeric question takes quantiles, not probabilities"),
        ({"range_upper": ""}, "a numeric question needs a range"),
        ({"range_lower": "twenty"}, "range_lower: 'twenty' is not a number"),
        (
            {
                "question_type": "binary",
                "unit": "",
                "range_lower": "",
                "range_upper": "",
                "probability": "0.4",
            },
            "only a numeric or date question takes quantiles",
        ),
        (
            {"resolution_outcome": "value", "resolution_value": "130", "resolved_at": "2016-12-30T00:00:00Z"},
            "130 is above the closed range, which ends at 120",
        ),
    ],
)
def test_a_bad_numeric_row_is_named_by_line_and_field(
    database: Database, cells: dict[str, str], message: str
) -> None:
    """A row that breaks a numeric rule is reported on its line, and nothing half-written is stored."""
    import csv
    import io

    from services.transfer import import_bundle, read_file

    row = {**BRENT_ROW, **cells}
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(row), lineterminator="\n")
    writer.writeheader()
    writer.writerow(row)
    parsed = read_file(out.getvalue().encode(), "numbers.csv")
    assert [str(e) for e in parsed.errors if message in str(e)], parsed.errors
    assert str(parsed.errors[0]).startswith("line 2: ")
    import_bundle(database, parsed.bundle)
    assert count(database, Forecast) == 0


def test_quick_entry_to_calibration_as_a_new_user_would(app_env: Database) -> None:  # noqa: F811
    """The issue's "done when": create "Brent on … (USD)" with quick entry, forecast it twice,
    resolve it, and see its CRPS, its PIT position and the fan chart."""
    app = run_app("add_forecast")
    app.text_input(key="qe_line").input("Brent on 2027-06-30 (USD): 55 (48–62)")
    app.text_input(key="qe_who").input("me")
    app.button(key="qe_save").click().run()
    assert "Saved 55 USD (90%: 48–62) on “Brent on 2027-06-30 (USD)”" in text(app.success[0].value)
    assert "A new numeric question. Its range was set around your forecast, open on both sides" in text(
        app.caption[-1].value
    )
    assert "34 USD to 76 USD" in text(app.caption[-1].value)
    app.text_input(key="qe_line").input("Brent on 2027-06-30 (USD): 5%: 50, 50%: 57, 95%: 64")
    app.button(key="qe_save").click().run()
    assert "Saved 57 USD (90%: 50–64) on “Brent on 2027-06-30 (USD)”" in text(app.success[0].value)
    assert not any("A new numeric question" in c.value for c in app.caption)
    brent = next(q for q in questions.list_questions(app_env) if q.title == "Brent on 2027-06-30 (USD)")
    detail = questions.get_question(app_env, brent.id)
    assert (detail.type, detail.unit) == ("numeric", "USD")
    assert count(app_env, Forecast, Forecast.question_id == brent.id) == 2

    resolutions.resolve(app_env, brent.id, outcome="value", value=56.82, resolved_at=datetime.now(UTC))
    page = run_app("questions", question=str(brent.id))
    assert any('"q95"' in str(chart.proto.spec) for chart in page.get("vega_lite_chart"))
    scores = run_app("calibration")
    row = scores.dataframe[-1].value.iloc[0]
    assert row["forecast"] == "57 USD (90%: 50–64)"
    expected = crps_quantile(Quantiles((0.05, 0.5, 0.95), (50, 57, 64)), 56.82) / (76 - 34)
    assert row["crps"] == pytest.approx(expected, abs=1e-12)
    assert row["pit"] == pytest.approx(0.05 + 0.45 * 6.82 / 7, abs=1e-12)


def test_quick_entry_of_a_date_question(app_env: Database) -> None:  # noqa: F811
    app = run_app("add_forecast")
    app.text_input(key="qe_line").input(
        "First joint project on the islands, by 2030-12-31: 2028-09-01 (2027-03-01 to 2030-06-30)"
    )
    app.text_input(key="qe_who").input("me")
    app.button(key="qe_save").click().run()
    assert "Saved 2028-09-01 (90%: 2027-03-01–2030-06-30)" in text(app.success[0].value)
    listed = questions.list_questions(app_env)
    assert [(q.title, q.type) for q in listed] == [
        ("First joint project on the islands, by 2030-12-31", "date")
    ]
    app.text_input(key="qe_line").input(
        "First joint project on the islands, by 2030-12-31: 2028-09-01 (2027)"
    )
    app.button(key="qe_save").click().run()
    assert "is not a quantile; write a median date and a 90% interval" in text(app.error[0].value)


def test_a_date_question_on_the_command_line(database_url: str) -> None:
    def run(*args: str) -> str:
        result = CliRunner().invoke(cli, ["--db", database_url, *args])
        assert result.exit_code == 0, result.output
        return result.stdout

    added = json.loads(
        run(
            "questions", "add", "First joint project on the islands", "--type", "date", "--json",
            "--lower", "2016-12-16", "--upper", "2019-12-31", "--open-upper", "--opens", "2016-12-16",
        )
    )  # fmt: skip
    question = str(added["id"])
    said = run(
        "forecast", question, "2017-09-01 (2017-03-01 to 2018-06-30)", "--by", "ana", "--at", "2016-12-17"
    )
    assert "Saved ana's forecast of 2017-09-01 (90%: 2017-03-01–2018-06-30)" in said
    refused = CliRunner().invoke(
        cli, ["--db", database_url, "forecast", question, "55 (48-62)", "--by", "ana"]
    )
    assert refused.exit_code != 0
    assert "is not a quantile; write a median date and a 90% interval" in refused.output
    assert "Resolved question" in run("resolve", question, "2017-10-13", "--at", "2017-10-14")
    shown = json.loads(run("questions", "show", question, "--json"))
    assert shown["question"]["outcome"] == "2017-10-13"
    scores = json.loads(run("scores", "--json"))["numeric"]
    assert scores["n_questions"] == 1
    assert sum(scores["pit"]) == 1


def test_a_date_question_page_draws_dates_and_takes_a_date(app_env: Database) -> None:  # noqa: F811
    created = questions.create_question(
        app_env,
        questions.NewQuestion(
            title="First joint project",
            type="date",
            scale=NumericRange(
                date_value(date(2016, 12, 16)), date_value(date(2019, 12, 31)), upper_open=True
            ),
            opens_at=day(0),
        ),
    )
    app = run_app("questions", question=str(created.id))
    app.text_input(key=f"f-name-{created.id}").input("me")
    app.text_input(key=f"f-q-{created.id}").input("2017-09-01 (2017-03-01 to 2018-06-30)")
    app.button(key=f"FormSubmitter:forecast-{created.id}-Save forecast").click().run()
    assert count(app_env, Forecast, Forecast.question_id == created.id) == 1
    layers = json.loads(app.get("vega_lite_chart")[0].proto.spec)["layer"]
    medians = [layer["encoding"]["y"] for layer in layers if layer["encoding"]["y"].get("field") == "q50"]
    assert medians
    assert {y["type"] for y in medians} == {"temporal"}
    app.radio(key=f"r-outcome-{created.id}").set_value("the value")
    app.text_input(key=f"r-value-{created.id}").input("13 Oct 2017")
    app.button(key=f"FormSubmitter:resolve-{created.id}-Review the resolution").click().run()
    assert not app.error
    app.button(key=f"r-confirm-{created.id}").click().run()
    assert questions.get_question(app_env, created.id).outcome == "2017-10-13"


def test_a_review_left_at_now_stays_now_when_the_minute_turns(app_env: Database) -> None:  # noqa: F811
    """The form shows the minute it was opened; left untouched it means "now" even when the clock
    has moved to the next minute by the time it is sent (a forecast made in between counts)."""
    from datetime import timedelta

    brent = NQ(app_env, "Brent on 2017-06-30 (USD)", closes=None)
    app = run_app("questions", question=str(brent))
    opened = (datetime.now().astimezone() - timedelta(minutes=1)).replace(second=0, microsecond=0)
    shown = (opened.date(), opened.time().replace(tzinfo=None))
    app.session_state[f"r-day-{brent}"], app.session_state[f"r-time-{brent}"] = shown
    app.session_state[f"r-shown-{brent}"] = shown
    forecasts.add_forecast(
        app_env, brent, forecasts.ForecastInput("me", quantiles=((0.05, 48), (0.5, 55), (0.95, 62)))
    )
    app.run()
    app.radio(key=f"r-outcome-{brent}").set_value("the value")
    app.text_input(key=f"r-value-{brent}").input("56.82")
    app.button(key=f"FormSubmitter:resolve-{brent}-Review the resolution").click().run()
    scored = app.dataframe[-1].value
    assert list(scored.columns) == ["Forecaster", "Last forecast", "Where it fell (PIT)", "CRPS"]
    assert list(scored["Forecaster"]) == ["me"]
