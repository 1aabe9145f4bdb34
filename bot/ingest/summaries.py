"""Extractive summary of one explainer, and the offline tokenizer the summaries rank with.
Pure logic, no I/O.

Everything runs offline. Sentences come from :func:`bot.sentences.segment` (pysbd, which is
rule based). Words are split with a regex. Sentences are ranked with sumy's TextRank, using
sumy's stemmers (NLTK's Snowball stemmers are plain code) and sumy's bundled stop-word lists.
Nothing needs NLTK data such as ``punkt``.

News is written lead first: the opening sentence is the writer's own summary. On 85 news pages
scored against the publishers' own og:description, TextRank alone (ROUGE-1 F1 0.21) lost to
the first sentence alone (0.40). So a summary starts from the lead and fills its remaining
places with the sentences that TextRank rates central, weighted by how early they come; see
:func:`summarize` and docs/performance.md, "Summary quality".

Public API:

* :class:`OfflineTokenizer` can stand in for ``sumy.nlp.tokenizers.Tokenizer``.
* :func:`summarize` gives the key sentences of one text, in document order.
* :func:`description_summary` gives a feed's own description as the summary, when it is one.
* :func:`starts_dangling` (from :mod:`bot.ingest.summary_rules`, where the boilerplate rules
  live too) tells whether a sentence leans on the one before it.
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

from bot.ingest.summary_rules import (
    APOSTROPHES,
    DEFAULT_LANGUAGE,
    WORD_RE,
    is_boilerplate,
    prose_lines,
    starts_dangling,
)
from bot.sentences import segment

__all__ = [
    "DEFAULT_LANGUAGE",
    "LanguageTools",
    "OfflineTokenizer",
    "check_count",
    "content_terms",
    "description_summary",
    "jaccard",
    "language_tools",
    "rank",
    "starts_dangling",
    "summarize",
]

# A sentence with fewer words than this is dropped when a text has longer sentences to offer.
# Examples: "No!", "Talks resume Friday.".
_MIN_WORDS: Final = 4

# Segmenter language codes (bot.sentences.segment) for the language names sumy uses.
# Ukrainian has our own rule there (pysbd lacks it). Any other language falls back to the
# English rules. Those cope well with Latin-script prose.
_PYSBD_CODES: Final[dict[str, str]] = {
    "english": "en",
    "russian": "ru",
    "ukrainian": "uk",
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

# sumy's Ukrainian list (77 words) lacks some of the commonest function words. Ours, added to
# it, and written for newsbot.
_EXTRA_STOP_WORDS: Final[dict[str, frozenset[str]]] = {
    "ukrainian": frozenset({
        "і", "а", "на", "у", "в", "зі", "за", "не", "по", "при", "його", "я", "ця", "ці",
        "той", "та", "вже", "ще", "би", "бо", "якщо", "щоб", "тому", "яка", "яке", "які",
        "має", "буде", "будуть", "мають", "після", "через", "між", "над", "перед", "щодо",
        "також", "лише", "тільки", "ж", "же", "ні", "нема", "немає", "свій", "своє", "свої",
        "своїх", "цього", "цієї", "цих", "цим", "них", "ним", "нею", "йому", "їй", "каже",
        "сказав", "сказала", "заявив", "заявила", "зокрема", "понад", "близько", "року",
    }),
}

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
        return tuple(m.group().translate(APOSTROPHES) for m in WORD_RE.finditer(text))


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
    stop_words |= _EXTRA_STOP_WORDS.get(name, frozenset())
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

# After the lead, a sentence's TextRank score (scaled to the text's best) is divided by
# 1 + _POSITION_DECAY × its place among the candidates, so an early sentence needs less
# centrality to win a place. The lead itself is always taken.
_POSITION_DECAY: Final = 0.5
# A description with more sentences than this many times the summary length is an article
# body, not a summary.
_DESCRIPTION_MAX_FACTOR: Final = 2
_DESCRIPTION_MIN_WORDS: Final = 6
# How a teaser ends: an ellipsis, "[…]", "(...)", "Read more", "Continue reading".
_TEASER_END_RE: Final = re.compile(
    r"(?:\.\.\.|…|\[\s*(?:…|\.\.\.)\s*\]|\(\s*(?:…|\.\.\.)\s*\)|\b(?:read\ more|continue\ reading|"
    r"читати\ далі|читайте\ далі|детальніше)\W*)\s*$",
    re.IGNORECASE | re.VERBOSE,
)
_TEASER_MARK_RE: Final = re.compile(
    r"\bappeared\ first\ on\b|\bcontinue\ reading\b|\[\s*(?:…|\.\.\.)\s*\]",
    re.IGNORECASE | re.VERBOSE,
)
_SENTENCE_END_RE: Final = re.compile(r"[.!?][\"'”’»)\]]*$")
_CLOSING_MARKS: Final = "\"'”’»)] "


def _candidate_sentences(text: str, tools: LanguageTools) -> list[str]:
    """The sentences of a text that may appear in a summary, in document order.

    Captions, credits, bylines and boilerplate are always dropped. Exact repeats are
    dropped. Very short sentences and questions (headings of Q&A explainers,
    rhetorical questions) are dropped too, unless the text has nothing else.
    """
    seen: set[str] = set()
    long_sentences: list[str] = []
    short_sentences: list[str] = []
    for sentence in tools.tokenizer.to_sentences(prose_lines(text)):
        if sentence in seen:
            continue
        seen.add(sentence)
        word_count = len(tools.tokenizer.to_words(sentence))
        if is_boilerplate(sentence, word_count):
            continue
        prose = word_count >= _MIN_WORDS and not sentence.rstrip(_CLOSING_MARKS).endswith("?")
        (long_sentences if prose else short_sentences).append(sentence)
    return long_sentences or short_sentences


def check_count(name: str, value: int) -> None:
    """Raise ``ValueError`` naming ``name`` if ``value`` is negative."""
    if value < 0:
        raise ValueError(f"{name} must be >= 0, got {value}")


def summarize(
    text: str,
    sentences: int = 3,
    language: str = DEFAULT_LANGUAGE,
    max_words: int | None = None,
) -> list[str]:
    """Return the key ``sentences`` sentences of the news text ``text``, in document order.

    An extractive summary: every returned string is one sentence of the input, with
    whitespace normalized (runs of whitespace become one space, the ends are
    stripped, and the text is NFC-normalized). The result is deterministic.

    * The lead (the first sentence that is prose) always comes first: in news it is the
      writer's own summary. The other places go to the sentences with the best TextRank
      score divided by ``1 + 0.5 × position``, so early sentences are preferred.
    * A sentence that leans on the one before it ("But …", "It …", "Але …", see
      :func:`starts_dangling`) is taken only together with that sentence, and a summary
      never starts with one (unless the whole text offers nothing else).
    * Boilerplate is never returned: "Read the full report here.", "More on this topic...",
      "In this video we look at …", newsletter and subscription prompts, "The post …
      appeared first on …", bylines, image captions with credits ("… Photo: Reuters").
    * Sentences with fewer than four words, and questions, are skipped while others are
      available. A text with at most ``sentences`` such sentences is returned whole.
      Empty or whitespace-only text gives ``[]``.

    * With ``max_words``, sentences after the lead are added only while the summary stays
      within that many words (the lead always comes): a push preview is read on a phone,
      and a long third sentence adds little (see "Summary quality" in docs/performance.md).

    ``language`` is an ISO 639-1 code or sumy language name ("en", "uk", "english"...).
    It picks the pysbd rules, the stemmer, the stop words and the words that dangle. With an
    unsupported language the function still works: English sentence rules, no stemming, no
    stop words.

    Raises ``ValueError`` if ``sentences`` is negative.
    """
    check_count("sentences", sentences)
    if sentences == 0:
        return []
    return list(_summary(text, sentences, language, max_words))


# summarize_topic summarizes every article of a topic again each time the topic gets a new
# article. The cache makes the unchanged articles cost nothing. The summary is a pure function
# of its arguments, so caching cannot change a result.
@lru_cache(maxsize=256)
def _summary(
    text: str, sentences: int, language: str, max_words: int | None = None
) -> tuple[str, ...]:
    tools = language_tools(language)
    candidates = _candidate_sentences(text, tools)
    dangling = [starts_dangling(c, language) for c in candidates]
    # Sentences that lean on nothing (the text starts with "But …") are skipped.
    first = next((i for i, flag in enumerate(dangling) if not flag), None)
    if first is None:
        return tuple(candidates[:sentences])
    candidates, dangling = candidates[first:], dangling[first:]
    if len(candidates) <= sentences and (
            max_words is None or sum(len(c.split()) for c in candidates) <= max_words):
        return tuple(candidates)
    scores = rank(candidates, tools)
    top = max(scores) or 1.0
    priority = [score / top / (1 + _POSITION_DECAY * i) for i, score in enumerate(scores)]
    order = [0, *sorted(range(1, len(candidates)), key=lambda i: (-priority[i], i))]
    chosen: set[int] = set()
    for index in order:
        block = {index}
        while dangling[min(block)]:  # bring the sentences it leans on along
            block.add(min(block) - 1)
        block -= chosen
        fits = max_words is None or not chosen or (
            sum(len(candidates[i].split()) for i in chosen | block) <= max_words)
        if len(chosen) + len(block) <= sentences and fits:
            chosen |= block
        if len(chosen) == sentences:
            break
    return tuple(candidates[i] for i in sorted(chosen))


def _normalized(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


def description_summary(
    description: str,
    body: str,
    sentences: int = 3,
    language: str = DEFAULT_LANGUAGE,
) -> list[str]:
    """The feed's own description as the summary, or ``[]`` when it is not a real summary.

    A real summary is the writer's standfirst: whole sentences (at least six words) that
    are not simply the article's opening. These are not: a teaser ending in "…", "[…]",
    "Read more" or "Continue reading"; WordPress's "… [&hellip;] The post … appeared first
    on …"; a copy of the body's first sentence or paragraph (whole or cut mid-sentence),
    which :func:`summarize` covers better from the body itself; text that ends
    mid-sentence; a description longer than twice the summary, which is a body. Its
    sentences are returned, boilerplate dropped, at most ``sentences`` of them, and never
    when the first one dangles.
    """
    check_count("sentences", sentences)
    text = " ".join(description.split())
    if (
        sentences == 0
        or len(text.split()) < _DESCRIPTION_MIN_WORDS
        or _TEASER_MARK_RE.search(text)
        or _TEASER_END_RE.search(text)
        or not _SENTENCE_END_RE.search(text)
    ):
        return []
    tools = language_tools(language)
    picked = _candidate_sentences(text, tools)
    if not picked or len(picked) > _DESCRIPTION_MAX_FACTOR * max(sentences, 1):
        return []
    if _normalized(body).startswith((_normalized(text), _normalized(picked[0]))):
        return []  # a copy of the article's opening (or the whole article)
    if starts_dangling(picked[0], language):
        return []
    return picked[:sentences]
