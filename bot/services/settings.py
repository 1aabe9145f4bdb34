"""A chat's own choices: following topics by name (/subscribe, /unsubscribe), its delivery
settings (/settings), and leaving (/stop, then deleting its data).

Everything is stored in ``chats.settings`` (JSON) and ``chats.timezone``. The keys, with the
values this service writes (the delivery engine reads them; absent = the default):

* ``delivery``: "instant" | "digest" (default instant);
* ``digest_times``: ["HH:MM", …] local times (default 08:00 and 19:00);
* ``quiet_hours``: ["HH:MM", "HH:MM"] or absent (none);
* ``mute_words``: [word, …] — skip an explainer whose title, summary or topics contain one;
* ``only_words``: [word, …] — push only explainers whose title, summary or topics contain one;
* ``previews``: bool (default true) — link previews under pushed explainers;
* ``images``: bool (default true) — the explainer's image (sendPhoto) or text only;
* ``content_language``: "en" | "uk" | "all" (also written to ``chats.language``, None for
  all, which is what delivery already reads to choose a story's version);
* ``threads``: {"<forum thread id>": {key: value}} — a forum thread's own delivery, digest
  times, quiet hours, words, previews and images (:func:`bot.services.schedule.
  thread_settings` merges them over the chat's); time zone and languages are chat-wide.

The interface language (``interface_language``, what the bot speaks) is
:class:`bot.services.languages.ChatLanguages`'s; ``/settings language en|uk`` names it and
``/settings content en|uk|all`` the explainers' language.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any
from zoneinfo import available_timezones

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.domain import ChatInfo, ChatSettingsView, SubscriptionChange, TopicTag
from bot.i18n import LANGUAGES as INTERFACE_LANGUAGES
from bot.services.news import NewsService, TopicIndex
from bot.services.schedule import THREAD_KEYS, THREADS_KEY, thread_settings
from storage import chat_settings as settings_dao
from storage import chats as chats_dao
from storage import topics as topics_dao
from storage.db import write_session
from storage.deliveries import skip_pending_for_chat

#: Longest argument /subscribe, /unsubscribe or /settings reads (a few names, not a page).
MAX_ARGUMENT_CHARS = 300
MAX_TOPIC_WORDS = 20
MAX_FILTER_WORDS = 20
MAX_FILTER_WORD_CHARS = 40
DEFAULT_DIGEST = ("08:00", "19:00")
LANGUAGES = ("en", "uk", "all")
ALL_WORDS = frozenset({"all", "everything", "*"})

#: The presets the /settings buttons offer: key → value as packed → what is stored.
DIGEST_PRESETS = {"0800": ("08:00",), "0800-1900": ("08:00", "19:00"), "1900": ("19:00",)}
QUIET_PRESETS: dict[str, tuple[str, str] | None] = {
    "off": None, "2200-0700": ("22:00", "07:00"), "2300-0800": ("23:00", "08:00"),
}
SWITCHES = {"on": True, "off": False}

_HH_MM = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")
_SPLIT_WORDS = re.compile(r"[,;]+")


class SettingsError(ValueError):
    """A /settings argument that cannot be applied; ``reason`` names what is wrong (the
    renderer turns it into a helpful reply), ``value`` is what the reader typed."""

    def __init__(self, reason: str, value: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.value = value


@dataclass(frozen=True)
class StopResult:
    """What /stop did: whether the chat was known, and how many subscriptions it dropped."""

    known: bool
    removed: int


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def valid_timezone(name: str) -> str | None:
    """The tz database key ``name`` names (case as typed, or fixed up), or None."""
    if not name or len(name) > 64:
        return None
    if name in _zones():
        return name
    folded = {zone.lower(): zone for zone in _zones()}
    return folded.get(name.lower())


def hh_mm(text: str) -> str | None:
    """``text`` as a zero-padded "HH:MM" wall time, or None ("7:00" → "07:00", "08.00" too)."""
    match = _HH_MM.fullmatch(text.strip().replace(".", ":"))
    if match is None:
        return None
    return f"{int(match.group(1)):02d}:{match.group(2)}"


def filter_words(text: str) -> tuple[str, ...]:
    """The words of ``/settings mute …`` or ``only …``: comma-separated phrases (or spaces
    when there is no comma), trimmed, lower-cased, unique, in the order typed."""
    pieces = _SPLIT_WORDS.split(text) if _SPLIT_WORDS.search(text) else text.split()
    words: list[str] = []
    for piece in pieces:
        word = " ".join(piece.split()).casefold()
        if not word:
            continue
        if len(word) > MAX_FILTER_WORD_CHARS:
            raise SettingsError("word_too_long", piece.strip())
        if word not in words:
            words.append(word)
    if not words:
        raise SettingsError("no_words")
    if len(words) > MAX_FILTER_WORDS:
        raise SettingsError("too_many_words")
    return tuple(words)


def view_of(settings: dict[str, Any], timezone: str, language: str | None = None
            ) -> ChatSettingsView:
    """What /settings shows, from the stored values (defaults where absent or malformed)."""
    times = settings.get("digest_times")
    digest = tuple(t for t in times if isinstance(t, str)) if isinstance(times, list) else ()
    quiet = settings.get("quiet_hours")
    quiet_pair = (str(quiet[0]), str(quiet[1])) if (
        isinstance(quiet, list) and len(quiet) == 2) else None

    def words(key: str) -> tuple[str, ...]:
        value = settings.get(key)
        return tuple(w for w in value if isinstance(w, str)) if isinstance(value, list) else ()

    content = settings.get("content_language")
    return ChatSettingsView(
        delivery="digest" if settings.get("delivery") == "digest" else "instant",
        digest_times=digest or DEFAULT_DIGEST,
        quiet_hours=quiet_pair,
        timezone=timezone or "UTC",
        mute_words=words("mute_words"),
        only_words=words("only_words"),
        previews=settings.get("previews") is not False,
        images=settings.get("images") is not False,
        content_language=content if content in LANGUAGES else (language or "all"),
    )


def parse_settings_args(args: Sequence[str]) -> tuple[dict[str, Any], str | None]:
    """``/settings <what> <value…>`` → (settings to merge, a None value removing the key;
    the new timezone or None). Raises :class:`SettingsError` for anything else."""
    text = " ".join(args)
    if len(text) > MAX_ARGUMENT_CHARS:
        raise SettingsError("too_long")
    words = text.split()
    if not words:
        raise SettingsError("usage")
    what, rest = words[0].casefold(), words[1:]
    raw_rest = text.split(None, 1)[1] if len(words) > 1 else ""
    if what in ("timezone", "tz"):
        if len(rest) != 1:
            raise SettingsError("timezone_usage")
        zone = valid_timezone(rest[0])
        if zone is None:
            raise SettingsError("unknown_timezone", rest[0])
        return {}, zone
    if what == "instant" and not rest:
        return {"delivery": "instant"}, None
    if what == "digest":
        times = [hh_mm(word) for word in rest]
        if any(t is None for t in times) or len(times) > 6:
            raise SettingsError("bad_times", raw_rest)
        chosen = sorted({t for t in times if t is not None})
        values: dict[str, Any] = {"delivery": "digest"}
        if chosen:
            values["digest_times"] = chosen
        return values, None
    if what == "quiet":
        if [w.casefold() for w in rest] == ["off"]:
            return {"quiet_hours": None}, None
        pair = [hh_mm(word) for word in rest]
        if len(pair) != 2 or None in pair or pair[0] == pair[1]:
            raise SettingsError("bad_quiet", raw_rest)
        return {"quiet_hours": pair}, None
    if what in ("mute", "only"):
        key = f"{what}_words"
        if [w.casefold() for w in rest] == ["off"]:
            return {key: None}, None
        return {key: list(filter_words(raw_rest))}, None
    if what in ("previews", "images"):
        if len(rest) != 1 or rest[0].casefold() not in SWITCHES:
            raise SettingsError("bad_switch", what)
        return {what: SWITCHES[rest[0].casefold()]}, None
    if what in ("content", "content-language"):
        if len(rest) != 1 or rest[0].casefold() not in LANGUAGES:
            raise SettingsError("bad_language", raw_rest)
        return {"content_language": rest[0].casefold()}, None
    raise SettingsError("usage", words[0])


def interface_choice(args: Sequence[str]) -> str | None:
    """The interface language ``/settings language en|uk`` chooses; None when the arguments
    are about something else. Raises :class:`SettingsError` for a language the bot does not
    speak."""
    words = " ".join(args).split()
    if not words or words[0].casefold() not in ("language", "lang"):
        return None
    if len(words) != 2 or words[1].casefold() not in INTERFACE_LANGUAGES:
        raise SettingsError("bad_interface_language", " ".join(words[1:]))
    return words[1].casefold()


def split_thread_values(values: dict[str, Any], thread_id: int) -> tuple[dict[str, Any],
                                                                          dict[str, Any]]:
    """(chat-wide values, the forum thread's own) of what a /settings change sets: in a
    thread, the delivery settings are the thread's, the rest the chat's."""
    if not thread_id:
        return values, {}
    return ({k: v for k, v in values.items() if k not in THREAD_KEYS},
            {k: v for k, v in values.items() if k in THREAD_KEYS})


def preset_values(key: str, value: str) -> dict[str, Any] | None:
    """The settings a /settings button stands for; None for a button the bot never made."""
    if key == "delivery" and value in ("instant", "digest"):
        return {"delivery": value}
    if key == "digest" and value in DIGEST_PRESETS:
        return {"delivery": "digest", "digest_times": list(DIGEST_PRESETS[value])}
    if key == "quiet" and value in QUIET_PRESETS:
        quiet = QUIET_PRESETS[value]
        return {"quiet_hours": list(quiet) if quiet else None}
    if key in ("previews", "images") and value in SWITCHES:
        return {key: SWITCHES[value]}
    if key == "content" and value in LANGUAGES:
        return {"content_language": value}
    return None


def split_topic_names(text: str, index: TopicIndex) -> tuple[list[TopicTag], list[str]]:
    """The topics named in ``text``: comma-separated names, else the longest run of words
    that names one topic, repeatedly ("russia war in ukraine" → Russia, War in Ukraine).
    Returns (topics found, the names that matched nothing)."""
    found: list[TopicTag] = []
    unknown: list[str] = []

    def add(tag: TopicTag) -> None:
        if tag not in found:
            found.append(tag)

    if "," in text:
        for piece in (p.strip() for p in text.split(",")):
            if not piece:
                continue
            lookup = index.find(piece)
            if lookup.topic is not None:
                add(lookup.topic)
            else:
                unknown.append(piece)
        return found, unknown
    whole = index.find(text)
    if whole.topic is not None:
        add(whole.topic)
        return found, unknown
    words = text.split()
    start = 0
    while start < len(words):
        for end in range(len(words), start, -1):
            lookup = index.find(" ".join(words[start:end]))
            if lookup.topic is not None:
                add(lookup.topic)
                start = end
                break
        else:
            unknown.append(words[start])
            start += 1
    return found, unknown


class SettingsService:
    """Subscriptions by name, delivery settings, stopping and forgetting a chat."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession],
                 news: NewsService) -> None:
        self._sessions = session_factory
        self._news = news

    # -- following -------------------------------------------------------------------------

    async def change_subscriptions(
        self, chat: ChatInfo, text: str, thread_id: int = 0, *, follow: bool
    ) -> SubscriptionChange:
        """Follow (or stop following) the topics named in ``text`` in the chat or its forum
        thread ``thread_id``; ``/unsubscribe all`` stops every topic there. Empty text
        changes nothing and returns the catalogue (the usage reply lists it)."""
        index = await self._news.topic_index()
        text = " ".join(text.split())
        if not text:
            return SubscriptionChange((), (), await self._following(chat.id, thread_id, index),
                                      catalogue=index.tags)
        words = text.split()
        if len(text) > MAX_ARGUMENT_CHARS or len(words) > MAX_TOPIC_WORDS:
            return SubscriptionChange((), (), await self._following(chat.id, thread_id, index),
                                      catalogue=index.tags, too_long=True)
        if not follow and text.casefold() in ALL_WORDS:
            wanted, unknown = list(index.tags), list[str]()
        else:
            wanted, unknown = split_topic_names(text, index)
        by_slug = await self._topic_ids()
        changed: list[TopicTag] = []
        async with write_session(self._sessions) as session:
            if await chats_dao.get_chat(session, chat.id) is None or follow:
                await chats_dao.upsert_chat(session, chat_id=chat.id, type=chat.type,
                                            title=chat.title, username=chat.username)
            current = await chats_dao.subscribed_topic_ids(session, chat.id, thread_id)
            for tag in wanted:
                topic_id = by_slug.get(tag.slug)
                if topic_id is None:
                    continue
                if follow and topic_id not in current:
                    await chats_dao.add_subscription(session, chat.id, topic_id, thread_id)
                    changed.append(tag)
                elif not follow and topic_id in current:
                    await chats_dao.remove_subscription(session, chat.id, topic_id, thread_id)
                    changed.append(tag)
            if follow and wanted:
                await chats_dao.resume_destination(session, chat.id, thread_id)
            now = await chats_dao.subscribed_topic_ids(session, chat.id, thread_id)
        following = tuple(t for t in index.tags if by_slug.get(t.slug) in now)
        return SubscriptionChange(
            tuple(changed), tuple((name, index.suggest(name)) for name in unknown), following,
            catalogue=index.tags)

    async def _topic_ids(self) -> dict[str, int]:
        async with self._sessions() as session:
            return {t.slug: t.id for t in await topics_dao.list_active_topics(session)}

    async def _following(self, chat_id: int, thread_id: int, index: TopicIndex
                         ) -> tuple[TopicTag, ...]:
        by_slug = await self._topic_ids()
        async with self._sessions() as session:
            now = await chats_dao.subscribed_topic_ids(session, chat_id, thread_id)
        return tuple(t for t in index.tags if by_slug.get(t.slug) in now)

    # -- settings --------------------------------------------------------------------------

    async def view(self, chat: ChatInfo, thread_id: int = 0) -> ChatSettingsView:
        """The chat's settings, as they apply in its forum thread ``thread_id`` (0: the chat
        itself); a chat seen for the first time is registered."""
        async with write_session(self._sessions) as session:
            stored = await settings_dao.chat_settings(session, chat.id)
            if stored is None:
                await chats_dao.upsert_chat(session, chat_id=chat.id, type=chat.type,
                                            title=chat.title, username=chat.username)
                stored = ({}, "UTC")
            record = await chats_dao.get_chat(session, chat.id)
            language = record.language if record is not None else None
        settings, timezone = stored
        return view_of(thread_settings(settings, thread_id), timezone, language)

    async def apply_text(self, chat: ChatInfo, args: Sequence[str], thread_id: int = 0
                         ) -> ChatSettingsView:
        """Apply ``/settings <what> <value…>`` (in forum thread ``thread_id``: its delivery
        settings are the thread's own); raises :class:`SettingsError` (and changes nothing)
        for a bad argument."""
        values, timezone = parse_settings_args(args)
        return await self._apply(chat, values, timezone, thread_id)

    async def apply_preset(self, chat: ChatInfo, key: str, value: str, thread_id: int = 0
                           ) -> ChatSettingsView | None:
        """Apply a /settings button; None (nothing changed) for a button the bot never made."""
        values = preset_values(key, value)
        if values is None:
            return None
        return await self._apply(chat, values, None, thread_id)

    async def _apply(self, chat: ChatInfo, values: dict[str, Any], timezone: str | None,
                     thread_id: int = 0) -> ChatSettingsView:
        chat_values, own = split_thread_values(values, thread_id)
        async with write_session(self._sessions) as session:
            if await chats_dao.get_chat(session, chat.id) is None:
                await chats_dao.upsert_chat(session, chat_id=chat.id, type=chat.type,
                                            title=chat.title, username=chat.username)
            if own:
                stored_now = await settings_dao.chat_settings(session, chat.id)
                threads = dict((stored_now or ({}, "UTC"))[0].get(THREADS_KEY) or {})
                threads[str(thread_id)] = {**dict(threads.get(str(thread_id)) or {}), **own}
                chat_values = {**chat_values, THREADS_KEY: threads}
            if chat_values or timezone:
                await chats_dao.update_delivery_settings(session, chat.id, chat_values,
                                                         timezone)
            if "content_language" in values:
                language = values["content_language"]
                await settings_dao.set_content_language(
                    session, chat.id, None if language == "all" else language)
            stored = await settings_dao.chat_settings(session, chat.id)
            record = await chats_dao.get_chat(session, chat.id)
            language_now = record.language if record is not None else None
        settings, timezone_now = stored or ({}, "UTC")
        return view_of(thread_settings(settings, thread_id), timezone_now, language_now)

    # -- leaving ---------------------------------------------------------------------------

    async def stop(self, chat_id: int) -> StopResult:
        """Unsubscribe the chat from everything (every forum thread too), skip what was
        queued for it and mark it stopped: nothing more is pushed until /start."""
        async with write_session(self._sessions) as session:
            removed = len(await chats_dao.subscribed_topic_ids(session, chat_id))
            known = await settings_dao.stop_chat(session, chat_id)
            if known:
                await skip_pending_for_chat(session, chat_id, "chat stopped")
        return StopResult(known, removed)

    async def forget(self, chat_id: int) -> bool:
        """Delete a stopped chat's data (see :func:`storage.chat_settings.forget_chat`);
        False when there is nothing to delete (never stopped, restarted, already deleted)."""
        async with write_session(self._sessions) as session:
            return await settings_dao.forget_chat(session, chat_id)
