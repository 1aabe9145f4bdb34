"""SQLAlchemy 2 models: the whole schema in one place.

Timestamps are stored as timezone-aware UTC (SQLite keeps naive values; :class:`UTCDateTime`
restores the zone on load). Telegram ids are 64-bit. Enumerations are short strings checked
in code, which keeps migrations simple on both SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    event,
    false,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that is always aware UTC in Python, whatever the database keeps."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base with a constraint naming convention (needed for SQLite migrations)."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON()}  # noqa: RUF012 - read by SQLAlchemy


# --- feeds and articles ---------------------------------------------------------------------


class Feed(Base):
    """A publisher feed, with its polling state and health."""

    __tablename__ = "feeds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(String(2048), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    title: Mapped[str | None] = mapped_column(String(500))
    site_url: Mapped[str | None] = mapped_column(String(2048))
    interval: Mapped[int] = mapped_column(Integer, default=900)
    full_text: Mapped[bool] = mapped_column(Boolean, default=False)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # An admin's /feeds pause: not polled until resumed (kept across restarts; migration 0012).
    paused: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    source: Mapped[str] = mapped_column(String(16), default="config")  # config | opml | admin
    default_topics: Mapped[list[str]] = mapped_column(JSON, default=list)
    # conditional GET
    etag: Mapped[str | None] = mapped_column(String(500))
    last_modified: Mapped[str | None] = mapped_column(String(100))
    # health
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None]
    last_success_at: Mapped[datetime | None]
    last_polled_at: Mapped[datetime | None]
    next_poll_at: Mapped[datetime | None]
    failure_alerted: Mapped[bool] = mapped_column(Boolean, default=False)
    health_note: Mapped[str | None] = mapped_column(Text)
    moved_to: Mapped[str | None] = mapped_column(String(2048))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Article(Base):
    """One explainer, deduplicated by canonical URL across feeds."""

    __tablename__ = "articles"
    __table_args__ = (
        # /latest's order (newest by publication, else arrival) read from an index: no full
        # scan and sort (migration 0005).
        Index("ix_articles_newest", text("coalesce(published_at, created_at)"), "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    canonical_url: Mapped[str] = mapped_column(String(2048), unique=True)
    url: Mapped[str] = mapped_column(String(2048))
    guid: Mapped[str | None] = mapped_column(String(2048), index=True)
    title: Mapped[str] = mapped_column(String(1000))
    summary: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")
    image_url: Mapped[str | None] = mapped_column(String(2048))
    author: Mapped[str | None] = mapped_column(String(500))
    comments_url: Mapped[str | None] = mapped_column(String(2048))
    published_at: Mapped[datetime | None] = mapped_column(index=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    updated: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer, default=1)
    feed_id: Mapped[int | None] = mapped_column(ForeignKey("feeds.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # ISO 639-1 code ("uk"): the feed's declaration, else detected; None if unknown.
    language: Mapped[str | None] = mapped_column(String(16))
    # Language versions of one story share story_id: the id of the version stored first
    # (its own id for that one). None for rows written before versions were linked, and
    # read as the article's own id.
    story_id: Mapped[int | None] = mapped_column(
        ForeignKey("articles.id", ondelete="SET NULL"), index=True
    )
    # The canonical URL without a language prefix (/uk/…): equal for the versions a publisher
    # files under /<lang>/ paths.
    story_key: Mapped[str | None] = mapped_column(String(2048), index=True)
    # The entry's comment feed (wfw:commentRss): the website's comments, polled (0010).
    comment_feed_url: Mapped[str | None] = mapped_column(String(2048))


class ArticleSource(Base):
    """Where an article was seen: (feed, guid) pairs, so a GUID is recognised again."""

    __tablename__ = "article_sources"
    __table_args__ = (UniqueConstraint("feed_id", "guid"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"),
                                            index=True)
    feed_id: Mapped[int] = mapped_column(ForeignKey("feeds.id", ondelete="CASCADE"))
    guid: Mapped[str] = mapped_column(String(2048))
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)


class Topic(Base):
    """A topic of the publisher's catalogue (mirrors ``[[topics]]`` in the config)."""

    __tablename__ = "topics"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    #: The name in other interface languages ({"uk": "Війна в Україні"}), from the config.
    names: Mapped[dict[str, str]] = mapped_column(JSON, default=dict, server_default="{}")
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class ArticleTopic(Base):
    """Article ↔ topic."""

    __tablename__ = "article_topics"

    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    topic_id: Mapped[int] = mapped_column(
        ForeignKey("topics.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class ArticleTag(Base):
    """A category of an article that matched no configured topic, kept as a tag."""

    __tablename__ = "article_tags"

    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(String(200), primary_key=True)


class TopicSummary(Base):
    """The stored key points of a topic across its recent explainers."""

    __tablename__ = "topic_summaries"

    topic_id: Mapped[int] = mapped_column(
        ForeignKey("topics.id", ondelete="CASCADE"), primary_key=True
    )
    points: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    source_key: Mapped[str] = mapped_column(String(64), default="")
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)


# --- readers ----------------------------------------------------------------------------------


class Chat(Base):
    """A Telegram chat the bot knows: a reader's private chat, a group or a channel."""

    __tablename__ = "chats"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    type: Mapped[str] = mapped_column(String(16))  # private | group | supergroup | channel
    status: Mapped[str] = mapped_column(String(16), default="active")  # active | blocked | left
    title: Mapped[str | None] = mapped_column(String(300))
    username: Mapped[str | None] = mapped_column(String(100))
    language: Mapped[str | None] = mapped_column(String(16))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    migrated_to: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When ``status`` last changed (set by the listener below; None: not since 0013, when
    # ``updated_at`` stands in): the churn of /stats counts chats blocked or stopped in a window.
    status_changed_at: Mapped[datetime | None]


@event.listens_for(Chat.status, "set")
def _status_changed(target: Chat, value: str, old: object, _initiator: object) -> None:
    """Stamp ``status_changed_at`` whenever a chat's status really changes (every writer
    sets the attribute through the ORM, so no call site can forget)."""
    if value != old:
        target.status_changed_at = utcnow()


class Subscription(Base):
    """A chat's subscription to a topic, optionally into one forum thread."""

    __tablename__ = "subscriptions"
    __table_args__ = (UniqueConstraint("chat_id", "topic_id", "thread_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chat_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("chats.id", ondelete="CASCADE", onupdate="CASCADE"), index=True
    )
    topic_id: Mapped[int] = mapped_column(
        ForeignKey("topics.id", ondelete="CASCADE"), index=True
    )
    # 0 = no forum thread (NULLs would not take part in the unique constraint)
    thread_id: Mapped[int] = mapped_column(BigInteger, default=0)
    mode: Mapped[str] = mapped_column(String(16), default="instant")  # instant | digest
    # Set when Telegram refused the destination (closed thread, lost channel rights): no
    # pushes until the chat's admins fix it and subscribe again.
    paused_reason: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Broadcast(Base):
    """An admin announcement to many chats."""

    __tablename__ = "broadcasts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_by: Mapped[int] = mapped_column(BigInteger)
    text: Mapped[str] = mapped_column(Text)
    # draft | scheduled | sending | paused | done | cancelled
    status: Mapped[str] = mapped_column(String(16), default="draft", index=True)
    paid: Mapped[bool] = mapped_column(Boolean, default=False)
    total: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    # When a scheduled broadcast goes out (status "scheduled" until then).
    scheduled_at: Mapped[datetime | None]
    photo: Mapped[str | None] = mapped_column(String(300))  # a Telegram file_id: sendPhoto
    button_text: Mapped[str | None] = mapped_column(String(64))  # an optional link button
    button_url: Mapped[str | None] = mapped_column(String(2048))
    # all | private | groups | channels | topic (topic_ids) — None until chosen (all)
    audience: Mapped[str | None] = mapped_column(String(16))
    topic_id: Mapped[int | None] = mapped_column(Integer)  # the first of topic_ids
    topic_ids: Mapped[list[int] | None] = mapped_column(JSON)  # one or more topics
    # The admin's progress message, edited while it is sent (None: from the CLI).
    progress_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    progress_message_id: Mapped[int | None] = mapped_column(BigInteger)


class Delivery(Base):
    """The outbox: one row per chat × article or chat × broadcast."""

    __tablename__ = "deliveries"
    __table_args__ = (
        # A forum thread is a destination of its own; one version of a story per destination.
        UniqueConstraint("chat_id", "thread_id", "article_id"),
        UniqueConstraint("chat_id", "broadcast_id"),
        UniqueConstraint("chat_id", "thread_id", "story_id"),
        Index("ix_deliveries_due", "status", "next_attempt_at"),
        Index("ix_deliveries_chat_sent", "chat_id", "sent_at"),
        Index("ix_deliveries_chat_message", "chat_id", "message_id"),
        Index("ix_deliveries_article", "article_id"),
        Index("ix_deliveries_broadcast", "broadcast_id", "status"),
        # A relayed comment reaches each chat once.
        Index("uq_deliveries_chat_comment", "chat_id", "comment_id", unique=True),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chat_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("chats.id", ondelete="CASCADE", onupdate="CASCADE")
    )
    article_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    broadcast_id: Mapped[int | None] = mapped_column(
        ForeignKey("broadcasts.id", ondelete="CASCADE")
    )
    # The article's story (Article.story_id), so a chat gets one language version of it.
    story_id: Mapped[int | None] = mapped_column(Integer)
    thread_id: Mapped[int] = mapped_column(BigInteger, default=0)
    # pending | sending | sent | failed | skipped
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    sent_version: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    # The process holding the row while it is 'sending', and until when: an expired lease
    # may be reclaimed by any process (a crashed or stalled owner strands nothing).
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None]
    # Why next_attempt_at is what it is: now | window (coalescing) | quiet | digest.
    schedule: Mapped[str] = mapped_column(String(16), default="now", server_default="now")
    silent: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    parts_sent: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # A relayed comment (neither article nor broadcast): no foreign key, so a deleted
    # comment's copies can still be found (and deleted in Telegram).
    comment_id: Mapped[int | None] = mapped_column(Integer)


class Comment(Base):
    """A reader comment on an article (from Telegram or from the publisher's site)."""

    __tablename__ = "comments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), index=True
    )
    source: Mapped[str] = mapped_column(String(16), default="telegram")  # telegram | site
    chat_id: Mapped[int | None] = mapped_column(BigInteger)
    user_id: Mapped[int | None] = mapped_column(BigInteger)
    author: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    spoiler: Mapped[bool] = mapped_column(Boolean, default=True)
    # visible | hidden | consent (waiting for the author's choice of name) | pending
    # (waiting for an admin) | rejected | deleted (by its author or an admin)
    status: Mapped[str] = mapped_column(String(16), default="visible")
    telegram_message_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The reader's formatting (bold, links…) kept as Telegram HTML; None for plain text.
    body_html: Mapped[str | None] = mapped_column(Text)
    held_reason: Mapped[str | None] = mapped_column(String(32))  # pre | link | new
    reviewed_by: Mapped[int | None] = mapped_column(BigInteger)
    # A comment from the website: a hash of its feed entry's guid (else link), so an entry
    # is stored once per article however often its comment feed is read (0010).
    site_key: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (
        Index("ix_comments_user_created", "user_id", "created_at"),
        # A unique index rather than a constraint: SQLite adds it without a table copy.
        Index("uq_comments_article_id_site_key", "article_id", "site_key", unique=True),
        # An edited or /delete-d message finds its comment.
        Index("ix_comments_chat_message", "chat_id", "telegram_message_id"),
    )


class Commenter(Base):
    """What newsbot remembers about a reader who comments: the name they chose to publish
    under (consent), whether they are banned, and when they were last told to slow down."""

    __tablename__ = "commenters"

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    consent: Mapped[str | None] = mapped_column(String(16))  # named | anonymous
    banned: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    banned_by: Mapped[int | None] = mapped_column(BigInteger)
    slowed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AdminAuditLog(Base):
    """Every admin action, with who did it and what it touched."""

    __tablename__ = "admin_audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    admin_id: Mapped[int] = mapped_column(BigInteger, index=True)
    action: Mapped[str] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # What the action touched: a user id, a comment id… (text: kinds differ); None for none.
    target: Mapped[str | None] = mapped_column(String(64))


class BotAdmin(Base):
    """An admin added from Telegram with /admin add (``telegram.admins`` in the config are
    admins too, and are not stored here)."""

    __tablename__ = "bot_admins"

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    added_by: Mapped[int] = mapped_column(BigInteger)
    added_at: Mapped[datetime] = mapped_column(default=utcnow)


class SeenUpdate(Base):
    """A webhook update id already taken in, so a redelivered update is handled once (across
    processes: the primary key decides)."""

    __tablename__ = "seen_updates"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    seen_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class SiteCommentFeed(Base):
    """The polling state of one explainer's comment feed on the publisher's website: its URL
    (``wfw:commentRss``, else the entry's ``<comments>`` link), conditional-GET validators,
    whether the URL turned out to be no feed, and its health (0010)."""

    __tablename__ = "site_comment_feeds"

    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    url: Mapped[str] = mapped_column(String(2048))
    # feed (polled) | not_feed (a page, not a feed: never fetched again for this URL)
    status: Mapped[str] = mapped_column(String(16), default="feed")
    etag: Mapped[str | None] = mapped_column(String(500))
    last_modified: Mapped[str | None] = mapped_column(String(100))
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None]
    last_success_at: Mapped[datetime | None]
    last_polled_at: Mapped[datetime | None]
    next_poll_at: Mapped[datetime | None] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CommentFollow(Base):
    """A chat that follows a story's comments: each newly published one is relayed to it."""

    __tablename__ = "comment_follows"

    chat_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("chats.id", ondelete="CASCADE", onupdate="CASCADE"),
        primary_key=True, autoincrement=False,
    )
    story_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False,
                                          index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TrackedLink(Base):
    """A short, unguessable link (``<server.public_url>/r/<token>``) standing in for an
    explainer's (or a broadcast's) URL on a "Read" button, so a click can be counted (0013).

    One token per article, not per chat: the outbox renders a pushed explainer once per
    article and language per batch and sends the same message to every chat, so clicks are
    aggregated over all chats (no chat, no user is recorded); click-through is clicks per
    delivered message.
    """

    __tablename__ = "tracked_links"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token: Mapped[str] = mapped_column(String(32), unique=True)
    article_id: Mapped[int | None] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), unique=True
    )
    broadcast_id: Mapped[int | None] = mapped_column(
        ForeignKey("broadcasts.id", ondelete="CASCADE"), index=True
    )
    url: Mapped[str] = mapped_column(String(2048))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LinkClick(Base):
    """Clicks on one tracked link on one UTC day (a count, nothing about who clicked)."""

    __tablename__ = "link_clicks"

    link_id: Mapped[int] = mapped_column(
        ForeignKey("tracked_links.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    clicks: Mapped[int] = mapped_column(Integer, default=0)
