"""Extractive summaries of explainers and of topics. Pure logic, no I/O.

Everything runs offline. Sentences are split with pysbd, which is rule based.
Words are split with a regex. Sentences are ranked with sumy's TextRank, using
sumy's stemmers (NLTK's Snowball stemmers are plain code) and sumy's bundled
stop-word lists. Nothing needs NLTK data such as ``punkt``.

Public API:

* :class:`OfflineTokenizer` can stand in for ``sumy.nlp.tokenizers.Tokenizer``.
* :func:`summarize` gives the key sentences of one text, in document order.
* :class:`SourceArticle`, :class:`KeyPoint` and :func:`summarize_topic` give the
  key points across several explainers. Each point cites one of them.

The functions are CPU-bound and synchronous. Async callers that summarize long
texts in a hot path can call them through ``asyncio.to_thread``. The module is
thread-safe.
"""

from __future__ import annotations

import math
import re
import threading
import unicodedata
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache, lru_cache
from typing import Any, Final, NamedTuple

from sumy.models.dom import ObjectDocumentModel, Paragraph, Sentence
from sumy.nlp.stemmers import Stemmer, null_stemmer
from sumy.summarizers.text_rank import TextRankSummarizer
from sumy.utils import get_stop_words, normalize_language

with warnings.catch_warnings():
    # pysbd 0.3.4 has regex literals that are not raw strings ('\s' in segmenter.py,
    # '\.' in lang/arabic.py and lang/persian.py). Python warns about them when it compiles those
    # files from source, that is, when no cached .pyc exists (a fresh venv, or
    # PYTHONDONTWRITEBYTECODE / PYTHONPYCACHEPREFIX). The warning is DeprecationWarning on
    # Python 3.11 and SyntaxWarning from 3.12. Under pytest's filterwarnings=error the warning
    # becomes a SyntaxError and the import fails. The warning is harmless: Python keeps unknown
    # escapes verbatim, so the regexes are the ones pysbd meant. The filter matches only that
    # message and only covers this import.
    for _category in (DeprecationWarning, SyntaxWarning):
        warnings.filterwarnings("ignore", message="invalid escape sequence", category=_category)
    del _category
    import pysbd

__all__ = [
    "DEFAULT_LANGUAGE",
    "NEAR_DUPLICATE_THRESHOLD",
    "KeyPoint",
    "OfflineTokenizer",
    "SourceArticle",
    "summarize",
    "summarize_topic",
]

DEFAULT_LANGUAGE: Final = "english"

#: Two candidate sentences whose sets of stemmed content words have a Jaccard similarity of at
#: least this much are treated as one point. On the test fixtures (28 sentences, 378 pairs) the
#: two reworded pairs score 0.79 and 0.92, and the closest distinct pair scores 0.25. A looser
#: paraphrase that falls below the threshold stays a separate point, which is the safer error.
NEAR_DUPLICATE_THRESHOLD: Final = 0.5

# A sentence with fewer words than this is dropped when a text has longer sentences to offer.
# Examples: "No!", "Talks resume Friday.".
_MIN_WORDS: Final = 4
# The boilerplate patterns below apply only to sentences this short.
_BOILERPLATE_MAX_WORDS: Final = 12
# In summarize_topic, each point already taken from an article multiplies that article's next
# point's score by this factor. Another article's weaker point can then win a slot.
_COVERAGE_DECAY: Final = 0.5

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

# Control characters become spaces. Zero-width and invisible formatting characters are removed.
# pysbd can raise an error on control characters (pySBD issue #121), and invisible characters
# break words apart.
_CONTROL_RE: Final = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_INVISIBLE_RE: Final = re.compile("[\u00ad\u200b\u2060\ufeff]")

# Fallback sentence boundary: terminal punctuation, then any closing quotes or brackets, then
# whitespace. Only used if pysbd fails on a paragraph.
_FALLBACK_BOUNDARY_RE: Final = re.compile(r"[.!?…]+[\"'”’»)\]]*\s+")
_OPENERS: Final = "\"'“‘«([¿¡"

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
# Text normalization and tokenization
# --------------------------------------------------------------------------------------------


def _normalized_lines(text: str) -> list[str]:
    """Split text into non-empty lines with normalized whitespace.

    The text is NFC-normalized first. Inside each line, runs of Unicode whitespace
    (including NBSP) collapse to one space.
    """
    text = _INVISIBLE_RE.sub("", unicodedata.normalize("NFC", text))
    lines = (" ".join(_CONTROL_RE.sub(" ", line).split()) for line in text.splitlines())
    return [line for line in lines if line]


@cache
def _segmenter(code: str) -> tuple[Any, threading.Lock]:
    """One pysbd segmenter per language code, with a lock.

    ``Segmenter.segment`` stores the text it is working on in an attribute, so two
    threads must not call the same segmenter at the same time.
    """
    return pysbd.Segmenter(language=code, clean=False), threading.Lock()


def _fallback_split(paragraph: str) -> list[str]:
    """A plain regex splitter, used only where pysbd fails on a paragraph."""
    sentences: list[str] = []
    start = 0
    for match in _FALLBACK_BOUNDARY_RE.finditer(paragraph):
        following = paragraph[match.end() :].lstrip(_OPENERS)
        if following[:1].isupper() or following[:1].isdigit():
            sentences.append(paragraph[start : match.end()].strip())
            start = match.end()
    sentences.append(paragraph[start:].strip())
    return [s for s in sentences if s]


def _merge_continuations(line: str, pieces: list[str]) -> list[str]:
    """Join each piece that starts with a lower-case letter to the piece before it.

    pysbd's abbreviation lists are short for some languages. For example, Russian
    "5 проц. в янв." gets split after "проц.". A real sentence almost never starts in
    lower case. ``pieces`` are consecutive substrings of ``line``, so the joined
    sentence is sliced from ``line`` exactly as written.
    """
    spans: list[tuple[int, int]] = []
    position = 0
    for piece in pieces:
        start = line.find(piece, position)
        if start < 0:  # not a substring of the line: leave pysbd's split alone
            return pieces
        end = start + len(piece)
        if spans and piece.lstrip(_OPENERS)[:1].islower():
            spans[-1] = (spans[-1][0], end)
        else:
            spans.append((start, end))
        position = end
    return [line[start:end] for start, end in spans]


def _without_spaces(text: str) -> str:
    return "".join(text.split())


class OfflineTokenizer:
    """A sentence and word tokenizer for sumy that needs no NLTK data.

    sumy only needs ``to_sentences``, ``to_words`` and ``language``, so an instance
    can be passed anywhere sumy expects ``sumy.nlp.tokenizers.Tokenizer``, for example
    to ``PlaintextParser.from_string``.

    * Sentences come from pysbd, with ``clean=False``. There is one segmenter per
      language for the whole process. Every line break is a sentence boundary, because
      extracted article text has one paragraph per line. A piece that starts with a
      lower-case letter is joined to the sentence before it, which fixes splits after
      abbreviations pysbd does not know. If pysbd fails on a paragraph
      (it can raise an error, or drop text that contains characters it uses internally,
      such as "☝"), that paragraph is split with a plain punctuation regex instead.
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
        sentences: list[str] = []
        for line in _normalized_lines(paragraph):
            sentences.extend(self._segment(line))
        return tuple(sentences)

    def to_words(self, sentence: str) -> tuple[str, ...]:
        """Split a sentence into words. Punctuation, symbols and underscores are dropped."""
        text = unicodedata.normalize("NFC", sentence)
        return tuple(m.group().translate(_APOSTROPHES) for m in _WORD_RE.finditer(text))

    def _segment(self, line: str) -> list[str]:
        segmenter, lock = _segmenter(self._pysbd_code)
        try:
            with lock:
                pieces = segmenter.segment(line)
        # pysbd raises assorted errors on odd input (ValueError, IndexError, ...). One bad
        # paragraph must not stop a summary, and the fallback splitter handles any text.
        except Exception:
            return _fallback_split(line)
        sentences = [s for s in (str(p).strip() for p in pieces) if s]
        # With clean=False pysbd returns pieces of the input. If they do not add up to the whole
        # line, pysbd lost something, so the line is split with the fallback instead.
        if _without_spaces("".join(sentences)) != _without_spaces(line):
            return _fallback_split(line)
        return _merge_continuations(line, sentences)


# --------------------------------------------------------------------------------------------
# Per-language tools
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _LanguageTools:
    tokenizer: OfflineTokenizer
    stem: Callable[[str], str]
    stop_words: frozenset[str]
    summarizer: Any  # sumy's TextRankSummarizer, which has no type hints


@lru_cache(maxsize=32)
def _tools(language: str) -> _LanguageTools:
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
    return _LanguageTools(tokenizer, stem, stop_words, summarizer)


def _content_terms(sentence: str, tools: _LanguageTools) -> frozenset[str]:
    """The stemmed, lower-cased words of a sentence, with stop words removed."""
    terms: set[str] = set()
    for word in tools.tokenizer.to_words(sentence):
        lowered = word.lower()
        if lowered not in tools.stop_words:
            terms.add(str(tools.stem(lowered)))
    return frozenset(terms)


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


# --------------------------------------------------------------------------------------------
# Single-text summary
# --------------------------------------------------------------------------------------------


def _is_boilerplate(sentence: str, word_count: int) -> bool:
    return word_count <= _BOILERPLATE_MAX_WORDS and _BOILERPLATE_RE.match(sentence) is not None


def _candidate_sentences(text: str, tools: _LanguageTools) -> list[str]:
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


def _rank(sentences: Sequence[str], tools: _LanguageTools) -> list[float]:
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


def _check_count(name: str, value: int) -> None:
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
    _check_count("sentences", sentences)
    if sentences == 0:
        return []
    return list(_summary(text, sentences, language))


# summarize_topic summarizes every article of a topic again each time the topic gets a new
# article. The cache makes the unchanged articles cost nothing. The summary is a pure function
# of its arguments, so caching cannot change a result.
@lru_cache(maxsize=256)
def _summary(text: str, sentences: int, language: str) -> tuple[str, ...]:
    tools = _tools(language)
    candidates = _candidate_sentences(text, tools)
    if len(candidates) <= sentences:
        return tuple(candidates)
    scores = _rank(candidates, tools)
    best = sorted(range(len(candidates)), key=lambda i: (-scores[i], i))[:sentences]
    return tuple(candidates[i] for i in sorted(best))


# --------------------------------------------------------------------------------------------
# Topic summary
# --------------------------------------------------------------------------------------------


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


def _priority(point: _Point, taken: dict[int, int]) -> tuple[float, int, int, int]:
    """Sort key for picking the next point. Smaller is better."""
    already = taken.get(point.cited.recency, 0)
    adjusted = point.score * _COVERAGE_DECAY**already
    return (-adjusted, already, point.cited.recency, point.cited.position)


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
                1.0 if m.text.casefold() == folded else _jaccard(m.terms, candidate.terms)
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
    4. Points are picked greedily by score. Each point already taken from an article
       halves the score of that article's later points, so that other articles with
       good points get a place. Ties go to the newer article, then to the earlier
       sentence.

    Articles are ordered by ``published_at``, newest first. Naive datetimes count as
    UTC, and undated articles come after dated ones. With equal dates, input order
    decides. The result is deterministic. Empty input, or input without text, gives
    ``[]``. Raises ``ValueError`` if ``max_points`` or ``per_article`` is negative.
    """
    _check_count("max_points", max_points)
    _check_count("per_article", per_article)
    if max_points == 0 or per_article == 0:
        return []
    tools = _tools(language)

    drafts: list[tuple[str, SourceArticle, int, int]] = []
    for recency, article in enumerate(_newest_first(articles)):
        for position, sentence in enumerate(summarize(article.text, per_article, language)):
            drafts.append((sentence, article, recency, position))
    if not drafts:
        return []

    distinct = list(dict.fromkeys(text for text, *_ in drafts))
    score_of = dict(zip(distinct, _rank(distinct, tools), strict=True))
    terms_of = {text: _content_terms(text, tools) for text in distinct}
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

    chosen: list[KeyPoint] = []
    taken: dict[int, int] = {}  # article recency -> points already taken from it
    while points and len(chosen) < max_points:
        best = min(points, key=lambda point: _priority(point, taken))
        points.remove(best)
        cited = best.cited
        taken[cited.recency] = taken.get(cited.recency, 0) + 1
        article = cited.article
        chosen.append(
            KeyPoint(cited.text, article.article_id, article.title, article.url, best.also_in),
        )
    return chosen
