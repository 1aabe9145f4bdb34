"""Tests for bot.ingest.summaries and bot.ingest.topic_points: offline tokenizer, single-text
and topic summaries."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import nltk
import pysbd.languages
import pytest
from sumy.nlp.tokenizers import Tokenizer as SumyTokenizer
from sumy.parsers.plaintext import PlaintextParser

from bot import sentences
from bot.ingest import summaries
from bot.ingest.summaries import OfflineTokenizer, summarize
from bot.ingest.topic_points import KeyPoint, SourceArticle, summarize_topic

REPO_ROOT = Path(__file__).resolve().parents[2]
FIXTURES = REPO_ROOT / "tests" / "fixtures" / "summaries"


def fixture_text(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


POW_EXPLAINER = fixture_text("pow_explainer.txt")
GRAIN_DEAL = fixture_text("grain_deal.txt")
GRAIN_CORRIDOR = fixture_text("grain_corridor.txt")
ENERGY_PRICES = fixture_text("energy_prices.txt")

# The two fixtures report the same fact in slightly different words.
DEAL_IN_GRAIN_DEAL = (
    "The deal, brokered by Turkey and the United Nations in July 2022, allowed Ukraine to export "
    "grain from three of its Black Sea ports."
)
DEAL_IN_GRAIN_CORRIDOR = (
    "The deal, brokered by Turkey and the UN in July 2022, let Ukraine export grain from three "
    "Black Sea ports."
)


def article(
    article_id: int,
    text: str,
    published_at: datetime | None,
    title: str | None = None,
) -> SourceArticle:
    return SourceArticle(
        article_id=article_id,
        title=title or f"Explainer {article_id}",
        url=f"https://news.example/explainers/{article_id}",
        text=text,
        published_at=published_at,
    )


def grain_deal(published_at: datetime | None = datetime(2023, 7, 20, tzinfo=UTC)) -> SourceArticle:
    return article(1, GRAIN_DEAL, published_at, "What the end of the grain deal means")


def grain_corridor(
    published_at: datetime | None = datetime(2023, 10, 2, tzinfo=UTC),
) -> SourceArticle:
    return article(2, GRAIN_CORRIDOR, published_at, "How Ukraine keeps its grain moving")


def energy_prices(
    published_at: datetime | None = datetime(2023, 1, 5, tzinfo=UTC),
) -> SourceArticle:
    return article(3, ENERGY_PRICES, published_at, "Why Europe's gas bill exploded")


@pytest.fixture
def tokenizer() -> OfflineTokenizer:
    return OfflineTokenizer("english")


# --------------------------------------------------------------------------------------------
# Offline tokenizer
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "text", "sentences"),
    [
        # Abbreviations (Mr., U.S., p.m., Jan., e.g., Lt. Col.) do not end a sentence.
        pytest.param(
            "english",
            "Mr. Putin met U.S. officials on Monday. Dr. Smith arrived at 5 p.m. on Friday. "
            "Prices rose in Jan. and Feb., according to the E.U. statistics office. "
            "Others, e.g. Lt. Col. Ivanov, did not speak.",
            (
                "Mr. Putin met U.S. officials on Monday.",
                "Dr. Smith arrived at 5 p.m. on Friday.",
                "Prices rose in Jan. and Feb., according to the E.U. statistics office.",
                "Others, e.g. Lt. Col. Ivanov, did not speak.",
            ),
            id="abbreviations",
        ),
        # A sentence keeps its closing quote, with straight or curly quotes.
        pytest.param(
            "english",
            '“We will not give up,” he said. "Is it over?" she asked. No one answered.',
            ("“We will not give up,” he said.", '"Is it over?" she asked.', "No one answered."),
            id="closing-quotes",
        ),
        # Line breaks end sentences; tabs, NBSP, runs of spaces, ZWSP are normalized.
        pytest.param(
            "english",
            "Breaking news\r\n\r\n  Prices\u00a0rose\t\tsharply   today.  "
            "Wor\u200bkers protested.\n",
            ("Breaking news", "Prices rose sharply today.", "Workers protested."),
            id="line-breaks-and-whitespace",
        ),
        # Splits after abbreviations pysbd lacks (Russian "проц.", "т. е.") are undone.
        pytest.param(
            "russian",
            "Цены на газ выросли на 5 проц. в янв. Правительство молчит. "
            "Т. е. ничего не изменилось.",
            (
                "Цены на газ выросли на 5 проц. в янв.",
                "Правительство молчит.",
                "Т. е. ничего не изменилось.",
            ),
            id="rejoin-lower-case",
        ),
        # A sentence pysbd silently drops (it contains its placeholder "☝") is kept.
        pytest.param(
            "english",
            "Prices rose ☝ today. Then they fell.",
            ("Prices rose ☝ today.", "Then they fell."),
            id="pysbd-placeholder",
        ),
        # Control characters, which crash pysbd (pySBD issue #121), are neutralized.
        pytest.param(
            "english",
            "1.\x1f\x1fApples are cheap.\x1d2.\x1f\x1fBananas are not.",
            ("1. Apples are cheap.", "2. Bananas are not."),
            id="control-characters",
        ),
    ],
)
def test_sentences(language: str, text: str, sentences: tuple[str, ...]) -> None:
    """The offline tokenizer splits text into sentences where a reader would (see each case)."""
    assert OfflineTokenizer(language).to_sentences(text) == sentences


def test_sentences_fall_back_when_pysbd_raises(
    tokenizer: OfflineTokenizer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """If pysbd raises on a paragraph, the regex fallback still splits it."""

    class Exploding:
        def segment(self, text: str) -> list[str]:
            raise ValueError("invalid literal for int() with base 10")

    monkeypatch.setattr(sentences, "_segmenter", lambda code: (Exploding(), threading.Lock()))
    assert tokenizer.to_sentences("Talks failed. “Nothing changed,” he said. 2024 was worse.") == (
        "Talks failed.",
        "“Nothing changed,” he said.",
        "2024 was worse.",
    )


def test_words_handle_unicode_letters_and_apostrophes(tokenizer: OfflineTokenizer) -> None:
    """Words keep Cyrillic, accents, digits, apostrophes, initialisms; quotes/symbols drop."""
    text = (
        "Цены выросли, — сказал Пётр. L'État a déjà payé 5 milliards €. "
        "Russia’s army doesn't want the 'manipulation' claim in the U.S. Cafe\u0301 snake_case!"
    )
    assert tokenizer.to_words(text) == (
        "Цены",
        "выросли",
        "сказал",
        "Пётр",
        "L'État",
        "a",
        "déjà",
        "payé",
        "5",
        "milliards",
        "Russia's",
        "army",
        "doesn't",
        "want",
        "the",
        "manipulation",
        "claim",
        "in",
        "the",
        "U.S",
        "Café",
        "snake",
        "case",
    )


def test_tokenizer_normalizes_language_names() -> None:
    """language holds sumy's language name for names and ISO codes alike."""
    assert OfflineTokenizer("en").language == "english"
    assert OfflineTokenizer("English").language == "english"
    assert OfflineTokenizer("uk").language == "ukrainian"


def test_tokenizer_is_a_drop_in_for_sumy_parsers(tokenizer: OfflineTokenizer) -> None:
    """sumy's PlaintextParser works with the offline tokenizer in place of NLTK's."""
    parser = PlaintextParser.from_string(
        "Mr. Smith went to Kyiv. He met the U.S. envoy.", tokenizer
    )
    sentences = parser.document.sentences
    assert [str(s) for s in sentences] == ["Mr. Smith went to Kyiv.", "He met the U.S. envoy."]
    assert sentences[1].words == ("He", "met", "the", "U.S", "envoy")


def test_every_language_mapping_names_a_segmenter_language() -> None:
    """Every code in the language table is one pysbd supports or one with our own rule."""
    supported = set(pysbd.languages.LANGUAGE_CODES) | sentences._OWN_RULE_LANGUAGES
    assert set(summaries._PYSBD_CODES.values()) <= supported


# --------------------------------------------------------------------------------------------
# Offline operation
# --------------------------------------------------------------------------------------------


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("summaries tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(nltk, "download", refuse)


@pytest.fixture
def fresh_caches() -> Iterator[None]:
    """Empty the per-language caches, so the test builds segmenter, stemmer, stop words."""

    def clear() -> None:
        summaries._summary.cache_clear()
        summaries.language_tools.cache_clear()
        sentences._segmenter.cache_clear()

    clear()
    yield
    clear()


@pytest.mark.usefixtures("no_network", "fresh_caches")
def test_summarize_works_in_this_environment_without_punkt() -> None:
    """punkt is absent here, yet summarize works, with the network blocked."""
    for resource in ("tokenizers/punkt", "tokenizers/punkt_tab"):
        try:
            nltk.data.find(resource)
        except LookupError:
            continue  # expected: this run shows the data is not needed
        pytest.skip(f"NLTK {resource} is installed here, so this run cannot show it is unneeded")
    assert len(summarize(POW_EXPLAINER)) == 3


@pytest.mark.usefixtures("no_network", "fresh_caches")
def test_summaries_need_no_nltk_data_at_all(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With no NLTK data at all, sumy's tokenizer fails but both summaries work."""
    monkeypatch.setattr(nltk.data, "path", [str(tmp_path)])
    with pytest.raises(LookupError):
        SumyTokenizer("english")

    assert len(summarize(POW_EXPLAINER)) == 3
    assert summarize_topic([grain_deal(), grain_corridor()], max_points=2)


def test_module_imports_from_source_with_warnings_as_errors(tmp_path: Path) -> None:
    """Importing from source (cold bytecode cache) under -W error succeeds."""
    env = {**os.environ, "PYTHONPYCACHEPREFIX": str(tmp_path), "PYTHONWARNINGS": "error"}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", "import bot.ingest.summaries"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr


# --------------------------------------------------------------------------------------------
# summarize
# --------------------------------------------------------------------------------------------


def test_summarize_sample_gives_three_input_sentences_in_document_order(
    tokenizer: OfflineTokenizer,
) -> None:
    """The sample's summary is three of its sentences, in document order."""
    summary = summarize(POW_EXPLAINER)
    sentences = list(tokenizer.to_sentences(POW_EXPLAINER))

    assert len(summary) == 3
    assert all(s in POW_EXPLAINER for s in summary)
    positions = [sentences.index(s) for s in summary]
    assert positions == sorted(positions)


def test_summarize_sample_picks_sentences_from_the_explainer_itself() -> None:
    """Pins today's picks: the lead, then what follows it; no video prompt or related teaser."""
    assert summarize(POW_EXPLAINER) == [
        "The Kremlin appears to be employing a deliberate tactic of abandoning its own troops to "
        "avoid domestic embarrassment as well as sow discord in Ukrainian society.",
        "For nearly four months now, there have been no prisoner swaps between Ukraine and "
        "Russia, the last one taking place on August 7 during which 22 Ukrainian soldiers were "
        "returned home.",
        "But since then, thousands of Ukrainian POWs have been languishing in Russian captivity, "
        "while rising rates of desertions mean the number of Russian POWs in Ukrainian captivity "
        "continues to increase.",
    ]


@pytest.mark.usefixtures("fresh_caches")
def test_summarize_is_deterministic() -> None:
    """Repeated calls give the same summary, with cold or warm caches."""
    first = summarize(POW_EXPLAINER, sentences=4)
    summaries._summary.cache_clear()
    summaries.language_tools.cache_clear()
    assert summarize(POW_EXPLAINER, sentences=4) == first
    assert summarize(POW_EXPLAINER, sentences=4) == first


@pytest.mark.parametrize("count", [1, 2, 5])
def test_summarize_returns_the_requested_number_of_sentences(count: int) -> None:
    """A long text gives exactly the requested number of sentences."""
    assert len(summarize(POW_EXPLAINER, sentences=count)) == count


def test_short_text_is_returned_whole() -> None:
    """A text with at most N sentences comes back whole, in order."""
    text = (
        "The central bank raised rates again on Thursday.\n"
        "Inflation has stayed above its target all year."
    )
    assert summarize(text, sentences=3) == [
        "The central bank raised rates again on Thursday.",
        "Inflation has stayed above its target all year.",
    ]
    assert summarize(text, sentences=2) == summarize(text, sentences=3)


@pytest.mark.parametrize("text", ["", "   ", "\n\n\t \u00a0\n"])
def test_empty_or_blank_text_gives_no_sentences(text: str) -> None:
    """Empty or whitespace-only text gives an empty summary."""
    assert summarize(text) == []


def test_zero_sentences_gives_empty_summary_and_negative_is_rejected() -> None:
    """sentences=0 gives []; a negative count raises ValueError."""
    assert summarize(POW_EXPLAINER, sentences=0) == []
    with pytest.raises(ValueError, match="sentences"):
        summarize(POW_EXPLAINER, sentences=-1)


def test_boilerplate_lines_are_never_returned() -> None:
    """Lines like "More on this topic..." or "Read the full report here." are dropped."""
    text = (
        "Ukraine and Russia have not exchanged prisoners for nearly four months.\n\n"
        "More on this topic...\n\n"
        "Kyiv blames Moscow for stalling the swaps.\n\n"
        "Read the full report here.\n\n"
        "Click here to subscribe to our newsletter."
    )
    assert summarize(text, sentences=5) == [
        "Ukraine and Russia have not exchanged prisoners for nearly four months.",
        "Kyiv blames Moscow for stalling the swaps.",
    ]
    assert all("Read the full" not in s for s in summarize(POW_EXPLAINER, sentences=12))


def test_long_sentence_starting_like_boilerplate_is_kept() -> None:
    """A long sentence that merely starts like boilerplate ("Read more") is kept."""
    sentence = (
        "Read more closely, the agreement signed in Istanbul obliges both sides to exchange "
        "every wounded prisoner within a month of the ceasefire."
    )
    assert summarize(sentence) == [sentence]


def test_very_short_sentences_only_fill_in_when_nothing_longer_exists() -> None:
    """Sentences under 4 words are used only when the text has nothing longer."""
    text = "No! Talks resume Friday. The two delegations will meet in Istanbul next week."
    assert summarize(text) == ["The two delegations will meet in Istanbul next week."]
    assert summarize("No! Talks resume Friday.") == ["No!", "Talks resume Friday."]


def test_repeated_sentences_appear_once() -> None:
    """A sentence repeated in the text appears once in the summary."""
    text = (
        "Gas prices fell for a third week.\n"
        "Gas prices fell for a third week.\n"
        "Storage sites are almost full ahead of winter."
    )
    assert summarize(text) == [
        "Gas prices fell for a third week.",
        "Storage sites are almost full ahead of winter.",
    ]


def test_returned_sentences_have_normalized_whitespace() -> None:
    """Returned sentences are whitespace-normalized whatever the input spacing."""
    text = POW_EXPLAINER.replace(" ", "  ").replace("\n\n", "\r\n \t\r\n").replace(",", ",\u00a0")
    summary = summarize(text)
    assert summary == [" ".join(s.replace("\u00a0", " ").split()) for s in summarize(POW_EXPLAINER)]


def test_summarize_handles_languages_without_bundled_stop_words() -> None:
    """Russian (no sumy stop-word list) still gives a summary of its sentences."""
    text = (
        "Цены на газ в Европе резко выросли после сокращения поставок из России. "
        "Правительства потратили миллиарды евро на поддержку домохозяйств. "
        "Евросоюз заполнил газовые хранилища перед зимой. "
        "Поставки сжиженного газа из США заменили часть российского газа. "
        "Цены на газ с тех пор снизились, но остаются выше довоенного уровня."
    )
    summary = summarize(text, sentences=2, language="russian")
    assert len(summary) == 2
    assert all(s in text for s in summary)


def test_summarize_falls_back_for_unknown_languages() -> None:
    """A language with no stemmer, stop words or pysbd rules still gets a summary."""
    summary = summarize(POW_EXPLAINER, sentences=2, language="klingon")
    assert len(summary) == 2
    assert all(s in POW_EXPLAINER for s in summary)


def test_summary_is_a_fresh_list_each_call() -> None:
    """Mutating a returned summary does not change what later calls return."""
    first = summarize(POW_EXPLAINER)
    first.clear()
    assert len(summarize(POW_EXPLAINER)) == 3


# --------------------------------------------------------------------------------------------
# summarize_topic
# --------------------------------------------------------------------------------------------


def sentences_of(source: SourceArticle) -> set[str]:
    return set(OfflineTokenizer().to_sentences(source.text))


def test_near_duplicates_merge_into_one_point_citing_the_newest_article() -> None:
    """A fact in two articles is one point citing the newer, the older in also_in."""
    points = summarize_topic([grain_deal(), grain_corridor()])

    merged = [p for p in points if p.also_in]
    assert merged == [
        KeyPoint(
            text=DEAL_IN_GRAIN_CORRIDOR,
            article_id=2,
            title="How Ukraine keeps its grain moving",
            url="https://news.example/explainers/2",
            also_in=(1,),
        ),
    ]
    assert DEAL_IN_GRAIN_DEAL not in [p.text for p in points]
    # Both sentences were candidates, so they really were merged, not just left out.
    assert DEAL_IN_GRAIN_DEAL in summarize(GRAIN_DEAL)
    assert DEAL_IN_GRAIN_CORRIDOR in summarize(GRAIN_CORRIDOR)


def test_merged_point_follows_the_newer_article_when_dates_swap() -> None:
    """When the other article is newer, the merged point quotes and cites it."""
    points = summarize_topic(
        [
            grain_deal(datetime(2024, 2, 1, tzinfo=UTC)),
            grain_corridor(datetime(2023, 10, 2, tzinfo=UTC)),
        ],
    )
    merged = [p for p in points if p.also_in]
    assert [(p.text, p.article_id, p.also_in) for p in merged] == [
        (DEAL_IN_GRAIN_DEAL, 1, (2,)),
    ]


def test_reworded_sentences_deeper_in_the_articles_merge_too() -> None:
    """With all sentences as candidates, the reworded withdrawal sentence merges too."""
    points = summarize_topic([grain_deal(), grain_corridor()], max_points=50, per_article=50)
    withdrawal = [p for p in points if p.text.startswith("Russia pulled out of the agreement")]
    assert len(withdrawal) == 1
    assert (withdrawal[0].article_id, withdrawal[0].also_in) == (2, (1,))


def test_distinct_sentences_on_the_same_topic_are_not_merged() -> None:
    """Sentences sharing topic words but stating different facts stay apart."""
    points = summarize_topic([grain_deal(), grain_corridor()], max_points=50, per_article=50,
                             points_per_article=50)
    texts = [p.text for p in points]
    # 12 candidate sentences (6 per article); only the two reworded pairs merge.
    assert len(points) == 10
    assert len(texts) == len(set(texts))
    assert sum(1 for p in points if p.also_in) == 2


def test_every_point_quotes_the_article_it_cites() -> None:
    """Each point's text is a sentence of the article its id, title and url name."""
    sources = [grain_deal(), grain_corridor(), energy_prices(), article(4, POW_EXPLAINER, None)]
    by_id = {s.article_id: s for s in sources}
    points = summarize_topic(sources, max_points=12)

    assert points
    for point in points:
        cited = by_id[point.article_id]
        assert point.text in sentences_of(cited)
        assert (point.title, point.url) == (cited.title, cited.url)
        assert point.article_id not in point.also_in


@pytest.mark.parametrize("max_points", [1, 2, 4, 6])
def test_max_points_is_respected(max_points: int) -> None:
    """Exactly max_points points come back when there are enough candidates (three
    articles give at most six: two each)."""
    points = summarize_topic(
        [grain_deal(), grain_corridor(), energy_prices()],
        max_points=max_points,
    )
    assert len(points) == max_points


def test_points_come_from_several_articles() -> None:
    """Three articles, three slots: one point each, though one article ranks highest."""
    points = summarize_topic([grain_deal(), grain_corridor(), energy_prices()], max_points=3)
    assert sorted(p.article_id for p in points) == [1, 2, 3]


def test_a_single_article_gives_at_most_two_points() -> None:
    """With a single article, its best two points come back, not its whole summary."""
    points = summarize_topic([energy_prices()], max_points=5, per_article=3)
    assert len(points) == 2
    assert {p.article_id for p in points} == {3}
    assert {p.text for p in points} <= set(summarize(ENERGY_PRICES, 3))


def test_no_article_gives_more_than_two_points() -> None:
    """However many places there are, each explainer gives at most two of the points."""
    sources = [grain_deal(), grain_corridor(), energy_prices(), article(4, POW_EXPLAINER, None)]
    points = summarize_topic(sources, max_points=20, per_article=5)
    per_article: dict[int, int] = {}
    for point in points:
        per_article[point.article_id] = per_article.get(point.article_id, 0) + 1
    assert len(per_article) == 4
    assert max(per_article.values()) == 2


def test_per_article_limits_candidates_from_each_article() -> None:
    """per_article caps the points each article can supply."""
    sources = [grain_deal(), grain_corridor(), energy_prices()]
    points = summarize_topic(sources, max_points=20, per_article=2)
    cited = [p.article_id for p in points]
    assert all(cited.count(source.article_id) <= 2 for source in sources)
    assert len(summarize_topic(sources, max_points=20, per_article=4)) > len(points)


def test_top_sentences_of_two_articles_merge_when_they_say_the_same() -> None:
    """With per_article=2 (each lead and the deal sentence) the deal sentences are one point."""
    points = summarize_topic([grain_deal(), grain_corridor()], max_points=10, per_article=2)
    assert len(points) == 3
    assert [(p.text, p.article_id, p.also_in) for p in points if p.also_in] == [
        (DEAL_IN_GRAIN_CORRIDOR, 2, (1,)),
    ]


def test_topic_summary_is_deterministic_and_ignores_input_order() -> None:
    """Same points for any input order (distinct dates) and on every call."""
    sources = [grain_deal(), grain_corridor(), energy_prices()]
    expected = summarize_topic(sources)
    assert summarize_topic(list(reversed(sources))) == expected
    assert summarize_topic(sources[1:] + sources[:1]) == expected
    assert summarize_topic(tuple(sources)) == expected


@pytest.fixture
def local_time_ahead_of_utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Run with the process's local time zone at UTC+9, so local time differs from UTC."""
    if not hasattr(time, "tzset"):
        pytest.skip("time.tzset is not available on this platform")
    monkeypatch.setenv("TZ", "JST-9")  # POSIX TZ string: needs no tz database
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.usefixtures("local_time_ahead_of_utc")
def test_naive_dates_count_as_utc_and_undated_articles_rank_as_oldest() -> None:
    """Naive dates count as UTC (not local time) next to aware ones; undated count as oldest."""
    # 01:00 naive is newer than 00:00 UTC only when naive means UTC. Read as local
    # time at UTC+9, it would be 16:00 UTC the day before.
    naive_newer = summarize_topic(
        [grain_deal(datetime(2023, 7, 20, tzinfo=UTC)), grain_corridor(datetime(2023, 7, 20, 1))],
    )
    assert [(p.article_id, p.also_in) for p in naive_newer if p.also_in] == [(2, (1,))]

    undated = summarize_topic([grain_deal(datetime(2020, 1, 1)), grain_corridor(None)])
    assert [(p.article_id, p.also_in) for p in undated if p.also_in] == [(1, (2,))]


@pytest.mark.parametrize(
    "sources",
    [[], [article(1, "", None)], [article(1, "  \n ", None), article(2, "", None)]],
)
def test_topic_without_text_gives_no_points(sources: list[SourceArticle]) -> None:
    """No articles, or articles without text, give no key points."""
    assert summarize_topic(sources) == []


def test_topic_counts_must_not_be_negative() -> None:
    """Zero counts give no points. Negative counts are caller errors."""
    sources = [grain_deal()]
    assert summarize_topic(sources, max_points=0) == []
    assert summarize_topic(sources, per_article=0) == []
    with pytest.raises(ValueError, match="max_points"):
        summarize_topic(sources, max_points=-1)
    with pytest.raises(ValueError, match="per_article"):
        summarize_topic(sources, per_article=-2)


def test_key_points_and_articles_are_immutable() -> None:
    """SourceArticle and KeyPoint are frozen dataclasses."""
    point = summarize_topic([grain_deal()], max_points=1)[0]
    with pytest.raises(AttributeError):
        point.text = "changed"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        grain_deal().title = "changed"  # type: ignore[misc]
