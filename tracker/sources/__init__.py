"""Sources: one module per kind, each turning an HTTP response into normalised items.

No database code lives here. Every module exposes ``poll(config, fetcher, now)``
returning a :class:`tracker.sources.base.PollResult` and declares its kinds in
``KINDS`` (:class:`tracker.sources.kinds.SourceKind`); every base URL comes from
the source's settings, so tests point them at 127.0.0.1. A new kind is a new
module here: it is found by :func:`source_kinds` and appears in the CLI, the
Sources page and the README's table without further changes.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from forecasts.errors import Invalid
from tracker.sources.kinds import MANUAL, SourceKind

# Modules of this package that are plumbing, not kinds.
_NOT_KINDS = {"base", "http", "kinds"}


@cache
def source_kinds() -> dict[str, SourceKind]:
    """Every kind, by name, in a stable order: the hand-kept timeline, then the modules' kinds."""
    kinds = {MANUAL.name: MANUAL}
    for module_info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if module_info.name in _NOT_KINDS:
            continue
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        for kind in getattr(module, "KINDS", ()):
            kinds[kind.name] = kind
    return kinds


def pollable_kinds() -> list[SourceKind]:
    return [kind for kind in source_kinds().values() if kind.can_poll]


def kind_named(name: str) -> SourceKind:
    """The kind called ``name``; an unknown one is refused with the kinds there are."""
    kind = source_kinds().get(name)
    if kind is None or not kind.can_poll:
        allowed = ", ".join(k.name for k in pollable_kinds())
        raise Invalid("kind", f"must be one of {allowed}, got {name!r}", value=name, allowed=allowed)
    return kind
