"""`python -m tracker export` and `import`, as a user types them."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from tracker.cli import cli

DATA = Path(__file__).parent / "data" / "imports"


def run(*args: str):
    return CliRunner().invoke(cli, list(args))


def test_export_then_import_elsewhere_gives_the_same_file(sqlite_url: str, tmp_path: Path) -> None:
    other = sqlite_url.replace(".db", "-other.db")
    assert run("--db", sqlite_url, "demo").exit_code == 0
    first = run("--db", sqlite_url, "export", "--out", str(tmp_path / "a.csv"))
    assert first.exit_code == 0, first.output
    assert (tmp_path / "a.events.csv").exists()  # the events travel beside the forecasts
    for name in ("a.csv", "a.events.csv"):
        assert run("--db", other, "import", str(tmp_path / name)).exit_code == 0
    assert run("--db", other, "export", "--out", str(tmp_path / "b.csv")).exit_code == 0
    assert (tmp_path / "b.csv").read_bytes() == (tmp_path / "a.csv").read_bytes()
    assert (tmp_path / "b.events.csv").read_bytes() == (tmp_path / "a.events.csv").read_bytes()


def test_import_twice_reports_nothing_new(sqlite_url: str) -> None:
    first = run("--db", sqlite_url, "import", str(DATA / "fatebook.csv"))
    assert first.exit_code == 0, first.output
    assert "forecasts: 5 new" in first.output
    second = run("--db", sqlite_url, "import", str(DATA / "fatebook.csv"))
    assert "forecasts: 0 new, 0 updated, 5 unchanged" in second.output


def test_skipped_rows_are_listed_by_line_and_exit_3(sqlite_url: str) -> None:
    result = run("--db", sqlite_url, "import", str(DATA / "fatebook_broken.csv"))
    assert result.exit_code == 3
    assert "skipped line 3: Forecast (scale = 0-1): '40' is outside 0–1" in result.output
    assert "skipped line 5: resolution: unknown resolution 'MAYBE'" in result.output


def test_dry_run_writes_nothing(sqlite_url: str, tmp_path: Path) -> None:
    result = run("--db", sqlite_url, "import", str(DATA / "predictionbook.json"), "--dry-run")
    assert "Would import" in result.output
    assert "Dry run: nothing was written." in result.output
    export = run("--db", sqlite_url, "export", "--out", str(tmp_path / "x.json"))
    assert "Exported 0 questions" in export.output


def test_an_unreadable_file_says_what_to_do(sqlite_url: str) -> None:
    result = run("--db", sqlite_url, "import", str(DATA / "generic_decimal.csv"))
    assert result.exit_code == 1
    assert "--format csv --map" in result.output


def test_help_lists_the_formats() -> None:
    result = run("import", "--help")
    for word in ("fatebook", "predictionbook", "--dry-run", "--map"):
        assert word in result.output


def test_strict_imports_nothing_when_a_row_is_bad(sqlite_url: str, tmp_path: Path) -> None:
    result = run("--db", sqlite_url, "import", str(DATA / "fatebook_broken.csv"), "--strict")
    assert result.exit_code == 3
    assert "skipped line 3" in result.output
    assert "nothing was imported" in result.output
    export = run("--db", sqlite_url, "export", "--out", str(tmp_path / "x.json"))
    assert "Exported 0 questions, 0 forecasts" in export.output


def test_export_raw_writes_formula_cells_as_stored(sqlite_url: str, tmp_path: Path) -> None:
    made = run("--db", sqlite_url, "questions", "add", "=2+2 summit in Nagato?", "--closes", "2030-12-31")
    assert made.exit_code == 0, made.output
    assert run("--db", sqlite_url, "export", "--out", str(tmp_path / "safe.csv")).exit_code == 0
    assert run("--db", sqlite_url, "export", "--raw", "--out", str(tmp_path / "raw.csv")).exit_code == 0
    assert ",'=2+2 summit in Nagato?," in (tmp_path / "safe.csv").read_text()
    assert ",=2+2 summit in Nagato?," in (tmp_path / "raw.csv").read_text()


def test_import_all_responders_from_predictionbook(sqlite_url: str) -> None:
    path = Path(__file__).parent / "data" / "imports" / "predictionbook_my_predictions.json"
    mine = run("--db", sqlite_url, "import", str(path), "--dry-run")
    assert mine.exit_code == 0, mine.output
    assert "forecasts: 3 new" in mine.output
    assert "2 responses by other people were left out" in mine.output
    everyone = run("--db", sqlite_url, "import", str(path), "--all-responders")
    assert "forecasts: 5 new" in everyone.output
