"""Languages end to end: a story published in English and Ukrainian reaches each reader in
their Telegram language, once; comments are shared across versions; /topic finds topics by
aliases in any script."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import select

from bot.emulator import BotAPIEmulator
from storage.models import Article
from tests.support.feedserver import FeedServer
from tests.support.users import button, entity_texts, subscribe

SITE = "https://news.example.org"
ENERGY = {"slug": "energy", "name": "Energy", "aliases": ["Енергетика"],
          "keywords": ["power grid", "енергосистема"]}
GRID_EN = ("Why the power grid survived the winter",
           "Ukraine's power grid survived another winter under attack. Repair crews worked "
           "around the clock to bring the lights back on.")
GRID_UK = ("Чому енергосистема вистояла взимку",
           "Енергосистема України пережила ще одну зиму під обстрілами. Ремонтні бригади "
           "працювали цілодобово, щоб повернути світло в оселі.")
STORAGE_EN = ("How power grid storage works",
              "Batteries now keep the power grid stable in the evening peak. They charge "
              "from solar plants during the day.")
STORAGE_UK = ("Як працюють накопичувачі енергосистеми",
              "Батареї тепер тримають енергосистему стабільною у вечірній пік. Вони "
              "заряджаються від сонячних станцій удень.")


def atom_entry(guid: str, path: str, language: str, story: tuple[str, str],
               alternates: dict[str, str] | None = None) -> str:
    """An Atom entry in ``language`` at SITE + ``path``, with hreflang alternates."""
    title, text = story
    links = "".join(f'<link rel="alternate" hreflang="{lang}" href="{SITE}{href}"/>'
                    for lang, href in (alternates or {}).items())
    return (f'<entry xml:lang="{language}"><id>{guid}</id><title>{title}</title>'
            f'<link href="{SITE}{path}"/>{links}<updated>2026-11-30T10:00:00Z</updated>'
            f"<content type=\"html\">&lt;p&gt;{text}&lt;/p&gt;</content></entry>")


def atom_feed(*entries: str) -> bytes:
    """The publisher's feed carrying both languages (English by default)."""
    return ('<?xml version="1.0" encoding="utf-8"?>'
            '<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en"><title>Explainers</title>'
            f'<id>{SITE}/feed</id><updated>2026-11-30T10:00:00Z</updated>'
            + "".join(entries) + "</feed>").encode()


# The grid story: the versions name each other by hreflang (their paths differ).
GRID_ENTRIES = (
    atom_entry("grid-en", "/explainers/grid", "en", GRID_EN,
               {"uk": "/uk/poiasnennia/enerhosystema"}),
    atom_entry("grid-uk", "/uk/poiasnennia/enerhosystema", "uk", GRID_UK,
               {"en": "/explainers/grid"}),
)
# The storage story: the same path under a language prefix, and no alternate links.
STORAGE_EN_ENTRY = atom_entry("storage-en", "/explainers/storage", "en", STORAGE_EN)
STORAGE_UK_ENTRY = atom_entry("storage-uk", "/uk/explainers/storage", "uk", STORAGE_UK)


def pushed(emulator: BotAPIEmulator, chat_id: int) -> list[str]:
    """The texts of the explainers pushed to a chat (messages with a comments button)."""
    return [m.get("text") or m.get("caption") or "" for m in emulator.sent(chat_id)
            if any(str(b.get("callback_data", "")).startswith("comments")
                   for row in (m.get("reply_markup") or {}).get("inline_keyboard", [])
                   for b in row)]


async def test_each_reader_gets_the_version_in_their_language_once(
    emulator: BotAPIEmulator, running_bot: Any, feed_server: FeedServer
) -> None:
    """A Ukrainian reader gets only the Ukrainian version, an English reader only the English
    one, a German reader the original (English); a translation arriving after its story was
    pushed is pushed to nobody; comments on either version show under both."""
    feed_server.route("/explainers.xml", atom_feed())
    config = {"topics": [ENERGY],
              "feeds": [{"url": feed_server.url("/explainers.xml"), "name": "Explainers"}],
              "delivery": {"coalesce_seconds": 0}}  # one message per explainer
    async with running_bot(extra=config) as bot:
        await bot.poll_all_feeds()  # the baseline: an empty feed
        for reader, language in ((61, "uk"), (62, "en-GB"), (63, "de")):
            await subscribe(emulator, reader, "Energy", language_code=language)

        feed_server.route("/explainers.xml", atom_feed(*GRID_ENTRIES, STORAGE_EN_ENTRY))
        await bot.poll_all_feeds()
        await bot.drain_outbox()
        assert [GRID_UK[0] in text for text in pushed(emulator, 61)] == [True, False]
        assert STORAGE_EN[0] in pushed(emulator, 61)[1]  # no Ukrainian version yet
        for reader in (62, 63):
            texts = pushed(emulator, reader)
            assert len(texts) == 2
            assert GRID_EN[0] in texts[0]
            assert STORAGE_EN[0] in texts[1]

        # The Ukrainian storage explainer arrives later: the story was pushed already.
        feed_server.route("/explainers.xml",
                          atom_feed(*GRID_ENTRIES, STORAGE_EN_ENTRY, STORAGE_UK_ENTRY))
        await bot.poll_all_feeds()
        await bot.drain_outbox()
        assert [len(pushed(emulator, reader)) for reader in (61, 62, 63)] == [2, 2, 2]
        async with bot.sessions() as session:
            rows = (await session.scalars(select(Article).order_by(Article.id))).all()
        stories = {row.url.removeprefix(SITE): (row.language, row.story_id) for row in rows}
        grid, storage = stories["/explainers/grid"][1], stories["/explainers/storage"][1]
        assert stories == {
            "/explainers/grid": ("en", grid),
            "/uk/poiasnennia/enerhosystema": ("uk", grid),
            "/explainers/storage": ("en", storage),
            "/uk/explainers/storage": ("uk", storage),
        }

        # A comment on the Ukrainian version shows under the English one.
        grid_uk = next(m for m in emulator.sent(61) if GRID_UK[0] in (m.get("text") or ""))
        await emulator.user(61).send("Дякую енергетикам!", reply_to=grid_uk["message_id"])
        question = (await emulator.wait_for_sent(61, count=len(emulator.sent(61)) + 1,
                                                 timeout=10))[-1]
        # The first comment waits for its author's choice of name (the consent question).
        first_choice = question["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
        await emulator.user(61).press(question, first_choice)
        for _ in range(200):
            if not emulator.sent(61)[-1].get("reply_markup", {}).get("inline_keyboard"):
                break
            await asyncio.sleep(0.05)
        grid_en = next(m for m in emulator.sent(62) if GRID_EN[0] in (m.get("text") or ""))
        count = len(emulator.sent(62))
        await emulator.user(62).press(grid_en, button(grid_en, "Comments"))
        relayed = (await emulator.wait_for_sent(62, count=count + 1, timeout=10))[-1]
        assert entity_texts(relayed, "spoiler") == ["Дякую енергетикам!"]


async def test_topic_found_by_alias_in_any_script(
    emulator: BotAPIEmulator, running_bot: Any
) -> None:
    """/topic енергетика finds Energy through its alias "Енергетика", /topic kremlin finds
    Russia through "Kremlin", and the slug still works."""
    async with running_bot(extra={"topics": [ENERGY, {"slug": "russia", "name": "Russia",
                                                      "aliases": ["Kremlin"]}]}):
        reader = emulator.user(64)
        for query in ("енергетика", "ЕНЕРГЕТИКА", "kremlin", "energy"):
            await reader.send(f"/topic {query}")
        replies = await emulator.wait_for_sent(64, count=4, timeout=10)
        assert [reply["text"] for reply in replies] == [
            "No explainers on Energy yet — follow it with /topics to get the first one.",
        ] * 2 + [
            "No explainers on Russia yet — follow it with /topics to get the first one.",
            "No explainers on Energy yet — follow it with /topics to get the first one.",
        ]
