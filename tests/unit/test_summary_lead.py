"""Summaries keep the lead: lead first, no dangling openers, no boilerplate, real feed
descriptions used, and topic key points drawn from several explainers."""

from __future__ import annotations

import itertools
import math
from collections import Counter
from datetime import UTC, datetime

import pytest

from bot.ingest.feed_parsing import parse_feed
from bot.ingest.processing import _summary_of, process_entries
from bot.ingest.summaries import description_summary, starts_dangling, summarize
from bot.ingest.topic_matching import TopicMatcher
from bot.ingest.topic_points import SourceArticle, summarize_topic
from tests.support.demo_feed import DEMO_DATA
from tests.support.samples import POW_EXPLAINER_PARAGRAPHS

POW_LEAD = POW_EXPLAINER_PARAGRAPHS[0]
POW_TEXT = "\n".join(POW_EXPLAINER_PARAGRAPHS)


def make_source(article_id: int, text: str, day: int) -> SourceArticle:
    return SourceArticle(article_id=article_id, title=f"Explainer {article_id}",
                         url=f"https://news.example/{article_id}", text=text,
                         published_at=datetime(2023, 11, day, tzinfo=UTC))


# --- the sample explainer ----------------------------------------------------------------------


def test_sample_summary_keeps_the_lead_and_drops_the_video_prompt() -> None:
    """The sample's summary opens with its lead and has no "In this video" sentence."""
    summary = summarize(POW_TEXT)
    assert summary[0] == POW_LEAD
    assert POW_LEAD.startswith("The Kremlin appears to be employing a deliberate tactic")
    assert not any("In this video" in sentence for sentence in summary)


def test_demo_feed_summary_of_the_sample_keeps_the_lead() -> None:
    """Ingesting the shipped demo feed stores a summary of the sample that starts with its lead."""
    parsed = parse_feed((DEMO_DATA / "explainers-after.xml").read_bytes(),
                        "https://news.example.org/feed.xml")
    entries = process_entries(parsed, TopicMatcher([]), 3)
    pows = next(e for e in entries if "POWs" in e.title)
    assert pows.summary.startswith(POW_LEAD)
    assert "In this video" not in pows.summary


# --- dangling openers --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "sentence"),
    [
        ("en", "But since then, thousands of prisoners have been languishing in captivity."),
        ("en", "However, the talks collapsed within a week."),
        ("en", "It calls on the Office for Students to act."),
        ("en", "“This is a disaster,” the minister said."),
        ("en", "They say the decision came too late."),
        ("en", "Also on Tuesday, the central bank met."),
        ("en", "And the shelling went on."),
        ("en", "At the same time, prices kept rising."),
        ("uk", "Але відтоді тисячі полонених залишаються в Росії."),
        ("uk", "Однак переговори зірвалися за тиждень."),
        ("uk", "Проте запасних трансформаторів бракує."),
        ("uk", "Це друге зниження поспіль."),
        ("uk", "Вони кажуть, що рішення запізнилося."),
        ("uk", "Також у вівторок засідав Нацбанк."),
        ("uk", "І обстріли тривали всю ніч."),
        ("uk", "Крім того, уряд підвищив податки."),
    ],
)
def test_connectives_and_pronouns_dangle(language: str, sentence: str) -> None:
    """Openers that lean on the sentence before are recognised in English and Ukrainian."""
    assert starts_dangling(sentence, language)


@pytest.mark.parametrize(
    ("language", "sentence"),
    [
        ("en", "This week the talks resumed in Istanbul."),
        ("en", "The Kremlin appears to be employing a deliberate tactic."),
        ("en", "Italy's prime minister arrived in Kyiv on Monday."),
        ("en", "Since then, exports have doubled."),
        ("uk", "Цього року експорт зерна зріс."),
        ("uk", "Україна та Росія не обмінювалися полоненими."),
        ("uk", "Італійська делегація прибула до Києва."),
    ],
)
def test_ordinary_openers_do_not_dangle(language: str, sentence: str) -> None:
    """Nouns, names and time phrases ("This week", "Цього року") are not dangling openers."""
    assert not starts_dangling(sentence, language)


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "But the government says the plan is working as intended.\n"
               "The finance ministry published new figures on the budget deficit on Monday.\n"
               "It says the deficit narrowed to 3 percent of output last year.\n"
               "Economists had expected a gap of about 4 percent for the year."),
        ("en", "However, officials would not confirm the number of casualties.\n"
               "They said rescue work would continue through the night."),
        ("uk", "Але уряд наполягає, що план працює як слід.\n"
               "Міністерство фінансів у понеділок оприлюднило нові дані про дефіцит бюджету.\n"
               "Воно повідомляє, що дефіцит скоротився до 3 відсотків минулого року.\n"
               "Економісти очікували розрив близько 4 відсотків."),
        ("uk", "Однак посадовці не підтвердили кількість постраждалих.\n"
               "Вони сказали, що рятувальні роботи триватимуть усю ніч.\n"
               "Проте мешканців попросили не повертатися до будинку."),
    ],
)
@pytest.mark.parametrize("count", [1, 2, 3])
def test_no_summary_starts_with_a_dangling_opener(language: str, text: str, count: int) -> None:
    """A summary never opens on "But/However/It/Але/Однак…" when the text has anything else,
    and a dangling sentence appears only right after the sentence it leans on."""
    summary = summarize(text, count, language)
    assert summary
    sentences = [s for s in text.splitlines() if s]
    if not all(starts_dangling(s, language) for s in sentences):
        assert not starts_dangling(summary[0], language)
    for earlier, later in itertools.pairwise(summary):
        if starts_dangling(later, language):
            assert sentences.index(later) == sentences.index(earlier) + 1


def test_a_text_of_only_dangling_sentences_still_gets_a_summary() -> None:
    """With nothing else to offer, the text's own opening is the summary."""
    text = "But nobody knows.\nAnd nobody asks why it happened at all."
    assert summarize(text, 1) == ["And nobody asks why it happened at all."]


# --- boilerplate -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "line"),
    [
        ("en", "In this video we look at the current situation with POW swaps, possible reasons "
               "for the delay and what the families of prisoners say about it."),
        ("en", "Sign up for our Ukraine Briefing newsletter to get the latest in your inbox."),
        ("en", "The post Universities told to act on free speech appeared first on The Desk."),
        ("en", "By Olena Hrytsenko and Mark Trevelyan in Kyiv"),
        ("en", "Workers repair a damaged substation near Kharkiv. Photo: Reuters/Vyacheslav "
               "Madiyevskyy"),
        ("en", "A container ship in the Red Sea. AFP via Getty Images"),
        ("en", "Reporting by Pavel Polityuk; Editing by Mark Heinrich"),
        ("en", "Get our morning and afternoon news emails, free app or daily news podcast"),
        ("uk", "У цьому відео ми розповідаємо, як змінилася енергосистема і чого найбільше "
               "бояться енергетики."),
        ("uk", "Підписуйтеся на наш Telegram-канал, щоб першими дізнаватися новини."),
        ("uk", "Читайте також: Росія вдарила по портовій інфраструктурі на Дунаї"),
        ("uk", "Ремонт підстанції на Харківщині. Фото: Укренерго"),
        ("uk", "Автор: Марія Коваль"),
    ],
)
def test_boilerplate_is_dropped(language: str, line: str) -> None:
    """Video and newsletter prompts, WordPress footers, bylines and captions never appear."""
    lead = ("Ukraine exported more grain through its own corridor in October than in any month "
            "since the deal collapsed." if language == "en" else
            "Україна у жовтні експортувала власним коридором більше зерна, ніж будь-коли "
            "після виходу Росії з угоди.")
    text = f"{lead}\n{line}\nTraders said insurers had cut their war-risk premiums again."
    summary = " ".join(summarize(text, 3, language))
    assert lead in summary
    assert line not in summary
    assert not any(part in summary for part in line.split(". ")[1:])


def test_wire_dateline_stays_with_the_lead() -> None:
    """A "(Reuters) -" dateline is part of the lead sentence and stays."""
    lead = ("LONDON (Reuters) - The Bank of England held interest rates at 5.25% on Thursday "
            "and pushed back against expectations of cuts.")
    text = f"{lead}\nSix members voted to keep rates unchanged.\nSterling slipped afterwards."
    assert summarize(text, 1) == [lead]


# --- the feed's own description ----------------------------------------------------------------

BODY = (
    "Universities in England will face fines if they fail to protect lawful free speech, under "
    "guidance published by the regulator on Tuesday.\n"
    "The Office for Students said institutions must not cancel events simply because a "
    "speaker's views are controversial.\n"
    "It calls on universities to review codes of conduct that could discourage academics.\n"
    "Student unions will also be covered by the new duties for the first time."
)
STANDFIRST = ("New guidance from England's higher education regulator sets out what "
              "universities must do to protect free speech, with fines for those that fail.")


def test_a_real_description_is_the_summary() -> None:
    """The writer's standfirst, different from the lead, is used as written."""
    assert description_summary(STANDFIRST, BODY, 3) == [STANDFIRST]
    assert _summary_of(BODY, STANDFIRST, 3) == STANDFIRST


@pytest.mark.parametrize(
    "description",
    [
        "New guidance from England's higher education regulator sets out what universities…",
        "New guidance from England's higher education regulator sets out what universities "
        "must do [&#8230;]".replace("&#8230;", "…"),
        f"{STANDFIRST} Continue reading...",
        f"{STANDFIRST[:-1]} […] The post Free speech rules appeared first on The Desk.",
        "Universities in England will face fines if they fail to protect lawful free speech, "
        "under guidance",  # the first paragraph cut mid-sentence
        BODY.splitlines()[0],  # a copy of the lead: the body's summary covers it and more
        "Read more",
    ],
)
def test_teasers_and_copies_of_the_lead_are_not_used(description: str) -> None:
    """Teasers, WordPress excerpts and copies of the opening give way to the body's summary."""
    assert description_summary(description, BODY, 3) == []
    summary = _summary_of(BODY, description, 3)
    assert summary.startswith(BODY.splitlines()[0])
    assert "It calls on" not in summary.split(". ")[0]


def test_a_description_that_is_a_whole_body_is_summarized() -> None:
    """A feed with no content, whose description is the article, gets a real summary."""
    long_description = " ".join(f"Sentence number {n} adds one more fact to the story."
                                for n in range(12))
    assert description_summary(long_description, "", 3) == []
    assert len(_summary_of(long_description, long_description, 3).split(". ")) == 3


# --- topic key points --------------------------------------------------------------------------

PRICES = (
    "Gas prices in Europe rose sharply after Russia cut pipeline deliveries to the continent.\n"
    "Governments spent billions of euros shielding households from higher gas bills.\n"
    "The European Union filled its gas storage sites ahead of winter.\n"
    "Gas prices have since fallen but remain above their level before the war."
)
GRAIN = (
    "Ukraine has kept shipping grain through its own corridor since Russia quit the deal.\n"
    "Insurers cut premiums as more bulk carriers sailed from Odesa without incident.\n"
    "Maize accounted for more than half of the shipments in October."
)
GRID = (
    "Russia has resumed strikes on Ukraine's power grid ahead of the winter.\n"
    "Engineers installed hundreds of small generators across the country this year."
)


def test_topic_points_are_spread_over_the_explainers() -> None:
    """Five points from three explainers: every explainer cited, none more than twice."""
    sources = [make_source(1, PRICES, 20), make_source(2, GRAIN, 21), make_source(3, GRID, 22)]
    points = summarize_topic(sources, max_points=5, per_article=3)
    counts = Counter(point.article_id for point in points)
    assert len(points) == 5
    assert set(counts) == {1, 2, 3}
    assert max(counts.values()) <= math.ceil(5 / 3)
    for point in points:  # each point still cites the explainer it quotes
        source = next(s for s in sources if s.article_id == point.article_id)
        assert point.text in source.text
        assert (point.title, point.url) == (source.title, source.url)


def test_round_robin_deals_each_explainers_best_point_first() -> None:
    """Three places, three explainers: one point each, the round's points from each summary."""
    sources = [make_source(1, PRICES, 20), make_source(2, GRAIN, 21), make_source(3, GRID, 22)]
    points = summarize_topic(sources, max_points=3, per_article=3)
    assert sorted(point.article_id for point in points) == [1, 2, 3]
    by_id = {source.article_id: source for source in sources}
    assert all(point.text in summarize(by_id[point.article_id].text, 3) for point in points)


def test_word_budget_keeps_the_lead_and_stops_adding_before_the_budget() -> None:
    """With max_words, the lead always comes and later sentences only while they fit."""
    lead = "The council approved the new budget for the city's schools on Tuesday evening."
    long_second = ("Teachers had asked for the increase for three years, citing crowded "
                   "classrooms, old buildings, missing books and a shortage of staff in "
                   "almost every district of the city and its suburbs.")
    short_third = "The vote was unanimous."
    text = " ".join([lead, long_second, short_third])
    unlimited = summarize(text, 3)
    assert unlimited == [lead, long_second, short_third]
    budgeted = summarize(text, 3, max_words=30)
    assert budgeted[0] == lead
    assert long_second not in budgeted
    assert sum(len(s.split()) for s in budgeted) <= 30
    assert summarize(text, 3, max_words=5) == [lead]  # the lead comes even when over
