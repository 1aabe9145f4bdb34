"""/latest and /topic end to end: pages, topics, languages, "More" in place, groups, forums."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.emulator import BotAPIEmulator
from storage.models import Article, ArticleTopic, Topic
from tests.support.users import button, entity_texts, subscribe

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


async def make_article(
    session: AsyncSession,
    number: int,
    *,
    topics: tuple[str, ...] = ("russia",),
    language: str | None = "en",
    story_of: int | None = None,
    title: str | None = None,
    body: str = "",
    published: bool = True,
) -> int:
    """Store explainer ``number`` (published ``number`` hours after T0) on ``topics``."""
    when = T0 + timedelta(hours=number)
    article = Article(
        canonical_url=f"https://news.example.org/explainers/{number}",
        url=f"https://news.example.org/explainers/{number}", title=title or f"Explainer {number}",
        summary=f"What explainer {number} says. A second sentence.", body=body,
        content_hash=f"h{number}", published_at=when if published else None,
        created_at=when, updated_at=when, language=language,
    )
    session.add(article)
    await session.flush()
    article.story_id = story_of if story_of is not None else article.id
    for slug in topics:
        topic_id = await session.scalar(select(Topic.id).where(Topic.slug == slug))
        session.add(ArticleTopic(article_id=article.id, topic_id=topic_id))
    await session.flush()
    return article.id


async def store(bot: Any, *specs: dict[str, Any]) -> list[int]:
    """Store several explainers in one transaction; return their ids."""
    async with bot.sessions() as session, session.begin():
        return [await make_article(session, **spec) for spec in specs]


def titles(message: dict[str, Any]) -> list[str]:
    """The linked titles of a /latest page, in order."""
    return entity_texts(message, "text_link")


async def test_latest_default_count_and_dates(emulator: BotAPIEmulator, running_bot: Any) -> None:
    """/latest shows the newest five explainers, linked, each with its date and one line."""
    async with running_bot() as bot:
        await store(bot, *({"number": n} for n in range(1, 8)))
        await emulator.user(21).send("/latest")
        [page] = await emulator.wait_for_sent(21, count=1, timeout=10)
        assert titles(page) == [f"Explainer {n}" for n in (7, 6, 5, 4, 3)]
        assert "1 Nov 2026" in page["text"]
        assert "What explainer 7 says." in page["text"]
        assert "A second sentence" not in page["text"]
        assert button(page, "More")


async def test_latest_count_topic_and_bad_arguments(
    emulator: BotAPIEmulator, running_bot: Any
) -> None:
    """/latest n, /latest n topic (alias too), and bad counts or topics get helpful replies."""
    async with running_bot() as bot:
        await store(bot, *({"number": n, "topics": ("russia",) if n % 2 else ("war-in-ukraine",)}
                           for n in range(1, 31)))
        reader = emulator.user(22)
        for text in ("/latest 3", "/latest 2 kremlin", "/latest 9999", "/latest -1",
                     "/latest abc", "/latest 0", "/latest war-in-ukraine"):
            await reader.send(text)
        replies = await emulator.wait_for_sent(22, count=7, timeout=10)
        assert titles(replies[0]) == ["Explainer 30", "Explainer 29", "Explainer 28"]
        assert replies[1]["text"].startswith("Latest explainers on Russia")
        assert titles(replies[1]) == ["Explainer 29", "Explainer 27"]
        assert len(titles(replies[2])) == 20
        assert "Showing 20, the most /latest shows at once." in replies[2]["text"]
        assert "/latest 10 for ten (at most 20)" in replies[3]["text"]
        assert "I don't know the topic abc" in replies[4]["text"]
        assert "war-in-ukraine" in replies[4]["text"]
        assert "/latest 10 for ten" in replies[5]["text"]
        assert titles(replies[6])[:2] == ["Explainer 30", "Explainer 28"]


async def test_more_pages_back_by_editing_in_place(
    emulator: BotAPIEmulator, running_bot: Any
) -> None:
    """"More" replaces the same message with the next page until the last, which has none;
    a forged or stale press is answered and changes nothing."""
    async with running_bot() as bot:
        await store(bot, *({"number": n} for n in range(1, 13)))
        reader = emulator.user(23)
        await reader.send("/latest")
        [page] = await emulator.wait_for_sent(23, count=1, timeout=10)
        await reader.press(page, button(page, "More"))
        await emulator.wait_for_calls("editMessageText", count=1, timeout=10)
        [page] = emulator.sent(23)
        assert titles(page) == [f"Explainer {n}" for n in (7, 6, 5, 4, 3)]
        assert page["text"].startswith("Earlier explainers")
        await reader.press(page, button(page, "More"))
        await emulator.wait_for_calls("editMessageText", count=2, timeout=10)
        [page] = emulator.sent(23)
        assert titles(page) == ["Explainer 2", "Explainer 1"]
        assert "reply_markup" not in page or not page["reply_markup"]["inline_keyboard"]
        before = page["text"]
        answers = len(emulator.callback_answers)
        for forged in ("latest:999999:5:-", "latest:abc", "latest:3:5:xyz", "latest:3:99:-",
                       "latest:3:5:424242"):
            await reader.press(page, forged, forged=True)
        while len(emulator.callback_answers) < answers + 5:
            await emulator.wait_for_calls("answerCallbackQuery", count=answers + 5, timeout=10)
        assert all("no longer available" in a.text or "all for now" in a.text
                   for a in emulator.callback_answers[answers:])
        assert len(emulator.calls("editMessageText")) == 2
        assert emulator.sent(23)[0]["text"] == before
        assert len(emulator.sent(23)) == 1


async def test_latest_in_the_chats_language_one_entry_per_story(
    emulator: BotAPIEmulator, running_bot: Any
) -> None:
    """A Ukrainian reader gets a story's Ukrainian version, an English one the original; each
    story is listed once."""
    async with running_bot() as bot:
        [original] = await store(bot, {"number": 1, "title": "Grain deal explained"})
        await store(bot, {"number": 2, "title": "Зернова угода", "language": "uk",
                          "story_of": original},
                    {"number": 3, "title": "Energy prices"})
        await subscribe(emulator, 24, language_code="uk")
        await subscribe(emulator, 25, language_code="en")
        await emulator.user(24, language_code="uk").send("/latest")
        await emulator.user(25, language_code="en").send("/latest")
        uk = (await emulator.wait_for_sent(24, count=2, timeout=10))[-1]
        en = (await emulator.wait_for_sent(25, count=2, timeout=10))[-1]
        assert titles(uk) == ["Energy prices", "Зернова угода"]
        assert titles(en) == ["Energy prices", "Grain deal explained"]
        assert uk["text"].startswith("Найновіші пояснення")
        assert "1 листопада 2026" in uk["text"]
        assert en["text"].startswith("Latest explainers")
        assert "1 Nov 2026" in en["text"]


async def test_followed_topics_respected_in_groups_and_forum_threads(
    emulator: BotAPIEmulator, running_bot: Any
) -> None:
    """A reader following Russia sees only Russia; in a group the answer replies to the asker;
    in a forum thread it is posted in that thread."""
    async with running_bot() as bot:
        await store(bot, {"number": 1, "topics": ("russia",)},
                    {"number": 2, "topics": ("war-in-ukraine",)},
                    {"number": 3, "topics": ("russia", "war-in-ukraine")})
        await subscribe(emulator, 26, "Russia")
        reader = emulator.user(26)
        await reader.send("/latest")
        page = (await emulator.wait_for_sent(26, count=2, timeout=10))[-1]
        assert titles(page) == ["Explainer 3", "Explainer 1"]
        emulator.group(-7001, "Readers' club", bot_status="member")
        asked = await reader.send("/latest 1", chat_id=-7001)
        [reply] = await emulator.wait_for_sent(-7001, count=1, timeout=10)
        assert reply["reply_to_message"]["message_id"] == asked["message_id"]
        assert titles(reply) == ["Explainer 3"]
        emulator.group(-7002, "Desk", is_forum=True, bot_status="member")
        await reader.send("/latest 2", chat_id=-7002, message_thread_id=77)
        [threaded] = await emulator.wait_for_sent(-7002, count=1, timeout=10)
        assert threaded["message_thread_id"] == 77
        await reader.press(threaded, button(threaded, "More"))
        await emulator.wait_for_calls("editMessageText", count=1, timeout=10)
        assert titles(emulator.sent(-7002)[0]) == ["Explainer 1"]


SENTENCES = (
    "Moscow raised its defence budget again this year. The central bank kept rates high to "
    "slow inflation. Oil revenue fell as the price cap bit. Officials blamed sanctions for "
    "the shortage of parts. Regional governors were told to find savings in schools."
)


async def test_topic_points_come_from_several_explainers(
    emulator: BotAPIEmulator, running_bot: Any
) -> None:
    """/topic draws at most two points from any explainer, cites each, and lists them."""
    async with running_bot(extra={"ingestion": {"topic_summary_points": 8}}) as bot:
        bodies = [SENTENCES,
                  "Wheat exports reached a record. Ports on the Black Sea stayed open. Insurers "
                  "raised premiums for ships. Farmers planted less maize.",
                  "The Kremlin reshuffled the defence ministry. Generals were replaced by "
                  "economists. Spending on drones doubled. Factories moved to three shifts."]
        await store(bot, *({"number": n, "body": body} for n, body in enumerate(bodies, 1)))
        await bot.services.ingestion.refresh_topic_summaries(["russia"])
        await emulator.user(27).send("/topic kremlin")
        [digest] = await emulator.wait_for_sent(27, count=1, timeout=10)
        text = digest["text"]
        assert text.startswith("Key points: Russia")
        _, listed = text.split("From these explainers:")
        cited = entity_texts(digest, "text_link")
        per_explainer = {title: cited.count(title) - 1 for title in set(cited)}  # minus list
        assert len(per_explainer) >= 2
        assert max(per_explainer.values()) <= 2
        assert all(title in listed for title in per_explainer)


async def test_topic_alone_with_150_topics_is_split(
    emulator: BotAPIEmulator, running_bot: Any
) -> None:
    """/topic with no name and 150 topics lists them all over several accepted messages."""
    topics = [{"slug": f"topic-number-{n:03d}-with-a-long-slug",
               "name": f"Topic number {n} with a rather long name"} for n in range(150)]
    async with running_bot(extra={"topics": topics}):
        await emulator.user(28).send("/topic")
        await emulator.user(28).send("/latest nonsense")
        await emulator.wait_for_sent(28, count=3, timeout=10)
        sent = emulator.sent(28)
        while "nonsense" not in sent[-1]["text"]:
            sent = await emulator.wait_for_sent(28, count=len(sent) + 1, timeout=10)
        assert [r for r in emulator.requests if not r.ok] == []
        assert len(sent) >= 3
        choices = "".join(m["text"] for m in sent[:-1])
        assert choices.startswith("Which topic?")
        assert all(t["slug"] in choices for t in topics)
        assert "I don't know the topic nonsense" in sent[-1]["text"]
