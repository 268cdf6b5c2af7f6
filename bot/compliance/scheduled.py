"""The compliance job: every working hour, open an item for each of last month's reports still missing past its
escalation moment (once per team or lead and month), and close those whose report came in meanwhile."""

from __future__ import annotations

from datetime import datetime

from bot.compliance.service import ComplianceStats, open_missing
from bot.deps import Deps


def run_compliance(deps: Deps, now: datetime) -> ComplianceStats:
    return open_missing(deps, now)
