"""The numbers of /stats and ``newsbot stats``: one :meth:`StatsService.report` that both
show, so they always agree, and its daily series (the chart's data) as plain numbers.

Definitions:

* a subscriber is a chat with status ``active`` (private chats, groups and channels alike);
  churn is a chat that blocked the bot, removed it or sent /stop (its ``status_changed_at``);
* growth over N days: chats created in the last N days (whatever their status now) and chats
  gone in the last N days;
* the subscribers per day are counted back from today's: a chat created after a day's end
  did not count then, one gone after it did (a chat that left and came back counts from its
  first day on);
* deliveries in the last 24 h are the outbox rows queued then, by their status now;
* click-through is clicks per delivered message (see :class:`bot.domain.ReadingRow`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.domain import DailySeries, ReadingRow, StatsReport
from bot.render.stats_chart import render_chart_png
from bot.render.stats_replies import chart_labels
from storage import deliveries as deliveries_dao
from storage import stats as stats_dao
from storage.models import utcnow

WINDOWS = (7, 30)  # days of growth and churn
CHART_DAYS = 30
TOP_EXPLAINERS = 10
TOP_BROADCASTS = 5


def day_start(day: date) -> datetime:
    """Midnight UTC at the start of ``day``."""
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def chart_days(today: date, count: int = CHART_DAYS) -> tuple[date, ...]:
    """The ``count`` UTC days ending with ``today``, oldest first."""
    return tuple(today - timedelta(days=count - 1 - index) for index in range(count))


def subscribers_per_day(days: tuple[date, ...], active_now: int,
                        created: Mapping[date, int], gone: Mapping[date, int]) -> tuple[int, ...]:
    """Active chats at the end of each of ``days`` (oldest first, the last one today),
    counted back from ``active_now``: chats created after a day did not count on it, chats
    gone after it still did."""
    result: list[int] = []
    count = active_now
    for day in reversed(days):
        result.append(count)
        count += gone.get(day, 0) - created.get(day, 0)  # undo the day: the one before
    return tuple(reversed(result))


def daily_series(today: date, active_now: int, created: Mapping[date, int],
                 gone: Mapping[date, int], sent: Mapping[date, int],
                 clicks: Mapping[date, int], count: int = CHART_DAYS) -> DailySeries:
    """The chart's data: subscribers, deliveries and clicks for each of the last ``count``
    days (days with nothing are 0)."""
    days = chart_days(today, count)
    return DailySeries(
        days=days,
        subscribers=subscribers_per_day(days, active_now, created, gone),
        deliveries=tuple(sent.get(day, 0) for day in days),
        clicks=tuple(clicks.get(day, 0) for day in days),
    )


class StatsService:
    """Reads the statistics (read-only; one session, one consistent set of queries)."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession], *,
                 tracking: bool = False, clock: Callable[[], datetime] = utcnow) -> None:
        self._sessions = session_factory
        self._tracking = tracking
        self._clock = clock

    async def report(self) -> StatsReport:
        """Every number of /stats, as of now."""
        now = self._clock()
        today = now.astimezone(UTC).date()
        first = chart_days(today)[0]
        since = day_start(first)
        async with self._sessions() as session:
            by_status = await stats_dao.chats_by_status(session)
            by_type = await stats_dao.active_by_type(session)
            per_topic = await stats_dao.active_per_topic(session)
            growth = {days: await stats_dao.new_and_gone(session, now - timedelta(days=days))
                      for days in WINDOWS}
            deliveries = await stats_dao.deliveries_by_status(session, now - timedelta(days=1))
            depth = await deliveries_dao.outbox_depth(session)
            feeds_ok, feeds_failing, feeds_disabled = await stats_dao.feed_health(session)
            comments = await stats_dao.comments_by_status(session)
            explainers = await stats_dao.top_explainers(session, TOP_EXPLAINERS)
            broadcasts = await stats_dao.broadcast_clicks(session, TOP_BROADCASTS)
            created = await stats_dao.chats_created_per_day(session, since)
            gone = await stats_dao.chats_gone_per_day(session, since)
            sent = await stats_dao.sent_per_day(session, since)
            clicks = await stats_dao.clicks_per_day(session, first)
        return StatsReport(
            generated_at=now,
            chats_by_status=by_status,
            active_by_type=by_type,
            per_topic=tuple((name, count) for name, _, count in per_topic),
            topic_names={name: names for name, names, _ in per_topic if names},
            growth=growth,
            deliveries_24h=deliveries,
            outbox_depth=depth,
            feeds_ok=feeds_ok,
            feeds_failing=feeds_failing,
            feeds_disabled=feeds_disabled,
            comments_visible=comments.get("visible", 0),
            comments_held=comments.get("pending", 0),
            comments_total=sum(comments.values()),
            clicks_30d=sum(clicks.values()),
            explainers=tuple(ReadingRow(aid, title, n, s) for aid, title, n, s in explainers),
            broadcasts=tuple(ReadingRow(bid, f"#{bid}", n, s) for bid, n, s in broadcasts),
            series=daily_series(today, by_status.get("active", 0), created, gone, sent, clicks),
            tracking=self._tracking,
        )


    async def chart(self, series: DailySeries) -> bytes:
        """The chart of ``series`` as PNG, drawn in a worker thread (labels in the current
        language)."""
        return await asyncio.to_thread(render_chart_png, series, chart_labels())
