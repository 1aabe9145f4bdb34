"""``newsbot stats -c FILE``: the numbers of /stats as tables in the terminal (rich), or
as one JSON object with ``--json`` (for scripts and monitoring). Read-only: it never
migrates; the same :class:`~bot.services.stats.StatsService` report as /stats."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import IO, Any

from sqlalchemy.exc import SQLAlchemyError

from bot.config import Settings
from bot.domain import ReadingRow, StatsReport
from bot.services.stats import StatsService
from storage.db import check_connection, create_engine, create_session_factory, sqlite_path


class StatsUnavailable(Exception):
    """The database has no newsbot schema (yet), or not the newest one."""


async def collect(settings: Settings) -> StatsReport:
    """The report, from the configured database (never created or migrated here)."""
    path = sqlite_path(settings.database.url)
    if path is not None and not path.exists():
        raise StatsUnavailable(f"the database file {path} does not exist (run newsbot migrate, "
                               "or newsbot run)")
    engine = create_engine(settings.database.url,
                           connect_timeout=settings.database.connect_timeout)
    try:
        await check_connection(engine, settings.database.connect_timeout)
        service = StatsService(create_session_factory(engine),
                               tracking=settings.server.public_url is not None)
        try:
            return await service.report()
        except SQLAlchemyError as exc:  # e.g. a table of a newer schema is missing
            first = str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
            raise StatsUnavailable(f"the statistics cannot be read ({first}); is the schema "
                                   "up to date? (newsbot migrate)") from None
    finally:
        await engine.dispose()


def report_json(report: StatsReport) -> dict[str, Any]:
    """The report as plain JSON values (dates as ISO text, growth keyed by days)."""
    data = asdict(report)
    data["generated_at"] = report.generated_at.isoformat()
    data["growth"] = {str(days): {"new": new, "gone": gone}
                      for days, (new, gone) in report.growth.items()}
    data["per_topic"] = [{"topic": name, "active": count} for name, count in report.per_topic]
    data["series"]["days"] = [day.isoformat() for day in report.series.days]
    for key in ("explainers", "broadcasts"):
        data[key] = [{**asdict(row), "click_through": row.click_through}
                     for row in getattr(report, key)]
    data["active"] = report.active
    return data


def _ratio(row: ReadingRow) -> str:
    return "—" if row.click_through is None else f"{row.click_through:.1%}"


def print_report(report: StatsReport, out: IO[str], *, width: int | None = None) -> None:
    """Print the report as rich tables."""
    from rich.console import Console
    from rich.table import Table

    console = Console(file=out, width=width, highlight=False)
    console.print(f"[bold]newsbot statistics[/bold] — "
                  f"{report.generated_at:%Y-%m-%d %H:%M} UTC")

    def table(title: str, *columns: str) -> Table:
        result = Table(title=title, title_justify="left", show_edge=False)
        for index, column in enumerate(columns):
            result.add_column(column, justify="left" if index == 0 else "right")
        return result

    chats = table("Subscribers (chats)", "", "count")
    for status in ("active", "blocked", "left", "stopped"):
        chats.add_row(status, str(report.chats_by_status.get(status, 0)))
    for kind in ("private", "group", "supergroup", "channel"):
        chats.add_row(f"active {kind}", str(report.active_by_type.get(kind, 0)))
    console.print(chats)

    growth = table("Growth and churn", "window", "new", "gone", "net")
    for days, (new, gone) in sorted(report.growth.items()):
        growth.add_row(f"{days} days", str(new), str(gone), f"{new - gone:+d}")
    console.print(growth)

    topics = table("Topics", "topic", "active subscribers")
    for name, count in report.per_topic:
        topics.add_row(name, str(count))
    console.print(topics)

    work = table("Deliveries (last 24 h), outbox, feeds, comments", "", "count")
    for status in ("sent", "failed", "skipped", "pending", "sending"):
        work.add_row(f"deliveries {status}", str(report.deliveries_24h.get(status, 0)))
    work.add_row("outbox depth", str(report.outbox_depth))
    work.add_row("feeds ok", str(report.feeds_ok))
    work.add_row("feeds failing", str(report.feeds_failing))
    work.add_row("feeds disabled", str(report.feeds_disabled))
    work.add_row("comments visible", str(report.comments_visible))
    work.add_row("comments held", str(report.comments_held))
    work.add_row("comments total", str(report.comments_total))
    console.print(work)

    reading = table("Reading (clicks on Read buttons)", "explainer", "clicks", "sent",
                    "click-through")
    for row in report.explainers:
        reading.add_row(row.label, str(row.clicks), str(row.sent), _ratio(row))
    for row in report.broadcasts:
        reading.add_row(f"broadcast {row.label}", str(row.clicks), str(row.sent), _ratio(row))
    console.print(reading)
    console.print(f"clicks in the last 30 days: {report.clicks_30d}"
                  + ("" if report.tracking else " (click tracking is off: server.public_url)"))


async def run(settings: Settings, out: IO[str], err: IO[str], *, as_json: bool = False) -> int:
    """Collect and print; exit code 0, or 1 with one line on ``err`` when the database has
    no (current) newsbot schema."""
    try:
        report = await collect(settings)
    except StatsUnavailable as exc:
        print(f"error: {exc}", file=err)
        return 1
    if as_json:
        out.write(json.dumps(report_json(report), ensure_ascii=False, indent=2) + "\n")
    else:
        print_report(report, out)
    return 0
