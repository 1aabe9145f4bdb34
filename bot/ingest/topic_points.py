"""Key points of a topic: the best sentences across its explainers, each citing one of them.

:func:`summarize_topic` takes each explainer's own :func:`~bot.ingest.summaries.summarize`
result, ranks all of them together with TextRank, merges near-duplicates (which may come from
different articles) and deals the points out round-robin: every article's best point before
any article's second, and at most two points from any one explainer, so that one explainer
cannot take every place. Pure logic, no I/O;
CPU-bound and synchronous, thread-safe.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final, NamedTuple

from bot.ingest.summaries import (
    DEFAULT_LANGUAGE,
    check_count,
    content_terms,
    jaccard,
    language_tools,
    rank,
    summarize,
)

__all__ = ["NEAR_DUPLICATE_THRESHOLD", "POINTS_PER_ARTICLE", "KeyPoint", "SourceArticle",
           "summarize_topic"]

#: Two candidate sentences whose sets of stemmed content words have a Jaccard similarity of at
#: least this much are treated as one point. On the test fixtures (28 sentences, 378 pairs) the
#: two reworded pairs score 0.79 and 0.92, and the closest distinct pair scores 0.25. A looser
#: paraphrase that falls below the threshold stays a separate point, which is the safer error.
NEAR_DUPLICATE_THRESHOLD: Final = 0.5

#: No explainer gives more than this many of a topic's key points (fewer points rather than
#: one explainer's summary passed off as the topic's).
POINTS_PER_ARTICLE: Final = 2


@dataclass(frozen=True, slots=True)
class SourceArticle:
    """One explainer on a topic, the input of :func:`summarize_topic`."""

    article_id: int
    title: str
    url: str
    text: str
    published_at: datetime | None


@dataclass(frozen=True, slots=True)
class KeyPoint:
    """One key point of a topic.

    ``text`` is a sentence of the article named by ``article_id``, ``title`` and
    ``url``. ``also_in`` lists the other articles, newest first, that make the
    same point in nearly the same words.
    """

    text: str
    article_id: int
    title: str
    url: str
    also_in: tuple[int, ...]


class _Candidate(NamedTuple):
    text: str
    article: SourceArticle
    recency: int  # 0 = newest article
    position: int  # order within the article's own summary
    score: float
    terms: frozenset[str]


class _Point(NamedTuple):
    score: float
    cited: _Candidate
    also_in: tuple[int, ...]


def _best_first(point: _Point) -> tuple[float, int, int]:
    """Sort key of points: higher score, then newer article, then earlier sentence."""
    return (-point.score, point.cited.recency, point.cited.position)


def _round_robin(points: list[_Point], max_points: int,
                 per_article: int = POINTS_PER_ARTICLE) -> list[_Point]:
    """Deal points out in rounds: in each round every article that has points left gives
    its best remaining one, the rounds' points ordered best first; an article gives at most
    ``per_article`` points."""
    queues: dict[int, list[_Point]] = {}
    for point in sorted(points, key=_best_first):
        queues.setdefault(point.cited.recency, []).append(point)
    queues = {recency: queue[:per_article] for recency, queue in queues.items()}
    dealt: list[_Point] = []
    while queues and len(dealt) < max_points:
        this_round = sorted((queue.pop(0) for queue in queues.values()), key=_best_first)
        dealt.extend(this_round[: max_points - len(dealt)])
        queues = {recency: queue for recency, queue in queues.items() if queue}
    return dealt


def _newest_first(articles: Sequence[SourceArticle]) -> list[SourceArticle]:
    """Articles sorted newest first. Undated articles go last, and ties keep input order.

    Naive datetimes are taken to be UTC, so that they compare with aware ones.
    Repeated ``article_id`` values keep only their newest occurrence.
    """

    def timestamp(article: SourceArticle) -> float:
        published = article.published_at
        if published is None:
            return -math.inf
        if published.tzinfo is None:
            published = published.replace(tzinfo=UTC)
        return published.timestamp()

    ordered = sorted(enumerate(articles), key=lambda pair: (-timestamp(pair[1]), pair[0]))
    seen: set[int] = set()
    unique: list[SourceArticle] = []
    for _, article in ordered:
        if article.article_id not in seen:
            seen.add(article.article_id)
            unique.append(article)
    return unique


def _cluster(candidates: list[_Candidate], threshold: float) -> list[list[_Candidate]]:
    """Group near-duplicate candidates. Candidates are visited best-first.

    A candidate joins the existing group with the most similar member, if that
    similarity reaches ``threshold``. Otherwise it starts a new group. Equal
    similarities go to the earlier group. Sentences identical apart from case
    always join.
    """
    clusters: list[list[_Candidate]] = []
    for candidate in sorted(candidates, key=lambda c: (-c.score, c.recency, c.position)):
        best_index, best_similarity = -1, 0.0
        folded = candidate.text.casefold()
        for index, members in enumerate(clusters):
            similarity = max(
                1.0 if m.text.casefold() == folded else jaccard(m.terms, candidate.terms)
                for m in members
            )
            if similarity > best_similarity:
                best_index, best_similarity = index, similarity
        if best_index >= 0 and best_similarity >= threshold:
            clusters[best_index].append(candidate)
        else:
            clusters.append([candidate])
    return clusters


def summarize_topic(
    articles: Sequence[SourceArticle],
    max_points: int = 5,
    per_article: int = 3,
    *,
    language: str = DEFAULT_LANGUAGE,
    points_per_article: int = POINTS_PER_ARTICLE,
) -> list[KeyPoint]:
    """Return up to ``max_points`` key points across a topic's explainers, best first.

    1. Candidates are each article's own :func:`summarize` result, at most
       ``per_article`` sentences per article.
    2. All candidates are ranked together with TextRank. A sentence that agrees with
       other articles ranks higher.
    3. Near-duplicate candidates, which may come from different articles, merge into
       one point. They merge when the Jaccard similarity of their stemmed content
       words is at least :data:`NEAR_DUPLICATE_THRESHOLD`. The point quotes the
       merged sentence from the newest article, cites that article, and lists the
       others in ``also_in``.
    4. Points are dealt out round-robin by rank: first every article's best point, then
       every article's second best, and so on, each round best first, and no article gives
       more than ``points_per_article`` (:data:`POINTS_PER_ARTICLE`, two) points. So no
       article gives more than ``ceil(max_points / articles)`` points while another still
       has one to give, and a
       single article gives at most two: fewer points rather than one explainer's summary.
       Ties go to the newer article, then to the earlier sentence.

    Articles are ordered by ``published_at``, newest first. Naive datetimes count as
    UTC, and undated articles come after dated ones. With equal dates, input order
    decides. The result is deterministic. Empty input, or input without text, gives
    ``[]``. Raises ``ValueError`` if ``max_points`` or ``per_article`` is negative.
    """
    check_count("max_points", max_points)
    check_count("per_article", per_article)
    if max_points == 0 or per_article == 0:
        return []
    tools = language_tools(language)

    drafts: list[tuple[str, SourceArticle, int, int]] = []
    for recency, article in enumerate(_newest_first(articles)):
        for position, sentence in enumerate(summarize(article.text, per_article, language)):
            drafts.append((sentence, article, recency, position))
    if not drafts:
        return []

    distinct = list(dict.fromkeys(text for text, *_ in drafts))
    score_of = dict(zip(distinct, rank(distinct, tools), strict=True))
    terms_of = {text: content_terms(text, tools) for text in distinct}
    candidates = [
        _Candidate(text, article, recency, position, score_of[text], terms_of[text])
        for text, article, recency, position in drafts
    ]

    points: list[_Point] = []
    for members in _cluster(candidates, NEAR_DUPLICATE_THRESHOLD):
        cited = min(members, key=lambda c: (c.recency, -c.score, c.position))
        others = sorted(members, key=lambda c: c.recency)
        also_in = tuple(
            dict.fromkeys(
                m.article.article_id
                for m in others
                if m.article.article_id != cited.article.article_id
            ),
        )
        points.append(_Point(max(m.score for m in members), cited, also_in))

    return [
        KeyPoint(point.cited.text, point.cited.article.article_id, point.cited.article.title,
                 point.cited.article.url, point.also_in)
        for point in _round_robin(points, max_points, points_per_article)
    ]
