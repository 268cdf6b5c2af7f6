"""The communication report as rows (CSV, the XLSX report, the summary workbook's "Communication" sheet).

One table with a Section column, so a spreadsheet filter shows one part: By tier, By team, All items,
Redirected by (a member who passed on district requests), Missing reports (compliance items), Training stage,
Training.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from routing.communication import Communication, Line

SHEET = "Communication"
HEADER = [
    "Section", "Chain", "Name", "Received", "Answered", "Escalated by hand", "Moved on by a deadline",
    "Ended otherwise", "Still open", "Median hours to first action", "90th percentile hours to first action",
    "Answered within the deadline (%)", "Matched", "Unmatched", "Median business days to a match",
    "Closed by the report coming in",
]


def _hours(value: float | None) -> float | None:
    return round(value, 2) if value is not None else None


def _line(section: str, chain: str, line: Line) -> list[Any]:
    share = line.within_deadline_share
    return [
        section, chain, line.label, line.received, line.answered, line.escalated_by_hand,
        line.moved_on_by_deadline, line.ended_otherwise, line.open, _hours(line.median_hours),
        _hours(line.p90_hours), round(share * 100, 1) if share is not None else None, None, None, None, None,
    ]


def communication_rows(report: Communication) -> tuple[list[str], Iterable[list[Any]]]:
    def rows() -> Iterable[list[Any]]:
        for t in report.tiers:
            yield _line("By tier", t.chain_label, t)
        for t in report.teams:
            yield _line("By team", "", t)
        yield _line("All items", "", report.total)
        for r in report.redirects:
            yield ["Redirected by", "", r.name, r.count, *[None] * (len(HEADER) - 4)]
        for m in report.missing_reports:
            yield ["Missing reports", "", m.label, m.opened, m.answered, None, None, m.withdrawn, m.open, None, None,
                   None, None, None, None, m.resolved]
        training = report.training
        if training is not None:
            for s in training.stages:
                yield ["Training stage", training.label, s.label, s.reached, None, s.passed_by_hand,
                       s.moved_on_by_deadline, None, None, None, None, None, s.matched, None, None, None]
            days = training.median_days_to_match
            yield ["Training", training.label, "All training requests", training.requests, None, None, None,
                   training.withdrawn, training.open, None, None, None, training.matched, training.unmatched,
                   round(days, 2) if days is not None else None, None]

    return list(HEADER), rows()
