"""/stats's chart: subscribers, deliveries and clicks per day as a PNG, drawn headless.

matplotlib is imported inside :func:`render_chart_png` (the bot starts without it: it takes
about half a second to import) and used without pyplot: a bare ``Figure`` on an Agg canvas
keeps no global state, so the chart can be drawn in a worker thread
(``asyncio.to_thread``) while the event loop goes on. Tests check the data
(:class:`bot.domain.DailySeries`), not the pixels."""

from __future__ import annotations

import io

from bot.domain import DailySeries

_SIZE = (8.0, 5.0)  # inches
_DPI = 110


def render_chart_png(series: DailySeries, labels: tuple[str, str, str, str]) -> bytes:
    """The chart as PNG bytes; ``labels``: title, then the subscribers', deliveries' and
    clicks' series names."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    title, subscribers, deliveries, clicks = labels
    days = [day.strftime("%d.%m") for day in series.days]
    positions = list(range(len(days)))
    figure = Figure(figsize=_SIZE, dpi=_DPI)
    FigureCanvasAgg(figure)
    top, bottom = figure.subplots(2, 1, sharex=True, height_ratios=(1, 1))
    top.plot(positions, series.subscribers, color="#1f77b4", marker="o", markersize=3,
             label=subscribers)
    top.set_title(title)
    top.legend(loc="upper left")
    top.grid(alpha=0.3)
    bottom.bar(positions, series.deliveries, color="#2ca02c", alpha=0.7, label=deliveries)
    bottom.plot(positions, series.clicks, color="#d62728", marker="o", markersize=3,
                label=clicks)
    bottom.legend(loc="upper left")
    bottom.grid(alpha=0.3)
    step = max(1, len(days) // 10)
    bottom.set_xticks(positions[::step], days[::step])
    for axes in (top, bottom):
        axes.set_ylim(bottom=0)
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
