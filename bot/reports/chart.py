"""The monthly summary's chart: interactions by type per team, drawn headless (matplotlib's Agg canvas) as a PNG."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from store.summary import Summary, Tally, merge_tally, natural_key

CHART_MAX_TEAMS = 30  # more bars than this are unreadable: the rest are grouped into one bar


def summary_chart_svg(summary: Summary, *, max_teams: int = CHART_MAX_TEAMS) -> str:
    """The same chart as SVG markup to inline in a page (`<svg ...>...</svg>`: no XML prolog, text as paths so
    no font is needed, no date stamp)."""
    import io

    buffer = io.BytesIO()
    summary_chart(summary, buffer, max_teams=max_teams, fmt="svg")
    svg = buffer.getvalue().decode("utf-8")
    return svg[svg.index("<svg"):]


def summary_chart(summary: Summary, path, *, max_teams: int = CHART_MAX_TEAMS, fmt: str = "png"):
    """A PNG (or, `fmt="svg"`, an SVG written to `path`, a file object) of interactions by type per team:
    horizontal stacked bars, one per team, legend below.

    Drawn with matplotlib's object API on the Agg canvas (no pyplot, no display, no global state). Past
    `max_teams` teams, the most active teams get a bar each and the others one bar of their average.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    teams = summary.teams
    bars: list[tuple[str, Tally]] = [(t.name, t.tally) for t in teams]
    subtitle = ""
    if len(bars) > max_teams:
        # The most active teams, most active first, and one bar for the average of the rest (their sum would
        # dwarf every other bar).
        ranked = sorted(teams, key=lambda t: (-t.tally.total, natural_key(t.name)))
        kept, others = ranked[: max_teams - 1], ranked[max_teams - 1 :]
        average = Tally()
        for t in others:
            merge_tally(average, t.tally)
        average = Tally({k: n / len(others) for k, n in average.counts.items()}, dict(average.minutes))
        bars = [(t.name, t.tally) for t in kept] + [(f"Average of {len(others)} other teams", average)]
        subtitle = f"\nthe {len(kept)} most active of {len(teams)} teams, and the average of the others"

    # Each type keeps its color from month to month (its place in the protocol); types with no bar are left out.
    palette = dict(zip([k for k, _ in summary.types], _palette(len(summary.types)), strict=True))
    types = [(k, label) for k, label in summary.types if summary.totals.count(k)] or list(summary.types)
    height = max(3.0, 1.6 + 0.38 * max(1, len(bars)) + 0.25 * len(types))
    figure = Figure(figsize=(10, height), dpi=110, layout="constrained")
    FigureCanvasAgg(figure)
    ax = figure.add_subplot()
    labels = [_short(name, 32) for name, _t in bars][::-1]  # first team on top
    left = [0] * len(bars)
    for key, label in types:
        values = [tally.count(key) for _name, tally in bars][::-1]
        ax.barh(labels, values, left=left, color=palette[key], label=_short(label, 60), height=0.7)
        left = [a + b for a, b in zip(left, values, strict=True)]
    for y, total in enumerate(left):
        if total:
            ax.text(total, y, f" {total:g}" if isinstance(total, int) else f" {total:.1f}", va="center", fontsize=8)
    ax.set_xlabel("Coaching interactions (submitted logs)")
    ax.set_title(f"Coaching interactions by type per team, {summary.month_label}{subtitle}")
    ax.spines[["top", "right"]].set_visible(False)
    ax.margins(x=0.08)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    if not bars:
        ax.text(0.5, 0.5, "No submitted logs this month", ha="center", va="center", transform=ax.transAxes)
    ax.tick_params(axis="y", labelsize=8 if len(bars) > 15 else 10)
    if bars and types:
        figure.legend(loc="outside lower center", ncols=min(2, len(types)), fontsize=8, frameon=False)
    if fmt == "svg":
        figure.savefig(path, format="svg", metadata={"Date": None})
        return path
    path = Path(path)
    figure.savefig(str(path), format="png")
    return path


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _palette(n: int) -> list[Any]:
    from matplotlib import colormaps

    cmap = colormaps["tab10"]
    return [cmap(i % 10) for i in range(n)]
