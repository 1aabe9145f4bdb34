"""Corrections: bring explainers already sent up to the article's current version.

When ingestion stores a new version of an explainer (a corrected title or summary:
``articles.version`` goes up), the messages already delivered still show the old one. A job
calls :meth:`CorrectionService.run_once`, which finds those deliveries
(:func:`storage.corrections.due_corrections`), renders each article once per run and
interface language (each chat's: an edited message stays in the language it was sent in) and,
by ``delivery.corrections``:

* ``"edit"`` (default): edits the sent message in place — editMessageText, or
  editMessageCaption for a photo — with its buttons. Only the first part's message_id is
  stored per delivery, so the first part is what gets edited. "Message is not modified"
  counts as done, not as an error.
* ``"push"``: sends the explainer again as a new message titled "Updated: …", to the same chat
  and thread, through the delivery sender.
* ``"off"``: nothing.

A message several deliveries of a chat share (a coalesced or digest message) is not edited:
it lists several explainers, and rewriting one item inside it is out of scope. It is marked
corrected all the same, so it is not looked at again.

Every edit or push waits for the shared send limiter first; a 429 pauses the limiter for
``retry_after`` and ends the run, leaving the rest for the next run. Done rows are recorded
with one executemany per batch.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal, Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.domain import ArticleCard
from bot.i18n import DEFAULT_LANGUAGE, N_, _, use_language
from bot.render import OutgoingMessage, render_pushed_article
from bot.render.markup import web_url
from bot.services.clicks import ClickTracker
from bot.services.content_prefs import ContentPrefs
from bot.services.outbox import SendOutcome, chat_language
from bot.services.schedule import thread_settings
from storage import corrections as corrections_dao
from storage import deliveries as deliveries_dao
from storage.corrections import DueCorrection
from storage.db import write_session

log = logging.getLogger(__name__)

CorrectionMode = Literal["edit", "push", "off"]
EditKind = Literal["edited", "not_modified", "gone", "retry", "failed"]

UPDATED_TITLE = N_("Updated: {title}")
"""The title of a correction sent as a new message ("push")."""


@dataclass(frozen=True)
class EditOutcome:
    """What Telegram said to one edit.

    ``gone``: the message cannot be edited any more (deleted, too old, not the bot's, or the
    chat blocked the bot / no longer exists). ``retry``: try again in a later run;
    ``retry_after`` > 0 is a flood wait (429), 0 a transient network or server error."""

    kind: EditKind
    retry_after: float = 0.0
    error: str | None = None


class MessageEditor(Protocol):
    """Edits one message the bot sent and reports the outcome (never raises for Telegram's
    answers)."""

    async def edit(self, chat_id: int, message_id: int, message: OutgoingMessage
                   ) -> EditOutcome: ...


class UpdateSender(Protocol):
    """The delivery sender (:class:`bot.services.outbox.MessageSender`), for "push"."""

    async def send(
        self, chat_id: int, message: OutgoingMessage, thread_id: int | None, *,
        silent: bool = False, paid: bool = False,
    ) -> SendOutcome: ...


class SendLimiterLike(Protocol):
    """The shared send limiter (``bot.services.rate_limits.SendLimiter``)."""

    async def acquire(self, chat_id: int, *, paid: bool = False) -> float: ...

    def pause(self, seconds: float) -> None: ...


CardLoader = Callable[[AsyncSession, int], Awaitable[ArticleCard | None]]


@dataclass
class CorrectionStats:
    """Counts of one correction run."""

    edited: int = 0
    not_modified: int = 0
    pushed: int = 0
    gone: int = 0  # the message could not be edited (deleted, blocked chat…): given up
    skipped: int = 0  # shared (coalesced/digest) messages and articles that no longer exist
    retried: int = 0  # left for the next run (transient errors)
    flood_waits: int = 0
    failed: int = 0  # refused for another reason: given up for this version, logged
    errors: list[str] = field(default_factory=list)

    @property
    def done(self) -> int:
        """Deliveries recorded as showing the current version in this run."""
        return (self.edited + self.not_modified + self.pushed + self.gone + self.skipped
                + self.failed)


class CorrectionService:
    """Edits (or re-pushes) sent explainers whose article changed since."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        editor: MessageEditor,
        load_card: CardLoader,
        limiter: SendLimiterLike,
        *,
        mode: CorrectionMode = "edit",
        batch_size: int = 100,
        sender: UpdateSender | None = None,
        clicks: ClickTracker | None = None,
    ) -> None:
        if mode == "push" and sender is None:
            raise ValueError('delivery.corrections = "push" needs the delivery sender')
        self._sessions = session_factory
        self._editor = editor
        self._load_card = load_card
        self._limiter = limiter
        self._mode = mode
        self._batch_size = batch_size
        self._sender = sender
        self._clicks = clicks  # click tracking: a corrected message keeps its tracked Read link

    @property
    def mode(self) -> CorrectionMode:
        """What a correction does: edit, push or nothing."""
        return self._mode

    async def run_once(self) -> CorrectionStats:
        """Correct every due delivery, batch by batch, until none is left, a 429 pauses
        sending or a batch leaves rows for later."""
        stats = CorrectionStats()
        if self._mode == "off":
            return stats
        cards = _Renders({}, {}, {})
        while True:
            async with self._sessions() as session:
                batch = await corrections_dao.due_corrections(session, self._batch_size)
            if not batch:
                break
            await self._load_cards(batch, cards)
            pushed_before = stats.pushed
            done, carry_on = await self._correct_batch(batch, cards, stats)
            if done:
                async with write_session(self._sessions) as session:
                    await corrections_dao.mark_corrected(session, done)
            if not carry_on or len(done) + stats.pushed - pushed_before < len(batch):
                break  # rows left behind would come back in the next batch: next run
        if stats.done or stats.retried or stats.flood_waits:
            log.info("corrections: %d edited, %d unchanged, %d pushed, %d gone, %d skipped, "
                     "%d failed, %d left for later", stats.edited, stats.not_modified,
                     stats.pushed, stats.gone, stats.skipped, stats.failed, stats.retried)
        return stats

    async def _load_cards(self, batch: Sequence[DueCorrection], cards: _Renders) -> None:
        """Load each article of the batch not yet seen in this run, once, and the interface
        language of each chat not yet seen (one query per batch)."""
        mine = [row for row in batch if not row.shared]
        wanted = sorted({row.article_id for row in mine} - cards.cards.keys())
        chats = sorted({row.chat_id for row in mine} - cards.languages.keys())
        if not wanted and not chats:
            return
        async with self._sessions() as session:
            for article_id in wanted:
                cards.cards[article_id] = await self._load_card(session, article_id)
            found = await deliveries_dao.chat_delivery_settings(session, chats)
        cards.languages.update({chat_id: chat_language(found.get(chat_id, (None, {}))[1])
                                for chat_id in chats})
        if self._clicks is not None and wanted:
            urls = {article_id: url for article_id in wanted
                    if (card := cards.cards.get(article_id)) and (url := web_url(card.url))}
            try:
                cards.read_urls.update(await self._clicks.read_urls(urls))
            except Exception as exc:  # a correction never waits on tracking
                log.warning("corrections: tracked links not made, plain Read buttons: %s",
                            exc)
        cards.settings.update({chat_id: found.get(chat_id, (None, {}))[1] or {}
                               for chat_id in chats})

    def _render(self, cards: _Renders, row: DueCorrection) -> list[OutgoingMessage] | None:
        """The corrected article in the chat's language (rendered once per language), shown
        as the destination wants it (its image and preview choices, the thread's own on top):
        as it was first sent."""
        card = cards.cards.get(row.article_id)
        if card is None:
            return None
        language = cards.languages.get(row.chat_id, DEFAULT_LANGUAGE)
        key = (row.article_id, language)
        if key not in cards.rendered:
            with use_language(language):
                if self._mode == "push":
                    card = replace(card, title=_(UPDATED_TITLE).format(title=card.title))
                cards.rendered[key] = render_pushed_article(
                    card, row.article_id, read_url=cards.read_urls.get(row.article_id))
        content = ContentPrefs.from_settings(
            thread_settings(cards.settings.get(row.chat_id), row.thread_id))
        return content.present(cards.rendered[key])

    async def _correct_batch(
        self,
        batch: Sequence[DueCorrection],
        cards: _Renders,
        stats: CorrectionStats,
    ) -> tuple[list[tuple[int, int]], bool]:
        """Correct each row; return (delivery id, version) of the rows done, and False when
        the run must stop (a flood wait)."""
        done: list[tuple[int, int]] = []
        for row in batch:
            messages = None if row.shared else self._render(cards, row)
            if not messages:
                stats.skipped += 1
                log.debug("correction of delivery %s skipped: %s", row.delivery_id,
                          "a shared (coalesced or digest) message" if row.shared
                          else "the article is gone")
                done.append((row.delivery_id, row.version))
                continue
            try:
                outcome = await self._correct(row, messages)
            except Exception as exc:  # a bug must not stop the other corrections
                log.exception("correction of delivery %s in chat %s raised",
                              row.delivery_id, row.chat_id)
                stats.retried += 1
                stats.errors.append(str(exc))
                continue
            if outcome.kind == "retry" and outcome.retry_after > 0:
                stats.flood_waits += 1
                self._limiter.pause(outcome.retry_after)
                log.warning("flood wait on a correction: sending paused for %.0fs",
                            outcome.retry_after)
                return done, False
            if outcome.kind == "retry":
                stats.retried += 1
                continue
            self._count(outcome, row, stats)
            if self._mode == "push" and outcome.kind == "edited":
                # A pushed "Updated:" message is a new message: recorded at once, so a crash
                # later in the batch cannot push it again.
                async with write_session(self._sessions) as session:
                    await corrections_dao.mark_corrected(session, [(row.delivery_id,
                                                                   row.version)])
                continue
            done.append((row.delivery_id, row.version))
        return done, True

    def _count(self, outcome: EditOutcome, row: DueCorrection, stats: CorrectionStats) -> None:
        if outcome.kind == "edited":
            if self._mode == "push":
                stats.pushed += 1
            else:
                stats.edited += 1
        elif outcome.kind == "not_modified":
            stats.not_modified += 1
        elif outcome.kind == "gone":
            stats.gone += 1
            log.debug("message %s in chat %s can no longer be corrected: %s",
                      row.message_id, row.chat_id, outcome.error)
        else:
            stats.failed += 1
            stats.errors.append(outcome.error or outcome.kind)
            log.warning("correction of delivery %s in chat %s failed: %s",
                        row.delivery_id, row.chat_id, outcome.error)

    async def _correct(self, row: DueCorrection, messages: list[OutgoingMessage]
                       ) -> EditOutcome:
        await self._limiter.acquire(row.chat_id)
        if self._mode == "edit":
            return await self._editor.edit(row.chat_id, row.message_id, messages[0])
        assert self._sender is not None  # checked in __init__
        for index, message in enumerate(messages):
            if index:
                await self._limiter.acquire(row.chat_id)
            sent = await self._sender.send(row.chat_id, message, row.thread_id or None)
            if sent.kind != "sent":
                return _push_outcome(sent)
        return EditOutcome("edited")


@dataclass
class _Renders:
    """What a run has loaded and rendered: articles, chats' languages, and each article
    rendered per language."""

    cards: dict[int, ArticleCard | None]
    languages: dict[int, str]
    rendered: dict[tuple[int, str], list[OutgoingMessage]]
    settings: dict[int, dict[str, Any]] = field(default_factory=dict)  # chats' settings
    read_urls: dict[int, str] = field(default_factory=dict)  # article id → tracked Read link


def _push_outcome(sent: SendOutcome) -> EditOutcome:
    """A push's send outcome in an edit's terms (pushed counts as ``edited``)."""
    if sent.kind == "sent":
        return EditOutcome("edited")
    if sent.kind == "retry":
        return EditOutcome("retry", retry_after=sent.retry_after, error=sent.error)
    if sent.kind in ("blocked", "migrated", "paused"):  # the outbox handles these on its sends
        return EditOutcome("gone", error=sent.error)
    return EditOutcome("failed", error=sent.error)
