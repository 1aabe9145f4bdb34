"""Data access for the delivery outbox. Functions take a session and never commit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Table,
    bindparam,
    exists,
    func,
    literal,
    select,
    text,
    true,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.articles import dialect_insert
from storage.models import (
    Article,
    ArticleTopic,
    Chat,
    Delivery,
    Subscription,
    UTCDateTime,
    utcnow,
)


async def enqueue_articles(session: AsyncSession, article_ids: Sequence[int]) -> int:
    """Create a pending delivery per destination (an active chat, or one forum thread of it)
    subscribed, without a pause, to a topic of each article's
    story, with the story's version in the chat's language (the first two letters of
    ``chats.language``), else its original (first stored) version.

    A destination gets one delivery per story (unique chat × thread × story), so a
    translation stored after the story was queued is not pushed again; existing rows are
    left alone. One INSERT … SELECT per version, so the number of subscribers is not
    limited by bind parameters. Returns rows created."""
    now = utcnow()
    created = 0
    for story_id in await _stories(session, article_ids):
        versions = await _versions(session, story_id)
        if not versions:
            continue
        original, by_language = _choose_versions(story_id, versions)
        ids = [article_id for article_id, _ in versions]
        translated = {lang: vid for lang, vid in by_language.items() if vid != original}
        for language, article_id in translated.items():
            created += await _enqueue_version(
                session, story_id, article_id, ids, _chat_language() == language, now)
        others = _chat_language().is_(None) | _chat_language().not_in(sorted(translated))
        created += await _enqueue_version(session, story_id, original, ids, others, now)
    return created


async def _stories(session: AsyncSession, article_ids: Sequence[int]) -> list[int]:
    story = func.coalesce(Article.story_id, Article.id)
    rows = await session.execute(select(Article.id, story).where(Article.id.in_(article_ids)))
    found: dict[int, int] = dict(rows.all())
    return list(dict.fromkeys(found[i] for i in article_ids if i in found))


async def _versions(session: AsyncSession, story_id: int) -> list[tuple[int, str | None]]:
    rows = await session.execute(
        select(Article.id, Article.language)
        .where((Article.story_id == story_id) | (Article.id == story_id))
        .order_by(Article.id)
    )
    return [(article_id, language) for article_id, language in rows.all()]


def _choose_versions(
    story_id: int, versions: Sequence[tuple[int, str | None]]
) -> tuple[int, dict[str, int]]:
    """The original version and, per language, the version a chat reading it gets: the
    original if it is in that language, else the first stored one."""
    original = next((vid for vid, _ in versions if vid == story_id), versions[0][0])
    by_language: dict[str, int] = {}
    languages = dict(versions)
    if languages.get(original):
        by_language[str(languages[original])] = original
    for vid, language in versions:
        if language:
            by_language.setdefault(language, vid)
    return original, by_language


def _chat_language() -> ColumnElement[str | None]:
    return func.lower(func.substr(Chat.language, 1, 2))


async def _enqueue_version(
    session: AsyncSession,
    story_id: int,
    article_id: int,
    story_article_ids: Sequence[int],
    chats: ColumnElement[bool],
    now: datetime,
) -> int:
    chosen = (
        select(
            Subscription.chat_id,
            literal(article_id).label("article_id"),
            literal(story_id).label("story_id"),
            Subscription.thread_id,
            literal("pending").label("status"),
            literal(0).label("attempts"),
            literal(now, UTCDateTime()).label("next_attempt_at"),
            literal(now, UTCDateTime()).label("created_at"),
        )
        .join(ArticleTopic, ArticleTopic.topic_id == Subscription.topic_id)
        .join(Chat, Chat.id == Subscription.chat_id)
        .where(ArticleTopic.article_id.in_(story_article_ids), Chat.status == "active",
               Subscription.paused_reason.is_(None), chats)
        .group_by(Subscription.chat_id, Subscription.thread_id)
    )
    statement = dialect_insert(session, Delivery).from_select(
        ["chat_id", "article_id", "story_id", "thread_id", "status", "attempts",
         "next_attempt_at", "created_at"],
        chosen,
    ).on_conflict_do_nothing()
    result = await session.execute(statement)
    return max(int(getattr(result, "rowcount", 0) or 0), 0)


@dataclass(frozen=True)
class ClaimedDelivery:
    """A delivery row claimed for sending, as plain values."""

    id: int
    chat_id: int
    thread_id: int
    article_id: int | None
    broadcast_id: int | None
    attempts: int
    schedule: str
    silent: bool
    parts_sent: int
    message_id: int | None
    created_at: datetime
    comment_id: int | None = None  # a relayed comment's copy


_CLAIM_COLUMNS = (
    Delivery.id, Delivery.chat_id, Delivery.thread_id, Delivery.article_id,
    Delivery.broadcast_id, Delivery.attempts, Delivery.schedule, Delivery.silent,
    Delivery.parts_sent, Delivery.message_id, Delivery.created_at, Delivery.comment_id,
)
CHAT_LOCK_SPACE = 0x6E62  # advisory-lock namespace of chat claims ("nb")
_CHUNK = 500  # ids per IN (…): well under SQLite's and asyncpg's bind-parameter limits


def _claimable(now: datetime, owner: str) -> ColumnElement[bool]:
    """Due pending rows, and rows whose claim's lease has run out (a crashed or stalled
    process: its claims come back while the others run, not only at the next start) — of
    chats no other live process is sending to."""
    due = ((Delivery.status == "pending") & (Delivery.next_attempt_at <= now)) | (
        (Delivery.status == "sending") & (Delivery.lease_until < now)
    )
    return due & _free_chat(now, owner)


def _free_chat(now: datetime, owner: str) -> ColumnElement[bool]:
    """No other live process is sending to the row's chat."""
    busy = aliased(Delivery)
    return ~exists().where(
        busy.chat_id == Delivery.chat_id, busy.status == "sending",
        busy.claimed_by != owner, busy.lease_until >= now)


async def _lock_chats(session: AsyncSession, chat_ids: Sequence[int]) -> list[int]:
    """The chats of ``chat_ids`` whose transaction-level advisory lock this transaction got
    (PostgreSQL); another claim running concurrently holds the rest."""
    got: list[int] = []
    for chunk in _chunks(list(chat_ids)):
        rows = await session.execute(
            text("SELECT c FROM unnest(CAST(:chats AS bigint[])) AS t(c) "
                 "WHERE pg_try_advisory_xact_lock(:space, CAST(c % 2147483647 AS integer))"),
            {"chats": list(chunk), "space": CHAT_LOCK_SPACE})
        got.extend(int(row[0]) for row in rows)
    return sorted(got)


async def claim_due(
    session: AsyncSession, now: datetime, limit: int, owner: str, lease_until: datetime
) -> list[ClaimedDelivery]:
    """Claim up to ``limit`` due deliveries for ``owner`` until ``lease_until``, plus every
    other due row of the same chats (so one chat's explainers can go out as one message).

    On PostgreSQL concurrent processes skip each other's rows (FOR UPDATE SKIP LOCKED); on
    SQLite only one process runs (see bot.services.leadership)."""
    postgres = session.bind is not None and session.bind.dialect.name == "postgresql"
    # Two plain index scans (expired leases, then due rows in order) rather than one OR,
    # which SQLite plans as a multi-index OR plus a sort of every due row (46 ms a claim at
    # 100,000 rows).
    # Broadcast rows come last: a broadcast to 50,000 chats must not hold up an explainer (or
    # breaking news from /post) queued after it for the half hour its rows take to go out.
    due = (Delivery.status == "pending") & (Delivery.next_attempt_at <= now)
    rows: list[Any] = []
    for claimable in (
        (Delivery.status == "sending") & (Delivery.lease_until < now),
        due & Delivery.broadcast_id.is_(None),
        due & Delivery.broadcast_id.is_not(None),
    ):
        if len(rows) >= limit:
            break
        query = (select(*_CLAIM_COLUMNS).where(claimable, _free_chat(now, owner))
                 .order_by(Delivery.next_attempt_at, Delivery.id).limit(limit - len(rows)))
        if postgres:
            query = query.with_for_update(skip_locked=True)
        rows.extend((await session.execute(query)).all())
    if not rows:
        return []
    chat_ids = sorted({row.chat_id for row in rows})
    if postgres:
        # One process per chat at a time (coalescing, per-chat limits): a chat another
        # claim transaction is taking right now is left to it.
        chat_ids = await _lock_chats(session, chat_ids)
        rows = [row for row in rows if row.chat_id in set(chat_ids)]
    seen = {row.id for row in rows}
    for chunk in _chunks(chat_ids):
        more = select(*_CLAIM_COLUMNS).where(_claimable(now, owner), Delivery.chat_id.in_(chunk))
        if postgres:
            more = more.with_for_update(skip_locked=True)
        rows.extend(row for row in (await session.execute(more)).all() if row.id not in seen)
    ids = [row.id for row in rows]
    for chunk in _chunks(ids):
        await session.execute(
            update(Delivery).where(Delivery.id.in_(chunk))
            .values(status="sending", claimed_by=owner, lease_until=lease_until)
            .execution_options(synchronize_session=False)
        )
    return [ClaimedDelivery(*row) for row in rows]


def _chunks(values: Sequence[int]) -> list[Sequence[int]]:
    return [values[i:i + _CHUNK] for i in range(0, len(values), _CHUNK)]


async def renew_leases(session: AsyncSession, owner: str, lease_until: datetime) -> int:
    """Extend the lease of every row ``owner`` holds (a long push keeps its claims)."""
    result = await session.execute(
        update(Delivery).where(Delivery.status == "sending", Delivery.claimed_by == owner)
        .values(lease_until=lease_until).execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def release_claims(
    session: AsyncSession, owner: str, delivery_ids: Sequence[int] | None = None
) -> int:
    """Hand ``owner``'s claims (all, or those in ``delivery_ids``) back as pending. Never
    touches another process's claims."""
    mine = (Delivery.status == "sending") & (Delivery.claimed_by == owner)
    release = {"status": "pending", "claimed_by": None, "lease_until": None}
    if delivery_ids is None:
        result = await session.execute(
            update(Delivery).where(mine).values(**release)
            .execution_options(synchronize_session=False))
        return int(getattr(result, "rowcount", 0) or 0)
    released = 0
    for chunk in _chunks(list(delivery_ids)):
        result = await session.execute(
            update(Delivery).where(mine, Delivery.id.in_(chunk)).values(**release)
            .execution_options(synchronize_session=False))
        released += int(getattr(result, "rowcount", 0) or 0)
    return released


async def release_stale_claims(
    session: AsyncSession, now: datetime | None = None, *, everyone: bool = False
) -> int:
    """Return claims whose lease ran out (or that carry none: rows from before leases) to
    'pending'; live processes' claims are left alone. ``everyone``: every claim (the caller
    knows no other process runs)."""
    now = now or utcnow()
    stale = Delivery.lease_until.is_(None) | (Delivery.lease_until < now)
    result = await session.execute(
        update(Delivery)
        .where(Delivery.status == "sending", true() if everyone else stale)
        .values(status="pending", claimed_by=None, lease_until=None)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


# Every outcome row carries these keys, so one executemany covers a whole batch.
OUTCOME_KEYS = (
    "id", "status", "attempts", "next_attempt_at", "message_id", "sent_at", "sent_version",
    "last_error", "schedule", "silent", "parts_sent",
)


async def record_outcomes(
    session: AsyncSession, outcomes: Sequence[dict[str, Any]], owner: str
) -> None:
    """Write many rows' outcomes (dicts with exactly :data:`OUTCOME_KEYS`) in one
    executemany; the claim is cleared on each. Only rows ``owner`` still holds are written:
    a row whose lease ran out and that another process reclaimed is that process's now."""
    if not outcomes:
        return
    table = Delivery.__table__
    assert isinstance(table, Table)
    statement = (
        update(table)
        .where(table.c.id == bindparam("b_id"), table.c.status == "sending",
               table.c.claimed_by == owner)
        .values({key: bindparam(f"b_{key}") for key in OUTCOME_KEYS if key != "id"}
                | {"claimed_by": None, "lease_until": None})
    )
    await session.execute(statement, [{f"b_{k}": row[k] for k in OUTCOME_KEYS}
                                       for row in outcomes])


async def last_pushes(
    session: AsyncSession, chat_ids: Sequence[int], since: datetime
) -> dict[tuple[int, int], datetime]:
    """When each destination (chat, thread) of ``chat_ids`` last got a push after ``since``."""
    found: dict[tuple[int, int], datetime] = {}
    for chunk in _chunks(list(chat_ids)):
        rows = await session.execute(
            select(Delivery.chat_id, Delivery.thread_id, func.max(Delivery.sent_at))
            .where(Delivery.chat_id.in_(chunk), Delivery.sent_at > since,
                   Delivery.broadcast_id.is_(None), Delivery.comment_id.is_(None))
            .group_by(Delivery.chat_id, Delivery.thread_id)
        )
        for chat_id, thread_id, sent_at in rows.all():
            if sent_at is not None:
                found[(chat_id, thread_id)] = sent_at
    return found


async def chat_delivery_settings(
    session: AsyncSession, chat_ids: Sequence[int]
) -> dict[int, tuple[str | None, dict[str, Any]]]:
    """Each chat's timezone and settings (what decides digests and quiet hours)."""
    found: dict[int, tuple[str | None, dict[str, Any]]] = {}
    for chunk in _chunks(list(chat_ids)):
        rows = await session.execute(
            select(Chat.id, Chat.timezone, Chat.settings).where(Chat.id.in_(chunk)))
        for chat_id, timezone, settings in rows.all():
            found[chat_id] = (timezone, settings or {})
    return found


async def article_versions(session: AsyncSession, article_ids: Sequence[int]) -> dict[int, int]:
    """The current version of each article."""
    found: dict[int, int] = {}
    for chunk in _chunks(list(article_ids)):
        rows = await session.execute(
            select(Article.id, Article.version).where(Article.id.in_(chunk)))
        found.update({row.id: row.version for row in rows.all()})
    return found


async def rows_in_chat(
    session: AsyncSession, delivery_ids: Sequence[int], chat_id: int
) -> set[int]:
    """Which of ``delivery_ids`` belong to ``chat_id``."""
    rows = await session.scalars(
        select(Delivery.id).where(Delivery.id.in_(delivery_ids), Delivery.chat_id == chat_id))
    return set(rows)


async def outbox_depth(session: AsyncSession) -> int:
    """Rows still to send (pending or being sent)."""
    return int(await session.scalar(
        select(func.count()).select_from(Delivery)
        .where(Delivery.status.in_(("pending", "sending")))) or 0)


async def pause_destination(
    session: AsyncSession, chat_id: int, thread_id: int, reason: str
) -> bool:
    """Pause a destination's subscriptions and skip its pending rows; True if it was not
    paused before (so the admins are told once)."""
    result = await session.execute(
        update(Subscription)
        .where(Subscription.chat_id == chat_id, Subscription.thread_id == thread_id,
               Subscription.paused_reason.is_(None))
        .values(paused_reason=reason[:200]).execution_options(synchronize_session=False)
    )
    await session.execute(
        update(Delivery)
        .where(Delivery.chat_id == chat_id, Delivery.thread_id == thread_id,
               Delivery.status.in_(("pending", "sending")))
        .values(status="skipped", last_error=reason, claimed_by=None, lease_until=None)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0) > 0


async def skip_pending_for_chat(session: AsyncSession, chat_id: int, reason: str) -> None:
    """Skip every pending delivery of a chat that can no longer receive messages."""
    await session.execute(
        update(Delivery)
        .where(Delivery.chat_id == chat_id, Delivery.status.in_(("pending", "sending")))
        .values(status="skipped", last_error=reason, claimed_by=None, lease_until=None)
        .execution_options(synchronize_session=False)
    )


async def find_by_message(
    session: AsyncSession, chat_id: int, message_id: int
) -> Delivery | None:
    """The delivery whose Telegram message is ``message_id`` in ``chat_id``."""
    return await session.scalar(
        select(Delivery).where(Delivery.chat_id == chat_id, Delivery.message_id == message_id)
    )
