"""Extractive summary of one explainer, and the offline tokenizer the summaries rank with.
Pure logic, no I/O.

Everything runs offline. Sentences come from :func:`bot.sentences.segment` (pysbd, which is
rule based). Words are split with a regex. Sentences are ranked with sumy's TextRank, using
sumy's stemmers (NLTK's Snowball stemmers are plain code) and sumy's bundled stop-word lists.
Nothing needs NLTK data such as ``punkt``.

Public API:

* :class:`OfflineTokenizer` can stand in for ``sumy.nlp.tokenizers.Tokenizer``.
* :func:`summarize` gives the key sentences of one text, in document order.
* :func:`language_tools`, :func:`rank`, :func:`content_terms`, :func:`jaccard` are the
  per-language tools and scores that :mod:`bot.ingest.topic_points` builds on.

The functions are CPU-bound and synchronous. Async callers that summarize long
texts in a hot path can call them through ``asyncio.to_thread``. The module is
thread-safe.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Final

from sumy.models.dom import ObjectDocumentModel, Paragraph, Sentence
from sumy.nlp.stemmers import Stemmer, null_stemmer
from sumy.summarizers.text_rank import TextRankSummarizer
from sumy.utils import get_stop_words, normalize_language

from bot.sentences import segment

__all__ = [
    "DEFAULT_LANGUAGE",
    "LanguageTools",
    "OfflineTokenizer",
    "check_count",
    "content_terms",
    "jaccard",
    "language_tools",
    "rank",
    "summarize",
]

DEFAULT_LANGUAGE: Final = "english"

# A sentence with fewer words than this is dropped when a text has longer sentences to offer.
# Examples: "No!", "Talks resume Friday.".
_MIN_WORDS: Final = 4
# The boilerplate patterns below apply only to sentences this short.
_BOILERPLATE_MAX_WORDS: Final = 12

# pysbd language codes for the language names sumy uses. Ukrainian is missing from pysbd, and
# the Russian rules (Cyrillic abbreviations) are the closest match. Any other language falls
# back to the English rules. Those cope well with Latin-script prose.
_PYSBD_CODES: Final[dict[str, str]] = {
    "english": "en",
    "russian": "ru",
    "ukrainian": "ru",
    "german": "de",
    "french": "fr",
    "spanish": "es",
    "italian": "it",
    "dutch": "nl",
    "danish": "da",
    "polish": "pl",
    "slovak": "sk",
    "bulgarian": "bg",
    "greek": "el",
    "kazakh": "kk",
    "armenian": "hy",
    "arabic": "ar",
    "persian": "fa",
    "urdu": "ur",
    "hindi": "hi",
    "marathi": "mr",
    "amharic": "am",
    "burmese": "my",
    "chinese": "zh",
    "japanese": "ja",
}
_FALLBACK_PYSBD_CODE: Final = "en"

# A word is either a dotted initialism ("U.S." gives "U.S", "e.g." gives "e.g") or a run of
# letters or digits, which may contain apostrophes ("doesn't", "l'État"). Hyphens split words,
# so "Georgian-based" gives two words. \w is Unicode-aware for str patterns. The [^\W_] class
# removes the underscore from \w, and [^\W\d_] also removes digits, leaving letters.
_WORD_RE: Final = re.compile(r"[^\W\d_](?:\.[^\W\d_])+|[^\W_]+(?:['’ʼ][^\W_]+)*")
# Typographic apostrophes become ASCII ones. That way "Russia’s" matches the stop-word lists
# and the stemmer's rule for possessives.
_APOSTROPHES: Final = str.maketrans({"’": "'", "ʼ": "'"})

# Lines that are navigation or promotion, not content. Each pattern must match the whole
# sentence, and the sentence must have at most _BOILERPLATE_MAX_WORDS words. So "Read the full
# report here." is dropped, but a longer sentence that starts with "Read" is kept.
_BOILERPLATE_RE: Final = re.compile(
    r"""^(?:
        (?:read|see|watch|listen\ to)\s+(?:the\s+)?(?:full|whole|complete|original)\b.*
      | (?:read|see)\s+(?:more|also)\b.*
      | (?:click|tap)\s+here\b.*
      | more\s+(?:on|about)\s+(?:this|the)\s+(?:topic|story|subject|issue)\b.*
      | related(?:\s+(?:articles?|stories|coverage|content))?\s*[:.…]*
      | (?:subscribe|sign\ up)\b.*\b(?:newsletter|updates|channel)\b.*
    )$""",
    re.IGNORECASE | re.VERBOSE,
)


# --------------------------------------------------------------------------------------------
# Tokenization
# --------------------------------------------------------------------------------------------


class OfflineTokenizer:
    """A sentence and word tokenizer for sumy that needs no NLTK data.

    sumy only needs ``to_sentences``, ``to_words`` and ``language``, so an instance
    can be passed anywhere sumy expects ``sumy.nlp.tokenizers.Tokenizer``, for example
    to ``PlaintextParser.from_string``.

    * Sentences come from :func:`bot.sentences.segment` with the pysbd rules for the
      language: every line break is a sentence boundary, pieces that start in lower case
      rejoin the sentence before them, and lines pysbd fails on are split by the project's
      rule-based splitter.
    * Words are runs of Unicode letters or digits and may contain apostrophes.
      Typographic apostrophes are returned as ASCII ``'``. Dotted initialisms stay
      one word without their final dot ("U.S." gives "U.S").
    """

    __slots__ = ("_language", "_pysbd_code")

    def __init__(self, language: str = DEFAULT_LANGUAGE) -> None:
        self._language: str = normalize_language(language)
        self._pysbd_code = _PYSBD_CODES.get(self._language, _FALLBACK_PYSBD_CODE)

    @property
    def language(self) -> str:
        """The normalized language name, for example ``"english"``."""
        return self._language

    def to_sentences(self, paragraph: str) -> tuple[str, ...]:
        """Split text into stripped, whitespace-normalized sentences."""
        return tuple(segment(paragraph, self._pysbd_code))

    def to_words(self, sentence: str) -> tuple[str, ...]:
        """Split a sentence into words. Punctuation, symbols and underscores are dropped."""
        text = unicodedata.normalize("NFC", sentence)
        return tuple(m.group().translate(_APOSTROPHES) for m in _WORD_RE.finditer(text))


# --------------------------------------------------------------------------------------------
# Per-language tools
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LanguageTools:
    """What summarizing in one language takes: tokenizer, stemmer, stop words, TextRank."""

    tokenizer: OfflineTokenizer
    stem: Callable[[str], str]
    stop_words: frozenset[str]
    summarizer: Any  # sumy's TextRankSummarizer, which has no type hints


@lru_cache(maxsize=32)
def language_tools(language: str) -> LanguageTools:
    """The tools for a sumy language name or ISO code, built once per language."""
    tokenizer = OfflineTokenizer(language)
    name = tokenizer.language
    stem: Callable[[str], str]
    try:
        stem = Stemmer(name)
    except LookupError:  # sumy and NLTK have no stemmer for this language
        stem = null_stemmer
    try:
        stop_words = frozenset(w.lower() for w in get_stop_words(name))
    except LookupError:  # sumy bundles no stop-word list for this language (Russian, for one)
        stop_words = frozenset()
    summarizer = TextRankSummarizer(stem)
    summarizer.stop_words = stop_words
    return LanguageTools(tokenizer, stem, stop_words, summarizer)


def content_terms(sentence: str, tools: LanguageTools) -> frozenset[str]:
    """The stemmed, lower-cased words of a sentence, with stop words removed."""
    terms: set[str] = set()
    for word in tools.tokenizer.to_words(sentence):
        lowered = word.lower()
        if lowered not in tools.stop_words:
            terms.add(str(tools.stem(lowered)))
    return frozenset(terms)


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    """The Jaccard similarity of two term sets; 0 if either is empty."""
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def rank(sentences: Sequence[str], tools: LanguageTools) -> list[float]:
    """TextRank scores for distinct sentences, in the same order as the input.

    sumy's summarizer accepts a callable as the sentence count. sumy calls it with
    every sentence, sorted by rating. Here it is used to read all the ratings.
    """
    if len(sentences) <= 1:
        return [1.0] * len(sentences)
    document = ObjectDocumentModel(
        [Paragraph([Sentence(s, tools.tokenizer) for s in sentences])],
    )
    scores = [0.0] * len(sentences)

    def record(infos: list[Any]) -> list[Any]:
        for info in infos:
            rating = float(info.rating)
            # A NaN or infinite score counts as 0, so that ordering stays well-defined.
            scores[int(info.order)] = rating if math.isfinite(rating) else 0.0
        return infos

    tools.summarizer(document, record)
    return scores


# --------------------------------------------------------------------------------------------
# Single-text summary
# --------------------------------------------------------------------------------------------


def _is_boilerplate(sentence: str, word_count: int) -> bool:
    return word_count <= _BOILERPLATE_MAX_WORDS and _BOILERPLATE_RE.match(sentence) is not None


def _candidate_sentences(text: str, tools: LanguageTools) -> list[str]:
    """The sentences of a text that may appear in a summary, in document order.

    Boilerplate is always dropped. Exact repeats are dropped. Very short sentences
    are dropped too, unless the text has nothing else.
    """
    seen: set[str] = set()
    long_sentences: list[str] = []
    short_sentences: list[str] = []
    for sentence in tools.tokenizer.to_sentences(text):
        if sentence in seen:
            continue
        seen.add(sentence)
        word_count = len(tools.tokenizer.to_words(sentence))
        if _is_boilerplate(sentence, word_count):
            continue
        (long_sentences if word_count >= _MIN_WORDS else short_sentences).append(sentence)
    return long_sentences or short_sentences


def check_count(name: str, value: int) -> None:
    """Raise ``ValueError`` naming ``name`` if ``value`` is negative."""
    if value < 0:
        raise ValueError(f"{name} must be >= 0, got {value}")


def summarize(text: str, sentences: int = 3, language: str = DEFAULT_LANGUAGE) -> list[str]:
    """Return the ``sentences`` most central sentences of ``text``, in document order.

    An extractive summary: every returned string is one sentence of the input, with
    whitespace normalized (runs of whitespace become one space, the ends are
    stripped, and the text is NFC-normalized). Sentences are ranked with TextRank.
    Equal scores go to the earlier sentence. The result is deterministic.

    Boilerplate such as "Read the full report here." or "More on this topic..." is
    never returned. Sentences with fewer than four words are skipped while longer
    ones are available. A text with at most ``sentences`` sentences is returned
    whole. Empty or whitespace-only text gives ``[]``.

    ``language`` is a sumy language name or ISO 639 code ("english", "en",
    "russian"...). It picks the pysbd rules, the stemmer and the stop words. With an
    unsupported language the function still works: English sentence rules, no
    stemming, no stop words.

    Raises ``ValueError`` if ``sentences`` is negative.
    """
    check_count("sentences", sentences)
    if sentences == 0:
        return []
    return list(_summary(text, sentences, language))


# summarize_topic summarizes every article of a topic again each time the topic gets a new
# article. The cache makes the unchanged articles cost nothing. The summary is a pure function
# of its arguments, so caching cannot change a result.
@lru_cache(maxsize=256)
def _summary(text: str, sentences: int, language: str) -> tuple[str, ...]:
    tools = language_tools(language)
    candidates = _candidate_sentences(text, tools)
    if len(candidates) <= sentences:
        return tuple(candidates)
    scores = rank(candidates, tools)
    best = sorted(range(len(candidates)), key=lambda i: (-scores[i], i))[:sentences]
    return tuple(candidates[i] for i in sorted(best))
