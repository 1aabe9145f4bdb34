"""The outbox's plain parts: what a send reports (:class:`SendOutcome`), the sender and
observer it talks to, the counts of a drain, one destination's job, the outcome rows it
records and the writer that commits them as sends finish. :mod:`bot.services.delivery`
holds the engine that uses them."""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import socket
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain import ArticleCard, HeldComment
from bot.i18n import DEFAULT_LANGUAGE, LANGUAGES
from bot.render import OutgoingMessage
from bot.render.delivery_notices import PausedKind
from storage.chat_settings import INTERFACE_LANGUAGE_KEY
from storage.deliveries import ClaimedDelivery
from storage.models import utcnow

OutcomeKind = Literal["sent", "retry", "blocked", "migrated", "paused", "failed"]


@dataclass(frozen=True)
class SendOutcome:
    """What Telegram said to one send. ``retry_after`` > 0 means a flood wait; ``unknown``
    that the request may have been carried out although no answer came."""

    kind: OutcomeKind
    message_id: int | None = None
    retry_after: float = 0.0
    new_chat_id: int | None = None
    error: str | None = None
    paused: PausedKind | None = None
    unknown: bool = False


class MessageSender(Protocol):
    """Sends one rendered message and reports the outcome (never raises)."""

    async def send(
        self, chat_id: int, message: OutgoingMessage, thread_id: int | None, *,
        silent: bool = False, paid: bool = False,
    ) -> SendOutcome: ...


class DeliveryObserver(Protocol):
    """What the outbox reports to metrics."""

    def observe_send(self, outcome: str, seconds: float) -> None: ...
    def observe_limiter_wait(self, seconds: float) -> None: ...
    def count_flood_wait(self) -> None: ...
    def count_unknown_outcome(self) -> None: ...


class CommentCopies(Protocol):
    """Published comments the outbox relays (rows with ``comment_id``): loaded once per
    batch, rendered once per comment, language and kind of destination (the discussion chat,
    or a follower)."""

    @property
    def discussion_chat_id(self) -> int | None: ...

    async def load(
        self, session: AsyncSession, comment_ids: Sequence[int]
    ) -> Mapping[int, HeldComment]: ...

    def render(self, comment: HeldComment, *, follower: bool) -> OutgoingMessage: ...


CardLoader = Callable[[AsyncSession, int], Awaitable[ArticleCard | None]]
NoticeText = str | Callable[[], str]
"""A plain-text notice for the bot's admins: the text, or a function that renders it in the
current language (called once per admin, in that admin's language)."""
AdminNotifier = Callable[[NoticeText], Awaitable[None]]


@dataclass
class DeliveryStats:
    """Counts of one outbox run, by row."""

    sent: int = 0
    retried: int = 0
    blocked: int = 0
    skipped: int = 0
    failed: int = 0
    deferred: int = 0
    flood_waits: int = 0
    unknown: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass
class Job:
    """One destination's rows going out as one message (or its parts)."""

    chat_id: int
    thread_id: int
    rows: list[ClaimedDelivery]
    listed: list[ClaimedDelivery]  # rows the message shows (the rest are over the cap)
    messages: list[OutgoingMessage]
    silent: bool
    language: str = DEFAULT_LANGUAGE  # the chat's interface language (its notices too)
    # Progress, kept here so a cancelled send records how far it got.
    part: int = 0
    message_id: int | None = None
    in_send: bool = False
    result: list[dict[str, Any]] | None = None  # the outcome, until it is committed


def process_owner() -> str:
    """A token naming this process on claims: host, pid and a random part."""
    return f"{socket.gethostname()[:32]}:{os.getpid()}:{secrets.token_hex(4)}"


class OutcomeWriter:
    """Commits send outcomes as they come, many per transaction: ``put`` returns once its
    rows are written (a batch goes when ``max_batch`` rows wait, or after ``max_delay``)."""

    def __init__(
        self, write: Callable[[list[dict[str, Any]]], Awaitable[None]], *, max_batch: int,
        max_delay: float = 0.005,
    ) -> None:
        self._write = write
        self._max_batch = max_batch
        self._max_delay = max_delay
        self._waiting: list[tuple[list[dict[str, Any]], asyncio.Future[None]]] = []
        self._count = 0
        self._wake = asyncio.Event()

    async def put(self, outcomes: list[dict[str, Any]]) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((outcomes, future))
        self._count += len(outcomes)
        if self._count >= self._max_batch:
            self._wake.set()
        await future

    async def run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._max_delay):
                    await self._wake.wait()
            self._wake.clear()
            waiting, self._waiting, self._count = self._waiting, [], 0
            if not waiting:
                continue
            try:
                await self._write([row for outcomes, _ in waiting for row in outcomes])
            except Exception as exc:
                for _, future in waiting:
                    if not future.done():
                        future.set_exception(exc)
            else:
                for _, future in waiting:
                    if not future.done():
                        future.set_result(None)


def outcome_row(row: ClaimedDelivery, status: str, **changes: Any) -> dict[str, Any]:
    """An outcome for ``row``: every key of :data:`storage.deliveries.OUTCOME_KEYS`."""
    values: dict[str, Any] = {
        "id": row.id, "status": status, "attempts": row.attempts,
        "next_attempt_at": utcnow(),
        "message_id": row.message_id, "sent_at": None, "sent_version": None,
        "last_error": None, "schedule": row.schedule,
        "silent": row.silent, "parts_sent": row.parts_sent,
    }
    if "error" in changes:
        values["last_error"] = changes.pop("error")
    values.update(changes)
    return values


def chat_language(settings: Mapping[str, Any]) -> str:
    """A chat's interface language from its ``chats.settings`` (English when it has none)."""
    language = settings.get(INTERFACE_LANGUAGE_KEY)
    return language if isinstance(language, str) and language in LANGUAGES else DEFAULT_LANGUAGE
