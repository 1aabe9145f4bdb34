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
from types import TracebackType
from typing import Any

from prometheus_client import CollectorRegistry, Counter
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from telegram import BotCommand, Update
from telegram.constants import ParseMode
from telegram.ext import Application, ApplicationBuilder, ContextTypes, Defaults, TypeHandler

import handlers.comments
import handlers.membership
import handlers.reader
import handlers.start
import handlers.topics
from bot import log as botlog
from bot import render
from bot.config import Settings
from bot.ingest.fetch import FeedFetcher
from bot.services.comments import CommentService
from bot.services.container import SERVICES_KEY, Services
from bot.services.delivery import DeliveryService
from bot.services.news import NewsService, load_card
from bot.services.polling import IngestionService, PollResult
from bot.services.readers import ReaderService
from bot.services.workers import create_worker_pool
from bot.telegram_io import PtbSender, send_rendered
from bot.transport import AiohttpRequest
from bot.updates import PerChatUpdateProcessor
from bot.webserver import BotWebServer
from storage import deliveries as deliveries_dao
from storage.db import check_connection, create_engine, create_session_factory, upgrade_schema

log = logging.getLogger(__name__)

ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member"]
HANDLER_MODULES = (
    handlers.start, handlers.topics, handlers.reader, handlers.comments, handlers.membership,
)
BOT_COMMANDS = (
    ("start", "Welcome and pick your topics"),
    ("topics", "Follow or unfollow topics"),
    ("latest", "The newest explainers, summarised"),
    ("topic", "Key points of a topic, e.g. /topic russia"),
    ("help", "What this bot can do"),
)
OUTBOX_INTERVAL = 2.0  # seconds between outbox runs
FEED_TICK = 10.0  # seconds between looks for due feeds


def file_base_url(api_base_url: str) -> str:
    """Derive the file download base from the API base (…/bot → …/file/bot)."""
    if api_base_url.endswith("/bot"):
        return api_base_url[: -len("/bot")] + "/file/bot"
    return api_base_url.rstrip("/") + "/file/bot"


def build_application(settings: Settings) -> Application[Any, Any, Any, Any, Any, Any]:
    """Build the PTB Application on our aiohttp transport and register every handler module.

    The services are attached afterwards with :func:`attach_services` (the outbox needs the
    application's bot)."""
    tg = settings.telegram
    api_request = AiohttpRequest(
        pool_size=tg.pool_size,
        connect_timeout=tg.connect_timeout,
        read_timeout=tg.read_timeout,
        write_timeout=tg.write_timeout,
        pool_timeout=tg.pool_timeout,
    )
    updates_request = AiohttpRequest(
        pool_size=2,
        connect_timeout=tg.connect_timeout,
        read_timeout=tg.read_timeout + tg.poll_timeout,
        write_timeout=tg.write_timeout,
        pool_timeout=tg.pool_timeout,
    )
    builder = (
        ApplicationBuilder()
        .token(tg.token.get_secret_value())
        .base_url(tg.api_base_url)
        .base_file_url(file_base_url(tg.api_base_url))
        .request(api_request)
        .get_updates_request(updates_request)
        .defaults(Defaults(parse_mode=ParseMode.HTML))
        .concurrent_updates(PerChatUpdateProcessor())
    )
    if tg.mode == "webhook":
        builder = builder.updater(None)
    application = builder.build()
    for module in HANDLER_MODULES:
        module.register(application)
    application.add_error_handler(_on_error)
    return application


def attach_services(
    application: Application[Any, Any, Any, Any, Any, Any], services: Services
) -> None:
    """Make the services reachable from handlers (see services_of)."""
    application.bot_data[SERVICES_KEY] = services


async def _on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log a handler failure (token masked by the log set-up); never crash the bot."""
    log.error("error while handling an update", exc_info=context.error)


class NewsBot:
    """The running bot: database, services, PTB application, scheduler jobs, HTTP server."""

    def __init__(self, settings: Settings, *, schedule_feeds: bool = True) -> None:
        self.settings = settings
        self._schedule_feeds = schedule_feeds
        self.engine: AsyncEngine | None = None
        self.sessions: async_sessionmaker[AsyncSession] | None = None
        self.services: Services | None = None
        self.application: Application[Any, Any, Any, Any, Any, Any] | None = None
        self.web: BotWebServer | None = None
        self.fetcher: FeedFetcher | None = None
        self.workers: ProcessPoolExecutor | None = None
        self.registry = CollectorRegistry(auto_describe=True)
        self.updates_counter = Counter(
            "newsbot_updates", "Telegram updates received", ["type"], registry=self.registry
        )
        self.polls_counter = Counter(
            "newsbot_feed_polls", "Feed polls by outcome", ["outcome"], registry=self.registry
        )
        self.articles_counter = Counter(
            "newsbot_articles", "Articles stored, new or updated", ["kind"],
            registry=self.registry,
        )
        self.outbox_runs = Counter(
            "newsbot_outbox_runs", "Outbox drains completed", registry=self.registry
        )
        self.deliveries_counter = Counter(
            "newsbot_deliveries", "Outbox sends by outcome", ["outcome"], registry=self.registry
        )
        self._started = False
        self._initialized = False

    async def __aenter__(self) -> NewsBot:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    async def start(self) -> None:
        """Open the database (migrating it), build services and start receiving updates."""
        try:
            await self._start()
        except BaseException:
            await self.stop()
            raise

    async def _start(self) -> None:
        settings = self.settings
        botlog.register_secret(settings.telegram.token.get_secret_value())
        if settings.telegram.webhook_secret is not None:
            botlog.register_secret(settings.telegram.webhook_secret.get_secret_value())
        self.engine = create_engine(
            settings.database.url,
            echo=settings.database.echo,
            pool_size=settings.database.pool_size,
            connect_timeout=settings.database.connect_timeout,
        )
        await check_connection(self.engine, settings.database.connect_timeout)
        await upgrade_schema(self.engine)
        self.sessions = sessions = create_session_factory(self.engine)
        self.fetcher = FeedFetcher(settings.ingestion)
        await self.fetcher.start()
        self.workers = create_worker_pool(settings.ingestion.workers)
        application = build_application(settings)
        self.application = application
        self.services = Services(
            settings=settings,
            publisher_name=settings.publisher.name,
            readers=ReaderService(sessions),
            news=NewsService(sessions),
            comments=CommentService(sessions),
            ingestion=IngestionService(
                sessions, self.fetcher, settings, self._notify_admins,
                on_new_articles=deliveries_dao.enqueue_articles, executor=self.workers,
            ),
            delivery=DeliveryService(sessions, PtbSender(application.bot), load_card),
        )
        attach_services(application, self.services)
        await self.services.ingestion.sync_config()
        await self.services.delivery.recover()
        application.add_handler(TypeHandler(Update, self._count_update), group=-1)
        await application.initialize()
        self._initialized = True
        await application.bot.set_my_commands([BotCommand(c, d) for c, d in BOT_COMMANDS])
        await application.start()
        self._started = True
        await self._schedule_jobs()
        tg = settings.telegram
        self.web = BotWebServer(
            host=settings.server.host,
            port=settings.server.port,
            registry=self.registry,
            health_check=self.health,
            webhook_path=tg.webhook_path if tg.mode == "webhook" else None,
            webhook_secret=tg.webhook_secret.get_secret_value() if tg.webhook_secret else None,
            update_sink=self._push_update if tg.mode == "webhook" else None,
        )
        await self.web.start()
        if tg.mode == "polling":
            assert application.updater is not None
            await application.bot.delete_webhook()
            await application.updater.start_polling(
                timeout=tg.poll_timeout, allowed_updates=ALLOWED_UPDATES
            )
        else:
            assert tg.webhook_url is not None
            await application.bot.set_webhook(
                url=tg.webhook_url,
                secret_token=tg.webhook_secret.get_secret_value() if tg.webhook_secret else None,
                allowed_updates=ALLOWED_UPDATES,
            )
        log.info("newsbot started (%s mode)", tg.mode)

    async def stop(self) -> None:
        """Stop in reverse order; safe to call after a failed start.

        The web server goes first, so no webhook update is acknowledged after the
        application stopped taking them; each step runs even if an earlier one failed."""
        steps: list[tuple[str, Callable[[], Awaitable[None]]]] = []
        if self.web is not None:
            steps.append(("web server", self.web.stop))
        application = self.application
        if application is not None:
            if application.updater is not None and application.updater.running:
                steps.append(("updater", application.updater.stop))
            if self._started:
                steps.append(("application", application.stop))
            if self._initialized:
                steps.append(("application shutdown", application.shutdown))
            else:  # initialize() failed half-way: its HTTP sessions may be open
                steps.append(("bot shutdown", application.bot.shutdown))
        if self.fetcher is not None:
            steps.append(("feed fetcher", self.fetcher.close))
        if self.workers is not None:
            workers = self.workers

            async def stop_workers() -> None:
                await asyncio.to_thread(workers.shutdown, wait=True, cancel_futures=True)

            steps.append(("ingestion workers", stop_workers))
        if self.engine is not None:
            steps.append(("database", self.engine.dispose))
        for name, step in steps:
            try:
                await step()
            except Exception:
                log.exception("error while stopping the %s", name)
        self.web = None
        self.application = None
        self.fetcher = None
        self.workers = None
        self.engine = None
        self._started = self._initialized = False
        log.info("newsbot stopped")

    async def _schedule_jobs(self) -> None:
        assert self.application is not None
        job_queue = self.application.job_queue
        assert job_queue is not None
        if self._schedule_feeds:
            # One tick polls whichever feeds are due: each feed's next poll time carries its
            # interval plus random jitter (or its back-off), and feeds added later (OPML
            # import) are picked up without a restart.
            job_queue.run_repeating(
                self._poll_feeds_job, interval=FEED_TICK, first=1.0, name="poll-feeds",
                job_kwargs={"misfire_grace_time": None},
            )
        job_queue.run_repeating(
            self._outbox_job, interval=OUTBOX_INTERVAL, first=OUTBOX_INTERVAL, name="outbox",
            job_kwargs={"misfire_grace_time": None},
        )

    async def _poll_feeds_job(self, _context: ContextTypes.DEFAULT_TYPE) -> None:
        """Scheduler job: poll the feeds that are due."""
        assert self.services is not None
        for result in await self.services.ingestion.poll_due_feeds():
            self._count_poll(result)

    def _count_poll(self, result: PollResult) -> None:
        outcome = ("skipped" if result.skipped else "error" if result.error
                   else "not_modified" if result.not_modified else "ok")
        self.polls_counter.labels(outcome).inc()
        if result.new_article_ids:
            self.articles_counter.labels("new").inc(len(result.new_article_ids))
        if result.updated_article_ids:
            self.articles_counter.labels("updated").inc(len(result.updated_article_ids))
        if result.first_success and result.new_article_ids:
            # A newly added feed's backlog is stored for /latest and /topic, not pushed.
            log.info("feed %r: first poll stored %d explainers as its baseline",
                     result.feed_name, len(result.new_article_ids))

    async def poll_feed(self, feed_id: int) -> PollResult:
        """Poll one feed now (new articles are queued for subscribers as they are stored)."""
        assert self.services is not None
        result = await self.services.ingestion.poll_feed(feed_id)
        self._count_poll(result)
        return result

    async def poll_all_feeds(self) -> list[PollResult]:
        """Poll every enabled feed now (the demo and admins use this)."""
        assert self.services is not None
        return [await self.poll_feed(entry.feed_id)
                for entry in await self.services.ingestion.feed_schedule()]

    async def _outbox_job(self, _context: ContextTypes.DEFAULT_TYPE) -> None:
        """Scheduler job: send what is due in the outbox."""
        await self.drain_outbox()

    async def drain_outbox(self) -> None:
        """Send every due delivery now."""
        assert self.services is not None
        stats = await self.services.delivery.send_due()
        self.outbox_runs.inc()
        for outcome, count in (("sent", stats.sent), ("retry", stats.retried),
                               ("blocked", stats.blocked), ("failed", stats.failed)):
            if count:
                self.deliveries_counter.labels(outcome).inc(count)

    async def _notify_admins(self, text: str) -> None:
        """Tell every configured admin (feed health notices)."""
        if self.application is None:
            return
        notice = render.render_admin_notice(text)
        for admin_id in self.settings.telegram.admins:
            try:
                await send_rendered(self.application.bot, admin_id, notice)
            except Exception as exc:  # an admin who never opened the bot must not stop polling
                log.warning("could not notify admin %s: %s", admin_id, exc)

    async def health(self) -> dict[str, Any]:
        """Report database reachability for /healthz."""
        if self.engine is None:
            return {"status": "starting"}
        try:
            await check_connection(self.engine, timeout=5)
        except Exception as exc:
            return {"status": "error", "database": str(exc)}
        return {"status": "ok", "database": "ok"}

    async def _push_update(self, data: dict[str, Any]) -> None:
        assert self.application is not None
        update = Update.de_json(data, self.application.bot)
        await self.application.update_queue.put(update)

    async def _count_update(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        kind = "other"
        for name in ALLOWED_UPDATES:
            if getattr(update, name, None) is not None:
                kind = name
                break
        self.updates_counter.labels(kind).inc()

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

