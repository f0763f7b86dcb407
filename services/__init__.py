"""The library every front end calls: plain functions over a :class:`db.Database`.

One module per area — ``questions``, ``forecasts``, ``resolutions``,
``attention``, ``events``, ``sources``, ``proposals``, ``scores``, ``status``,
``transfer``, ``backups``, ``demo`` — each opening the sessions it needs and
returning plain records (frozen dataclasses) or pandas frames, never ORM
objects. The dashboard's pages and the ``python -m tracker`` commands are thin
layers over these; nothing here imports Streamlit or click, and errors are
raised as :mod:`forecasts.errors`, for each front end to word.

Functions named ``…_in(session, …)`` do the same work inside a transaction the
caller owns, for composing several steps into one unit (ingestion does).
"""
