"""Relaying published comments: to the configured discussion chat
(``comments.discussion_chat_id``, a group or a channel) and to every chat that pressed
"🔔 Follow comments" on the explainer — through the delivery outbox, so its rate limits,
retries, blocked-chat handling and exactly-once rows (unique chat × comment) apply.

:meth:`CommentRelay.publish` queues the copies (the author's own chats are left out); the
outbox renders each comment once per language (each chat's interface language) and records
every copy's message id on its row. :meth:`CommentRelay.edited` edits every copy already
sent (those still queued go out with the new text); :meth:`CommentRelay.deleted` deletes
them and drops the unsent ones. Follows belong to the story: following one language version
follows the comments on all of them."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Literal, Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import CommentSettings
from bot.domain import HeldComment
from bot.i18n import use_language
from bot.render.comment_relay import render_relayed_comment
from bot.render.messages import OutgoingMessage
from bot.services.corrections import EditOutcome, MessageEditor
from bot.services.outbox import chat_language
from bot.services.rate_limits import SendLimiter
from storage import comment_relays as relays_dao
from storage import comments as comments_dao
from storage import deliveries as deliveries_dao
from storage.db import write_session

log = logging.getLogger(__name__)

_DB_INT_MAX = 2**31 - 1
_TRIES = 3  # per copy, when Telegram asks to wait (429) or a request fails on the way
_MAX_WAIT = 60.0  # a longer flood wait gives the copy up (logged)
_Call = Callable[[], Awaitable[tuple[str, float]]]
_SETTLE_SECONDS = 10.0  # how long an edit or delete waits for copies being sent right now
_PARALLEL = 8  # copies edited or deleted at once (each still waits on the send limiter)

DeleteKind = Literal["deleted", "gone", "retry", "failed"]


@dataclass(frozen=True)
class DeleteOutcome:
    """What Telegram said to one deleteMessage. ``gone``: already deleted (or the chat is
    unreachable) — nothing left to do; ``retry``: a flood wait (``retry_after``) or a
    network error."""

    kind: DeleteKind
    retry_after: float = 0.0
    error: str | None = None


class MessageDeleter(Protocol):
    """Deletes one message the bot sent (never raises for Telegram's answers)."""

    async def delete(self, chat_id: int, message_id: int) -> DeleteOutcome: ...


class CommentRelay:
    """Queues published comments for the discussion chat and followers; edits and deletes
    the copies; keeps each chat's follows."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        settings: CommentSettings | None = None,
        *,
        limiter: SendLimiter | None = None,
        editor: MessageEditor | None = None,
        deleter: MessageDeleter | None = None,
    ) -> None:
        self._sessions = session_factory
        self.settings = settings or CommentSettings()
        self._limiter = limiter or SendLimiter(30.0)
        self._editor = editor
        self._deleter = deleter

    @property
    def discussion_chat_id(self) -> int | None:
        """Where every published comment is posted (None: nowhere but followers)."""
        return self.settings.discussion_chat_id

    # -- publishing ------------------------------------------------------------------------

    async def publish(self, comment_id: int) -> int:
        """Queue a just-published (visible) comment for the discussion chat and the story's
        followers; the next outbox run sends it. Calling it again queues nothing twice.
        Returns the copies queued."""
        if not 0 < comment_id <= _DB_INT_MAX:
            return 0
        async with write_session(self._sessions) as session:
            comment = await comments_dao.get_comment(session, comment_id)
            if comment is None or comment.status != "visible":
                return 0
            story_id = await relays_dao.story_of_article(session, comment.article_id)
            if story_id is None:
                return 0
            queued = await relays_dao.enqueue_comment(session, comment, story_id,
                                                      self.discussion_chat_id)
        log.info("comment %s queued for %d chat(s)", comment_id, queued)
        return queued

    async def load(
        self, session: AsyncSession, comment_ids: Sequence[int]
    ) -> Mapping[int, HeldComment]:
        """The visible comments among ``comment_ids`` (for the outbox)."""
        found = await relays_dao.visible_comments(session, comment_ids)
        return {comment.id: HeldComment(
            comment.id, comment.article_id, article.title, article.canonical_url or "",
            comment.author, comment.user_id, comment.text, comment.body_html, None,
            from_site=comment.source == "site",
        ) for comment, article in found}

    def render(self, comment: HeldComment, *, follower: bool) -> OutgoingMessage:
        """One copy in the current language (a follower's with the Unfollow button)."""
        return render_relayed_comment(comment, spoiler=self.settings.spoiler,
                                      follower=follower)

    # -- edits and deletes -----------------------------------------------------------------

    async def changed(self, change: str, comment_id: int) -> None:
        """The comment service's hook: a comment was ``"edited"`` or ``"deleted"``."""
        if change == "edited":
            await self.edited(comment_id)
        elif change == "deleted":
            await self.deleted(comment_id)

    async def edited(self, comment_id: int) -> int:
        """Edit every sent copy of the comment to its stored text (each in its chat's
        language, within the send limits); copies not sent yet go out with the new text.
        "Not modified" and copies gone (deleted, chat blocked) are fine. Returns copies
        edited."""
        if self._editor is None or not 0 < comment_id <= _DB_INT_MAX:
            return 0
        await self._settle(comment_id)
        async with self._sessions() as session:
            comment = (await self.load(session, [comment_id])).get(comment_id)
            copies = await relays_dao.sent_copies(session, comment_id)
            chats = await deliveries_dao.chat_delivery_settings(
                session, sorted({chat_id for chat_id, _ in copies}))
        if comment is None:
            return 0  # no longer visible: deleted() is what removes copies
        calls = []
        for chat_id, message_id in copies:
            with use_language(chat_language(chats.get(chat_id, (None, {}))[1])):
                message = self.render(comment, follower=chat_id != self.discussion_chat_id)
            calls.append((chat_id, partial(self._edit, chat_id, message_id, message)))
        outcomes = await self._run_all(calls)
        for (chat_id, _), outcome in zip(calls, outcomes, strict=True):
            if outcome not in ("edited", "not_modified", "gone"):
                log.warning("copy of comment %s in chat %s not edited: %s", comment_id,
                            chat_id, outcome)
        return outcomes.count("edited")

    async def deleted(self, comment_id: int) -> int:
        """Delete every sent copy of the comment and drop those not sent yet (a copy already
        gone is fine). Works after the comment's row itself is gone. Returns copies
        deleted."""
        if not 0 < comment_id <= _DB_INT_MAX:
            return 0
        async with write_session(self._sessions) as session:
            await relays_dao.skip_unsent(session, comment_id, "comment deleted")
        await self._settle(comment_id)
        async with self._sessions() as session:
            copies = await relays_dao.sent_copies(session, comment_id)
        async with write_session(self._sessions) as session:
            await relays_dao.forget_copies(session, comment_id)  # re-approval relays afresh
        if self._deleter is None:
            return 0
        calls = [(chat_id, partial(self._delete, chat_id, message_id))
                 for chat_id, message_id in copies]
        outcomes = await self._run_all(calls)
        for (chat_id, _), outcome in zip(calls, outcomes, strict=True):
            if outcome not in ("deleted", "gone"):
                log.warning("copy of comment %s in chat %s not deleted: %s", comment_id,
                            chat_id, outcome)
        return outcomes.count("deleted")

    async def _edit(self, chat_id: int, message_id: int,
                    message: OutgoingMessage) -> tuple[str, float]:
        assert self._editor is not None
        outcome: EditOutcome = await self._editor.edit(chat_id, message_id, message)
        return outcome.kind, outcome.retry_after

    async def _delete(self, chat_id: int, message_id: int) -> tuple[str, float]:
        assert self._deleter is not None
        outcome = await self._deleter.delete(chat_id, message_id)
        return outcome.kind, outcome.retry_after

    async def _settle(self, comment_id: int) -> None:
        """Wait (a little) for copies an outbox is sending right now: one sent with the old
        text, or after the comment was deleted, is then edited or deleted too."""
        loop = asyncio.get_running_loop()
        until = loop.time() + _SETTLE_SECONDS
        while loop.time() < until:
            async with self._sessions() as session:
                if not await relays_dao.copies_in_flight(session, comment_id):
                    return
            await asyncio.sleep(0.2)
        log.warning("comment %s: copies still being sent after %.0fs; they may keep the "
                    "old text", comment_id, _SETTLE_SECONDS)

    async def _run_all(self, calls: Sequence[tuple[int, _Call]]) -> list[str]:
        """Run edits or deletes, a few at a time; each one's final outcome kind."""
        slots = asyncio.Semaphore(_PARALLEL)

        async def run(chat_id: int, call: _Call) -> str:
            async with slots:
                return await self._with_retries(chat_id, call)

        return list(await asyncio.gather(*(run(chat_id, call) for chat_id, call in calls)))

    async def _with_retries(self, chat_id: int, call: _Call) -> str:
        """Run one edit or delete within the send limits; a flood wait pauses every send and
        tries again (up to :data:`_TRIES` times)."""
        kind = "retry"
        for _ in range(_TRIES):
            await self._limiter.acquire(chat_id)
            kind, retry_after = await call()
            if kind != "retry":
                return kind
            if retry_after > _MAX_WAIT:
                break
            if retry_after > 0:
                self._limiter.pause(retry_after)
            else:
                await asyncio.sleep(1.0)
        return kind

    # -- follows ---------------------------------------------------------------------------

    async def following(self, chat_id: int, article_id: int) -> bool | None:
        """Whether the chat follows the comments on the article's story (None: no such
        explainer)."""
        if not 0 < article_id <= _DB_INT_MAX:
            return None
        async with self._sessions() as session:
            story_id = await relays_dao.story_of_article(session, article_id)
            if story_id is None:
                return None
            return await relays_dao.is_following(session, chat_id, story_id)

    async def toggle_follow(self, chat_id: int, article_id: int) -> bool | None:
        """Follow the story's comments in this chat, or stop; the new state (None: no such
        explainer)."""
        if not 0 < article_id <= _DB_INT_MAX:
            return None
        async with write_session(self._sessions) as session:
            story_id = await relays_dao.story_of_article(session, article_id)
            if story_id is None:
                return None
            follow = not await relays_dao.is_following(session, chat_id, story_id)
            if follow:
                await relays_dao.ensure_chat(session, chat_id)
            await relays_dao.set_following(session, chat_id, story_id, follow)
            return follow
