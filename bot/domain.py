"""Plain values the services work with: chats, users, incoming messages, explainers, topic
choices and comments.

No ``telegram`` import here, so services stay independent of PTB; :mod:`bot.mapping` builds
the chat, user and message values from PTB objects. The services build the other values
(:class:`ArticleCard`, :class:`TopicTag`, :class:`TopicChoice`, the comment values) and
:mod:`bot.render` shows them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Literal

ChatType = Literal["private", "group", "supergroup", "channel"]

#: No feed or page was published before this: an earlier date is a placeholder
#: (``datetime.min``, the Unix epoch) or a misreading (feedparser takes the "+1400" of
#: "01 Jan 0001 00:00:00 +1400" for the year), never the day an article appeared.
EARLIEST_PUBLICATION = datetime(1990, 1, 1, tzinfo=UTC)


def plausible_publication(when: datetime | None) -> datetime | None:
    """`when` if it can be a publication date (not before :data:`EARLIEST_PUBLICATION`;
    a naive value counts as UTC), else None: no date is better than a wrong one."""
    if when is None:
        return None
    aware = when if when.tzinfo is not None else when.replace(tzinfo=UTC)
    return when if aware >= EARLIEST_PUBLICATION else None


@dataclass(frozen=True)
class ChatInfo:
    """The facts about a chat that newsbot keeps."""

    id: int
    type: ChatType
    title: str | None
    username: str | None
    is_forum: bool = False


@dataclass(frozen=True)
class UserInfo:
    """The facts about a user that newsbot needs."""

    id: int
    first_name: str
    username: str | None
    language_code: str | None
    is_bot: bool = False

    @property
    def display_name(self) -> str:
        """A name to show: first name, or @username, or the id."""
        return self.first_name or (f"@{self.username}" if self.username else str(self.id))


@dataclass(frozen=True)
class IncomingMessage:
    """A text message (or command) addressed to the bot."""

    chat: ChatInfo
    user: UserInfo | None
    message_id: int
    text: str
    thread_id: int | None
    reply_to_message_id: int | None
    reply_to_bot: bool = False


def topic_name(name: str, names: Mapping[str, str] | None, language: str) -> str:
    """A topic's name for readers of ``language``: the publisher's name in that language
    (``names``, from the config), else ``name``."""
    return ((names or {}).get(language) or "").strip() or name


@dataclass(frozen=True, slots=True)
class TopicTag:
    """A topic an explainer belongs to (``slug`` like ``war-in-ukraine``)."""

    slug: str
    name: str


@dataclass(frozen=True, slots=True)
class ArticleCard:
    """What a reader sees of an explainer; `summary` is plain text, `url` the link to give
    readers (the canonical one: no tracking parameters, no fragment), `author` as the feed
    names them."""

    title: str
    url: str
    summary: str
    topics: tuple[TopicTag, ...] = ()
    tags: tuple[str, ...] = ()
    image_url: str | None = None
    published_at: datetime | None = None
    source: str | None = None
    updated: bool = False
    author: str | None = None


@dataclass(frozen=True)
class LatestPage:
    """One page of /latest: its cards, newest first, ``count`` asked for; ``next_after`` is
    the cursor of the next page (None when this is the last); ``topic`` / ``topic_id`` the
    topic asked for (None: the chat's own topics)."""

    cards: tuple[ArticleCard, ...]
    count: int
    next_after: int | None
    topic: TopicTag | None
    topic_id: int | None


@dataclass(frozen=True)
class TopicChoice:
    """A topic as a reader sees it in the picker."""

    slug: str
    name: str
    subscribed: bool


@dataclass(frozen=True)
class CommentView:
    """One comment as shown to readers."""

    author: str
    text: str
    body_html: str | None = None  # the reader's formatting, as Telegram HTML
    from_site: bool = False  # written on the publisher's website (a comment feed)


@dataclass(frozen=True)
class ArticleComments:
    """An article's comments, ready to render."""

    article_id: int
    title: str
    url: str
    total: int
    comments: tuple[CommentView, ...]
    page: int = 0  # which page of comments this is (from 0)
    pages: int = 1


@dataclass(frozen=True)
class CommentPosted:
    """What happened to a reply: stored (with the article) or not a reply to an explainer."""

    stored: bool
    article_id: int | None = None
    title: str | None = None
    total: int = 0
    # Not stored: empty | too long | not an explainer | banned | slow down | quiet (a flood
    # already told to slow down). Stored: None, or "held again" (an edit took a published
    # comment back to the admins).
    reason: str | None = None
    # visible | consent (the author must choose a name first) | pending (held for admins)
    status: str = "visible"
    comment_id: int | None = None
    author: str | None = None  # the name it is (or would be) published under
    max_length: int = 2000
    # reason "choose": the reply went to a message carrying several explainers (a digest);
    # the reader picks one of ``choices`` for draft ``draft_id`` (kept in memory).
    choices: tuple[ExplainerChoice, ...] = ()
    draft_id: int | None = None


@dataclass(frozen=True)
class ReaderSummary:
    """What a chat (or forum thread) will receive: its topics and its delivery schedule."""

    topics: tuple[str, ...]  # names of the followed topics, in catalogue order
    mode: str  # "instant" or "digest"
    digest_times: tuple[str, ...]  # "HH:MM", local to `timezone`
    timezone: str


@dataclass(frozen=True)
class SubscriptionChange:
    """What /subscribe or /unsubscribe did: the topics it added or removed, the names it could
    not resolve (each with its near-miss suggestions), and what the chat (or forum thread)
    follows now."""

    changed: tuple[TopicTag, ...]
    unknown: tuple[tuple[str, tuple[TopicTag, ...]], ...]
    following: tuple[TopicTag, ...]
    catalogue: tuple[TopicTag, ...] = ()
    too_long: bool = False


@dataclass(frozen=True)
class ChatSettingsView:
    """A chat's delivery settings as /settings shows them (defaults filled in)."""

    delivery: str  # instant | digest
    digest_times: tuple[str, ...]  # "HH:MM", local
    quiet_hours: tuple[str, str] | None
    timezone: str
    mute_words: tuple[str, ...]
    only_words: tuple[str, ...]
    previews: bool
    images: bool
    content_language: str  # en | uk | all


@dataclass(frozen=True)
class ConnectedChannel:
    """A channel a user connected from the private chat, as /channels lists it."""

    id: int
    title: str
    username: str | None
    topics: int


@dataclass(frozen=True, slots=True)
class TextSpan:
    """A piece of formatting a reader typed (a Telegram message entity): ``kind`` like
    ``bold`` or ``text_link``, with ``offset`` and ``length`` in UTF-16 code units."""

    kind: str
    offset: int
    length: int
    url: str | None = None


@dataclass(frozen=True)
class HeldComment:
    """A comment waiting for an admin (or just published, to tell admins about)."""

    comment_id: int
    article_id: int
    article_title: str
    article_url: str
    author: str
    user_id: int | None
    text: str
    body_html: str | None
    held_reason: str | None  # pre | link | new; None when already published
    from_site: bool = False  # from the publisher's website (a comment feed), not Telegram


@dataclass(frozen=True)
class CommentDecision:
    """What a press of a comment's consent or moderation button did.

    ``outcome``: published | held | cancelled | approved | rejected | banned | deleted |
    forbidden | not yours (a consent or delete button pressed by someone else) | gone (no such
    comment, or already decided)."""

    outcome: str
    author: str | None = None
    title: str | None = None
    held: tuple[HeldComment, ...] = ()  # comments now waiting for admins
    published: tuple[HeldComment, ...] = ()  # comments just published
    author_user_id: int | None = None
    comment_id: int | None = None  # the comment decided on (deletes)


@dataclass(frozen=True)
class ExplainerChoice:
    """One explainer a message carried (a digest carries several): its article and title."""

    article_id: int
    title: str


@dataclass(frozen=True)
class AdminEntry:
    """One of the bot's admins: from the config (``added_by`` None) or added from Telegram."""

    user_id: int
    added_by: int | None = None
    added_at: datetime | None = None

    @property
    def from_config(self) -> bool:
        """Whether the admin is listed in ``telegram.admins`` (not removable from Telegram)."""
        return self.added_by is None


@dataclass(frozen=True)
class AdminOutcome:
    """What an admin command did.

    ``outcome``: forbidden | added | already admin | removed | not admin | config admin |
    banned | already banned | unbanned | not banned."""

    outcome: str
    user_id: int | None = None


@dataclass(frozen=True)
class AuditEntry:
    """One line of the audit log: who did what, when, to what."""

    admin_id: int
    action: str
    target: str | None
    details: dict[str, Any]
    created_at: datetime


@dataclass(frozen=True)
class ModerationQueue:
    """The comments waiting for an admin: how many, and the oldest ones."""

    total: int
    comments: tuple[HeldComment, ...]


@dataclass(frozen=True)
class FeedStatus:
    """One feed as /feeds lists it: where it is, what it is tagged with, and its health."""

    id: int
    name: str
    url: str  # without credentials or query
    source: str  # config | opml | admin
    topics: tuple[str, ...]
    enabled: bool
    paused: bool
    last_success_at: datetime | None
    consecutive_failures: int
    last_error: str | None
    next_poll_at: datetime | None


@dataclass(frozen=True)
class FeedAdminOutcome:
    """What /feeds add|remove|pause|resume, or a feed alert's button, did.

    ``outcome``: forbidden | added | exists | refused (``detail`` says why: blocked address,
    unreachable, HTTP error, not a feed, invalid URL) | unknown topic (``detail``: the word) |
    not found | config feed | removed | paused | already paused | resumed | not paused |
    polled (``new``: explainers stored) | failed (``detail``: the error)."""

    outcome: str
    feed_id: int | None = None
    name: str = ""
    url: str = ""
    detail: str = ""
    topics: tuple[str, ...] = ()
    new: int = 0


@dataclass(frozen=True)
class PostOutcome:
    """What /post URL did: ``outcome`` posted | exists | refused (``detail`` says why) |
    forbidden; the explainer's title and topics, and how many destinations were queued."""

    outcome: str
    url: str = ""
    title: str = ""
    topics: tuple[str, ...] = ()
    queued: int = 0
    detail: str = ""


@dataclass(frozen=True)
class ReadingRow:
    """Clicks on one explainer's (or broadcast's) tracked link against the messages that
    carried it."""

    item_id: int
    label: str
    clicks: int
    sent: int

    @property
    def click_through(self) -> float | None:
        """Clicks per delivered message (a channel post can be clicked by many readers, so
        this may pass 1.0); None when nothing was delivered."""
        return self.clicks / self.sent if self.sent else None


@dataclass(frozen=True)
class DailySeries:
    """/stats's chart as data: per UTC day, oldest first, the active subscribers at the
    day's end, the explainers delivered and the clicks counted that day."""

    days: tuple[date, ...]
    subscribers: tuple[int, ...]
    deliveries: tuple[int, ...]
    clicks: tuple[int, ...]


@dataclass(frozen=True)
class StatsReport:
    """Everything /stats and ``newsbot stats`` show, from one set of queries.

    Chats by status: active | blocked (the user blocked the bot) | left (removed from a group
    or channel) | stopped (/stop). ``growth`` maps a window in days to (chats new in it,
    chats that blocked, left or stopped in it)."""

    generated_at: datetime
    chats_by_status: Mapping[str, int]
    active_by_type: Mapping[str, int]
    per_topic: tuple[tuple[str, int], ...]
    growth: Mapping[int, tuple[int, int]]
    deliveries_24h: Mapping[str, int]
    outbox_depth: int
    feeds_ok: int
    feeds_failing: int
    feeds_disabled: int
    comments_visible: int
    comments_held: int
    comments_total: int
    clicks_30d: int
    explainers: tuple[ReadingRow, ...]
    broadcasts: tuple[ReadingRow, ...]
    series: DailySeries
    tracking: bool
    # A topic's name in other languages (the config's ``names``), by its name.
    topic_names: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    @property
    def active(self) -> int:
        """Chats receiving pushes (status active)."""
        return self.chats_by_status.get("active", 0)


@dataclass(frozen=True)
class BroadcastContent:
    """What a broadcast sends: the admin's Telegram HTML (a caption when ``photo``, a
    Telegram file id, is set) and an optional link button."""

    html: str
    photo: str | None = None
    button_text: str | None = None
    button_url: str | None = None


@dataclass(frozen=True)
class BroadcastProgress:
    """Where a broadcast stands: its status and rows by outcome; ``eta_seconds`` from the
    rate so far (None before the first sends)."""

    broadcast_id: int
    status: str
    audience: str
    topic: str | None
    total: int
    sent: int
    failed: int
    blocked: int
    cancelled: int
    remaining: int
    eta_seconds: float | None = None
    scheduled_at: datetime | None = None
    timezone: str = "UTC"

    @property
    def done(self) -> int:
        """Rows with an outcome."""
        return self.sent + self.failed + self.blocked + self.cancelled
