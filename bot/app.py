"""The one wiring point: settings → engine → sessions → services → PTB Application.

:class:`NewsBot` owns every resource and its lifecycle (start in order, stop in reverse), so
the CLI, the demo and the end-to-end tests all run the same bot.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from collections.abc import Awaitable, Callable
from concurrent.futures import ProcessPoolExecutor
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from telegram import Update

from bot import log as botlog
from bot import render
from bot.application import (
    ALLOWED_UPDATES,
    build_application,
    close_on_stop,
    initialized,
    publish_commands,
)
from bot.config import Settings
from bot.context import NewsApplication, NewsContext, attach_services
from bot.i18n import DEFAULT_LANGUAGE, use_language
from bot.ingest.fetch import FeedFetcher
from bot.metrics import BotMetrics
from bot.render.admin_notices import render_feed_alert
from bot.services.admins import AdminService
from bot.services.broadcasts import BroadcastService
from bot.services.channels import ChannelService
from bot.services.clicks import ClickTracker
from bot.services.comment_relay import CommentRelay
from bot.services.comments import CommentService
from bot.services.container import Services
from bot.services.corrections import CorrectionService
from bot.services.delivery import DeliveryService
from bot.services.feed_admin import FeedAdminService
from bot.services.feed_health import FeedAlert
from bot.services.languages import ChatLanguages
from bot.services.leadership import LeaderElection, SingleInstanceLock
from bot.services.news import NewsService, load_card
from bot.services.outbox import NoticeText
from bot.services.polling import IngestionService, PollResult
from bot.services.readers import ReaderService
from bot.services.readiness import (
    DatabaseCheck,
    DatabaseFileWatch,
    FlagCheck,
    OutboxCheck,
    Readiness,
    RecentSuccessCheck,
)
from bot.services.settings import SettingsService
from bot.services.site_comments import SiteCommentPoll, SiteCommentService
from bot.services.stats import StatsService
from bot.services.update_dedupe import UpdateDeduplicator
from bot.services.workers import create_worker_pool
from bot.telegram_edits import PtbDeleter, PtbEditor
from bot.telegram_io import PtbSender, send_rendered
from bot.transport import ApiActivity
from bot.webserver import BotWebServer, UnreadableUpdate
from handlers.broadcasts import broadcast_tick
from storage import deliveries as deliveries_dao
from storage.db import (
    check_connection,
    create_engine,
    create_session_factory,
    startup_lock,
    upgrade_schema,
)
from storage.health import sqlite_file

log = logging.getLogger(__name__)

OUTBOX_INTERVAL = 2.0  # seconds between outbox runs
FEED_TICK = 10.0  # seconds between looks for due feeds
BROADCAST_TICK = 5.0  # seconds between broadcast progress edits (and scheduled-broadcast checks)
DATABASE_WATCH_INTERVAL = 30.0  # seconds between looks at the SQLite file
SEEN_UPDATES_PRUNE_INTERVAL = 600.0  # seconds between prunings of old webhook update ids


@dataclass(frozen=True)
class Running:
    """What a started bot holds; it exists only between start() and stop()."""

    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    services: Services
    application: NewsApplication
    web: BotWebServer
    workers: ProcessPoolExecutor | None
    readiness: Readiness
    database_watch: DatabaseFileWatch
    dedupe: UpdateDeduplicator
    leadership: LeaderElection
    corrections: CorrectionService


def _scheduler_running(application: NewsApplication) -> bool:
    job_queue = application.job_queue
    return job_queue is not None and bool(job_queue.scheduler.running)


class NewsBot:
    """The running bot: database, services, PTB application, scheduler jobs, HTTP server.

    Each resource's close is pushed on an :class:`~contextlib.AsyncExitStack` right after it
    opens, so ``stop()`` (or a failed ``start()``) closes exactly what was opened, in reverse.
    """

    def __init__(self, settings: Settings, *, schedule_feeds: bool = True) -> None:
        self.settings = settings
        self._schedule_feeds = schedule_feeds
        self.metrics = BotMetrics()
        self.api_activity = ApiActivity()
        self._running: Running | None = None
        self._stack: AsyncExitStack | None = None

    @property
    def running(self) -> Running:
        """The started bot's resources; raises RuntimeError before start() or after stop()."""
        if self._running is None:
            raise RuntimeError("the bot is not running")
        return self._running

    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]:
        """The session factory of the running bot."""
        return self.running.sessions

    @property
    def services(self) -> Services:
        """The services of the running bot."""
        return self.running.services

    @property
    def application(self) -> NewsApplication:
        """The PTB application of the running bot."""
        return self.running.application

    @property
    def web(self) -> BotWebServer:
        """The HTTP server (health, metrics, webhook) of the running bot."""
        return self.running.web

    @property
    def workers(self) -> ProcessPoolExecutor | None:
        """The ingestion worker process pool, when ``ingestion.workers`` asks for one."""
        return self.running.workers

    async def __aenter__(self) -> NewsBot:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def start(self) -> None:
        """Open the database (migrating it), build services and start receiving updates."""
        if self._stack is not None:
            raise RuntimeError("the bot is already started")
        stack = AsyncExitStack()
        try:
            self._running = await self._open(stack)
        except BaseException:
            await stack.aclose()
            raise
        self._stack = stack
        log.info("newsbot started (%s mode)", self.settings.telegram.mode)

    async def stop(self) -> None:
        """Close everything start() opened, in reverse; safe to call twice or after a failure."""
        stack, self._stack, self._running = self._stack, None, None
        if stack is not None:
            await stack.aclose()
            log.info("newsbot stopped")

    async def _open(self, stack: AsyncExitStack) -> Running:
        settings = self.settings
        tg = settings.telegram
        botlog.register_secret(tg.token.get_secret_value())
        if tg.webhook_secret is not None:
            botlog.register_secret(tg.webhook_secret.get_secret_value())

        # One process per SQLite file (taken before anything migrates it); several processes
        # share PostgreSQL, with one leader for polling and scheduled jobs.
        instance_lock = SingleInstanceLock.for_database(settings.database.url)
        if instance_lock is not None:
            instance_lock.acquire()
            stack.callback(instance_lock.release)
        engine = create_engine(
            settings.database.url,
            echo=settings.database.echo,
            pool_size=settings.database.pool_size,
            connect_timeout=settings.database.connect_timeout,
        )
        close_on_stop(stack, "database", engine.dispose)
        await check_connection(engine, settings.database.connect_timeout)
        async with startup_lock(engine):  # processes starting together take turns
            await upgrade_schema(engine)
        database_watch = DatabaseFileWatch(sqlite_file(engine))
        sessions = create_session_factory(engine)
        leadership = LeaderElection(engine, interval=settings.delivery.leader_check_seconds)
        await leadership.start()
        close_on_stop(stack, "leader election", leadership.stop)

        fetcher = FeedFetcher(settings.ingestion)
        await fetcher.start()
        close_on_stop(stack, "feed fetcher", fetcher.close)

        workers = create_worker_pool(settings.ingestion.workers)
        if workers is not None:
            pool = workers

            async def stop_workers() -> None:
                await asyncio.to_thread(pool.shutdown, wait=True, cancel_futures=True)

            close_on_stop(stack, "ingestion workers", stop_workers)

        application = build_application(settings, self.api_activity, self.metrics)
        readers = ReaderService(sessions)
        news = NewsService(sessions, {
            topic.slug: (*topic.aliases, *topic.keywords) for topic in settings.topics
        })
        clicks = (ClickTracker(sessions, settings.server.public_url)
                  if settings.server.public_url else None)
        delivery = DeliveryService(
            sessions, PtbSender(application.bot), load_card, settings.delivery,
            observer=self.metrics, notify_admins=self._notify_admins, clicks=clicks,
        )
        # Published comments go to the discussion chat and followers through the outbox.
        comment_relay = CommentRelay(
            sessions, settings.comments, limiter=delivery.limiter,
            editor=PtbEditor(application.bot), deleter=PtbDeleter(application.bot))
        delivery.comments = comment_relay
        ingestion = IngestionService(
            sessions, fetcher, settings, self._notify_admins,
            on_new_articles=deliveries_dao.enqueue_articles, executor=workers,
        )
        admins = AdminService(sessions, settings.telegram.admins)
        services = Services(
            settings=settings,
            publisher_name=settings.publisher.name,
            readers=readers,
            channels=ChannelService(sessions, readers),
            news=news,
            comments=CommentService(sessions, settings.comments, settings.telegram.admins,
                                    on_change=comment_relay.changed, admin_directory=admins),
            ingestion=ingestion,
            delivery=delivery,
            chat_settings=SettingsService(sessions, news),
            languages=ChatLanguages(sessions),
            admins=admins,
            stats=StatsService(sessions, tracking=clicks is not None),
            site_comments=SiteCommentService(sessions, fetcher, settings,
                                             on_published=comment_relay.publish),
            comment_relay=comment_relay,
            feed_admin=FeedAdminService(sessions, fetcher, settings, admins, ingestion, news),
            broadcasts=BroadcastService(sessions, admins, paid=settings.delivery.paid_broadcast),
        )
        attach_services(application, services)
        corrections = CorrectionService(
            sessions, PtbEditor(application.bot), load_card, services.delivery.limiter,
            mode=settings.delivery.corrections, sender=PtbSender(application.bot),
            clicks=clicks,
        )
        async with startup_lock(engine):
            await services.ingestion.sync_config()
        # On SQLite this is the only process (the instance lock): a crash's claims are free
        # now; on PostgreSQL only claims whose lease ran out are (others may be live).
        await services.delivery.recover(only_process=instance_lock is not None)

        await stack.enter_async_context(initialized(application))
        await publish_commands(application.bot, await services.admins.admin_ids())
        await application.start()
        close_on_stop(stack, "application", application.stop)
        self._schedule_jobs(application)
        # Closed before the application: stop claiming, let in-flight sends finish within
        # delivery.shutdown_grace_seconds, hand the rest back.
        close_on_stop(stack, "outbox", services.delivery.shutdown)
        readiness = Readiness({
            "database": DatabaseCheck(engine),
            "database_file": database_watch,
            "scheduler": FlagCheck(lambda: _scheduler_running(application),
                                   "the scheduler (job queue) is not running"),
            "telegram": RecentSuccessCheck(
                lambda: self.api_activity.last_success, application.bot.get_me,
                max_age=settings.server.ready_telegram_minutes * 60),
            "outbox": OutboxCheck(
                sessions, timedelta(minutes=settings.server.ready_outbox_stuck_minutes)),
        })
        dedupe = UpdateDeduplicator(sessions, timedelta(minutes=tg.update_dedupe_minutes))

        web = BotWebServer(
            host=settings.server.host,
            port=settings.server.port,
            registry=self.metrics.registry,
            readiness=self.readiness,
            webhook_path=tg.webhook_path if tg.mode == "webhook" else None,
            webhook_secret=tg.webhook_secret.get_secret_value() if tg.webhook_secret else None,
            update_sink=self._push_update if tg.mode == "webhook" else None,
            click_sink=self._click_counter(clicks) if clicks is not None else None,
        )
        await web.start()
        # Closed first on stop: no webhook update is acknowledged once the application
        # stopped taking them.
        close_on_stop(stack, "web server", web.stop)
        running = Running(engine, sessions, services, application, web, workers, readiness,
                          database_watch, dedupe, leadership, corrections)

        if application.updater is not None:  # polling mode
            await application.bot.delete_webhook(drop_pending_updates=tg.drop_pending_updates)
            await application.updater.start_polling(
                timeout=tg.poll_timeout, allowed_updates=ALLOWED_UPDATES
            )
            close_on_stop(stack, "updater", application.updater.stop)
        elif tg.webhook_url is not None:
            await application.bot.set_webhook(
                url=tg.webhook_url,
                secret_token=tg.webhook_secret.get_secret_value() if tg.webhook_secret else None,
                allowed_updates=ALLOWED_UPDATES,
                drop_pending_updates=tg.drop_pending_updates,
            )
        return running

    def _schedule_jobs(self, application: NewsApplication) -> None:
        job_queue = application.job_queue
        if job_queue is None:
            raise RuntimeError("python-telegram-bot was installed without its job-queue extra")
        if self._schedule_feeds:
            # One tick polls whichever feeds are due: each feed's next poll time carries its
            # interval plus random jitter (or its back-off), and feeds added later (OPML
            # import) are picked up without a restart.
            job_queue.run_repeating(
                self._poll_feeds_job, interval=FEED_TICK, first=1.0, name="poll-feeds",
                job_kwargs={"misfire_grace_time": None},
            )
        if self._schedule_feeds and self.settings.comments.site_comments:
            every = self.settings.comments.site_poll_minutes * 60.0
            job_queue.run_repeating(
                self._poll_site_comments_job, interval=every, first=min(every, 60.0),
                name="site-comments", job_kwargs={"misfire_grace_time": None},
            )
        # A second instance may start while a long drain runs: it returns at once (the drain
        # in progress sends what is due), instead of APScheduler warning every tick.
        job_queue.run_repeating(
            self._outbox_job, interval=OUTBOX_INTERVAL, first=OUTBOX_INTERVAL, name="outbox",
            job_kwargs={"misfire_grace_time": None, "max_instances": 2},
        )
        job_queue.run_repeating(
            self._broadcasts_job, interval=BROADCAST_TICK, first=BROADCAST_TICK,
            name="broadcasts", job_kwargs={"misfire_grace_time": None},
        )
        job_queue.run_repeating(
            self._watch_database_job, interval=DATABASE_WATCH_INTERVAL,
            first=DATABASE_WATCH_INTERVAL, name="database-watch",
        )
        if self.settings.telegram.mode == "webhook":
            job_queue.run_repeating(
                self._prune_seen_updates_job, interval=SEEN_UPDATES_PRUNE_INTERVAL,
                first=SEEN_UPDATES_PRUNE_INTERVAL, name="prune-seen-updates",
            )

    @property
    def is_leader(self) -> bool:
        """Whether this process runs feed polling and scheduled jobs (one process does)."""
        return self._running is not None and self._running.leadership.is_leader

    async def _poll_feeds_job(self, context: NewsContext) -> None:
        """Scheduler job: poll the feeds that are due (the leader process only)."""
        if not self.is_leader:
            return
        for result in await context.services.ingestion.poll_due_feeds():
            self._count_poll(result)

    async def _poll_site_comments_job(self, context: NewsContext) -> None:
        """Scheduler job: read the website's comment feeds that are due (the leader only)."""
        if not self.is_leader or context.services.site_comments is None:
            return
        await context.services.site_comments.poll_due()

    async def poll_site_comments(self) -> list[SiteCommentPoll]:
        """Read the website's comment feeds that are due now (tests and admins use this)."""
        site_comments = self.services.site_comments
        return [] if site_comments is None else await site_comments.poll_due()

    def _count_poll(self, result: PollResult) -> None:
        self.metrics.count_poll(result)
        if result.first_success and result.new_article_ids:
            # A newly added feed's backlog is stored for /latest and /topic, not pushed.
            log.info("feed %r: first poll stored %d explainers as its baseline",
                     result.feed_name, len(result.new_article_ids))

    async def poll_feed(self, feed_id: int) -> PollResult:
        """Poll one feed now (new articles are queued for subscribers as they are stored)."""
        result = await self.services.ingestion.poll_feed(feed_id)
        self._count_poll(result)
        return result

    async def poll_all_feeds(self) -> list[PollResult]:
        """Poll every enabled feed now (the demo and admins use this)."""
        return [await self.poll_feed(entry.feed_id)
                for entry in await self.services.ingestion.feed_schedule()]

    async def _outbox_job(self, _context: NewsContext) -> None:
        """Scheduler job: send what is due in the outbox (every process: rows are claimed),
        then, on the leader, correct sent messages of explainers that changed."""
        await self.drain_outbox()
        if self.is_leader:
            await self.correct_sent_messages()

    async def correct_sent_messages(self) -> None:
        """Edit (or re-push) sent messages of explainers corrected since they were sent."""
        try:
            await self.running.corrections.run_once()
        except Exception:  # a database hiccup: the next tick tries again
            log.exception("correcting sent messages failed")

    async def drain_outbox(self) -> None:
        """Send every due delivery now."""
        delivery = self.services.delivery
        delivery.limiter.share(self.running.leadership.members)
        self.metrics.count_drain(await delivery.send_due())
        try:
            self.metrics.set_outbox_depth(await delivery.depth())
        except Exception as exc:  # metrics must not break the outbox
            log.debug("outbox depth unavailable: %s", exc)

    async def _broadcasts_job(self, _context: NewsContext) -> None:
        """Scheduler job (leader): fire due broadcasts, show running ones' progress."""
        if self.is_leader:
            await self.tick_broadcasts()

    async def tick_broadcasts(self) -> None:
        """Fire scheduled broadcasts that are due and edit progress messages now."""
        service = self.services.broadcasts
        if service is None:
            return
        try:
            await broadcast_tick(self.application.bot, service)
        except Exception:  # a database hiccup: the next tick tries again
            log.exception("broadcast progress failed")

    async def _watch_database_job(self, _context: NewsContext) -> None:
        """Scheduler job: notice a deleted or replaced SQLite file (alert once, and on return)."""
        await self.watch_database()

    async def watch_database(self) -> None:
        """Look at the database file now; log and alert admins when it changed state."""
        await self.running.database_watch.watch(self._notify_admins)

    async def _prune_seen_updates_job(self, _context: NewsContext) -> None:
        """Scheduler job: forget webhook update ids older than the dedupe window."""
        if not self.is_leader:
            return
        await self.running.dedupe.prune()

    async def _notify_admins(self, text: NoticeText) -> None:
        """Tell every admin (feed health notices; the config's and those added from
        Telegram), each in their chat's interface
        language when the bot knows it (English otherwise); ``text`` may be a function that
        renders the notice in the current language."""
        if self._running is None:
            return
        bot = self._running.application.bot
        languages = self._running.services.languages
        for admin_id in await self._running.services.admins.admin_ids():
            try:
                language = await languages.for_chat(admin_id)
            except Exception as exc:  # the notice may be that the database is away
                log.debug("language of admin %s unknown: %s", admin_id, exc)
                language = DEFAULT_LANGUAGE
            try:
                with use_language(language):
                    if isinstance(text, FeedAlert):  # with the feed's URL and buttons
                        notice = render_feed_alert(text(), text.url, text.feed_id,
                                                   recovered=text.recovered)
                    else:
                        notice = render.render_admin_notice(text() if callable(text) else text)
                await send_rendered(bot, admin_id, notice)
            except Exception as exc:  # an admin who never opened the bot must not stop polling
                log.warning("could not notify admin %s: %s", admin_id, exc)

    async def readiness(self) -> tuple[bool, dict[str, Any]]:
        """Run the readiness checks for /readyz: (ready, body naming each failing check)."""
        if self._running is None:
            return False, {"status": "not ready", "failing": {"bot": "starting or stopping"}}
        report = await self._running.readiness.report()
        return report.ready, report.as_json()

    def _click_counter(self, clicks: ClickTracker) -> Callable[[str], Awaitable[str | None]]:
        """The web server's click sink: count the click, and the request in the metrics."""

        async def click(token: str) -> str | None:
            url = await clicks.click(token)
            self.metrics.count_click(url is not None)
            return url

        return click

    async def _push_update(self, data: dict[str, Any]) -> bool:
        """Read a webhook update and queue it, unless its id was taken in recently."""
        application = self.application
        try:
            update = Update.de_json(data, application.bot)
        except Exception as exc:  # PTB raises whatever the malformed field causes
            raise UnreadableUpdate(f"{exc.__class__.__name__}: {exc}") from None
        if not await self.running.dedupe.first_sighting(update.update_id):
            return False
        await application.update_queue.put(update)
        return True

    async def run_until_signal(self) -> None:
        """Start, then serve until SIGINT/SIGTERM, then stop."""
        stop_event = asyncio.Event()
        loop = asyncio.get_running_loop()
        if sys.platform != "win32":  # Windows loops have no signal handlers; Ctrl-C still works
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, stop_event.set)
        await self.start()
        try:
            await stop_event.wait()
        finally:
            await self.stop()


