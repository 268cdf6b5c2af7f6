"""A one-line progress bar on stderr for long commands, only when stderr is a terminal (quiet in pipes, logs, CI)."""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from typing import TextIO

from templates import render_text

WIDTH = 24
REDRAW_SECONDS = 0.1  # within a step, redraw at most this often


class ProgressBar:
    """Call it with a step's name as the step starts, and with (step, done, total) within a long step. `steps`
    are all the steps in order (some may be skipped); the bar fills by step. Use as a context manager: the line is
    erased at the end, so what the command prints next starts on a clean line."""

    def __init__(self, steps: Sequence[str], stream: TextIO | None = None) -> None:
        self.steps = tuple(steps)
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = _is_tty(self.stream)
        self.started = time.monotonic()
        self.drawn_at = float("-inf")
        self.step: str | None = None

    def __call__(self, step: str, done: int = 0, total: int = 0) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if step == self.step and now - self.drawn_at < REDRAW_SECONDS:
            return
        self.step, self.drawn_at = step, now
        index = self.steps.index(step) if step in self.steps else 0
        share = (index + (done / total if total else 0)) / len(self.steps)
        line = render_text(
            "cli/progress.txt.j2",
            width=WIDTH,
            filled=int(share * WIDTH),
            percent=int(share * 100),
            step=step,
            done=done,
            total=total,
            seconds=now - self.started,
        ).strip()
        self.stream.write("\r\x1b[K" + line)
        self.stream.flush()

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.enabled and self.step is not None:
            self.stream.write("\r\x1b[K")  # erase the bar
            self.stream.flush()


def _is_tty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
