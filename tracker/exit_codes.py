"""Every exit code ``python -m tracker`` uses, in one place (the README's table lists them)."""

OK = 0
FAILED = 1  # the command failed and said why (also: `ingest` when any source failed)
USAGE = 2  # bad arguments or options (click's own code)
ROWS_SKIPPED = 3  # `score`, `import`: done, but rows that could not be read were skipped
WORKER_RUNNING = 3  # `scheduler`: another worker holds this database's lease
LEASE_LOST = 4  # `scheduler`: another worker took the lease over while this one ran

ALL = {
    "OK": OK,
    "FAILED": FAILED,
    "USAGE": USAGE,
    "ROWS_SKIPPED": ROWS_SKIPPED,
    "WORKER_RUNNING": WORKER_RUNNING,
    "LEASE_LOST": LEASE_LOST,
}
