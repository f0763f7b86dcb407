"""Pieces the pages share: the cached database, forms with their errors, charts, the worker panel."""
