"""Pushing explainers to subscribers through the outbox, at Telegram's limits.

New articles become one ``deliveries`` row per destination (a chat, or one forum thread of it)
subscribed to any of their topics (``storage.deliveries.enqueue_articles``). A drain:

1. **claims** due rows for this process with a lease (``FOR UPDATE SKIP LOCKED`` on
   PostgreSQL), plus every other due row of the same chats;
2. **plans** each destination (:func:`bot.services.schedule.plan_push`): send now, or hold
   for its digest slot, quiet hours or the coalescing window — the hold is written into the
   rows' ``next_attempt_at`` and ``schedule``, so it survives restarts;
3. **renders** each article once per batch and interface language (each chat's, from
   ``chats.settings["interface_language"]``, read with its delivery settings; English when it
   has none), one message for a single explainer, one list for several (coalesced) or a
   digest;
4. **sends** with up to ``delivery.concurrency`` destinations in flight, each send waiting on
   the :class:`~bot.services.rate_limits.SendLimiter`;
5. **relays comments** and **sends broadcasts**: a row with ``comment_id`` is a published
   comment's copy (for the discussion chat or a chat following the explainer's comments, see
   :mod:`bot.services.comment_relay`): sent at once, one message per row, rendered once per
   comment and language; a comment no longer visible is skipped; a row with
   ``broadcast_id`` is an admin's announcement (:mod:`bot.services.broadcasts`), rendered
   once per broadcast; a cancelled broadcast's rows are skipped, a paused one's handed back;
6. **records** every row's outcome in one executemany per batch; a database error keeps the
   outcomes in memory and retries, so a hiccup strands nothing.

Telegram's answers decide each row: sent; a 429 pauses everyone for ``retry_after`` and the
same part is sent again (never an attempt); 5xx and network errors retry with exponential
backoff, then fail; 403 / chat not found block the chat; a migrated group is merged into its
supergroup and the message resent once; a closed or deleted forum topic or a channel that
lost the bot's rights pauses that destination and tells its admins once.

A send whose answer was lost (timeout, dropped connection) may have been delivered: sending it
again is the one duplicate the Bot API cannot rule out; such sends are counted
(``unknown_outcomes``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import DeliverySettings
from bot.domain import ArticleCard, BroadcastContent
from bot.i18n import DEFAULT_LANGUAGE, use_language
from bot.render import OutgoingMessage, render_coalesced, render_digest, render_pushed_article
from bot.render.broadcasts import render_broadcast
from bot.render.delivery_notices import (
    PausedKind,
    paused_admin_notice,
    render_destination_paused,
)
from bot.render.markup import web_url
from bot.services.clicks import ClickTracker
from bot.services.content_prefs import DEFAULT_CONTENT, ContentPrefs
from bot.services.outbox import (
    AdminNotifier,
    CardLoader,
    CommentCopies,
    DeliveryObserver,
    DeliveryStats,
    Job,
    MessageSender,
    OutcomeWriter,
    SendOutcome,
    chat_language,
    outcome_row,
    process_owner,
)
from bot.services.rate_limits import SendLimiter
from bot.services.schedule import (
    DeliveryPrefs,
    PushPlan,
    next_digest_at,
    plan_push,
    thread_settings,
)
from storage import broadcasts as broadcasts_dao
from storage import chats as chats_dao
from storage import comments as comments_dao
from storage import deliveries as deliveries_dao
from storage.db import write_session
from storage.deliveries import ClaimedDelivery
from storage.models import utcnow

log = logging.getLogger(__name__)

MAX_INLINE_FLOOD_WAIT = 60.0  # a longer 429 hands the row back instead of holding a slot
DB_RETRY_MAX = 5.0  # seconds between tries while the database is unreachable
BROADCAST_STATUS_TTL = 1.0  # seconds a broadcast's status is trusted while its rows go out


class DeliveryService:
    """Drains the outbox; one drain at a time per process."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        sender: MessageSender,
        load_card: CardLoader,
        settings: DeliverySettings | None = None,
        *,
        limiter: SendLimiter | None = None,
        observer: DeliveryObserver | None = None,
        notify_admins: AdminNotifier | None = None,
        clock: Callable[[], datetime] = utcnow,
        owner: str | None = None,
        clicks: ClickTracker | None = None,
    ) -> None:
        self._sessions = session_factory
        self._clicks = clicks  # server.public_url set: "Read" buttons count clicks
        self._sender = sender
        self._load_card = load_card
        self._settings = settings = settings or DeliverySettings()
        self.limiter = limiter or SendLimiter(
            settings.rate_per_second, paid_rate_per_second=settings.paid_rate_per_second,
            private_chat_interval=settings.private_chat_interval,
            group_chat_interval=settings.group_chat_interval)
        self._observer = observer
        self._notify_admins = notify_admins
        self._clock = clock
        self.owner = owner or process_owner()
        self._draining = asyncio.Lock()
        self._stopping = False
        self._record_failed = False
        self._slots = asyncio.Semaphore(settings.concurrency)  # shared by overlapping batches
        # (article id, language) → the pushed article, rendered once per batch
        self._rendered: dict[tuple[int, str], list[OutgoingMessage]] = {}
        self._read_urls: dict[int, str] = {}  # article id → its tracked "Read" link, per batch
        # destinations (chat, thread) whose settings differ from the default
        self._content: dict[tuple[int, int], ContentPrefs] = {}
        self._languages: dict[int, str] = {}  # chats whose interface language is not English
        self._comment_counts: dict[int, int] = {}  # articles of the batch with comments
        self._lease_valid_until = 0.0
        self._in_flight: set[asyncio.Task[list[dict[str, Any]]]] = set()
        # broadcast id → (status, loop time read): a cancel or pause stops claimed rows too
        self._broadcast_status: dict[int, tuple[str, float]] = {}
        # Renders relayed comments (set by the wiring once the relay exists); without it
        # comment rows are skipped.
        self.comments: CommentCopies | None = None

    # -- lifecycle -------------------------------------------------------------------------

    async def recover(self, *, only_process: bool = False) -> int:
        """At start: put claims whose lease ran out (a crashed process's) back to pending —
        all claims when ``only_process`` (SQLite: no other process can hold any)."""
        async with write_session(self._sessions) as session:
            if only_process:
                return await deliveries_dao.release_stale_claims(session, None, everyone=True)
            return await deliveries_dao.release_stale_claims(session, self._clock())

    async def shutdown(self, grace: float | None = None) -> None:
        """Stop claiming; let in-flight sends finish for up to ``grace`` seconds, then cancel
        the rest (their rows go back to pending) and wait for the drain to record."""
        self._stopping = True
        grace = self._settings.shutdown_grace_seconds if grace is None else grace
        if self._in_flight:
            await asyncio.wait(set(self._in_flight), timeout=grace)
        for task in list(self._in_flight):
            task.cancel()
        async with self._draining:  # the drain records what finished, then returns
            pass
        if self._record_failed:
            # Outcomes (some sends among them) could not be written: releasing the claims
            # would send those again. They wait for their lease (or the next start).
            log.error("outbox: outcomes of this run could not be recorded (database away); "
                      "its claims are left to expire")
            return
        async with write_session(self._sessions) as session:
            released = await deliveries_dao.release_claims(session, self.owner)
        if released:
            log.info("outbox: %d claimed deliveries handed back at shutdown", released)

    async def depth(self) -> int:
        """Deliveries pending or being sent."""
        async with self._sessions() as session:
            return await deliveries_dao.outbox_depth(session)

    # -- draining --------------------------------------------------------------------------

    async def send_due(self) -> DeliveryStats:
        """Send every due delivery (in batches) and record each outcome."""
        stats = DeliveryStats()
        if self._draining.locked():
            return stats  # the running drain will get to them
        async with self._draining:
            heartbeat = asyncio.create_task(self._renew_leases())
            # Two batches overlap: the next is claimed and starts filling the free send
            # slots while the last sends of the previous one finish.
            pushes: list[asyncio.Task[bool]] = []
            try:
                while not self._stopping:
                    if self.limiter.paused_for > MAX_INLINE_FLOOD_WAIT:
                        break
                    batch = await self._claim()
                    if not batch:
                        break
                    pushes.append(asyncio.create_task(self._push_batch(batch, stats)))
                    if len(pushes) >= 2 and not await pushes.pop(0):
                        break
                for push in pushes:
                    await push
            finally:
                heartbeat.cancel()
        return stats

    async def _push_batch(self, batch: list[ClaimedDelivery], stats: DeliveryStats) -> bool:
        """Push one claimed batch; False if it was interrupted (its unsent claims go back)."""
        try:
            await self._push(batch, stats)
        except Exception as exc:  # e.g. the database went away mid-batch
            log.warning("outbox: batch interrupted (%s); unsent claims go back",
                        _describe(exc))
            await self._write(partial(
                deliveries_dao.release_claims, owner=self.owner,
                delivery_ids=[row.id for row in batch]))
            return False
        return True

    def _lease_ok(self) -> bool:
        """Whether our claims' lease surely still holds (with a third of it to spare): a
        process that could not renew stops sending what another may have reclaimed."""
        return asyncio.get_running_loop().time() < self._lease_valid_until - (
            self._settings.lease_seconds / 3)

    async def _claim(self) -> list[ClaimedDelivery]:
        now = self._clock()
        lease = now + timedelta(seconds=self._settings.lease_seconds)
        started = asyncio.get_running_loop().time()
        try:
            async with write_session(self._sessions) as session:
                claimed = await deliveries_dao.claim_due(
                    session, now, self._settings.batch_size, self.owner, lease)
            self._lease_valid_until = started + self._settings.lease_seconds
            return claimed
        except Exception as exc:  # the database is away: the next tick tries again
            log.warning("outbox: could not claim deliveries: %s", _describe(exc))
            return []

    async def _renew_leases(self) -> None:
        interval = self._settings.lease_seconds / 3
        while True:
            await asyncio.sleep(interval)
            started = asyncio.get_running_loop().time()
            try:
                async with write_session(self._sessions) as session:
                    await deliveries_dao.renew_leases(
                        session, self.owner,
                        self._clock() + timedelta(seconds=self._settings.lease_seconds))
                self._lease_valid_until = started + self._settings.lease_seconds
            except Exception as exc:
                log.warning("outbox: could not renew claim leases: %s", _describe(exc))

    async def _push(self, batch: list[ClaimedDelivery], stats: DeliveryStats) -> None:
        now = self._clock()
        outcomes: list[dict[str, Any]] = []
        destinations: dict[tuple[int, int], list[ClaimedDelivery]] = {}
        comment_rows: list[ClaimedDelivery] = []
        broadcast_rows: list[ClaimedDelivery] = []
        for row in batch:
            if row.comment_id is not None:
                comment_rows.append(row)
                continue
            if row.broadcast_id is not None:
                broadcast_rows.append(row)
                continue
            if row.article_id is None:
                outcomes.append(outcome_row(row, "skipped", error="not an explainer"))
                stats.skipped += 1
                continue
            destinations.setdefault((row.chat_id, row.thread_id), []).append(row)
        prefs, last, cards, versions = await self._context(destinations, now)
        self._rendered.clear()
        self._read_urls = await self._tracked_links(cards)
        jobs: list[Job] = []
        for (chat_id, thread_id), rows in destinations.items():
            plan = plan_push(
                prefs.get((chat_id, thread_id), DeliveryPrefs()), now,
                schedules={row.schedule for row in rows},
                last_push_at=last.get((chat_id, thread_id)),
                window=timedelta(seconds=self._settings.coalesce_seconds))
            if plan.action == "defer" and plan.at is not None:
                stats.deferred += len(rows)
                outcomes.extend(outcome_row(row, "pending", next_attempt_at=plan.at,
                                     schedule=plan.schedule, silent=row.silent or plan.silent)
                                for row in rows)
                continue
            content = self._content.get((chat_id, thread_id), DEFAULT_CONTENT)
            unwanted = {row.id: reason for row in rows if row.article_id
                        and (card := cards.get(row.article_id)) is not None
                        and (reason := content.refusal(card)) is not None}
            if unwanted:  # the chat's mute or include-only words
                stats.skipped += len(unwanted)
                outcomes.extend(outcome_row(row, "skipped", error=unwanted[row.id])
                                for row in rows if row.id in unwanted)
                rows = [row for row in rows if row.id not in unwanted]
                if not rows:
                    continue
            # delivery.coalesce_seconds = 0 turns coalescing off: one message per explainer.
            groups = ([rows] if plan.style == "digest" or self._settings.coalesce_seconds > 0
                      else [[row] for row in rows])
            for group in groups:
                job = self._job(chat_id, thread_id, group, plan, cards,
                                prefs.get((chat_id, thread_id)), now)
                if job is None:
                    stats.skipped += len(group)
                    outcomes.extend(outcome_row(row, "skipped", error="article gone")
                                    for row in group)
                else:
                    jobs.append(job)
        for job in jobs:  # rows over the per-push cap were summed up as "…and N more"
            extra = [row for row in job.rows if row not in job.listed]
            stats.skipped += len(extra)
            outcomes.extend(outcome_row(row, "skipped", error="over the per-push cap; counted in "
                                 "the push's “and N more”") for row in extra)
        if comment_rows:
            jobs.extend(await self._comment_jobs(comment_rows, outcomes, stats))
        if broadcast_rows:
            jobs.extend(await self._broadcast_jobs(broadcast_rows, outcomes, stats))
        outcomes.extend(await self._send_jobs(jobs, versions, stats))
        await self._record(outcomes)

    async def _context(
        self, destinations: Mapping[tuple[int, int], list[ClaimedDelivery]], now: datetime,
    ) -> tuple[dict[tuple[int, int], DeliveryPrefs], dict[tuple[int, int], datetime],
               dict[int, ArticleCard | None], dict[int, int]]:
        chat_ids = sorted({chat_id for chat_id, _ in destinations})
        article_ids = sorted({row.article_id for rows in destinations.values() for row in rows
                              if row.article_id is not None})
        window = timedelta(seconds=self._settings.coalesce_seconds)
        async with self._sessions() as session:
            chats = await deliveries_dao.chat_delivery_settings(session, chat_ids)
            last = await deliveries_dao.last_pushes(session, chat_ids, now - window)
            versions = await deliveries_dao.article_versions(session, article_ids)
            cards = {article_id: await self._load_card(session, article_id)
                     for article_id in article_ids}
            # the count on each pushed explainer's "💬 N comments" button
            self._comment_counts = await comments_dao.visible_counts(session, article_ids)
        # each destination's settings: the chat's, with its forum thread's own on top
        settings_of = {(chat_id, thread_id): thread_settings(chats[chat_id][1], thread_id)
                       for chat_id, thread_id in destinations if chat_id in chats}
        prefs = {key: DeliveryPrefs.from_chat(chats[key[0]][0], settings)
                 for key, settings in settings_of.items()}
        self._content = {key: content for key, settings in settings_of.items()
                         if not (content := ContentPrefs.from_settings(settings)).is_default}
        self._languages = {chat_id: language for chat_id, (_, settings) in chats.items()
                           if (language := chat_language(settings)) != DEFAULT_LANGUAGE}
        return prefs, last, cards, versions

    async def _tracked_links(self, cards: Mapping[int, ArticleCard | None]) -> dict[int, str]:
        """The batch's tracked "Read" links, made in one transaction (none without
        click tracking, or when making them failed: a push never waits on tracking)."""
        if self._clicks is None:
            return {}
        urls = {article_id: url for article_id, card in cards.items()
                if card is not None and (url := web_url(card.url))}
        try:
            return await self._clicks.read_urls(urls)
        except Exception as exc:
            log.warning("outbox: tracked links not made, plain Read buttons: %s",
                        _describe(exc))
            return {}

    def _job(
        self, chat_id: int, thread_id: int, rows: list[ClaimedDelivery], plan: PushPlan,
        cards: Mapping[int, ArticleCard | None], prefs: DeliveryPrefs | None, now: datetime,
    ) -> Job | None:
        present = [row for row in rows if row.article_id and cards.get(row.article_id)]
        if not present:
            return None
        present.sort(key=lambda row: (row.created_at, row.id))
        silent = plan.silent or any(row.silent for row in present)
        language = self._languages.get(chat_id, DEFAULT_LANGUAGE)
        listed = present  # all rows are in the message: listed or counted in "…N more"
        if len(present) == 1 and plan.style != "digest":
            article_id = present[0].article_id or 0
            messages = self._rendered.get((article_id, language)) or []
            if not messages:  # rendered once per article and language per batch
                card = cards[article_id]
                assert card is not None
                with use_language(language):
                    messages = render_pushed_article(
                        card, article_id, read_url=self._read_urls.get(article_id),
                        comment_count=self._comment_counts.get(article_id, 0))
                self._rendered[(article_id, language)] = messages
        else:
            shown = [card for row in present if (card := cards[row.article_id or 0])]
            with use_language(language):
                if plan.style == "digest":
                    prefs = prefs or DeliveryPrefs()
                    messages = render_digest(shown, when=_edition(prefs, now),
                                             timezone=prefs.timezone)
                else:
                    messages = render_coalesced(shown,
                                                max_items=self._settings.max_items_per_push)
        content = self._content.get((chat_id, thread_id), DEFAULT_CONTENT)
        return Job(chat_id, thread_id, present, listed, content.present(messages), silent,
                   language)

    async def _comment_jobs(
        self, rows: Sequence[ClaimedDelivery], outcomes: list[dict[str, Any]],
        stats: DeliveryStats,
    ) -> list[Job]:
        """One job per relayed comment's copy, each in its chat's interface language; rows
        of comments no longer visible (deleted, hidden) are skipped."""
        source = self.comments
        ids = sorted({row.comment_id for row in rows if row.comment_id is not None})
        async with self._sessions() as session:
            comments = await source.load(session, ids) if source is not None else {}
            chats = await deliveries_dao.chat_delivery_settings(
                session, sorted({row.chat_id for row in rows}))
        rendered: dict[tuple[int, str, bool], OutgoingMessage] = {}
        jobs: list[Job] = []
        for row in rows:
            comment = comments.get(row.comment_id or 0)
            if source is None or comment is None:
                stats.skipped += 1
                outcomes.append(outcome_row(row, "skipped", error="comment gone"))
                continue
            language = chat_language(chats.get(row.chat_id, (None, {}))[1])
            follower = row.chat_id != source.discussion_chat_id
            key = (comment.comment_id, language, follower)
            if key not in rendered:
                with use_language(language):
                    rendered[key] = source.render(comment, follower=follower)
            jobs.append(Job(row.chat_id, row.thread_id, [row], [row], [rendered[key]],
                            row.silent, language))
        return jobs

    async def _broadcast_jobs(
        self, rows: Sequence[ClaimedDelivery], outcomes: list[dict[str, Any]],
        stats: DeliveryStats,
    ) -> list[Job]:
        """One job per broadcast row, the announcement rendered once per broadcast (the
        admin's HTML as is, in no chat's language); rows of a cancelled broadcast are
        skipped, of a paused one handed back out of reach until it is resumed."""
        ids = sorted({row.broadcast_id for row in rows if row.broadcast_id is not None})
        async with self._sessions() as session:
            found = await broadcasts_dao.statuses(session, ids)
        now = asyncio.get_running_loop().time()
        self._broadcast_status.update((bid, (row.status, now)) for bid, row in found.items())
        rendered: dict[int, OutgoingMessage] = {}
        jobs: list[Job] = []
        for row in rows:
            broadcast = found.get(row.broadcast_id or 0)
            if broadcast is None or broadcast.status in ("cancelled", "done"):
                stats.skipped += 1
                outcomes.append(outcome_row(row, "skipped", error=broadcasts_dao.CANCELLED))
                continue
            if broadcast.status == "paused":
                outcomes.append(outcome_row(row, "pending",
                                            next_attempt_at=broadcasts_dao.PAUSED_UNTIL))
                continue
            if broadcast.id not in rendered:
                rendered[broadcast.id] = render_broadcast(BroadcastContent(
                    broadcast.text, broadcast.photo, broadcast.button_text,
                    await self._tracked_button(broadcast.id, broadcast.button_url)))
            jobs.append(Job(row.chat_id, row.thread_id, [row], [row], [rendered[broadcast.id]],
                            row.silent))
        return jobs

    async def _tracked_button(self, broadcast_id: int, url: str | None) -> str | None:
        """A broadcast's link button, through /r/<id> with click tracking on (the plain
        link when tracking is off or making the link failed)."""
        if self._clicks is None or url is None:
            return url
        try:
            return await self._clicks.broadcast_url(broadcast_id, url)
        except Exception as exc:
            log.warning("outbox: broadcast link not tracked: %s", _describe(exc))
            return url

    async def _broadcast_held(self, broadcast_id: int) -> str | None:
        """"paused" or "cancelled" when the broadcast was stopped after its rows were
        claimed (its status read at most once per second per broadcast), else None."""
        now = asyncio.get_running_loop().time()
        status, read_at = self._broadcast_status.get(broadcast_id, ("", -1.0))
        if now - read_at >= BROADCAST_STATUS_TTL:
            try:
                async with self._sessions() as session:
                    found = await broadcasts_dao.statuses(session, [broadcast_id])
                row = found.get(broadcast_id)
                status = row.status if row is not None else "cancelled"
            except Exception as exc:  # keep sending on the last known status
                log.warning("outbox: broadcast %d status unread: %s", broadcast_id,
                            _describe(exc))
            self._broadcast_status[broadcast_id] = (status, now)
        return status if status in ("paused", "cancelled") else None

    async def _send_jobs(
        self, jobs: Sequence[Job], versions: Mapping[int, int], stats: DeliveryStats
    ) -> list[dict[str, Any]]:
        slots = self._slots
        writer = OutcomeWriter(self._record, max_batch=max(1, self._settings.concurrency // 2),
                                max_delay=0.01)
        writing = asyncio.create_task(writer.run())

        async def run(job: Job) -> list[dict[str, Any]]:
            # A slot is given up only once the send's outcome is committed, so a crash
            # (kill -9) can lose the outcomes of at most `concurrency` sends: the ones that
            # may be sent again.
            async with slots:
                job.result = await self._send_job(job, versions, stats)
                try:
                    await writer.put(job.result)
                except Exception:  # recorded with the rest of the batch instead
                    return job.result
                job.result = None
                return []

        tasks = [asyncio.create_task(run(job)) for job in jobs]
        self._in_flight.update(tasks)
        outcomes: list[dict[str, Any]] = []
        try:
            for job, result in zip(jobs, await asyncio.gather(*tasks, return_exceptions=True),
                                   strict=True):
                if isinstance(result, asyncio.CancelledError) and job.result is not None:
                    outcomes.extend(job.result)  # sent, but not yet committed
                elif isinstance(result, asyncio.CancelledError):  # shutdown: rows go back
                    if job.in_send:  # cut off mid-request: Telegram may have taken it
                        stats.unknown += 1
                        if self._observer is not None:
                            self._observer.count_unknown_outcome()
                    outcomes.extend(outcome_row(row, "pending", parts_sent=job.part,
                                         message_id=job.message_id) for row in job.rows)
                elif isinstance(result, BaseException):  # a bug: retried later, not lost
                    log.error("outbox: sending to chat %s raised", job.chat_id,
                              exc_info=result)
                    stats.errors.append(_describe(result))
                    stats.retried += len(job.rows)
                    outcomes.extend(self._retry_later(job.rows, _describe(result)))
                else:
                    outcomes.extend(result)
        finally:
            self._in_flight.difference_update(tasks)
            writing.cancel()
        return outcomes

    async def _send_job(
        self, job: Job, versions: Mapping[int, int], stats: DeliveryStats
    ) -> list[dict[str, Any]]:
        paid = self._settings.paid_broadcast
        broadcast_id = job.rows[0].broadcast_id
        if broadcast_id is not None and (held := await self._broadcast_held(broadcast_id)):
            if held == "paused":  # back out of reach until it is resumed
                return [outcome_row(row, "pending", next_attempt_at=broadcasts_dao.PAUSED_UNTIL)
                        for row in job.rows]
            stats.skipped += len(job.rows)
            return [outcome_row(row, "skipped", error=broadcasts_dao.CANCELLED)
                    for row in job.rows]
        chat_id = job.chat_id
        thread = job.thread_id or None
        job.part = part = min(row.parts_sent for row in job.rows)
        job.message_id = message_id = next(
            (row.message_id for row in job.rows if row.message_id), None)
        migrated = False
        while part < len(job.messages):
            if self._stopping or not self._lease_ok():  # hand back, with what went already
                return [outcome_row(row, "pending", parts_sent=part, message_id=message_id)
                        for row in job.rows]
            waited = await self.limiter.acquire(chat_id, paid=paid)
            if self._observer is not None:
                self._observer.observe_limiter_wait(waited)
            if self._stopping or not self._lease_ok():  # it came while waiting for a slot
                return [outcome_row(row, "pending", parts_sent=part, message_id=message_id)
                        for row in job.rows]
            if (broadcast_id is not None and part == 0
                    and (held := await self._broadcast_held(broadcast_id))):
                # Paused or cancelled while this send waited for the limiter (or a flood
                # wait): checked again here, so a Cancel stops at most the sends in flight.
                if held == "paused":
                    return [outcome_row(row, "pending",
                                        next_attempt_at=broadcasts_dao.PAUSED_UNTIL)
                            for row in job.rows]
                stats.skipped += len(job.rows)
                return [outcome_row(row, "skipped", error=broadcasts_dao.CANCELLED)
                        for row in job.rows]
            started = asyncio.get_running_loop().time()
            job.in_send = True
            outcome = await self._sender.send(chat_id, job.messages[part], thread,
                                              silent=job.silent, paid=paid)
            job.in_send = False
            if self._observer is not None:
                self._observer.observe_send(outcome.kind, asyncio.get_running_loop().time()
                                            - started)
                if outcome.unknown:
                    self._observer.count_unknown_outcome()
            if outcome.unknown:
                stats.unknown += 1
            if outcome.kind == "sent":
                job.message_id = message_id = message_id or outcome.message_id
                job.part = part = part + 1
                continue
            if outcome.kind == "retry" and outcome.retry_after > 0:
                stats.flood_waits += 1
                if self._observer is not None:
                    self._observer.count_flood_wait()
                self.limiter.pause(outcome.retry_after)
                log.warning("flood wait: sending paused for %.0fs", outcome.retry_after)
                if outcome.retry_after <= MAX_INLINE_FLOOD_WAIT and not self._stopping:
                    continue
                when = self._clock() + timedelta(seconds=outcome.retry_after)
                return [outcome_row(row, "pending", next_attempt_at=when, parts_sent=part,
                             message_id=message_id) for row in job.rows]
            if outcome.kind == "migrated" and outcome.new_chat_id and not migrated:
                migrated = True
                moved = await self._merge_chat(chat_id, outcome.new_chat_id, job.rows)
                if len(moved) < len(job.rows):
                    # The supergroup had some of these already: those stay behind; the
                    # rest go to it in the next drain, planned and rendered for it.
                    already = f"group migrated to {outcome.new_chat_id}, which has it already"
                    stats.skipped += len(job.rows) - len(moved)
                    return [outcome_row(row, "pending") if row.id in moved
                            else outcome_row(row, "skipped", error=already) for row in job.rows]
                chat_id = outcome.new_chat_id
                continue
            return await self._unsent(job, chat_id, outcome, part, message_id, stats)
        stats.sent += len(job.rows)
        sent_at = self._clock()
        return [outcome_row(row, "sent", message_id=message_id, sent_at=sent_at,
                     sent_version=versions.get(row.article_id or 0), parts_sent=part)
                for row in job.rows]

    async def _unsent(
        self, job: Job, chat_id: int, outcome: SendOutcome, part: int,
        message_id: int | None, stats: DeliveryStats,
    ) -> list[dict[str, Any]]:
        """The rows' outcome when Telegram did not take the message to ``chat_id`` (the
        job's chat, or the supergroup it became)."""
        error = (outcome.error or outcome.kind)[:500]
        if outcome.kind == "blocked":
            stats.blocked += len(job.rows)
            await self._write(lambda s: _block(s, chat_id, error))
            log.info("chat %s cannot be reached (%s); its pending deliveries are skipped",
                     chat_id, error)
            return [outcome_row(row, "skipped", error=error) for row in job.rows]
        if outcome.kind == "paused" and outcome.paused is not None:
            stats.skipped += len(job.rows)
            await self._pause(chat_id, job.thread_id, outcome.paused, error, job.language)
            return [outcome_row(row, "skipped", error=error) for row in job.rows]
        attempts = max(row.attempts for row in job.rows) + 1
        if outcome.kind == "retry" and attempts < self._settings.max_attempts:
            stats.retried += len(job.rows)
            return self._retry_later(job.rows, error, parts_sent=part, message_id=message_id)
        stats.failed += len(job.rows)
        stats.errors.append(error)
        if "parse entities" in error:
            log.error("delivery to chat %s failed: %s; the text was: %r", chat_id, error,
                      job.messages[part].text or job.messages[part].caption)
        else:
            log.warning("delivery to chat %s failed: %s", chat_id, error)
        return [outcome_row(row, "failed", attempts=row.attempts + 1, error=error, parts_sent=part,
                     message_id=message_id) for row in job.rows]

    def _retry_later(
        self, rows: Sequence[ClaimedDelivery], error: str, **changes: Any
    ) -> list[dict[str, Any]]:
        """Rows to try again after an exponential backoff (an attempt is counted)."""
        attempts = max(row.attempts for row in rows) + 1
        delay = min(self._settings.retry_max_seconds,
                    self._settings.retry_base_seconds * 2 ** (attempts - 1))
        when = self._clock() + timedelta(seconds=delay)
        return [outcome_row(row, "pending", attempts=row.attempts + 1, next_attempt_at=when,
                     error=error[:500], **changes) for row in rows]

    async def _merge_chat(
        self, old_id: int, new_id: int, rows: Sequence[ClaimedDelivery]
    ) -> set[int]:
        """Merge the old group into its supergroup; the ids of ``rows`` that moved there
        (the others: the supergroup had those explainers already)."""

        async def merge(session: AsyncSession) -> set[int]:
            await chats_dao.merge_chat(session, old_id, new_id)
            return await deliveries_dao.rows_in_chat(session, [row.id for row in rows], new_id)

        moved: set[int] = await self._write(merge)
        log.info("group %s became supergroup %s: its subscriptions and history moved",
                 old_id, new_id)
        return moved

    async def _pause(self, chat_id: int, thread_id: int, kind: PausedKind, error: str,
                     language: str = DEFAULT_LANGUAGE) -> None:
        """Pause the destination; tell the group (in its language), else the admin who
        connected the channel (in theirs), else the bot's admins (each in theirs)."""
        first_time = await self._write(
            lambda s: deliveries_dao.pause_destination(s, chat_id, thread_id, error))
        log.warning("pushes to chat %s thread %s paused: %s", chat_id, thread_id, error)
        if not first_time:
            return
        if kind.startswith("thread"):
            with use_language(language):
                notice = render_destination_paused(kind, general_topic=not thread_id)
            await self.limiter.acquire(chat_id)
            outcome = await self._sender.send(chat_id, notice, None)
            if outcome.kind == "sent":
                return
        elif (found := await self._connecting_admin(chat_id)) is not None:
            # A channel connected with /connect: the admin who connected it is told.
            admin, admin_language = found
            with use_language(admin_language):
                notice = render_destination_paused(kind)
            await self.limiter.acquire(admin)
            if (await self._sender.send(admin, notice, None)).kind == "sent":
                return
        if self._notify_admins is not None:
            await self._notify_admins(partial(paused_admin_notice, chat_id, thread_id, error))

    async def _connecting_admin(self, chat_id: int) -> tuple[int, str] | None:
        """The user who connected this channel (``chats.settings["connected_by"]``) and the
        interface language of their private chat with the bot."""
        try:
            async with self._sessions() as session:
                found = await deliveries_dao.chat_delivery_settings(session, [chat_id])
                admin = found.get(chat_id, (None, {}))[1].get("connected_by")
                if not isinstance(admin, int) or admin <= 0:
                    return None
                theirs = await deliveries_dao.chat_delivery_settings(session, [admin])
        except Exception as exc:
            log.warning("outbox: cannot read chat %s: %s", chat_id, _describe(exc))
            return None
        return admin, chat_language(theirs.get(admin, (None, {}))[1])

    async def _write(self, work: Callable[[AsyncSession], Awaitable[Any]]) -> Any:
        """Run ``work`` in a write transaction, retrying while the database is away."""
        delay = 0.5
        while True:
            try:
                async with write_session(self._sessions) as session:
                    return await work(session)
            except Exception as exc:
                if self._stopping and delay >= DB_RETRY_MAX:
                    self._record_failed = True
                    raise
                log.warning("outbox: database write failed (%s); retrying in %.1fs",
                            _describe(exc), delay)
                await asyncio.sleep(delay)
                delay = min(DB_RETRY_MAX, delay * 2)

    async def _record(self, outcomes: list[dict[str, Any]]) -> None:
        await self._write(lambda s: deliveries_dao.record_outcomes(s, outcomes, self.owner))


def _edition(prefs: DeliveryPrefs, now: datetime) -> datetime:
    """The digest slot a digest sent at ``now`` belongs to: the latest one not after it."""
    slot = next_digest_at(prefs, now - timedelta(hours=25))
    while (following := next_digest_at(prefs, slot)) <= now:
        slot = following
    return slot


async def _block(session: AsyncSession, chat_id: int, reason: str) -> None:
    await chats_dao.set_chat_status(session, chat_id, "blocked")
    await deliveries_dao.skip_pending_for_chat(session, chat_id, reason)


def _describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{exc.__class__.__name__}: {text}"[:300] if text else exc.__class__.__name__
