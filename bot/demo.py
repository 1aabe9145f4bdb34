"""``newsbot demo``: the real bot, offline, against the emulator and a local feed server.

Everything runs on loopback: the Bot API emulator plays Telegram, its readers (one in
Ukrainian), a forum group and a channel, a small
aiohttp server plays the publisher's website, and the bot is the same :class:`NewsBot` that
``newsbot run`` starts (polling mode, SQLite in a temporary directory). The transcript shows
what each reader would see in Telegram.
"""

from __future__ import annotations

import logging
import tempfile
import textwrap
import time
from collections.abc import Sequence
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any, TextIO

from aiohttp import web
from sqlalchemy import select, update

from bot.app import NewsBot
from bot.config import load_settings
from bot.emulator import BotAPIEmulator
from bot.emulator.html import utf16_len
from storage.models import Delivery, utcnow

DEMO_TOKEN = "4242424242:DEMO-offline-token"  # noqa: S105 - the emulator's, not a secret
FEED_PATH = "/explainers.rss"
DISCUSSION_CHAT = -1006001  # the newsroom's discussion group (comments.discussion_chat_id)
WIDTH = 78


class DemoFeedServer:
    """The publisher's website for the demo: serves one feed whose content can change."""

    def __init__(self) -> None:
        self.body = b""
        self._runner: web.AppRunner | None = None
        self.port = 0

    async def start(self) -> None:
        """Listen on a free loopback port."""
        app = web.Application()
        app.router.add_get(FEED_PATH, self._feed)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        """Stop serving."""
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def url(self) -> str:
        """The feed's URL."""
        return f"http://127.0.0.1:{self.port}{FEED_PATH}"

    async def _feed(self, _request: web.Request) -> web.Response:
        return web.Response(body=self.body, content_type="application/rss+xml", charset="utf-8")


def demo_file(name: str) -> bytes:
    """Read a bundled demo file."""
    return resources.files("bot").joinpath("demo_data", name).read_bytes()


def _slice16(text: str, offset: int, length: int) -> str:
    """Cut by UTF-16 code units, as Telegram's entity offsets count."""
    encoded = text.encode("utf-16-le")
    return encoded[offset * 2 : (offset + length) * 2].decode("utf-16-le")


def readable(message: dict[str, Any]) -> str:
    """Show a sent message as a reader sees it: bold as *…*, spoilers as ▒[…]▒, links listed."""
    text: str = message.get("text") or message.get("caption") or ""
    entities: list[dict[str, Any]] = message.get("entities") or message.get(
        "caption_entities") or []
    marks: list[tuple[int, int, str]] = []  # (utf16 position, order, marker)
    links: list[str] = []
    for entity in entities:
        start, end = entity["offset"], entity["offset"] + entity["length"]
        kind = entity["type"]
        if kind == "bold":
            marks += [(start, 1, "*"), (end, 0, "*")]
        elif kind == "spoiler":
            marks += [(start, 1, "▒["), (end, 0, "]▒")]
        elif kind == "text_link":
            links.append(entity["url"])
    out: list[str] = []
    position = 0
    for point, _order, marker in sorted(marks):
        out.append(_slice16(text, position, point - position))
        out.append(marker)
        position = point
    out.append(_slice16(text, position, utf16_len(text) - position))
    shown = "".join(out)
    if "photo" in message:
        shown = "[photo] " + shown
    for url in dict.fromkeys(links):
        shown += f"\n  ↗ {url}"
    rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
    for row in rows:
        shown += "\n" + "  ".join(f"[ {button['text']} ]" for button in row)
    return shown


class Transcript:
    """Prints the session as a chat log."""

    def __init__(self, out: TextIO) -> None:
        self._out = out
        self._started = time.monotonic()

    def heading(self, text: str) -> None:
        """A step of the story."""
        self._out.write(f"\n── {text} " + "─" * max(0, WIDTH - len(text) - 4) + "\n")

    def note(self, text: str) -> None:
        """What happens behind the scenes."""
        for line in textwrap.wrap(text, WIDTH - 4):
            self._out.write(f"   · {line}\n")

    def said(self, who: str, text: str) -> None:
        """A reader's message or action."""
        self._out.write(f"{who} ▸ {text}\n")

    def bot(self, to: str, messages: Sequence[dict[str, Any]]) -> None:
        """Messages the bot sent."""
        for message in messages:
            self._out.write(f"newsbot ▸ {to}\n")
            for line in readable(message).splitlines() or [""]:
                wrapped = textwrap.wrap(line, WIDTH - 4) or [""]
                for part in wrapped:
                    self._out.write(f"    {part}\n")
        self._out.flush()

    def elapsed(self) -> float:
        """Seconds since the demo began."""
        return time.monotonic() - self._started


class _Reader:
    """A reader in the emulator, with a cursor over what the bot has sent them."""

    def __init__(self, emulator: BotAPIEmulator, user_id: int, name: str, language: str) -> None:
        self.handle = emulator.user(user_id, first_name=name, language_code=language)
        self.emulator = emulator
        self.id = user_id
        self.name = name
        self.seen = 0

    async def new_messages(self, count: int = 1, timeout: float = 15.0) -> list[dict[str, Any]]:
        """Wait for ``count`` more bot messages and return them."""
        sent = await self.emulator.wait_for_sent(self.id, count=self.seen + count,
                                                 timeout=timeout)
        fresh = sent[self.seen :]
        self.seen = len(sent)
        return fresh

    def refresh(self, message: dict[str, Any]) -> dict[str, Any]:
        """The current state of a message the bot may have edited since."""
        for current in self.emulator.sent(self.id):
            if current["message_id"] == message["message_id"]:
                return current
        return message


def _topic_button(message: dict[str, Any], slug: str) -> str:
    """A picker's button for a topic (a reader's or a channel's), found by the slug at the
    end of its data: labels are in the reader's language."""
    for row in (message.get("reply_markup") or {}).get("inline_keyboard") or []:
        for button in row:
            data = str(button.get("callback_data", ""))
            if data.split(":")[-1] == slug and "topic" in data.split(":")[0]:
                return data
    raise LookupError(f"no picker button for {slug!r}")


def _button(message: dict[str, Any], label_part: str) -> str:
    for row in (message.get("reply_markup") or {}).get("inline_keyboard") or []:
        for button in row:
            if label_part in button["text"] and "callback_data" in button:
                return str(button["callback_data"])
    raise LookupError(f"no button containing {label_part!r}")


async def _held_until(bot: NewsBot, chat_id: int) -> list[datetime]:
    """When the chat's held (digest) deliveries are due."""
    async with bot.sessions() as session:
        rows = await session.scalars(select(Delivery.next_attempt_at).where(
            Delivery.chat_id == chat_id, Delivery.status == "pending"))
        return list(rows)


async def _release_held(bot: NewsBot, chat_id: int) -> None:
    """The demo's fast-forward: make the chat's held deliveries due now."""
    async with bot.sessions() as session, session.begin():
        await session.execute(update(Delivery).where(
            Delivery.chat_id == chat_id, Delivery.status == "pending",
        ).values(next_attempt_at=utcnow()))


async def run_demo(out: TextIO) -> int:
    """Run the scripted reader session and print its transcript; return the exit code."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    show = Transcript(out)
    feeds = DemoFeedServer()
    feeds.body = demo_file("explainers-before.xml")
    await feeds.start()
    try:
        async with BotAPIEmulator(tokens=(DEMO_TOKEN,)) as emulator:
            with tempfile.TemporaryDirectory(prefix="newsbot-demo-") as workdir:
                return await _session(show, emulator, feeds, Path(workdir))
    finally:
        await feeds.stop()


async def _session(
    show: Transcript, emulator: BotAPIEmulator, feeds: DemoFeedServer, workdir: Path
) -> int:
    settings = load_settings(None, overrides={
        "telegram": {"token": DEMO_TOKEN, "api_base_url": emulator.base_url, "admins": [900],
                     "poll_timeout": 1},
        "publisher": {"name": "Kador Group Explainers"},
        "database": {"url": f"sqlite+aiosqlite:///{workdir / 'demo.db'}"},
        "server": {"port": 0},
        "logging": {"level": "WARNING"},
        # The demo's feed server is on loopback, which a production bot refuses to fetch.
        "ingestion": {"jitter": 0, "allow_private_networks": True},
        "topics": [
            {"slug": "war-in-ukraine", "name": "War in Ukraine", "keywords": ["Ukraine"],
             "names": {"uk": "Війна в Україні"}},
            {"slug": "russia", "name": "Russia", "aliases": ["Kremlin"],
             "keywords": ["Russian Armed Forces"], "names": {"uk": "Росія"}},
            {"slug": "economy", "name": "Economy", "keywords": ["sanctions", "budget"],
             "names": {"uk": "Економіка"}},
        ],
        "feeds": [{"url": feeds.url, "name": "Kador Group explainers", "interval": 900}],
        # Published comments are posted to the newsroom's discussion group; comments with a
        # link wait for an admin (telegram.admins above).
        "comments": {"discussion_chat_id": DISCUSSION_CHAT, "hold_links": True},
    })
    show.heading("newsbot demo — offline: Bot API emulator + local feed server")
    show.note(f"Bot API emulator at {emulator.base_url}<token>/…; publisher feed at {feeds.url}; "
              f"database SQLite in {workdir}.")
    async with NewsBot(settings, schedule_feeds=False) as bot:
        results = await bot.poll_all_feeds()
        stored = sum(r.new for r in results)
        show.note(f"The bot polled the feed and stored {stored} explainers with summaries "
                  "and topics.")

        olena = _Reader(emulator, 1001, "Olena", "uk")
        taras = _Reader(emulator, 1002, "Taras", "en")

        show.heading("1. A reader starts the bot (her Telegram is in Ukrainian)")
        show.said("Olena", "/start")
        await olena.handle.send("/start")
        [welcome] = await olena.new_messages()
        show.bot("Olena", [welcome])

        show.heading("2. She picks topics")
        for label in ("Війна в Україні", "Росія"):  # her Telegram is in Ukrainian
            show.said("Olena", f"taps “{label}”")
            await olena.handle.press(olena.refresh(welcome), _button(olena.refresh(welcome),
                                                                      label))
        await emulator.wait_for_calls("editMessageReplyMarkup", count=2)
        answers = [a.text for a in emulator.callback_answers]
        show.note("Telegram shows her: " + "; ".join(str(a) for a in answers))
        show.bot("Olena (the picker, edited in place)", [olena.refresh(welcome)])

        show.heading("3. /latest — the newest explainers, summarised")
        show.said("Olena", "/latest")
        await olena.handle.send("/latest")
        show.bot("Olena", await olena.new_messages())

        show.heading("4. /topic — key points across a topic's explainers")
        show.said("Olena", "/topic росія")
        await olena.handle.send("/topic росія")
        show.bot("Olena", await olena.new_messages())

        show.heading("5. A second reader follows Russia")
        show.said("Taras", "/start, taps “Russia”")
        await taras.handle.send("/start")
        [taras_welcome] = await taras.new_messages()
        await taras.handle.press(taras_welcome, _topic_button(taras_welcome, "russia"))
        await emulator.wait_for_calls("answerCallbackQuery", count=3)

        show.heading("6. A newsroom's forum group follows Russia in its “Explainers” topic")
        editor = emulator.user(1003, first_name="Iryna")
        forum = emulator.group(-1003001, "Kyiv newsroom", type="supergroup", is_forum=True)
        forum.set_member(editor, "creator")  # only the group's admins change its topics
        await forum.add_bot(by=editor, as_admin=True)
        show.bot("Kyiv newsroom", await emulator.wait_for_sent(forum.id, count=1))  # hello
        thread = forum.create_topic("Explainers", by=editor)
        show.said("Iryna", "/topics in the forum topic “Explainers”, taps “Russia”")
        await editor.send("/topics", chat_id=forum.id, message_thread_id=thread)
        picker = (await emulator.wait_for_sent(forum.id, count=2))[-1]
        await editor.press(picker, _topic_button(picker, "russia"))
        await emulator.wait_for_calls("answerCallbackQuery", count=4)
        show.note("The subscription remembers the topic it was made in: pushes go there.")

        show.heading("7. A third reader takes a morning digest instead of instant pushes")
        mykola = _Reader(emulator, 1004, "Mykola", "uk")
        await mykola.handle.send("/start")
        [mykola_welcome] = await mykola.new_messages()
        await mykola.handle.press(mykola_welcome, _button(mykola_welcome, "Росія"))
        await emulator.wait_for_calls("answerCallbackQuery", count=5)
        await bot.services.readers.set_delivery_schedule(
            mykola.id, mode="digest", digest_times=("08:00",), timezone="Europe/Kyiv")
        show.note("Mykola: digest at 08:00, Kyiv time (what /settings → Digest and "
                  "/settings timezone Europe/Kyiv store).")

        show.heading("8. A channel owner connects the newsroom's channel")
        owner = emulator.user(1005, first_name="Sam", language_code="en")
        channel = emulator.channel(-1005001, "Kador Explainers", username="kador_explainers")
        await channel.add_bot(by=owner)
        show.note("Sam makes the bot an admin of @kador_explainers; the bot writes to him:")
        show.bot("Sam", await emulator.wait_for_sent(owner.id, count=1))
        show.said("Sam", "/connect @kador_explainers")
        await owner.send("/connect @kador_explainers")
        channel_picker = (await emulator.wait_for_sent(owner.id, count=2))[-1]
        show.bot("Sam", [channel_picker])
        show.said("Sam", "taps “Russia”")
        await owner.press(channel_picker, _topic_button(channel_picker, "russia"))
        await emulator.wait_for_calls("answerCallbackQuery", count=6)
        show.note("The bot checked with Telegram that Sam and the bot are both admins there; "
                  "/channels manages its topics, schedule and settings from this chat.")

        show.heading("9. The publisher posts a new explainer; the bot pushes it")
        feeds.body = demo_file("explainers-after.xml")
        results = await bot.poll_all_feeds()
        show.note(f"Feed poll: {sum(r.new for r in results)} new explainer; queued for every "
                  "destination that follows its topics; the outbox sends it.")
        await bot.drain_outbox()
        [pushed] = await olena.new_messages()
        show.bot("Olena", [pushed])
        [pushed_taras] = await taras.new_messages()
        show.note("Taras follows Russia, so he gets the same explainer.")
        [in_forum] = [m for m in emulator.sent_messages(forum.id) if m.thread_id == thread
                      and m.message_id != picker["message_id"]]
        show.note(f"The forum group got it once, in topic #{in_forum.thread_id} "
                  "(“Explainers”), not in General.")
        held = await _held_until(bot, mykola.id)
        show.note("Mykola got nothing yet: his copy waits for "
                  + ", ".join(f"{when:%H:%M} UTC" for when in held) + " (08:00 in Kyiv).")
        await _release_held(bot, mykola.id)
        await bot.drain_outbox()
        show.note("Fast-forward to 08:00 Kyiv (the demo moves the held delivery's time to now):")
        show.bot("Mykola", await mykola.new_messages())
        [in_channel] = emulator.sent_messages(channel.id)
        show.note(f"The channel @kador_explainers got it too (message {in_channel.message_id}), "
                  "in English, its connecting admin's language.")

        show.heading("10. Olena comments by replying to the explainer")
        show.note("The newsroom also has a discussion group, with the bot in it: every "
                  "published comment is posted there (comments.discussion_chat_id).")
        discussion = emulator.group(DISCUSSION_CHAT, "Kador readers' discussion")
        discussion.set_member(editor, "creator")
        await discussion.add_bot(by=editor, as_admin=True)
        await emulator.wait_for_sent(discussion.id, count=1)  # the bot's hello
        admin = _Reader(emulator, 900, "Editor", "en")  # telegram.admins
        comment = ("There is a logic to stopping POWs from returning with experiences far "
                   "better than are portrayed by the authorities that sent them into battle.")
        show.said("Olena", f"(reply) {comment}")
        await olena.handle.send(comment, reply_to=pushed["message_id"])
        [question] = await olena.new_messages()
        show.bot("Olena", [question])
        show.said("Olena", "taps “Опублікувати як Olena” (publish under her name)")
        edits = len(emulator.calls("editMessageText"))
        await olena.handle.press(question, _button(question, "Olena"))
        await emulator.wait_for_calls("editMessageText", count=edits + 1)
        show.bot("Olena (the question, edited in place)", [olena.refresh(question)])

        show.heading("11. Taras opens the comments — relayed behind a spoiler")
        show.said("Taras", "taps “💬 Comments”")
        await taras.handle.press(pushed_taras, _button(pushed_taras, "Comments"))
        [view] = await taras.new_messages()
        show.bot("Taras", [view])
        show.note("▒[…]▒ marks a spoiler: Telegram shows it blurred until tapped, like the "
                  "site's “This comment contains spoilers. Click here if you want to read.”")
        show.said("Taras", "taps “🔔 Follow comments”")
        toasts = len(emulator.calls("answerCallbackQuery"))
        await taras.handle.press(view, _button(view, "Follow comments"))
        await emulator.wait_for_calls("answerCallbackQuery", count=toasts + 1)
        show.note(f"Telegram shows him: {emulator.callback_answers[-1].text}")

        show.heading("12. A comment with a link waits for a moderator")
        linked = "The full Geneva Convention text is at https://www.icrc.org/en/war-and-law"
        show.said("Olena", f"(reply) {linked}")
        await olena.handle.send(linked, reply_to=pushed["message_id"])
        show.bot("Olena", await olena.new_messages())
        notice = (await admin.new_messages(2))[-1]  # after the notice of her first one
        show.note("comments.hold_links = true: the bot's admin (telegram.admins) gets it:")
        show.bot("Editor (admin)", [notice])
        show.said("Editor", "taps “Approve”")
        edits = len(emulator.calls("editMessageText"))
        await admin.handle.press(notice, _button(notice, "Approve"))
        await emulator.wait_for_calls("editMessageText", count=edits + 1)
        show.bot("Editor (the notice, edited in place)", [admin.refresh(notice)])

        show.heading("13. Published comments go to the discussion group and to followers")
        await bot.drain_outbox()
        posted = await emulator.wait_for_sent(discussion.id, count=3)
        show.note("The outbox posts each published comment to the discussion group, behind "
                  "a spoiler:")
        show.bot("Kador readers' discussion", posted[1:])
        show.note("Taras follows this explainer's comments, so the approved one comes to him "
                  "too (its author, Olena, is not sent her own comment):")
        show.bot("Taras", await taras.new_messages())

    show.heading(f"done in {show.elapsed():.1f}s — the same bot runs with `newsbot run`")
    return 0
