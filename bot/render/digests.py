"""Explainers gathered into one push: a coalesced list after a burst or quiet hours, and the
scheduled digest.

Each explainer is one block (linked title, source and date, a one-line summary) and messages
are filled block by block, so a split always falls between explainers and never inside one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_datetime

from bot.domain import ArticleCard, plausible_publication
from bot.i18n import _, current_language, ngettext
from bot.render.article_messages import day_label
from bot.render.cutting import truncate_html
from bot.render.display import clean_plain, shorten_plain, url_title
from bot.render.markup import TEXT_LIMIT, bold, escape, italic, join_lines, link, web_url
from bot.render.messages import OutgoingMessage
from bot.render.telegram_html import visible_length
from bot.render.web_html import BULLET
from bot.sentences import sentence_ends
from bot.text import one_line

__all__ = ["render_coalesced", "render_digest"]

DIGEST_FULL_ITEMS = 30
"""A digest shows this many explainers in full; the rest as linked titles only."""

_TITLE_LENGTH = 300
_SOURCE_LENGTH = 100
_SUMMARY_LENGTH = 240

Block = tuple[str, str]
"""A piece of a message that is never split: (separator before it, Telegram HTML)."""


def _title(card: ArticleCard) -> str:
    """The explainer's title in bold, linking to it when it has a safe web address."""
    url = web_url(card.url)
    title = shorten_plain(one_line(card.title) or url_title(url), _TITLE_LENGTH)
    return f"<b>{link(title, url)}</b>" if url else bold(title)


def _title_only(card: ArticleCard) -> str:
    """The explainer's title linking to it (not bold), for the tail of a long digest."""
    url = web_url(card.url)
    title = shorten_plain(one_line(card.title) or url_title(url), _TITLE_LENGTH)
    return link(title, url) if url else escape(title)


def _source_line(card: ArticleCard) -> str:
    """"Source · 2 Dec 2025" in italics, each part when known."""
    bits: list[str] = []
    source = shorten_plain(one_line(card.source or ""), _SOURCE_LENGTH)
    if source:
        bits.append(source)
    when = plausible_publication(card.published_at)
    if when is not None:
        bits.append(day_label(when))
    return italic(" · ".join(bits))


def _summary_line(card: ArticleCard) -> str:
    """The first sentence of the summary's first paragraph, kept to one short line."""
    lines = [line for line in clean_plain(card.summary).split("\n") if line.strip()]
    text = one_line(lines[0]) if lines else ""
    ends = sentence_ends(text)
    if ends and ends[0] <= _SUMMARY_LENGTH:
        text = text[: ends[0]]
    return escape(shorten_plain(text, _SUMMARY_LENGTH))


def _card_block(card: ArticleCard) -> str:
    lines = (_title(card), _source_line(card), _summary_line(card))
    return join_lines(*(line for line in lines if line))


def _messages(blocks: Iterable[Block]) -> list[OutgoingMessage]:
    """Fill text messages block by block (each at most TEXT_LIMIT as Telegram counts it),
    starting a new message when the next block does not fit; previews off."""
    parts: list[str] = []
    current: list[str] = []
    length = 0
    for separator, html in blocks:
        size = visible_length(html)
        if size > TEXT_LIMIT:  # cannot happen with the lengths above; stay within limits
            html = truncate_html(html, TEXT_LIMIT)
            size = visible_length(html)
        if current and length + len(separator) + size <= TEXT_LIMIT:
            current += [separator, html]
            length += len(separator) + size
            continue
        if current:
            parts.append("".join(current))
        current, length = [html], size
    if current:
        parts.append("".join(current))
    return [OutgoingMessage("sendMessage", text=part, disable_preview=True) for part in parts]


def render_coalesced(
    cards: Sequence[ArticleCard], *, max_items: int = 10
) -> list[OutgoingMessage]:
    """Several new explainers in one push: a heading with their number, then each one's
    linked title, source and date and a one-line summary; past `max_items` a closing
    "…and N more" line points to /latest. Split between explainers to fit; previews off."""
    if not cards:
        return []
    shown = cards[: max(1, max_items)]
    count = len(cards)
    heading = ngettext("📰 {n} new explainer", "📰 {n} new explainers", count)
    blocks: list[Block] = [("", bold(heading.format(n=count)))]
    blocks += [("\n\n", _card_block(card)) for card in shown]
    hidden = len(cards) - len(shown)
    if hidden:
        more = ngettext("…and {n} more explainer — /latest", "…and {n} more explainers — /latest",
                        hidden)
        blocks.append(("\n\n", escape(more.format(n=hidden))))
    return _messages(blocks)


def _digest_time(when: datetime, timezone: ZoneInfo) -> str:
    """"Tue 2 Dec, 08:00" in `timezone`, in the current language."""
    if when.tzinfo is None:
        raise ValueError("when must be timezone-aware")
    at = when.astimezone(timezone)
    return format_datetime(at, "EEE d MMM, HH:mm", locale=current_language())


def render_digest(
    cards: Sequence[ArticleCard], *, when: datetime, timezone: ZoneInfo
) -> list[OutgoingMessage]:
    """The scheduled digest: a heading with the slot's local day and time, then every
    explainer since the last digest — the first 30 in full (linked title, source and date,
    one-line summary), the rest as linked titles. Split between explainers; previews off.
    No explainers, no messages."""
    if not cards:
        return []
    heading = bold(_("🗞 Your digest · {time}").format(time=_digest_time(when, timezone)))
    blocks: list[Block] = [("", heading)]
    blocks += [("\n\n", _card_block(card)) for card in cards[:DIGEST_FULL_ITEMS]]
    rest = cards[DIGEST_FULL_ITEMS:]
    if rest:
        also = italic(_("Also new ({n}):").format(n=len(rest)))
        blocks.append(("\n\n", join_lines(also, BULLET + _title_only(rest[0]))))
        blocks += [("\n", BULLET + _title_only(card)) for card in rest[1:]]
    return _messages(blocks)
