from tracker.cli import cli

cli(prog_name="python -m tracker")
