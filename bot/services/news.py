"""Pull side: /latest, /topic and /search answers from stored articles and topic summaries.

Nothing is summarised here: ingestion stores each article's summary and each topic's key
points, so a command is a few indexed reads. A /latest page costs a constant number of
queries whatever its size: the stories from ``ix_articles_newest``, their versions, then the
cards' articles, topics, tags and feeds in one batch each.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.domain import ArticleCard, LatestPage, TopicTag, topic_name
from bot.i18n import current_language
from bot.ingest.languages import primary_language
from bot.ingest.topic_matching import normalise_label
from bot.ingest.urls import canonical_url
from storage import articles as articles_dao
from storage import feeds as feeds_dao
from storage import latest as latest_dao
from storage import search as search_dao
from storage import topics as topics_dao

# The rule delivery uses to pick a story's version for a chat's language, shared so /latest
# and pushes agree (storage/deliveries.py is owned by the delivery work; not copied).
from storage.deliveries import _choose_versions as choose_versions
from storage.models import Article, Topic

LATEST_LIMIT = 5
SEARCH_LIMIT = 10
#: Longer queries are cut to this many characters (a search needs a few words, not a page).
SEARCH_QUERY_CHARS = 200
LATEST_MAX = 20
#: /topic shows at most this many key points from any one explainer, so a topic's points
#: come from several explainers (also enforced on summaries stored before the cap).
POINTS_PER_EXPLAINER = 2

_NUMBER = re.compile(r"[+-]?[0-9]+")


@dataclass(frozen=True)
class LatestQuery:
    """What a reader asked /latest for: how many, of which topic ("" = the chat's topics);
    ``clamped`` when they asked for more than :data:`LATEST_MAX`."""

    count: int = LATEST_LIMIT
    topic: str = ""
    clamped: bool = False


def parse_latest_args(args: Sequence[str]) -> LatestQuery | None:
    """``/latest [n] [topic]`` → a query; None when ``n`` is zero or negative (usage).

    A first word that is not a whole number starts the topic ("/latest abc" asks for the
    topic "abc"); n above :data:`LATEST_MAX` is clamped to it."""
    words = [word for word in args if word.strip()]
    if words and _NUMBER.fullmatch(words[0]):
        digits = words[0].lstrip("+")
        if digits.startswith("-") or int(digits[:7]) < 1:
            return None
        count = int(digits) if len(digits) <= 6 else LATEST_MAX + 1
        return LatestQuery(min(count, LATEST_MAX), " ".join(words[1:]), count > LATEST_MAX)
    return LatestQuery(LATEST_LIMIT, " ".join(words))




@dataclass(frozen=True)
class TopicDigest:
    """A topic's stored key points: (point text, source title, canonical source url)."""

    topic: TopicTag
    points: tuple[tuple[str, str, str], ...]


@dataclass(frozen=True)
class TopicLookup:
    """The result of resolving what a reader typed after /topic."""

    topic: TopicTag | None
    candidates: tuple[TopicTag, ...]


def localized_name(topic: Topic) -> str:
    """The topic's name in the language being rendered (the publisher's translation from the
    config's ``names``, else its name): what every reply naming a topic shows."""
    return topic_name(topic.name, topic.names, current_language())


def topic_tag(topic: Topic) -> TopicTag:
    """A stored topic as readers of the current language see it."""
    return TopicTag(topic.slug, localized_name(topic))


def _fold(text: str) -> str:
    """What a reader typed and a topic's labels, compared: case, accents, apostrophe
    spellings, hyphens and punctuation do not count ("war-in-ukraine" is "War in Ukraine")."""
    return normalise_label(text)


async def load_card(session: AsyncSession, article_id: int) -> ArticleCard | None:
    """Everything the renderer needs to show one article."""
    article = await articles_dao.get_article(session, article_id)
    if article is None:
        return None
    return await _card(session, article)


def _version_for(story_id: int, versions: Sequence[tuple[int, str | None]],
                 language: str | None) -> int:
    """The version of a story a reader of ``language`` gets, as delivery chooses it."""
    if not versions:
        return story_id
    original, by_language = choose_versions(story_id, versions)
    return by_language.get(language, original) if language else original


async def load_cards(session: AsyncSession, article_ids: Sequence[int]) -> list[ArticleCard]:
    """Cards of several articles in their order, in four queries whatever their number; the
    date shown is the publication date, else when the article arrived."""
    rows = await latest_dao.card_rows(session, article_ids)
    cards = []
    for article_id in article_ids:
        article = rows.articles.get(article_id)
        if article is None:
            continue
        card = _card_of(article, rows.topics.get(article_id, []),
                        rows.tags.get(article_id, []),
                        rows.feed_names.get(article.feed_id) if article.feed_id else None)
        cards.append(replace(card, published_at=article.published_at or article.created_at))
    return cards


def _card_of(article: Article, topics: Sequence[tuple[str, str]], tags: Sequence[str],
             feed_name: str | None) -> ArticleCard:
    return ArticleCard(
        title=article.title,
        url=article.canonical_url,  # what readers follow: no tracking parameters, no fragment
        summary=article.summary,
        topics=tuple(TopicTag(slug, name) for slug, name in topics),
        tags=tuple(tags),
        image_url=article.image_url,
        published_at=article.published_at,
        source=feed_name,
        updated=article.updated,
        author=article.author,
    )


async def _card(session: AsyncSession, article: Article) -> ArticleCard:
    topics = await articles_dao.article_topics(session, article.id)
    feed_name = None
    if article.feed_id is not None:
        feed = await feeds_dao.get_feed(session, article.feed_id)
        feed_name = feed.title or feed.name if feed else None
    return ArticleCard(
        title=article.title,
        url=article.canonical_url,  # what readers follow: no tracking parameters, no fragment
        summary=article.summary,
        topics=tuple(TopicTag(slug, name) for slug, name in topics),
        tags=tuple(await articles_dao.article_tags(session, article.id)),
        image_url=article.image_url,
        published_at=article.published_at,
        source=feed_name,
        updated=article.updated,
        author=article.author,
    )


class TopicIndex:
    """The catalogue as readers name it: slug, name, its names in other languages and
    configured aliases, in any script, compared case-, accent- and punctuation-insensitively
    (one catalogue read serves many lookups, e.g. the several topics of one /subscribe).
    ``tags`` carry the names in the language the index was built in."""

    SUGGESTIONS = 3
    SUGGEST_CUTOFF = 0.6

    def __init__(self, tags: tuple[TopicTag, ...],
                 aliases: Mapping[str, tuple[str, ...]]) -> None:
        self.tags = tags
        self._aliases = aliases

    def _labels(self, tag: TopicTag) -> tuple[str, ...]:
        return (_fold(tag.slug), _fold(tag.name), *self._aliases.get(tag.slug, ()))

    def find(self, query: str) -> TopicLookup:
        """Resolve a slug, a name, an alias or keyword, or an unambiguous part of one."""
        wanted = _fold(query)
        tags = self.tags
        if not wanted:
            return TopicLookup(None, tags)
        for tag in tags:
            if wanted in self._labels(tag):
                return TopicLookup(tag, ())
        partial = tuple(t for t in tags if any(wanted in label for label in self._labels(t)))
        if len(partial) == 1:
            return TopicLookup(partial[0], ())
        return TopicLookup(None, partial or tags)

    def suggest(self, query: str) -> tuple[TopicTag, ...]:
        """Near misses for a name that matched nothing ("ecnomy" → Economy), best first, by
        :mod:`difflib` similarity to each topic's labels."""
        wanted = _fold(query)[:100]
        if not wanted:
            return ()
        by_label: dict[str, TopicTag] = {}
        for tag in self.tags:
            for label in self._labels(tag):
                by_label.setdefault(label, tag)
        close = difflib.get_close_matches(wanted, list(by_label), n=self.SUGGESTIONS * 3,
                                          cutoff=self.SUGGEST_CUTOFF)
        found: list[TopicTag] = []
        for label in close:
            if by_label[label] not in found:
                found.append(by_label[label])
        return tuple(found[: self.SUGGESTIONS])


class NewsService:
    """Answers the reader's pull commands."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        topic_aliases: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        self._sessions = session_factory
        # slug → the configured aliases and keywords that also name the topic, in any script
        self._aliases = {slug: tuple(_fold(alias) for alias in aliases)
                         for slug, aliases in (topic_aliases or {}).items()}

    async def topic_index(self) -> TopicIndex:
        """The active topic catalogue with its labels, to resolve what readers type."""
        async with self._sessions() as session:
            topics = await topics_dao.list_active_topics(session)
        # A topic answers to its name in every language, whichever the reader's is.
        labels = {t.slug: (*(_fold(t.name), *(_fold(n) for n in (t.names or {}).values())),
                           *self._aliases.get(t.slug, ())) for t in topics}
        return TopicIndex(tuple(topic_tag(t) for t in topics), labels)

    async def find_topic(self, query: str) -> TopicLookup:
        """Resolve a slug, a name, an alias or keyword, or an unambiguous part of one."""
        return (await self.topic_index()).find(query)

    async def latest(self, limit: int = LATEST_LIMIT, topic_slug: str | None = None
                     ) -> list[ArticleCard]:
        """The newest explainers, optionally of one topic (every version; no chat)."""
        async with self._sessions() as session:
            articles = await articles_dao.latest_articles(session, limit, topic_slug)
            return [await _card(session, article) for article in articles]

    async def latest_page(
        self,
        chat_id: int,
        *,
        thread_id: int = 0,
        count: int = LATEST_LIMIT,
        topic: TopicTag | None = None,
        topic_id: int | None = None,
        after: int | None = None,
        language: str | None = None,
    ) -> LatestPage | None:
        """A page of the newest stories for a chat: of ``topic`` (by slug) or ``topic_id``
        when given, else of the topics the chat (in a forum, the thread) follows, else of
        all; one entry per story, in the chat's language where the story has a version in it
        (``language`` stands in when the chat has none stored), older than the article
        ``after`` when paging. None when the cursor or topic no longer exists (stale)."""
        count = max(1, min(count, LATEST_MAX))
        async with self._sessions() as session:
            stored_language, followed = await latest_dao.chat_reading_profile(
                session, chat_id, thread_id)
            wanted = primary_language(stored_language) or primary_language(language)
            if topic is not None:
                topic_id = await latest_dao.topic_id(session, topic.slug)
                if topic_id is None:
                    return None
            elif topic_id is not None:
                slug = await latest_dao.topic_slug(session, topic_id)
                if slug is None:
                    return None
                row = await topics_dao.get_topic_by_slug(session, slug)
                topic = topic_tag(row) if row else TopicTag(slug, slug)
            cursor = None
            if after is not None:
                position = await latest_dao.article_position(session, after)
                if position is None:
                    return None
                cursor = (position, after)
            scope = [topic_id] if topic_id is not None else followed
            placed = await latest_dao.newest_stories(session, count + 1, scope, cursor)
            shown = placed[:count]
            versions = await latest_dao.story_versions(session, [p.story_id for p in shown])
            chosen = [_version_for(p.story_id, versions.get(p.story_id, []), wanted)
                      for p in shown]
            cards = await load_cards(session, chosen)
        next_after = shown[-1].article_id if len(placed) > count else None
        return LatestPage(tuple(cards), count, next_after, topic, topic_id)

    async def topic_digest(self, topic: TopicTag) -> TopicDigest:
        """The stored key points of a topic (empty if it has no explainers yet)."""
        async with self._sessions() as session:
            row = await topics_dao.get_topic_by_slug(session, topic.slug)
            stored = await topics_dao.get_topic_summary(session, row.id) if row else None
        # Key points stored before citations used canonical URLs still carry the feed's
        # link (tracking parameters and all): clean them on the way out.
        points = tuple(
            (str(p["text"]), str(p["title"]), canonical_url(str(p["url"])))
            for p in (stored.points if stored else [])
        )
        return TopicDigest(topic, cap_per_explainer(points))

    async def search(self, words: str, limit: int = SEARCH_LIMIT) -> list[ArticleCard]:
        """Explainers whose title, summary or body hold the words, best match first (dated
        like /latest: published, else arrived).

        Case and (where the database allows) accents do not count; a query longer than
        SEARCH_QUERY_CHARS is cut; a query without letters or digits finds nothing."""
        query = words.strip()[:SEARCH_QUERY_CHARS]
        if not query or limit <= 0:
            return []
        async with self._sessions() as session:
            ids = await search_dao.search_articles(session, query, limit)
            return await load_cards(session, ids)  # a few queries, not three per result


def cap_per_explainer(
    points: Sequence[tuple[str, str, str]], limit: int = POINTS_PER_EXPLAINER
) -> tuple[tuple[str, str, str], ...]:
    """Keep at most ``limit`` points citing any one explainer (by its URL), in order."""
    taken: dict[str, int] = {}
    kept = []
    for point in points:
        taken[point[2]] = taken.get(point[2], 0) + 1
        if taken[point[2]] <= limit:
            kept.append(point)
    return tuple(kept)
