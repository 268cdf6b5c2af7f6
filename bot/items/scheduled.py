"""The items' scheduled job: remind owners before deadlines, move items on when a deadline passes."""

from __future__ import annotations

from datetime import datetime

from bot.deps import Deps
from bot.items.service import Service, SweepStats


def sweep(deps: Deps, now: datetime) -> SweepStats:
    return Service(deps).sweep(now=now)
