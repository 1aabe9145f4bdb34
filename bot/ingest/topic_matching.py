"""Topic tagging: map a feed entry's categories and text to the publisher's topics.

A category names a topic when, normalised (:func:`fold_text`, then punctuation and runs of
whitespace collapsed), it equals the topic's slug, name, an alias or a keyword. Keywords are
also searched in the text as whole words or phrases, Unicode-aware and insensitive to case,
accents and the spelling of apostrophes: "war" matches "War." and "post-war" but not "warm"
or "award"; "Енергетика" matches "енергетика", "cafe" matches "Café", "памʼять" matches
"пам’ять" and "пам'ять". Categories that name no topic are kept as tags.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # only for annotations: keeps the ingestion worker process lean
    from bot.config import TopicSettings

MAX_TAG_LENGTH = 200
_PUNCTUATION_OR_SPACE = re.compile(r"[\W_]+")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class MatchResult:
    """Topics an entry belongs to (in catalogue order) and its leftover categories."""

    topic_slugs: tuple[str, ...]
    tags: tuple[str, ...]


# Ukrainian is written with several apostrophes (U+02BC is a letter to the regex engine).
_APOSTROPHES = str.maketrans(dict.fromkeys("ʼ’‘`´ʹ′", "'"))


def fold_text(text: str) -> str:
    """Return ``text`` as compared: casefolded, NFKD without combining marks (so "é" is "e"
    and "ї" is "і" on both sides), apostrophe variants as ``'``."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return bare.translate(_APOSTROPHES)


def normalise_label(label: str) -> str:
    """Return ``label`` as compared: :func:`fold_text`, punctuation and spaces collapsed."""
    return _PUNCTUATION_OR_SPACE.sub(" ", fold_text(label)).strip()


def display_tag(category: str) -> str:
    """Return ``category`` as kept for display: NFKC, trimmed, single spaces, length-capped."""
    text = _SPACES.sub(" ", unicodedata.normalize("NFKC", category)).strip()
    return text[:MAX_TAG_LENGTH].rstrip()


def _keyword_pattern(keywords: Iterable[str]) -> re.Pattern[str] | None:
    alternatives: list[str] = []
    for keyword in keywords:
        words = fold_text(keyword).split()
        if words:
            alternatives.append(r"\s+".join(re.escape(word) for word in words))
    if not alternatives:
        return None
    alternatives.sort(key=len, reverse=True)
    # (?<!\w) / (?!\w) instead of \b: they also hold next to a keyword that starts or ends
    # with punctuation ("c++"), and \w is Unicode-aware, so Cyrillic and accents count.
    return re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)")


@dataclass(frozen=True, slots=True)
class _TopicRule:
    slug: str
    pattern: re.Pattern[str] | None


class TopicMatcher:
    """Match categories and text against a topic catalogue (immutable once built)."""

    def __init__(self, topics: Sequence[TopicSettings]) -> None:
        self._order = {topic.slug: index for index, topic in enumerate(topics)}
        labels: dict[str, str] = {}
        for topic in topics:
            # A category naming the topic in another language (a Ukrainian feed's
            # "Війна в Україні") is the topic too.
            names = (topic.slug, topic.slug.replace("-", " "), topic.name,
                     *topic.names.values(), *topic.aliases, *topic.keywords)
            for name in names:
                label = normalise_label(name)
                if label:
                    labels.setdefault(label, topic.slug)
        self._labels = labels
        self._rules = tuple(
            _TopicRule(topic.slug, _keyword_pattern(topic.keywords)) for topic in topics
        )

    @property
    def slugs(self) -> tuple[str, ...]:
        """Every topic slug the matcher knows, in catalogue order."""
        return tuple(self._order)

    def match(self, categories: Iterable[str], text: str) -> MatchResult:
        """Return the topics named by ``categories`` or found in ``text``, and the tags."""
        found: set[str] = set()
        tags: list[str] = []
        seen_tags: set[str] = set()
        categories_seen = list(categories)
        for category in categories_seen:
            label = normalise_label(category)
            if not label:
                continue
            slug = self._labels.get(label)
            if slug is not None:
                found.add(slug)
                continue
            tag = display_tag(category)
            key = tag.casefold()
            if tag and key not in seen_tags:
                seen_tags.add(key)
                tags.append(tag)
        # Categories are searched too, one per segment, so a phrase never spans two of them.
        segments = [*categories_seen, text]
        haystack = fold_text("\n|\n".join(segments))
        for rule in self._rules:
            if (rule.slug not in found and rule.pattern is not None
                    and rule.pattern.search(haystack)):
                found.add(rule.slug)
        ordered = tuple(sorted(found, key=self._order.__getitem__))
        return MatchResult(topic_slugs=ordered, tags=tuple(tags))
