"""Corrections on real databases: which sent messages are due, the service's outcomes, and
the PTB editor against the emulator."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Bot

from bot.domain import ArticleCard
from bot.emulator import BotAPIEmulator
from bot.render import OutgoingMessage, render_pushed_article
from bot.services.corrections import CorrectionService, EditOutcome
from bot.services.news import load_card
from bot.services.outbox import SendOutcome
from bot.telegram_edits import PtbEditor
from bot.transport import AiohttpRequest
from storage.corrections import due_corrections, mark_corrected
from storage.models import Article, ArticleTopic, Broadcast, Chat, Delivery, Topic, utcnow
from tests.support.factories import TEST_TOKEN

# --- fixtures -------------------------------------------------------------------------------


async def make_article(
    sessions: async_sessionmaker[AsyncSession], slug: str = "a", *, version: int = 2,
    title: str = "A corrected title", image_url: str | None = None,
) -> int:
    """An explainer in the "russia" topic at ``version`` (2: corrected once since sent)."""
    now = utcnow()
    async with sessions() as session, session.begin():
        topic = await session.scalar(select(Topic).where(Topic.slug == "russia"))
        if topic is None:
            topic = Topic(slug="russia", name="Russia", active=True)
            session.add(topic)
        article = Article(
            canonical_url=f"https://e.org/{slug}", url=f"https://e.org/{slug}", guid=slug,
            title=title, summary="A short summary of the explainer.", body="Body.",
            content_hash=slug, created_at=now, updated_at=now, image_url=image_url,
            updated=version > 1, version=version,
        )
        session.add(article)
        await session.flush()
        session.add(ArticleTopic(article_id=article.id, topic_id=topic.id))
        return article.id


async def make_deliveries(
    sessions: async_sessionmaker[AsyncSession], rows: Sequence[dict[str, Any]]
) -> None:
    """Chats as needed, then delivery rows (defaults: sent, sent_version NULL, thread 0)."""
    now = utcnow()
    async with sessions() as session, session.begin():
        known = set((await session.scalars(select(Chat.id))).all())
        chats = sorted({row["chat_id"] for row in rows} - known)
        if chats:
            await session.execute(insert(Chat), [
                {"id": chat_id, "type": "private", "status": "active", "timezone": "UTC",
                 "settings": {}, "created_at": now, "updated_at": now} for chat_id in chats])
        await session.execute(insert(Delivery), [
            {"status": "sent", "thread_id": 0, "attempts": 1, "next_attempt_at": now,
             "created_at": now, "sent_at": now, "article_id": None, "broadcast_id": None,
             "message_id": None, "sent_version": None, **row} for row in rows])


async def sent_versions(sessions: async_sessionmaker[AsyncSession]) -> dict[int, int | None]:
    """chat id → sent_version of its article delivery."""
    async with sessions() as session:
        rows = await session.execute(select(Delivery.chat_id, Delivery.sent_version)
                                     .where(Delivery.article_id.is_not(None)))
        return dict(rows.all())


class FakeLimiter:
    """The shared send limiter's interface; records what it was asked."""

    def __init__(self) -> None:
        self.acquired: list[int] = []
        self.pauses: list[float] = []

    async def acquire(self, chat_id: int, *, paid: bool = False) -> float:
        self.acquired.append(chat_id)
        return 0.0

    def pause(self, seconds: float) -> None:
        self.pauses.append(seconds)


class ScriptedEditor:
    """Telegram's side of an edit: answers from a script per chat (default: edited)."""

    def __init__(self, script: dict[int, list[EditOutcome]] | None = None) -> None:
        self.script = script or {}
        self.edits: list[tuple[int, int, OutgoingMessage]] = []

    async def edit(self, chat_id: int, message_id: int, message: OutgoingMessage
                   ) -> EditOutcome:
        self.edits.append((chat_id, message_id, message))
        queue = self.script.get(chat_id)
        return queue.pop(0) if queue else EditOutcome("edited")


class RecordingSender:
    """The delivery sender, for "push": records sends."""

    def __init__(self) -> None:
        self.sent: list[tuple[int, list[OutgoingMessage], int | None]] = []

    async def send(self, chat_id: int, message: OutgoingMessage, thread_id: int | None, *,
                   silent: bool = False, paid: bool = False) -> SendOutcome:
        if self.sent and self.sent[-1][0] == chat_id and self.sent[-1][2] == thread_id:
            self.sent[-1][1].append(message)  # the next part of the same push
        else:
            self.sent.append((chat_id, [message], thread_id))
        return SendOutcome("sent", message_id=900 + chat_id)


class CountingLoader:
    """``load_card`` that counts the articles it loads."""

    def __init__(self) -> None:
        self.loaded: list[int] = []

    async def __call__(self, session: AsyncSession, article_id: int) -> ArticleCard | None:
        self.loaded.append(article_id)
        return await load_card(session, article_id)


def service(sessions: async_sessionmaker[AsyncSession], editor: Any = None,
            limiter: Any = None, **kwargs: Any) -> CorrectionService:
    return CorrectionService(sessions, editor or ScriptedEditor(), kwargs.pop("loader", load_card),
                             limiter or FakeLimiter(), **kwargs)


# --- storage --------------------------------------------------------------------------------


async def test_due_corrections_pick_sent_messages_behind_the_article(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    """Only sent article deliveries with a message_id and an older version are due; a NULL
    sent_version reads as 1; a message shared by several deliveries of a chat is flagged."""
    corrected = await make_article(session_factory, "a", version=2)
    other = await make_article(session_factory, "b", version=3)
    untouched = await make_article(session_factory, "c", version=1)
    async with session_factory() as session, session.begin():
        broadcast = Broadcast(created_by=1, text="hi", status="done")
        session.add(broadcast)
        await session.flush()
        broadcast_id = broadcast.id
    await make_deliveries(session_factory, [
        {"chat_id": 1, "article_id": corrected, "message_id": 10},  # NULL → 1 < 2: due
        {"chat_id": 2, "article_id": corrected, "message_id": 20, "sent_version": 2},
        {"chat_id": 3, "article_id": corrected, "message_id": None},  # never sent
        {"chat_id": 4, "article_id": corrected, "message_id": 40, "status": "failed"},
        {"chat_id": 5, "article_id": corrected, "status": "pending"},
        {"chat_id": 6, "article_id": untouched, "message_id": 60},  # version 1
        {"chat_id": 7, "broadcast_id": broadcast_id, "message_id": 70},
        {"chat_id": 8, "article_id": other, "message_id": 80, "sent_version": 2},  # 2 < 3
        {"chat_id": 9, "article_id": corrected, "message_id": 90},  # a coalesced message …
        {"chat_id": 9, "article_id": untouched, "message_id": 90},  # … with two items
    ])
    async with session_factory() as session:
        due = await due_corrections(session, 100)
    assert [(d.chat_id, d.article_id, d.message_id, d.version, d.shared) for d in due] == [
        (1, corrected, 10, 2, False),
        (9, corrected, 90, 2, True),
        (8, other, 80, 3, False),
    ]
    async with session_factory() as session:
        assert len(await due_corrections(session, 2)) == 2


async def test_mark_corrected_records_versions_and_never_lowers_one(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    """Marked deliveries stop being due; an older version never overwrites a newer one."""
    article_id = await make_article(session_factory, version=3)
    await make_deliveries(session_factory, [
        {"chat_id": 1, "article_id": article_id, "message_id": 10},
        {"chat_id": 2, "article_id": article_id, "message_id": 20},
    ])
    async with session_factory() as session:
        due = {d.chat_id: d.delivery_id for d in await due_corrections(session, 10)}
    async with session_factory() as session, session.begin():
        await mark_corrected(session, [(due[1], 3), (due[2], 2)])
    async with session_factory() as session, session.begin():
        await mark_corrected(session, [(due[1], 2)])  # a slower, older run
        await mark_corrected(session, [])
    assert await sent_versions(session_factory) == {1: 3, 2: 2}
    async with session_factory() as session:
        assert [d.chat_id for d in await due_corrections(session, 10)] == [2]


# --- the service ----------------------------------------------------------------------------


async def test_edit_mode_edits_the_first_part_once_and_records_it(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    """Each sent message is edited once with the article's current first part (buttons and
    all), through the limiter, loading the card once; a second run edits nothing."""
    article_id = await make_article(session_factory, title="Corrected: the real title")
    await make_deliveries(session_factory, [
        {"chat_id": chat, "article_id": article_id, "message_id": 100 + chat}
        for chat in (1, 2, 3, 4, 5)])
    editor, limiter, loader = ScriptedEditor(), FakeLimiter(), CountingLoader()
    corrections = service(session_factory, editor, limiter, loader=loader, batch_size=2)
    stats = await corrections.run_once()
    assert stats.edited == 5
    assert stats.errors == []
    assert [(chat, message_id) for chat, message_id, _ in editor.edits] == [
        (chat, 100 + chat) for chat in (1, 2, 3, 4, 5)]
    async with session_factory() as session:
        card = await load_card(session, article_id)
    assert card is not None
    assert {message for _, _, message in editor.edits} == {
        render_pushed_article(card, article_id)[0]}
    assert "Corrected: the real title" in (editor.edits[0][2].text or "")
    assert [b.text for row in editor.edits[0][2].buttons for b in row] == [
        "Read", "💬 Comments", "✍️ Comment"]
    assert limiter.acquired == [1, 2, 3, 4, 5]
    assert loader.loaded == [article_id]
    assert await sent_versions(session_factory) == dict.fromkeys((1, 2, 3, 4, 5), 2)
    again = await corrections.run_once()
    assert (again.edited, again.done, len(editor.edits)) == (0, 0, 5)


async def test_outcomes_not_modified_gone_failed_are_done_and_retry_is_left(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    """"Not modified" counts as not_modified (no error); a gone message and a refused edit
    are given up for this version; a transient error is left for the next run."""
    article_id = await make_article(session_factory)
    await make_deliveries(session_factory, [
        {"chat_id": chat, "article_id": article_id, "message_id": 100 + chat}
        for chat in (1, 2, 3, 4)])
    editor = ScriptedEditor({
        1: [EditOutcome("not_modified")],
        2: [EditOutcome("gone", error="Bad Request: message to edit not found")],
        3: [EditOutcome("failed", error="Bad Request: can't parse entities")],
        4: [EditOutcome("retry", error="Timed out")],
    })
    corrections = service(session_factory, editor)
    stats = await corrections.run_once()
    assert (stats.not_modified, stats.gone, stats.failed, stats.retried) == (1, 1, 1, 1)
    assert stats.errors == ["Bad Request: can't parse entities"]
    assert await sent_versions(session_factory) == {1: 2, 2: 2, 3: 2, 4: None}
    stats = await corrections.run_once()
    assert (stats.edited, stats.done) == (1, 1)
    assert [chat for chat, _, _ in editor.edits] == [1, 2, 3, 4, 4]


async def test_flood_wait_pauses_the_limiter_and_leaves_the_rest(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    """A 429 pauses the shared limiter for retry_after and ends the run; the rows not yet
    edited (that one included) are edited by the next run."""
    article_id = await make_article(session_factory)
    await make_deliveries(session_factory, [
        {"chat_id": chat, "article_id": article_id, "message_id": 100 + chat}
        for chat in (1, 2, 3)])
    editor = ScriptedEditor({2: [EditOutcome("retry", retry_after=7, error="Flood")]})
    limiter = FakeLimiter()
    corrections = service(session_factory, editor, limiter)
    stats = await corrections.run_once()
    assert (stats.edited, stats.flood_waits, stats.failed) == (1, 1, 0)
    assert limiter.pauses == [7]
    assert await sent_versions(session_factory) == {1: 2, 2: None, 3: None}
    stats = await corrections.run_once()
    assert stats.edited == 2
    assert [chat for chat, _, _ in editor.edits] == [1, 2, 2, 3]


async def test_shared_message_is_not_edited_but_marked(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    """A coalesced or digest message (one message_id for several deliveries of a chat) is
    left as it is and recorded, so it is not looked at again."""
    first = await make_article(session_factory, "a")
    second = await make_article(session_factory, "b", version=1)
    await make_deliveries(session_factory, [
        {"chat_id": 1, "article_id": first, "message_id": 50},
        {"chat_id": 1, "article_id": second, "message_id": 50},
    ])
    editor = ScriptedEditor()
    stats = await service(session_factory, editor).run_once()
    assert (stats.skipped, stats.edited, editor.edits) == (1, 0, [])
    async with session_factory() as session:
        assert await due_corrections(session, 10) == []


async def test_push_mode_sends_an_updated_message_to_the_same_thread(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    """With corrections = "push", the explainer goes out again headed "Updated:", to the
    chat and forum thread it was delivered to, through the delivery sender; nothing is
    edited."""
    article_id = await make_article(session_factory, title="The corrected title")
    await make_deliveries(session_factory, [
        {"chat_id": -100, "article_id": article_id, "message_id": 7, "thread_id": 42},
        {"chat_id": 2, "article_id": article_id, "message_id": 8},
    ])
    editor, sender = ScriptedEditor(), RecordingSender()
    stats = await service(session_factory, editor, mode="push", sender=sender).run_once()
    assert (stats.pushed, stats.edited, editor.edits) == (2, 0, [])
    assert [(chat, thread) for chat, _, thread in sender.sent] == [(-100, 42), (2, None)]
    first = sender.sent[0][1][0]
    assert "Updated: The corrected title" in (first.text or "")
    assert await sent_versions(session_factory) == {-100: 2, 2: 2}


async def test_off_mode_does_nothing(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    """With corrections = "off", nothing is edited, sent or recorded."""
    article_id = await make_article(session_factory)
    await make_deliveries(session_factory, [{"chat_id": 1, "article_id": article_id,
                                             "message_id": 5}])
    editor = ScriptedEditor()
    stats = await service(session_factory, editor, mode="off").run_once()
    assert (stats.done, editor.edits) == (0, [])
    assert await sent_versions(session_factory) == {1: None}


def test_push_mode_needs_a_sender(session_factory: async_sessionmaker[AsyncSession]) -> None:
    """Configuring "push" without the delivery sender is refused at construction."""
    with pytest.raises(ValueError, match="push"):
        service(session_factory, mode="push")


# --- the PTB editor against the emulator ------------------------------------------------------


@pytest.fixture
async def emulator() -> Any:
    """A Bot API emulator on a free loopback port."""
    async with BotAPIEmulator(tokens=(TEST_TOKEN,)) as emu:
        yield emu


@pytest.fixture
async def ptb_bot(emulator: BotAPIEmulator) -> Any:
    """A PTB Bot talking to the emulator."""
    async with Bot(TEST_TOKEN, base_url=f"{emulator.base_url}",
                   request=AiohttpRequest()) as bot:
        yield bot


def _card(title: str, image_url: str | None = None) -> ArticleCard:
    return ArticleCard(title=title, url="https://e.org/a", summary="A short summary.",
                       topics=(), tags=(), image_url=image_url, published_at=None,
                       source="Explainers", updated=False, author=None)


async def test_ptb_editor_edits_text_and_answers_not_modified(
    emulator: BotAPIEmulator, ptb_bot: Bot
) -> None:
    """editMessageText replaces the text and keyboard; the same edit again is not_modified;
    a deleted message is gone; a 429 is a retry with its retry_after."""
    emulator.user(61)
    sent = await ptb_bot.send_message(61, "Old title")
    [message] = render_pushed_article(_card("New title"), 1)
    editor = PtbEditor(ptb_bot)
    assert await editor.edit(61, sent.message_id, message) == EditOutcome("edited")
    [now] = emulator.sent(61)
    assert now["text"].startswith("New title")
    assert [b["text"] for row in now["reply_markup"]["inline_keyboard"] for b in row] == [
        "Read", "💬 Comments", "✍️ Comment"]
    assert (await editor.edit(61, sent.message_id, message)).kind == "not_modified"
    emulator.faults.fail_next("editMessageText", 429, "Too Many Requests: retry after 3",
                              parameters={"retry_after": 3})
    flood = await editor.edit(61, sent.message_id, message)
    assert (flood.kind, flood.retry_after) == ("retry", 3.0)
    await ptb_bot.delete_message(61, sent.message_id)
    assert (await editor.edit(61, sent.message_id, message)).kind == "gone"


async def test_ptb_editor_edits_a_photo_caption_or_its_text_fallback(
    emulator: BotAPIEmulator, ptb_bot: Bot
) -> None:
    """A photo message gets editMessageCaption; a message that went out as text (the photo
    refused) gets its text version edited instead."""
    emulator.user(62)
    photo = await ptb_bot.send_photo(62, "https://e.org/p.jpg", caption="Old caption")
    text = await ptb_bot.send_message(62, "Old text")
    [message] = render_pushed_article(_card("New title", image_url="https://e.org/p.jpg"), 1)
    assert message.method == "sendPhoto"
    editor = PtbEditor(ptb_bot)
    assert (await editor.edit(62, photo.message_id, message)).kind == "edited"
    assert (await editor.edit(62, text.message_id, message)).kind == "edited"
    by_id = {m["message_id"]: m for m in emulator.sent(62)}
    assert by_id[photo.message_id]["caption"].startswith("New title")
    assert by_id[text.message_id]["text"].startswith("New title")
    assert len(emulator.calls("editMessageCaption")) == 2


async def test_a_correction_keeps_the_destinations_image_and_preview_choices(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    """A chat (or forum thread) that takes explainers without images gets its text message
    edited as text, not with the photo version that others got."""
    article_id = await make_article(session_factory, image_url="https://e.org/a.jpg")
    await make_deliveries(session_factory, [
        {"chat_id": 1, "article_id": article_id, "message_id": 101},
        {"chat_id": 2, "article_id": article_id, "message_id": 102},
        {"chat_id": 3, "article_id": article_id, "message_id": 103, "thread_id": 7}])
    async with session_factory() as session, session.begin():
        for chat_id, settings in ((2, {"images": False}),
                                  (3, {"threads": {"7": {"images": False}}})):
            chat = await session.get(Chat, chat_id)
            assert chat is not None
            chat.settings = settings
    editor = ScriptedEditor()
    await service(session_factory, editor).run_once()
    methods = {chat: message.method for chat, _, message in editor.edits}
    assert methods == {1: "sendPhoto", 2: "sendMessage", 3: "sendMessage"}
