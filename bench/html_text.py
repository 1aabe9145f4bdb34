"""Benchmark 3 — web HTML → text (``bot.render.html_to_text``): time per page, new vs old.

The new path reads HTML with the standard library's ``html.parser``. The old one, a
hand-written tokeniser, is the pre-refactor ``bot/render.py`` of commit
:data:`BASELINE_COMMIT`, loaded from git into a throwaway module at bench time (it is kept
nowhere in the tree) and timed in the same run, on the same pages, interleaved round by
round, so machine load affects both alike.

Pages: the HTML fixtures (``tests/fixtures/pages``), the HTML of every entry of the feed
fixtures (``tests/fixtures/feeds``, read by the bot's own feed parser) and synthetic big
pages (a long article with lists, tables, links and scripts; tag soup). Both paths must give
the same text; a difference is reported as a failure.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from bench.measure import REPO_ROOT, module_from_git
from bot.ingest.feed_parsing import FeedParseError, parse_feed
from bot.render import html_to_text

BASELINE_COMMIT = "5a67a18"
"""The last commit with the hand-written web HTML tokeniser (``bot/render.py``)."""
TARGET_RATIO = 2.0  # the new path may take at most twice the old one's time per page
_FEED_URL = "https://news.example/feed"

Reader = Callable[[str], str]


@dataclass(frozen=True)
class HtmlOptions:
    """What to run."""

    rounds: int = 5
    min_seconds: float = 0.02  # each timing repeats a page until it has run this long
    big_kib: int = 512  # size of the largest synthetic page


def load_baseline() -> ModuleType:
    """The pre-refactor renderer module, read from git; :class:`ChildFailed` when git or
    the commit is not available."""
    return module_from_git(BASELINE_COMMIT, "bot/render.py", "bench_baseline_render")


def _synthetic_article(rng: random.Random, kib: int) -> str:
    words = ("grain", "corridor", "Ukraine", "port", "ship", "tonnes", "Odesa", "insurers",
             "war", "Dr.", "e.g.", "prices", "&amp;", "&nbsp;", "—", "“quoted”", "2023")
    parts = ["<!DOCTYPE html><html><head><title>t</title><style>p{color:red}</style></head>"
             "<body><article>"]
    size = 0
    while size < kib * 1024:
        sentence = " ".join(rng.choice(words) for _ in range(rng.randint(6, 18))) + ". "
        kind = rng.randrange(8)
        if kind == 0:
            block = f"<h2>{sentence}</h2>"
        elif kind == 1:
            block = "<ul>" + "".join(f"<li><b>{w}</b> {sentence}</li>" for w in words[:4]) + "</ul>"
        elif kind == 2:
            block = f"<table><tr><td>{sentence}</td><td>{rng.random():.3f}</td></tr></table>"
        elif kind == 3:
            block = f"<script>var x = '{sentence}'; if (a < b) {{ f(); }}</script>"
        elif kind == 4:
            href = f"/post/{rng.randrange(9999)}?a=1&amp;b=2"
            block = f'<p>{sentence}<a href="{href}">{sentence}</a></p>'
        elif kind == 5:
            block = f"<blockquote><p><i>{sentence}</i></p></blockquote><!-- ad slot -->"
        else:
            block = f'<p class="body" data-id="{rng.randrange(99)}">{sentence * 3}</p>'
        parts.append(block)
        size += len(block)
    parts.append("</article></body></html>")
    return "".join(parts)


def _tag_soup(rng: random.Random, kib: int) -> str:
    pieces = ["<b>", "</i>", "<p", "a < b", "&#", "&copy", "<div <span>", "</ul>", "<li>",
              "text ", "more text ", "<br/>", "<a href=x>", "</a>", "<!-- c -->", "<?x?>"]
    out: list[str] = []
    size = 0
    while size < kib * 1024:
        piece = rng.choice(pieces)
        out.append(piece)
        size += len(piece)
    return "".join(out)


def collect_pages(options: HtmlOptions) -> list[tuple[str, str, str]]:
    """(group, name, html) for every page the benchmark reads."""
    fixtures = REPO_ROOT / "tests" / "fixtures"
    pages = [("fixture page", path.name, path.read_text(encoding="utf-8"))
             for path in sorted((fixtures / "pages").glob("*.html"))]
    for path in sorted((fixtures / "feeds").iterdir()):
        try:
            feed = parse_feed(path.read_bytes(), _FEED_URL)
        except FeedParseError:
            continue  # malformed-fatal.xml: nothing to read
        for index, entry in enumerate(feed.entries):
            for field in ("summary_html", "content_html"):
                html = getattr(entry, field)
                if html:
                    pages.append(("feed entry", f"{path.name}#{index}.{field}", html))
    rng = random.Random(20231128)
    for kib in (16, 128, options.big_kib):
        pages.append(("synthetic", f"article {kib} KiB", _synthetic_article(rng, kib)))
    pages.append(("synthetic", "tag soup 64 KiB", _tag_soup(rng, 64)))
    return pages


def _seconds_per_call(read: Reader, html: str, min_seconds: float) -> float:
    calls = 0
    started = time.perf_counter()
    while True:
        read(html)
        calls += 1
        elapsed = time.perf_counter() - started
        if elapsed >= min_seconds:
            return elapsed / calls


def run_html(options: HtmlOptions) -> dict[str, Any]:
    """Time both paths on every page; the best of `rounds` interleaved rounds counts."""
    baseline = load_baseline()
    old_read: Reader = baseline.html_to_text
    pages = collect_pages(options)
    different = [name for _, name, html in pages if old_read(html) != html_to_text(html)]
    best: dict[str, dict[str, float]] = {name: {"old": float("inf"), "new": float("inf")}
                                         for _, name, _ in pages}
    for round_index in range(options.rounds):
        order: list[tuple[str, Reader]] = [("old", old_read), ("new", html_to_text)]
        if round_index % 2:
            order.reverse()
        for _, name, html in pages:
            for label, read in order:
                seconds = _seconds_per_call(read, html, options.min_seconds)
                best[name][label] = min(best[name][label], seconds)
    return {
        "options": {"rounds": options.rounds, "min_seconds": options.min_seconds,
                    "big_kib": options.big_kib, "baseline": BASELINE_COMMIT},
        "pages": [{"group": group, "name": name, "bytes": len(html.encode("utf-8")),
                   "old_s": best[name]["old"], "new_s": best[name]["new"]}
                  for group, name, html in pages],
        "different_output": different,
    }


def summarise_html(raw: dict[str, Any]) -> tuple[list[list[str]], list[str], list[str]]:
    """Return (table rows, target lines, problems that make the run a failure)."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for page in raw["pages"]:
        groups.setdefault(page["group"], []).append(page)
    rows: list[list[str]] = []
    for group, pages in groups.items():
        old = sum(page["old_s"] for page in pages) / len(pages)
        new = sum(page["new_s"] for page in pages) / len(pages)
        kib = sum(page["bytes"] for page in pages) / len(pages) / 1024
        rows.append([group, str(len(pages)), f"{kib:.1f}", _ms(old), _ms(new),
                     f"{new / old:.2f}×"])
    ratios = [page["new_s"] / page["old_s"] for page in raw["pages"]]
    worst = max(raw["pages"], key=lambda page: page["new_s"] / page["old_s"])
    mean = statistics.geometric_mean(ratios)
    verdict = "met" if max(ratios) <= TARGET_RATIO else "**missed**"
    lines = [
        f"new/old time per page: geometric mean {mean:.2f}×, worst {max(ratios):.2f}× "
        f"({worst['name']}); target ≤ {TARGET_RATIO:.0f}× on every page: {verdict}",
    ]
    problems = [f"html_to_text output differs from the baseline on {name}"
                for name in raw["different_output"]]
    return rows, lines, problems


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.3f}"


HTML_HEADER = ["pages", "count", "mean KiB", "old ms/page", "new ms/page", "new/old"]

__all__ = ["HTML_HEADER", "HtmlOptions", "load_baseline", "run_html", "summarise_html"]
