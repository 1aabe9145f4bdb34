"""Benchmark 4 — summary quality: our summaries against the publishers' own descriptions.

Pages: ``bench/data/summaries/{en,uk}/*.html``, news pages written for this benchmark (wire
copy, explainers with video prompts, live blogs, Q&A; with bylines, photo credits and
newsletter prompts, as real pages have). Each page's ``og:description`` is the reference: an
editor's one- or two-sentence summary, written without looking at any summarizer's output.

Each page's text is extracted as the bot extracts it (trafilatura, through
:func:`bot.ingest.fulltext.extract_article`), then summarized four ways, in the same run:

* ours — :func:`bot.ingest.summaries.summarize` on :func:`bot.ingest.processing.summary_input`
  with the stored summary's word budget (``SUMMARY_MAX_WORDS``): what ingestion stores
  when the feed gives no usable description (the feed-
  description path is left out here: it would score the reference against itself);
* TextRank — the summarizer of commit :data:`BASELINE_COMMIT` (TextRank alone), read from git;
* Lead-1 and Lead-3 — the first one or three sentences of the extracted text, as split by
  the same sentence splitter.

Scores are ROUGE-1, ROUGE-2 and ROUGE-L F1 (Google's ``rouge-score``, the ``bench`` extra),
averaged over the pages of each language. English uses rouge-score's own tokenizer with
its Porter stemmer. Its tokenizer drops every non-ASCII letter, so Ukrainian uses a
Unicode-aware tokenizer (lower-cased runs of letters and digits) and no stemming.
"""

from __future__ import annotations

import html
import re
import statistics
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from bench.measure import REPO_ROOT, ChildFailed, module_from_git
from bot.ingest.fulltext import extract_article
from bot.ingest.processing import SUMMARY_MAX_WORDS, summary_input
from bot.ingest.summaries import OfflineTokenizer, summarize

BASELINE_COMMIT = "a245d60"
"""The last commit whose summaries were TextRank alone (``bot/ingest/summaries.py``)."""
DATA = REPO_ROOT / "bench" / "data" / "summaries"
LANGUAGES = ("en", "uk")
SYSTEMS = ("ours", "TextRank (before)", "Lead-1", "Lead-3")
METRICS = ("rouge1", "rouge2", "rougeL")
_OG_DESCRIPTION = re.compile(
    r"""<meta\s+property=["']og:description["']\s+content=["']([^"']*)["']""", re.IGNORECASE)
_WORDS = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class SummaryOptions:
    """What to run."""

    sentences: int = 3  # ingestion.summary_sentences, the default setting
    show: bool = False  # print every page's reference and summaries


class UnicodeTokenizer:
    """rouge-score tokenizer for any script: lower-cased runs of letters and digits."""

    def tokenize(self, text: str) -> list[str]:
        """Split ``text`` into lower-cased words."""
        return _WORDS.findall(text.lower())


def load_baseline() -> ModuleType:
    """The TextRank-only summaries module of :data:`BASELINE_COMMIT`, read from git."""
    return module_from_git(BASELINE_COMMIT, "bot/ingest/summaries.py", "bench_baseline_summaries")


def collect_pages(language: str) -> list[tuple[str, str, str]]:
    """(name, og:description, extracted body text) for every page of ``language``."""
    pages: list[tuple[str, str, str]] = []
    for path in sorted((DATA / language).glob("*.html")):
        page = path.read_text(encoding="utf-8")
        found = _OG_DESCRIPTION.search(page)
        if found is None:
            raise ChildFailed(f"{path.name}: no og:description")
        article = extract_article(page, f"https://news.example/{language}/{path.stem}")
        if article is None:
            raise ChildFailed(f"{path.name}: trafilatura found no article")
        pages.append((path.stem, html.unescape(found.group(1)), article.body_text))
    return pages


def _scorer(language: str) -> Any:
    try:
        from rouge_score import rouge_scorer  # only this benchmark needs it (bench extra)
    except ImportError as exc:
        raise ChildFailed("rouge-score is missing: pip install -e '.[bench]'") from exc
    if language == "en":
        return rouge_scorer.RougeScorer(list(METRICS), use_stemmer=True)
    return rouge_scorer.RougeScorer(list(METRICS), tokenizer=UnicodeTokenizer())


def run_summaries(options: SummaryOptions) -> dict[str, Any]:
    """Score every system on every page; the raw per-page results and the means."""
    baseline = load_baseline()
    results: dict[str, Any] = {"options": {"sentences": options.sentences}, "languages": {}}
    for language in LANGUAGES:
        scorer = _scorer(language)
        split = OfflineTokenizer(language)
        pages = []
        for name, reference, body in collect_pages(language):
            text = summary_input(body)
            lead = list(split.to_sentences(text))
            outputs = {
                "ours": summarize(text, options.sentences, language,
                                  max_words=SUMMARY_MAX_WORDS),
                "TextRank (before)": baseline.summarize(text, options.sentences, language),
                "Lead-1": lead[:1],
                "Lead-3": lead[:3],
            }
            scores = {
                system: {metric: score.fmeasure for metric, score in
                         scorer.score(reference, " ".join(summary)).items()}
                for system, summary in outputs.items()
            }
            pages.append({"page": name, "reference": reference, "summaries": outputs,
                          "f1": scores})
        means = {
            system: {metric: statistics.fmean(p["f1"][system][metric] for p in pages)
                     for metric in METRICS}
            for system in SYSTEMS
        }
        words = {
            system: statistics.fmean(len(" ".join(p["summaries"][system]).split())
                                     for p in pages)
            for system in SYSTEMS
        }
        reference_words = statistics.fmean(len(p["reference"].split()) for p in pages)
        results["languages"][language] = {"pages": pages, "mean_f1": means,
                                          "mean_words": words,
                                          "mean_reference_words": reference_words}
    return results


def summarise_summaries(
    raw: dict[str, Any], show: bool = False,
) -> tuple[list[list[str]], list[str], list[str]]:
    """Table rows (language, system, pages, mean words, R-1, R-2, R-L), verdicts, failures."""
    rows: list[list[str]] = []
    lines: list[str] = []
    for language, result in raw["languages"].items():
        means = result["mean_f1"]
        for system in SYSTEMS:
            rows.append([language, system, str(len(result["pages"])),
                         f"{result['mean_words'][system]:.0f}",
                         *(f"{means[system][metric]:.3f}" for metric in METRICS)])
        rows.append([language, "(reference)", str(len(result["pages"])),
                     f"{result['mean_reference_words']:.0f}", "", "", ""])
        ours, lead3 = means["ours"]["rouge1"], means["Lead-3"]["rouge1"]
        verdict = "met" if ours >= lead3 else "missed"
        lines.append(f"{language}: ours {ours:.3f} vs Lead-3 {lead3:.3f} ROUGE-1 F1 — "
                     f"target ours ≥ Lead-3 {verdict}")
        if show:
            for page in result["pages"]:
                lines.append(f"\n[{language}/{page['page']}] reference: {page['reference']}")
                for system in SYSTEMS:
                    lines.append(f"  {system} ({page['f1'][system]['rouge1']:.2f}): "
                                 + " ".join(page["summaries"][system]))
    return rows, lines, []


SUMMARIES_HEADER = ["lang", "summary", "pages", "words", "ROUGE-1 F1", "ROUGE-2 F1",
                    "ROUGE-L F1"]

__all__ = ["SUMMARIES_HEADER", "SummaryOptions", "UnicodeTokenizer", "collect_pages",
           "load_baseline", "run_summaries", "summarise_summaries"]

