"""The event tracker: sources, ingestion, the scheduler worker and the ``python -m tracker`` CLI."""
