"""The monthly summary as one self-contained HTML page (`cstbot summary --month M --html FILE`): the chart inlined
as SVG, the tables, the communication section, and print-friendly CSS, so "Print to PDF" gives a clean report.
Nothing is fetched: no script, no font, no stylesheet or image from elsewhere (templates/reports/summary.html.j2).
"""

from __future__ import annotations

from pathlib import Path

from markupsafe import Markup

from bot.reports.chart import summary_chart_svg
from store.summary import Summary
from templates import render_html


def summary_page(summary: Summary) -> str:
    chart = Markup(summary_chart_svg(summary))  # matplotlib's own markup, from our figures only
    return render_html("reports/summary.html.j2", s=summary, c=summary.communication, chart=chart)


def summary_html(summary: Summary, path: str | Path) -> Path:
    path = Path(path)
    path.write_text(summary_page(summary), encoding="utf-8")
    return path
