"""Bulk work that builds many long-lived objects at once runs with Python's cyclic garbage collector paused.

The collector runs every few hundred allocations and each full pass walks every tracked object; building every
US state's roster (some two million objects, none of them garbage) with it on made the YAML read and the
directory index 4-5 times slower. Nothing built here forms reference cycles, so nothing is left uncollected:
reference counting frees what is dropped, and the collector resumes afterwards.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_depth = 0  # how many threads are inside gc_paused() right now
_was_enabled = False


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for the block. Nested and concurrent uses are counted: the collector
    comes back (if it was on) when the last one ends."""
    global _depth, _was_enabled
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _was_enabled:
                gc.enable()
