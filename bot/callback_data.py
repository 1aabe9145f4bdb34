"""Inline-button callback data as small typed values: built with ``pack()``, read with ``parse()``.

Telegram hands callback data back verbatim, so anything a client sends may arrive here: a
forged, stale or foreign string parses to ``None`` and the handler treats it as gone. Each kind
has a short prefix; fields follow, separated by ``:`` (the last text field may contain ``:``).
``matches`` is the ``CallbackQueryHandler`` pattern, so one definition builds the button,
routes the press and reads it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar, Self

CALLBACK_DATA_LIMIT = 64  # bytes, Telegram's limit
INT_MIN, INT_MAX = 1, 2**31 - 1  # ids are positive and fit PostgreSQL's integer
_SEPARATOR = ":"


class CallbackData:
    """Base of every callback-data type: a frozen dataclass with ``prefix`` and typed fields."""

    prefix: ClassVar[str]

    def pack(self) -> str:
        """Encode for a button; raises ValueError past 64 bytes or on an unencodable field."""
        parts = [self.prefix]
        names = [f.name for f in dataclasses.fields(self)]  # type: ignore[arg-type]
        for index, name in enumerate(names):
            value = getattr(self, name)
            if isinstance(value, bool):
                parts.append("1" if value else "0")
            elif isinstance(value, int):
                if not INT_MIN <= value <= INT_MAX:
                    raise ValueError(f"{type(self).__name__}.{name} out of range: {value}")
                parts.append(str(value))
            else:
                text = str(value)
                last = index == len(names) - 1
                if not text or (not last and _SEPARATOR in text):
                    raise ValueError(f"{type(self).__name__}.{name} cannot be packed: {text!r}")
                parts.append(text)
        data = _SEPARATOR.join(parts)
        if len(data.encode()) > CALLBACK_DATA_LIMIT:
            raise ValueError(f"callback data over {CALLBACK_DATA_LIMIT} bytes: {data!r}")
        return data

    @classmethod
    def parse(cls, data: object) -> Self | None:
        """Decode what a button sent back; ``None`` for anything this type did not pack."""
        if not isinstance(data, str) or len(data.encode()) > CALLBACK_DATA_LIMIT:
            return None
        fields = dataclasses.fields(cls)  # type: ignore[arg-type]
        head, sep, rest = data.partition(_SEPARATOR)
        if head != cls.prefix or (fields and not sep):
            return None
        raw = rest.split(_SEPARATOR, len(fields) - 1) if fields else ([] if not sep else [""])
        if len(raw) != len(fields):
            return None
        values: dict[str, Any] = {}
        for field, text in zip(fields, raw, strict=True):
            value = _decode(field.type, text)
            if value is None:
                return None
            values[field.name] = value
        return cls(**values)

    @classmethod
    def matches(cls, data: object) -> bool:
        """``CallbackQueryHandler`` pattern: whether ``data`` carries this type's prefix.

        Routing on the prefix alone lets the handler answer a forged or stale press of its own
        button ("no longer available") instead of leaving the client's spinner running.
        """
        return isinstance(data, str) and data.partition(_SEPARATOR)[0] == cls.prefix


def _decode(kind: object, text: str) -> object | None:
    """One field from its text, by the field's annotation (``from __future__`` makes it a str)."""
    name = kind if isinstance(kind, str) else getattr(kind, "__name__", "")
    if name == "bool":
        return {"1": True, "0": False}.get(text)
    if name == "int":
        if not text.isascii() or not text.isdigit() or len(text) > 10:
            return None
        number = int(text)
        return number if INT_MIN <= number <= INT_MAX else None
    return text or None


@dataclass(frozen=True)
class ToggleTopic(CallbackData):
    """The topic picker: follow or unfollow the topic with this slug."""

    prefix: ClassVar[str] = "topic"
    slug: str


@dataclass(frozen=True)
class ShowComments(CallbackData):
    """The "Comments" button under a pushed explainer."""

    prefix: ClassVar[str] = "comments"
    article_id: int


@dataclass(frozen=True)
class LatestMore(CallbackData):
    """The "More" button under /latest: the page after the story placed by article ``after``,
    ``count`` stories, of topic id ``topic`` ("-" = the chat's own topics)."""

    prefix: ClassVar[str] = "latest"
    OWN_TOPICS: ClassVar[str] = "-"
    MAX_COUNT: ClassVar[int] = 20
    after: int
    count: int
    topic: str

    @property
    def topic_id(self) -> int | None:
        """The topic asked for; None for the chat's own topics (or a malformed field)."""
        text = self.topic
        if text.isascii() and text.isdigit() and len(text) <= 10:
            number = int(text)
            return number if INT_MIN <= number <= INT_MAX else None
        return None

    @property
    def well_formed(self) -> bool:
        """Whether this could be a button the bot made (a forged count or topic is not)."""
        return self.count <= self.MAX_COUNT and (
            self.topic == self.OWN_TOPICS or self.topic_id is not None)


@dataclass(frozen=True)
class FollowAllTopics(CallbackData):
    """The picker's "All topics" button: follow every topic of the catalogue."""

    prefix: ClassVar[str] = "pick-all"


@dataclass(frozen=True)
class PickerDone(CallbackData):
    """The picker's "Done" button: replace the picker with a summary of what will arrive."""

    prefix: ClassVar[str] = "pick-done"


@dataclass(frozen=True)
class SettingsChoice(CallbackData):
    """A /settings button: set ``key`` to the preset ``value`` (e.g. ``quiet`` ``2200-0700``);
    the settings service accepts only the presets it offers."""

    prefix: ClassVar[str] = "set"
    key: str
    value: str


@dataclass(frozen=True)
class DeleteChatData(CallbackData):
    """/stop's "Delete my data" confirmation, for the chat with this id (as text: group ids are
    negative and may pass int32); pressed in any other chat it does nothing."""

    prefix: ClassVar[str] = "forget"
    chat: str


def _channel_id(text: str) -> int | None:
    """A channel id from its digits (channel ids are negative; the minus is left out)."""
    if text.isascii() and text.isdigit() and len(text) <= 16:
        return -int(text) or None
    return None


@dataclass(frozen=True)
class ChannelAction(CallbackData):
    """A button about a channel in the private chat: ``connect`` it, show its ``topics``
    picker, or disconnect it (``off``); ``channel`` is the id without its minus sign.
    The presser's right to do it is checked again on every press."""

    prefix: ClassVar[str] = "chan"
    ACTIONS: ClassVar[tuple[str, ...]] = ("connect", "topics", "off")
    action: str
    channel: str

    @classmethod
    def of(cls, action: str, channel_id: int) -> ChannelAction:
        """The button data for ``action`` on channel ``channel_id``."""
        return cls(action, str(-channel_id))

    @property
    def channel_id(self) -> int | None:
        """The channel, or None for malformed (forged) data."""
        return _channel_id(self.channel) if self.action in self.ACTIONS else None


@dataclass(frozen=True)
class ChannelTopic(CallbackData):
    """A channel's topic picker (in the private chat): follow or unfollow ``slug`` for the
    channel ``channel`` (its id without the minus sign)."""

    prefix: ClassVar[str] = "ctopic"
    channel: str
    slug: str

    @classmethod
    def of(cls, channel_id: int, slug: str) -> ChannelTopic:
        """The button data for ``slug`` on channel ``channel_id``."""
        return cls(str(-channel_id), slug)

    @property
    def channel_id(self) -> int | None:
        """The channel, or None for malformed (forged) data."""
        return _channel_id(self.channel)


@dataclass(frozen=True)
class ChannelSetting(CallbackData):
    """A channel's settings, managed from the private chat: ``show`` them (key ``show``), or
    set ``key`` to the preset ``value`` as /settings buttons do (``lang``: the channel's
    interface language); ``channel`` is its id without the minus sign. The presser's right
    to do it is checked again on every press."""

    prefix: ClassVar[str] = "cset"
    SHOW: ClassVar[str] = "show"
    channel: str
    key: str
    value: str

    @classmethod
    def of(cls, channel_id: int, key: str, value: str = "-") -> ChannelSetting:
        """The button data for ``key`` = ``value`` on channel ``channel_id``."""
        return cls(str(-channel_id), key, value)

    @property
    def channel_id(self) -> int | None:
        """The channel, or None for malformed (forged) data."""
        return _channel_id(self.channel)


@dataclass(frozen=True)
class CommentConsent(CallbackData):
    """The question before a reader's first comment is published: publish comment
    ``comment_id`` under their ``name`` ("named"), as Reader ("anonymous"), or ``cancel``.
    The comment's author is checked against the presser on every press."""

    prefix: ClassVar[str] = "cconsent"
    CHOICES: ClassVar[tuple[str, ...]] = ("named", "anonymous", "cancel")
    comment_id: int
    choice: str


@dataclass(frozen=True)
class ModerateComment(CallbackData):
    """An admin's Approve / Reject / Ban under a held comment. The presser's admin rights are
    checked on every press, never taken from the data."""

    prefix: ClassVar[str] = "cmod"
    ACTIONS: ClassVar[tuple[str, ...]] = ("approve", "reject", "ban")
    comment_id: int
    action: str


@dataclass(frozen=True)
class CommentsPage(CallbackData):
    """The ◀ / ▶ buttons of an explainer's comments view: show page ``page`` (from 1, as
    shown) of article ``article_id``'s comments, edited in place."""

    prefix: ClassVar[str] = "cpage"
    MAX_PAGE: ClassVar[int] = 10_000
    article_id: int
    page: int


@dataclass(frozen=True)
class RemoveAdmin(CallbackData):
    """The "Remove" button beside an admin added from Telegram in /admin's list. ``user_id``
    is text (user ids outgrow the int fields' range); the presser's admin rights are checked
    on every press."""

    prefix: ClassVar[str] = "admrm"
    user_id: str


@dataclass(frozen=True)
class FollowComments(CallbackData):
    """The "🔔 Follow comments" / "🔕 Unfollow comments" toggle for article ``article_id``'s
    story, per chat (the chat where it is pressed)."""

    prefix: ClassVar[str] = "cfollow"
    article_id: int


@dataclass(frozen=True)
class WriteComment(CallbackData):
    """The "Comment" button under a pushed explainer: ask the presser for a comment on
    article ``article_id`` (a ForceReply prompt)."""

    prefix: ClassVar[str] = "cwrite"
    article_id: int


@dataclass(frozen=True)
class PickExplainer(CallbackData):
    """A reply to a digest held as draft ``draft``: put it on article ``article_id``. The
    draft (kept in memory) names its author and the explainers it may go to; both are checked
    on every press."""

    prefix: ClassVar[str] = "cpick"
    draft: int
    article_id: int


@dataclass(frozen=True)
class DeleteComment(CallbackData):
    """The 🗑 Delete button under a comment's confirmation or an admin's notice. Only the
    comment's author or one of the bot's admins may delete it, checked on every press."""

    prefix: ClassVar[str] = "cdel"
    comment_id: int


@dataclass(frozen=True)
class FeedAlertAction(CallbackData):
    """Pause / Retry now under a failing feed's alert to the admins. The presser's admin rights
    are checked on every press, never taken from the data; an unknown action or feed changes
    nothing."""

    prefix: ClassVar[str] = "feedop"
    ACTIONS: ClassVar[tuple[str, ...]] = ("pause", "retry")
    feed_id: int
    action: str


@dataclass(frozen=True)
class BroadcastAction(CallbackData):
    """A button of a broadcast's controls or progress message: choose the audience (``all``,
    ``private``, ``groups``, ``channels``; ``topics`` opens the page of topics), ``test``
    (to the presser only), ``send``, ``schedule`` (asks for the time), ``cancel``,
    ``pause``, ``resume``. The presser's admin rights are checked on every press; an unknown
    action or broadcast changes nothing."""

    prefix: ClassVar[str] = "bc"
    ACTIONS: ClassVar[tuple[str, ...]] = (
        "all", "private", "groups", "channels", "topics", "test", "send", "schedule", "cancel",
        "pause", "resume", "back")
    broadcast_id: int
    action: str


@dataclass(frozen=True)
class BroadcastTopic(CallbackData):
    """A topic on the broadcast's page of topics: send to its subscribers."""

    prefix: ClassVar[str] = "bct"
    broadcast_id: int
    topic_id: int
