"""Charts for the weekly summary, as PNG bytes small enough to travel in the outbox.

matplotlib is imported on first use (it costs a second at start-up) and always with the Agg
backend: the bot runs headless.
"""

from __future__ import annotations

import io
import textwrap
from typing import TYPE_CHECKING

from bot.i18n import vi
from bot.reminders.digest import ChartData

if TYPE_CHECKING:
    from matplotlib.figure import Figure

MAX_BARS = 40  # beyond this a chat photo is unreadable; the weakest units are kept
TITLE_WIDTH = 70  # characters a title line holds at 10 pt across the 8-inch figure


def progress_png(chart: ChartData) -> bytes:
    """Horizontal bars of each unit's share of its targets reached; units without a report are
    shown at zero and labelled so."""
    from matplotlib import pyplot as plt

    figure = draw(chart)
    try:
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
        return buffer.getvalue()
    finally:
        plt.close(figure)


def draw(chart: ChartData) -> Figure:
    """The chart as a matplotlib figure (the caller closes it). A long title (a movement's
    full name) wraps onto more lines rather than being cut."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    bars = sorted(chart.bars, key=lambda bar: (bar[1] is not None, bar[1] or 0.0))[:MAX_BARS]
    bars.reverse()
    names = [textwrap.shorten(name, 40, placeholder="…") for name, _ in bars]
    values = [value or 0.0 for _, value in bars]
    colours = [_colour(value) for _, value in bars]
    title = textwrap.fill(chart.title, TITLE_WIDTH)
    height = max(2.5, 0.35 * len(bars) + 1.2) + 0.2 * title.count("\n")
    figure, axes = plt.subplots(figsize=(8, height), dpi=90)
    try:
        axes.barh(names, values, color=colours)
        axes.set_xlim(0, max(110.0, max(values, default=0.0) + 10))
        axes.axvline(100, color="#555555", linewidth=0.8, linestyle="--")
        axes.set_xlabel(vi.SUMMARY_CHART_AXIS)
        axes.set_title(title, fontsize=10)
        for row, (_, value) in enumerate(bars):
            label = vi.SUMMARY_CHART_NO_REPORT if value is None else f"{value:.0f}%"
            axes.text((value or 0.0) + 1, row, label, va="center", fontsize=8)
        figure.tight_layout()
    except BaseException:
        plt.close(figure)
        raise
    return figure


def _colour(value: float | None) -> str:
    if value is None:
        return "#bbbbbb"
    if value >= 100:
        return "#2e7d32"
    if value >= 50:
        return "#f9a825"
    return "#c62828"
