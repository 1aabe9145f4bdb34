"""Admin broadcasts: an announcement drafted from Telegram (or the CLI), previewed, sent to an
audience now or at a scheduled time, paused, resumed or cancelled — every action checked
against :meth:`AdminService.is_admin` here and written to the audit log.

Sending goes through the delivery outbox (:mod:`bot.services.delivery`): "send" enqueues one
row per active chat of the audience in one INSERT … SELECT and the outbox sends them at the
rate limits. A paused broadcast's pending rows are moved out of reach (not claimed) until it
is resumed; a cancel skips them. Scheduled broadcasts are rows with ``scheduled_at``, fired by
:meth:`BroadcastService.fire_due` (a job), so they survive restarts.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.domain import BroadcastContent, BroadcastProgress, TextSpan
from bot.render.entities import entities_to_html, strip_spans
from bot.render.markup import CAPTION_LIMIT, TEXT_LIMIT, utf16_len
from bot.services.admins import AdminService
from storage import admins as admins_dao
from storage import broadcasts as broadcasts_dao
from storage.db import write_session
from storage.models import Broadcast, utcnow

log = logging.getLogger(__name__)

CANCEL_SETTLE_SECONDS = 60  # a cancelled broadcast's progress is shown this long after
CLI_ACTOR = 0  # the audit log's actor for broadcasts made with `newsbot broadcast`
Outcome = Literal["ok", "forbidden", "gone", "wrong state", "empty"]


@dataclass(frozen=True)
class BroadcastResult:
    """What an action did: ``outcome`` and, when it worked, the broadcast's progress."""

    outcome: Outcome
    progress: BroadcastProgress | None = None


class BroadcastService:
    """Drafts, audiences, sends, schedules, pauses and cancels broadcasts."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession],
                 admins: AdminService, *, paid: bool = False) -> None:
        self._sessions = session_factory
        self._admins = admins
        self._paid = paid

    async def _allowed(self, actor: int) -> bool:
        return actor == CLI_ACTOR or await self._admins.is_admin(actor)

    async def create(self, actor: int, content: BroadcastContent, *,
                     chat_id: int | None = None) -> int | None:
        """Store a draft (audience: everyone) and return its id; None for a non-admin."""
        if not await self._allowed(actor):
            return None
        async with write_session(self._sessions) as session:
            row = Broadcast(created_by=actor, text=content.html, photo=content.photo,
                            button_text=content.button_text, button_url=content.button_url,
                            status="draft", paid=self._paid, audience="all",
                            progress_chat_id=chat_id, created_at=utcnow())
            session.add(row)
            await session.flush()
            await admins_dao.record_action(session, actor, "broadcast.create", str(row.id))
            return row.id

    async def content(self, broadcast_id: int) -> BroadcastContent | None:
        """What the broadcast sends."""
        async with self._sessions() as session:
            row = await session.get(Broadcast, broadcast_id)
            return _content(row) if row is not None else None

    async def set_button(self, actor: int, broadcast_id: int, text: str,
                         url: str) -> BroadcastResult:
        """Give a draft a link button (audited)."""
        return await self._change(actor, broadcast_id, "broadcast.button", ("draft",),
                                  button_text=text[:64], button_url=url)

    async def set_audience(self, actor: int, broadcast_id: int, audience: str,
                           topic_id: int | None = None) -> BroadcastResult:
        """Choose a draft's audience (audited); an unknown audience or topic changes nothing.
        ``"topic"`` adds ``topic_id`` to the topics whose subscribers get it, or takes it off
        again (one or more topics; none left: everyone)."""
        if audience not in broadcasts_dao.AUDIENCES or (audience == "topic") != bool(topic_id):
            return BroadcastResult("gone")
        if topic_id is not None and topic_id not in {t[0] for t in await self.topics()}:
            return BroadcastResult("gone")
        if audience != "topic":
            return await self._change(actor, broadcast_id, "broadcast.audience", ("draft",),
                                      audience=audience, topic_id=None, topic_ids=None)
        async with self._sessions() as session:
            row = await session.get(Broadcast, broadcast_id)
            chosen = list((row.topic_ids or []) if row is not None else [])
        assert topic_id is not None
        chosen = [t for t in chosen if t != topic_id] if topic_id in chosen else [
            *chosen, topic_id]
        return await self._change(actor, broadcast_id, "broadcast.audience", ("draft",),
                                  audience="topic" if chosen else "all",
                                  topic_id=chosen[0] if chosen else None,
                                  topic_ids=chosen or None)

    async def send_now(self, actor: int, broadcast_id: int) -> BroadcastResult:
        """Enqueue the draft's rows for its audience (active chats) and start sending."""

        async def start(session: AsyncSession, row: Broadcast) -> dict[str, Any]:
            await self._start(session, row)
            return {"audience": row.audience, "total": row.total}

        return await self._transition(actor, broadcast_id, "broadcast.send", ("draft",), start)

    async def _start(self, session: AsyncSession, row: Broadcast) -> None:
        row.total = await broadcasts_dao.enqueue(session, row.id, row.audience or "all",
                                                 _topics_of(row))
        row.status = "sending"
        row.started_at = utcnow()

    async def schedule(self, actor: int, broadcast_id: int, when: datetime) -> BroadcastResult:
        """Send the draft at ``when`` (aware; must be in the future), audited."""
        if when <= utcnow():
            return BroadcastResult("wrong state")
        return await self._change(actor, broadcast_id, "broadcast.schedule",
                                  ("draft", "scheduled"), status="scheduled", scheduled_at=when)

    async def cancel(self, actor: int, broadcast_id: int) -> BroadcastResult:
        """Stop a broadcast: its pending sends are skipped, the counts so far kept."""

        async def stop(session: AsyncSession, row: Broadcast) -> None:
            row.status = "cancelled"
            row.finished_at = utcnow()
            await broadcasts_dao.skip_pending(session, row.id)

        return await self._transition(actor, broadcast_id, "broadcast.cancel",
                                      ("draft", "scheduled", "sending", "paused"), stop)

    async def pause(self, actor: int, broadcast_id: int) -> BroadcastResult:
        """Hold a sending broadcast: its pending rows are not claimed until resumed."""
        return await self._pause(actor, broadcast_id, paused=True)

    async def resume(self, actor: int, broadcast_id: int) -> BroadcastResult:
        """Go on sending a paused broadcast."""
        return await self._pause(actor, broadcast_id, paused=False)

    async def _pause(self, actor: int, broadcast_id: int, *, paused: bool) -> BroadcastResult:

        async def hold(session: AsyncSession, row: Broadcast) -> None:
            row.status = "paused" if paused else "sending"
            await broadcasts_dao.set_pending_due(
                session, row.id, broadcasts_dao.PAUSED_UNTIL if paused else utcnow())

        return await self._transition(
            actor, broadcast_id, "broadcast.pause" if paused else "broadcast.resume",
            ("sending",) if paused else ("paused",), hold)

    async def _change(self, actor: int, broadcast_id: int, action: str,
                      states: tuple[str, ...], **values: object) -> BroadcastResult:

        async def assign(_session: AsyncSession, row: Broadcast) -> dict[str, Any]:
            for key, value in values.items():
                setattr(row, key, value)
            return {k: v.isoformat() if isinstance(v, datetime) else v
                    for k, v in values.items()}

        return await self._transition(actor, broadcast_id, action, states, assign)

    async def _transition(
        self, actor: int, broadcast_id: int, action: str, states: tuple[str, ...],
        apply: Callable[[AsyncSession, Broadcast], Awaitable[dict[str, Any] | None]],
    ) -> BroadcastResult:
        """One audited change of a broadcast by an admin, on its row locked, only from
        ``states``: the admin check, the lock, the state check and the audit line are here
        once for every action."""
        if not await self._allowed(actor):
            return BroadcastResult("forbidden")
        async with write_session(self._sessions) as session:
            row = await session.get(Broadcast, broadcast_id, with_for_update=True,
                                    populate_existing=True)
            if row is None:
                return BroadcastResult("gone")
            if row.status not in states:
                return BroadcastResult("wrong state")
            details = await apply(session, row)
            await admins_dao.record_action(session, actor, action, str(row.id), details)
        return BroadcastResult("ok", await self.progress(broadcast_id))

    async def record_test(self, actor: int, broadcast_id: int) -> bool:
        """Audit a test send to the admin themself; False for a non-admin."""
        if not await self._allowed(actor):
            return False
        await self._admins.record(actor, "broadcast.test", str(broadcast_id))
        return True

    async def set_progress_message(self, broadcast_id: int, chat_id: int,
                                   message_id: int) -> None:
        """Remember where the broadcast's progress message is (edited while it sends)."""
        async with write_session(self._sessions) as session:
            row = await session.get(Broadcast, broadcast_id, with_for_update=True,
                                    populate_existing=True)
            if row is not None:
                row.progress_chat_id = chat_id
                row.progress_message_id = message_id

    async def progress(self, broadcast_id: int) -> BroadcastProgress | None:
        """Where the broadcast stands (counts from its outbox rows)."""
        async with self._sessions() as session:
            row = await session.get(Broadcast, broadcast_id)
            if row is None:
                return None
            return await _progress(session, row)

    async def live(self) -> list[BroadcastProgress]:
        """Scheduled, sending and paused broadcasts (for /broadcasts)."""
        async with self._sessions() as session:
            return [await _progress(session, row) for row in await broadcasts_dao.live(session)]

    async def topics(self) -> list[tuple[int, str, str]]:
        """Active topics (id, slug, name) an audience may be."""
        async with self._sessions() as session:
            return await broadcasts_dao.topics(session)

    async def topic_id(self, slug: str) -> int | None:
        """The id of the topic ``slug`` (the CLI's --topic)."""
        async with self._sessions() as session:
            return await broadcasts_dao.topic_by_slug(session, slug)

    async def topic_ids_of(self, broadcast_id: int) -> list[int]:
        """The topics a broadcast's audience is ([]: not topics)."""
        async with self._sessions() as session:
            row = await session.get(Broadcast, broadcast_id)
            return _topics_of(row) if row is not None and row.audience == "topic" else []

    async def audience_size(self, audience: str, topic_ids: Sequence[int]) -> int:
        """How many active chats an audience has now."""
        async with self._sessions() as session:
            return await broadcasts_dao.audience_size(session, audience, topic_ids)

    async def timezone(self, chat_id: int) -> str:
        """The admin's chat timezone (schedules are typed in it)."""
        async with self._sessions() as session:
            return await broadcasts_dao.chat_timezone(session, chat_id)

    async def fire_due(self, now: datetime | None = None) -> list[int]:
        """Start the scheduled broadcasts whose time has come; their ids."""
        fired: list[int] = []
        async with write_session(self._sessions) as session:
            for row in await broadcasts_dao.due_scheduled(session, now or utcnow()):
                await self._start(session, row)
                fired.append(row.id)
        for broadcast_id in fired:
            log.info("scheduled broadcast %d started", broadcast_id)
        return fired

    async def tick(self) -> list[tuple[BroadcastProgress, int | None, int | None, bool]]:
        """Progress of every sending or paused broadcast (and one cancelled in the last
        minute: its claimed sends settle), with its progress message (chat, message id) and
        whether it just finished (then marked done)."""
        found: list[tuple[BroadcastProgress, int | None, int | None, bool]] = []
        async with write_session(self._sessions) as session:
            settling = utcnow() - timedelta(seconds=CANCEL_SETTLE_SECONDS)
            for row in await broadcasts_dao.to_report(session, settling):
                if row.status == "sending":  # sends handed back parked after a quick Resume
                    await broadcasts_dao.rearm_paused(session, row.id)
                progress = await _progress(session, row)
                finished = row.status == "sending" and progress.remaining == 0
                if finished:
                    row.status = "done"
                    row.finished_at = utcnow()
                    progress = await _progress(session, row)
                found.append((progress, row.progress_chat_id, row.progress_message_id,
                              finished))
        return found


def _topics_of(row: Broadcast) -> list[int]:
    """The broadcast's audience topics (one or more), oldest choice first."""
    return list(row.topic_ids or ([row.topic_id] if row.topic_id else []))


def _content(row: Broadcast) -> BroadcastContent:
    return BroadcastContent(row.text, row.photo, row.button_text, row.button_url)


async def _progress(session: AsyncSession, row: Broadcast) -> BroadcastProgress:
    counts = await broadcasts_dao.counts(session, row.id)
    done = counts["sent"] + counts["failed"] + counts["blocked"]
    eta = None
    if row.started_at is not None and done and counts["remaining"] and row.status == "sending":
        elapsed = max((utcnow() - row.started_at).total_seconds(), 0.001)
        eta = counts["remaining"] / (done / elapsed)
    topic = None
    if row.audience == "topic" and _topics_of(row):
        names = {tid: name for tid, _, name in await broadcasts_dao.topics(session)}
        topic = ", ".join(names[tid] for tid in _topics_of(row) if tid in names) or None
    timezone = (await broadcasts_dao.chat_timezone(session, row.progress_chat_id)
                if row.progress_chat_id else "UTC")
    return BroadcastProgress(
        row.id, row.status, row.audience or "all", topic, row.total, counts["sent"],
        counts["failed"], counts["blocked"], counts["cancelled"], counts["remaining"],
        eta, row.scheduled_at, timezone)



def parse_local_time(text: str, timezone: str) -> datetime | None:
    """``YYYY-MM-DD HH:MM`` in ``timezone`` as an aware time, or None if it is not one."""
    try:
        naive = datetime.strptime(text.strip(), "%Y-%m-%d %H:%M")
        return naive.replace(tzinfo=ZoneInfo(timezone))
    except (ValueError, KeyError):
        return None


def announcement(text: str, spans: Sequence[TextSpan], *, skip: int = 0,
                 photo: str | None = None) -> BroadcastContent | str:
    """The admin's message as a broadcast: its text (after the first ``skip`` UTF-16 units,
    e.g. ``/broadcast ``) as HTML from its entities, or why it cannot be one: "empty" or
    "too long" (over Telegram's 4,096 characters, or 1,024 for a photo's caption)."""
    shifted = [TextSpan(s.kind, s.offset - skip, s.length, s.url) for s in spans
               if s.offset + s.length > skip]
    cut = text[len(text.encode("utf-16-le")[: skip * 2].decode("utf-16-le", "ignore")):]
    clipped = [TextSpan(s.kind, max(0, s.offset), s.length + min(0, s.offset), s.url)
               for s in shifted]
    body, kept = strip_spans(cut, clipped)
    if not body and photo is None:
        return "empty"
    if utf16_len(body) > (CAPTION_LIMIT if photo else TEXT_LIMIT):
        return "too long"
    return BroadcastContent(entities_to_html(body, kept, rich=True), photo=photo)
