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


# A directory this large (people + districts + memberships + roles) is kept out of the collector's way.
LONG_LIVED_ROWS = 10_000


def keep_out_of_collections() -> None:
    """Move every object alive now into the collector's permanent generation (`gc.freeze`).

    Called once a big directory is loaded: its objects (430,000 for every US state) live until the next roster
    version, yet every collection of their generation would walk them all, holding every thread for the length
    of it (300 ms a full pass), soon after each load and now and then afterwards. Frozen, they are never walked;
    reference counting still frees them when the next version replaces them (a directory holds no reference
    cycle), so nothing accumulates. What it costs: cyclic garbage that happens to be alive at that moment is
    never collected, a few objects per roster import."""
    gc.freeze()
