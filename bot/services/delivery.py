"""Pushing explainers to subscribers through the outbox.

New articles become one ``deliveries`` row per subscribed chat (unique per chat × article, so
a restart or a repeated poll never sends twice; see ``storage.deliveries.enqueue_articles``).
A job claims due rows and sends them through a :class:`MessageSender`, paced to stay under
Telegram's bulk limit. Telegram's answers decide what happens next: sent; a flood wait
(429) pauses the whole outbox for ``retry_after`` without using up an attempt; the chat
marked blocked (its pending rows skipped); the chat id migrated; or, after repeated
failures, failed.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Literal, Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.domain import ArticleCard
from bot.render import OutgoingMessage, render_pushed_article
from storage import chats as chats_dao
from storage import deliveries as deliveries_dao
from storage.db import write_session
from storage.models import Chat, Delivery, utcnow

log = logging.getLogger(__name__)

OutcomeKind = Literal["sent", "retry", "blocked", "migrated", "failed"]


@dataclass(frozen=True)
class SendOutcome:
    """What Telegram said to one send. ``retry_after`` > 0 means a flood wait."""

    kind: OutcomeKind
    message_id: int | None = None
    retry_after: float = 0.0
    new_chat_id: int | None = None
    error: str | None = None


class MessageSender(Protocol):
    """Sends rendered messages to a chat and reports the outcome (never raises)."""

    async def send(
        self, chat_id: int, messages: Sequence[OutgoingMessage], thread_id: int | None
    ) -> SendOutcome: ...


CardLoader = Callable[[AsyncSession, int], Awaitable[ArticleCard | None]]


@dataclass
class DeliveryStats:
    """Counts of one outbox run."""

    sent: int = 0
    retried: int = 0
    blocked: int = 0
    failed: int = 0
    flood_waits: int = 0
    errors: list[str] = field(default_factory=list)


class DeliveryService:
    """Drains the outbox."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        sender: MessageSender,
        load_card: CardLoader,
        *,
        max_attempts: int = 8,
        batch_size: int = 100,
        retry_base: float = 5.0,
        max_per_second: float = 25.0,
    ) -> None:
        self._sessions = session_factory
        self._sender = sender
        self._load_card = load_card
        self._max_attempts = max_attempts
        self._batch_size = batch_size
        self._retry_base = retry_base
        self._interval = 1.0 / max_per_second if max_per_second > 0 else 0.0
        self._next_send = 0.0  # monotonic time the next send may start
        self._resume_at = 0.0  # monotonic time a flood wait ends
        # One drain at a time per process: SQLite cannot lock rows, so two concurrent drains
        # could claim the same rows (PostgreSQL workers in other processes use SKIP LOCKED).
        self._draining = asyncio.Lock()

    async def recover(self) -> int:
        """At start: put rows a crash left in 'sending' back to 'pending'."""
        async with write_session(self._sessions) as session:
            return await deliveries_dao.release_stale_claims(session)

    async def send_due(self) -> DeliveryStats:
        """Send every due delivery (in batches) and record each outcome."""
        async with self._draining:
            return await self._drain()

    async def _drain(self) -> DeliveryStats:
        stats = DeliveryStats()
        while time.monotonic() >= self._resume_at:
            async with write_session(self._sessions) as session:
                batch = list(await deliveries_dao.claim_due(session, utcnow(), self._batch_size))
            if not batch:
                break
            for index, delivery in enumerate(batch):
                if time.monotonic() < self._resume_at:  # a flood wait began: hand back the rest
                    await self._release([d.id for d in batch[index:]])
                    break
                await self._pace()
                try:
                    await self._deliver(delivery, stats)
                except Exception as exc:  # a bug or a database hiccup must not strand rows
                    log.exception("delivery %s to chat %s raised", delivery.id, delivery.chat_id)
                    stats.errors.append(str(exc))
                    await self._finish(delivery.id, status="pending", error=str(exc)[:500],
                                       retry_in=self._retry_base * 2**delivery.attempts,
                                       count_attempt=True)
        return stats

    async def _pace(self) -> None:
        now = time.monotonic()
        if now < self._next_send:
            await asyncio.sleep(self._next_send - now)
        self._next_send = max(now, self._next_send) + self._interval

    async def _release(self, delivery_ids: Sequence[int]) -> None:
        async with write_session(self._sessions) as session:
            for delivery_id in delivery_ids:
                row = await session.get(Delivery, delivery_id)
                if row is not None and row.status == "sending":
                    row.status = "pending"

    async def _deliver(self, delivery: Delivery, stats: DeliveryStats) -> None:
        async with self._sessions() as session:
            card = (
                await self._load_card(session, delivery.article_id)
                if delivery.article_id is not None
                else None
            )
        if card is None:
            await self._finish(delivery.id, status="skipped", error="article gone")
            return
        messages = render_pushed_article(card, delivery.article_id or 0)
        outcome = await self._sender.send(delivery.chat_id, messages, delivery.thread_id or None)
        if outcome.kind == "migrated" and outcome.new_chat_id is not None:
            await self._migrate_chat(delivery.chat_id, outcome.new_chat_id)
            outcome = await self._sender.send(
                outcome.new_chat_id, messages, delivery.thread_id or None
            )
        if outcome.kind == "sent":
            stats.sent += 1
            await self._finish(delivery.id, status="sent", message_id=outcome.message_id)
        elif outcome.kind == "blocked":
            stats.blocked += 1
            async with write_session(self._sessions) as session:
                await chats_dao.set_chat_status(session, delivery.chat_id, "blocked")
                await deliveries_dao.skip_pending_for_chat(
                    session, delivery.chat_id, outcome.error or "blocked"
                )
            log.info("chat %s blocked the bot; its pending deliveries are skipped",
                     delivery.chat_id)
        elif outcome.kind == "retry" and outcome.retry_after > 0:
            # Flood wait: Telegram asks everyone to pause. Not the row's fault, so the
            # attempt is not counted; the whole outbox waits.
            stats.flood_waits += 1
            self._resume_at = time.monotonic() + outcome.retry_after
            await self._finish(delivery.id, status="pending", error=outcome.error,
                               retry_in=outcome.retry_after, count_attempt=False)
            log.warning("flood wait: outbox paused for %.0fs", outcome.retry_after)
        elif outcome.kind == "retry" and delivery.attempts + 1 < self._max_attempts:
            stats.retried += 1
            await self._finish(delivery.id, status="pending", error=outcome.error,
                               retry_in=self._retry_base * 2**delivery.attempts)
        else:
            stats.failed += 1
            stats.errors.append(outcome.error or outcome.kind)
            await self._finish(delivery.id, status="failed", error=outcome.error)
            log.warning("delivery %s to chat %s failed: %s", delivery.id, delivery.chat_id,
                        outcome.error)

    async def _finish(
        self,
        delivery_id: int,
        *,
        status: str,
        message_id: int | None = None,
        error: str | None = None,
        retry_in: float | None = None,
        count_attempt: bool = True,
    ) -> None:
        async with write_session(self._sessions) as session:
            delivery = await session.get(Delivery, delivery_id)
            if delivery is None:
                return
            if count_attempt:
                delivery.attempts += 1
            delivery.status = status
            delivery.last_error = error
            if message_id is not None:
                delivery.message_id = message_id
                delivery.sent_at = utcnow()
            if retry_in is not None:
                delivery.next_attempt_at = utcnow() + timedelta(seconds=retry_in)

    async def _migrate_chat(self, old_id: int, new_id: int) -> None:
        async with write_session(self._sessions) as session:
            old = await session.get(Chat, old_id)
            if old is None or await session.get(Chat, new_id) is not None:
                return
            old.id = new_id
            old.type = "supergroup"
        log.info("group %s became supergroup %s", old_id, new_id)
