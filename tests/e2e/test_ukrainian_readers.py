"""A Ukrainian reader end to end: whose Telegram language is uk reads every answer of the
reader commands in Ukrainian — greeting, picker, /help, /topics, /topic and /latest with
Ukrainian aliases and dates, /search, the private-chat hints, the flood notice, stale buttons
— and so does everyone in a group a Ukrainian speaker added the bot to."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from bot.callback_data import LatestMore
from bot.emulator import BotAPIEmulator
from storage.models import Article, ArticleTopic, Topic
from tests.support.users import button

ENERGY = {"slug": "energy", "name": "Energy", "aliases": ["Енергетика"],
          "keywords": ["power grid", "енергосистема"]}
RUSSIA = {"slug": "russia", "name": "Russia", "aliases": ["Кремль"]}
CONFIG = {"topics": [ENERGY, RUSSIA], "publisher": {"name": "Пояснювач"}}
T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
CYRILLIC = re.compile(r"[а-яіїєґА-ЯІЇЄҐ]")
# English words of the bot's own texts; commands (/latest), slugs and topic names are not
# counted (the topics are configured in English here).
_ENGLISH = re.compile(
    r"\b(the|and|you|your|explainers?|topics?|follow\w*|done|more|search|latest|earlier|"
    r"slow|button|know|hello|welcome|pick|send|try|key|points|all|stop|admins?|only|"
    r"showing|untitled|no|yet|that|this|here)\b", re.IGNORECASE)
_NOT_TEXT = re.compile(r"/\w+|\benergy\b|\bEnergy\b|\bRussia\b|<[^>]*>")


def english_left(text: str) -> list[str]:
    """English words of the bot's texts left in ``text`` (commands and topic names aside)."""
    return _ENGLISH.findall(_NOT_TEXT.sub(" ", text))


def assert_ukrainian(text: str | None) -> None:
    """The text is Ukrainian: it has Cyrillic and none of the English texts' words."""
    assert text, "no text"
    assert CYRILLIC.search(text), text
    assert not english_left(text), (english_left(text), text)


async def store_energy_explainers(bot: Any, count: int) -> None:
    """``count`` Ukrainian explainers on Energy, published an hour apart from 1 Nov 2026."""
    async with bot.sessions() as session, session.begin():
        topic_id = await session.scalar(select(Topic.id).where(Topic.slug == "energy"))
        for number in range(1, count + 1):
            when = T0 + timedelta(hours=number)
            article = Article(
                canonical_url=f"https://news.example.org/uk/energy/{number}",
                url=f"https://news.example.org/uk/energy/{number}",
                title=f"Енергосистема взимку, частина {number}",
                summary=f"Енергетики відновили підстанцію номер {number}. Ремонт триває.",
                body="Докладно про ремонт енергосистеми.", content_hash=f"uk-energy-{number}",
                published_at=when, created_at=when, updated_at=when, language="uk")
            session.add(article)
            await session.flush()
            article.story_id = article.id
            session.add(ArticleTopic(article_id=article.id, topic_id=topic_id))


async def answers_after(emulator: BotAPIEmulator, count: int) -> list[Any]:
    """The callback answers once there are more than ``count``."""
    for _ in range(200):
        if len(emulator.callback_answers) > count:
            break
        await asyncio.sleep(0.05)
    assert len(emulator.callback_answers) > count
    return emulator.callback_answers[count:]


def current(emulator: BotAPIEmulator, chat_id: int, message_id: int) -> dict[str, Any]:
    """A sent message as it is now (after edits)."""
    return next(m for m in emulator.sent(chat_id) if m["message_id"] == message_id)


def labels(message: dict[str, Any]) -> list[str]:
    """The texts of a message's buttons."""
    return [b["text"] for row in (message.get("reply_markup") or {}).get(
        "inline_keyboard", []) for b in row]


async def test_ukrainian_reader_reads_every_answer_in_ukrainian(
    emulator: BotAPIEmulator, running_bot: Any
) -> None:
    """/start, the picker and its toasts and Done, /help, /topics, /topic енергетика,
    /latest with Ukrainian dates and "Ще", /search, an unknown command and free text all
    answer a uk reader in Ukrainian, with no English left."""
    async with running_bot(extra=CONFIG) as bot:
        await store_energy_explainers(bot, 7)
        chat = 801
        reader = emulator.user(chat, first_name="Олена", language_code="uk")

        await reader.send("/start")
        [welcome] = await emulator.wait_for_sent(chat, count=1, timeout=10)
        assert "Вітаємо, " in welcome["text"]
        assert "Олена" in welcome["text"]
        assert_ukrainian(welcome["text"])
        assert {"Усі теми", "Готово"} <= set(labels(welcome))
        answered = len(emulator.callback_answers)
        await reader.press(welcome, button(welcome, "Energy"))
        [toast] = await answers_after(emulator, answered)
        assert toast.text == "Ви стежите за темою Energy"
        edits = len(emulator.calls("editMessageText"))
        picker = current(emulator, chat, welcome["message_id"])
        await reader.press(picker, button(picker, "Готово"))
        await emulator.wait_for_calls("editMessageText", count=edits + 1, timeout=10)
        summary = current(emulator, chat, welcome["message_id"])["text"]
        assert "Energy" in summary
        assert "одразу після публікації" in summary
        assert_ukrainian(summary)

        for command in ("/help", "/topics", "/topic енергетика", "/topic", "/topic зебра",
                        "/latest", "/latest 5 енергетика", "/latest 99", "/latest 5 зебра",
                        "/search енергосистема", "/search", "/search зебра", "/foo",
                        "просто текст"):
            before = len(emulator.sent(chat))
            await reader.send(command)
            sent = await emulator.wait_for_sent(chat, count=before + 1, timeout=10)
            for message in sent[before:]:
                assert_ukrainian(message["text"])
        texts = [m["text"] for m in emulator.sent(chat)]
        assert any("/start — Вітання і вибір тем" in t for t in texts)  # /help, the menu's
        assert any(t.startswith("Натисніть на тему") for t in texts)  # /topics
        assert any(t.startswith("Головне: Energy") for t in texts) or any(
            "Energy" in t and "пояснень ще немає" in t for t in texts)  # /topic енергетика
        assert any(t.startswith("Яка тема?") for t in texts)
        assert any("Я не знаю теми зебра." in t for t in texts)
        assert any("Показано 20" in t for t in texts)  # /latest 99, clamped
        assert any(t.startswith("Пошук: енергосистема") for t in texts)
        assert any(t.startswith("Пошук пояснень:") and "/search &lt;слова&gt;" not in t
                   for t in texts)
        assert any("Не знайшлося пояснень за запитом «зебра»." in t for t in texts)
        assert any(t.startswith("Я не знаю команди /foo") for t in texts)
        assert any(t.startswith("Я відповідаю на команди") for t in texts)

        # /latest: Ukrainian month names, and "Ще" pages on in place.
        page = next(m for m in emulator.sent(chat)
                    if m["text"].startswith("Найновіші пояснення\n"))
        assert "1 листопада 2026" in page["text"]
        assert labels(page) == ["Ще ▸"]
        edits = len(emulator.calls("editMessageText"))
        await reader.press(page, button(page, "Ще"))
        await emulator.wait_for_calls("editMessageText", count=edits + 1, timeout=10)
        earlier = current(emulator, chat, page["message_id"])
        assert earlier["text"].startswith("Попередні пояснення")
        assert_ukrainian(earlier["text"])
        assert labels(earlier) == []  # 7 explainers: 5, then the last 2
        async with bot.sessions() as session:
            oldest = await session.scalar(select(func.min(Article.id)))
        answered = len(emulator.callback_answers)
        await reader.press(earlier, LatestMore(oldest, 5, LatestMore.OWN_TOPICS).pack(),
                           forged=True)  # a "Ще" past the end (a list that since ran out)
        gone = LatestMore(oldest, 99, "x").pack()
        await reader.press(earlier, gone, forged=True)
        await answers_after(emulator, answered + 1)
        ended, stale_list = emulator.callback_answers[answered:answered + 2]
        assert ended.text == "Поки що це все."
        assert stale_list.text == "Цей список уже недоступний — надішліть /latest ще раз."

        # A button the bot no longer knows.
        answered = len(emulator.callback_answers)
        await reader.press(welcome, "gone:1", forged=True)
        [stale] = await answers_after(emulator, answered)
        assert stale.text == "Ця кнопка вже не діє. Надішліть /start, щоб отримати нове меню."


async def test_ukrainian_subscribe_by_alias_and_unsubscribe(
    emulator: BotAPIEmulator, running_bot: Any
) -> None:
    """/subscribe енергетика follows Energy by its Ukrainian alias; the picker shows it with
    Ukrainian labels; /unsubscribe енергетика stops it."""
    async with running_bot(extra=CONFIG):
        chat = 802
        reader = emulator.user(chat, language_code="uk")
        await reader.send("/subscribe енергетика")
        await emulator.wait_for_sent(chat, count=1, timeout=10)
        await reader.send("/topics")
        picker = (await emulator.wait_for_sent(chat, count=2, timeout=10))[-1]
        assert "✅ Energy" in labels(picker)
        assert "☐ Russia" in labels(picker)
        assert_ukrainian(picker["text"])
        await reader.send("/unsubscribe енергетика")
        await emulator.wait_for_sent(chat, count=3, timeout=10)
        await reader.send("/topics")
        picker = (await emulator.wait_for_sent(chat, count=4, timeout=10))[-1]
        assert "☐ Energy" in labels(picker)
        answered = len(emulator.callback_answers)
        await reader.press(picker, button(picker, "Усі теми"))
        [toast] = await answers_after(emulator, answered)
        assert toast.text == "Ви стежите за всіма темами"


async def test_flood_notice_in_ukrainian(emulator: BotAPIEmulator, running_bot: Any) -> None:
    """Past the per-minute limit a uk reader is told to slow down in Ukrainian."""
    async with running_bot(extra={**CONFIG, "telegram": {"commands_per_minute": 2}}):
        reader = emulator.user(803, language_code="uk")
        for _ in range(4):
            await reader.send("/help")
        sent = await emulator.wait_for_sent(803, count=3, timeout=10)
        assert sent[2]["text"] == "Трохи повільніше — спробуйте ще раз за хвилину."


async def test_group_a_ukrainian_added_answers_everyone_in_ukrainian(
    emulator: BotAPIEmulator, running_bot: Any
) -> None:
    """A group whose first contact (/start) was a uk speaker answers in Ukrainian, whatever
    the Telegram language of who asks: the hello, /help, /latest, /topic, and the admins-only
    notice."""
    async with running_bot(extra=CONFIG) as bot:
        await store_energy_explainers(bot, 2)
        group_id = -8801
        group = emulator.group(group_id, "Читацький клуб")
        founder = emulator.user(804, language_code="uk")
        await group.add_bot(by=founder)
        [hello] = await emulator.wait_for_sent(group_id, count=1, timeout=10)
        assert hello["text"].startswith("Вітаю! Я бот Пояснювач")
        assert_ukrainian(hello["text"])
        await founder.send("/start", chat_id=group_id)  # the group's first contact: uk
        [greeting] = (await emulator.wait_for_sent(group_id, count=2, timeout=10))[1:]
        assert "Вітаємо, " in greeting["text"]
        assert "Читацький клуб" in greeting["text"]
        assert_ukrainian(greeting["text"])
        member = emulator.user(805, language_code="en")
        for command in ("/help", "/latest", "/topic енергетика", "/topics"):
            before = len(emulator.sent(group_id))
            await member.send(command, chat_id=group_id)
            sent = await emulator.wait_for_sent(group_id, count=before + 1, timeout=10)
            for message in sent[before:]:
                assert_ukrainian(message["text"])
        texts = [m["text"] for m in emulator.sent(group_id)]
        assert any("1 листопада 2026" in t for t in texts)
        assert texts[-1] == "Змінити це можуть лише адміністратори групи."
