"""Explainers: one article (pushed or previewed), the /latest digest, hashtags."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from functools import lru_cache

from babel.dates import format_date

from bot.callback_data import ShowComments, WriteComment
from bot.domain import ArticleCard, plausible_publication
from bot.i18n import _, current_language
from bot.render.comment_replies import comments_button_label
from bot.render.cutting import truncate_html
from bot.render.display import clean_plain, shorten_plain, text_messages, url_title
from bot.render.markup import (
    CAPTION_LIMIT,
    TEXT_LIMIT,
    bold,
    escape,
    italic,
    join_lines,
    link,
    web_url,
)
from bot.render.messages import Button, OutgoingMessage
from bot.render.telegram_html import visible_length
from bot.sentences import sentence_ends
from bot.text import one_line

__all__ = [
    "day_label",
    "hashtag",
    "render_article",
    "render_article_list",
    "render_latest",
    "render_pushed_article",
]

_MIN_SUMMARY = 40  # below this much room a cut summary is noise; drop it instead
_AUTHOR_LENGTH = 120  # a longer byline is a feed putting something else in dc:creator


#: How each language writes a publication day; Ukrainian spells the month out ("2 грудня
#: 2025": its abbreviations, "груд.", read as clipped words).
DATE_FORMATS = {"en": "d MMM yyyy", "uk": "d MMMM yyyy"}


def day_label(day: date) -> str:
    """A publication day as the current language writes it ("2 Dec 2025", "2 грудня
    2025"), the same in pushes, lists, digests and /latest."""
    return _day_label(date(day.year, day.month, day.day), current_language())


@lru_cache(maxsize=4096)
def _day_label(day: date, language: str) -> str:
    # Cached: lists and digests show the same few days in every chat (Babel takes ~5 µs).
    return format_date(day, DATE_FORMATS.get(language, DATE_FORMATS["en"]), locale=language)


def hashtag(label: str) -> str | None:
    """A Telegram hashtag for a topic slug, name or tag: letters, digits and underscores
    (any script), lower-cased; None when nothing usable is left."""
    chars = []
    for char in label.strip().lower():
        category = unicodedata.category(char)
        chars.append(char if category[0] in "LNM" or char == "_" else "_")
    body = re.sub(r"_+", "_", "".join(chars)).strip("_")[:64].strip("_")
    if not any(unicodedata.category(char).startswith("L") for char in body):
        return None
    return f"#{body}"


def _hashtags(card: ArticleCard) -> str:
    seen: list[str] = []
    labels = [topic.slug or topic.name for topic in card.topics] + list(card.tags)
    for label in labels:
        tag = hashtag(label)
        if tag is not None and tag not in seen:
            seen.append(tag)
    return escape(" ".join(seen))


def _title_line(title: str, url: str | None) -> str:
    return f"<b>{link(title, url)}</b>" if url else bold(title)


def _byline(card: ArticleCard) -> str:
    """"By <author>" (plain text), or "" when the author is unknown or just the source's
    name again."""
    author = shorten_plain(one_line(card.author or ""), _AUTHOR_LENGTH)
    if not author or author.casefold() == one_line(card.source or "").casefold():
        return ""
    return _("By {author}").format(author=author)


def _meta_line(card: ArticleCard) -> str:
    bits: list[str] = []
    if card.updated:
        bits.append(_("Updated"))
    if card.source and card.source.strip():
        bits.append(one_line(card.source))
    byline = _byline(card)
    if byline:
        bits.append(byline)
    when = plausible_publication(card.published_at)
    if when is not None:
        bits.append(day_label(when))
    return italic(" · ".join(bits))


def _fit_article(header: str, summary: str, footer: str, limit: int, suffix: str) -> str:
    """header / summary / footer joined by blank lines within `limit`, shortening the summary
    first, then dropping it, then the footer, then cutting the header."""
    full = "\n\n".join(block for block in (header, summary, footer) if block)
    if visible_length(full) <= limit:
        return full
    fixed = "\n\n".join(block for block in (header, footer) if block)
    room = limit - visible_length(fixed) - 2
    if summary and room >= _MIN_SUMMARY:
        short = truncate_html(summary, room, suffix_html=suffix)
        return "\n\n".join(block for block in (header, short, footer) if block)
    if visible_length(fixed) <= limit:
        return fixed
    if visible_length(header) <= limit:
        return header
    return truncate_html(header, limit)


def render_article(card: ArticleCard, *, read_url: str | None = None) -> list[OutgoingMessage]:
    """An explainer as one message: a photo with a caption (falling back to text when the
    photo is refused) or a text message, with a "Read" button linking to it (through
    ``read_url``, a click-counting link, when given). Under the title: the source, the byline
    and the publication date, each when known."""
    url = web_url(card.url)
    title = one_line(card.title) or url_title(url)
    header = join_lines(*(line for line in (_title_line(title, url), _meta_line(card)) if line))
    summary = escape(clean_plain(card.summary))
    footer = _hashtags(card)
    button_url = (web_url(read_url) or url) if url else None
    buttons = ((Button(_("Read"), url=button_url),),) if button_url else ()
    more = "… " + link(_("Read more"), url) if url else "…"
    message = OutgoingMessage(
        "sendMessage",
        text=_fit_article(header, summary, footer, TEXT_LIMIT, more),
        buttons=buttons,
    )
    photo = web_url(card.image_url)
    if photo is None:
        return [message]
    caption = _fit_article(header, summary, footer, CAPTION_LIMIT, "…")
    return [
        OutgoingMessage(
            "sendPhoto", caption=caption, photo=photo, buttons=buttons, fallback=message
        )
    ]


def render_pushed_article(card: ArticleCard, article_id: int, *,
                          read_url: str | None = None,
                          comment_count: int = 0) -> list[OutgoingMessage]:
    """A pushed explainer: the article plus Comments (read them: "💬 3 comments" once it has
    some) and Comment (write one) buttons on its first message (the "Read" button through
    ``read_url`` when click tracking gave one)."""
    messages = render_article(card, read_url=read_url)
    comments = Button(text=comments_button_label(comment_count),
                      callback_data=ShowComments(article_id).pack())
    write = Button(text=_("✍️ Comment"), callback_data=WriteComment(article_id).pack())

    def with_button(message: OutgoingMessage) -> OutgoingMessage:
        rows = message.buttons
        rows = (*rows[:-1], (*rows[-1], comments), (write,)) if rows else ((comments, write),)
        fallback = with_button(message.fallback) if message.fallback else None
        return replace(message, buttons=rows, fallback=fallback)

    return [with_button(messages[0]), *messages[1:]]


def _first_sentence(text: str, limit: int = 300) -> str:
    """The first sentence of the first non-empty line of plain `text`, at most `limit` long."""
    lines = [line for line in clean_plain(text).split("\n") if line.strip()]
    text = one_line(lines[0]) if lines else ""
    ends = sentence_ends(text)
    if ends and ends[0] <= limit:
        return text[: ends[0]]
    return shorten_plain(text, limit)


def render_article_list(cards: Sequence[ArticleCard], heading: str) -> list[OutgoingMessage]:
    """A digest for /latest: the heading in bold, then each explainer's linked title and first
    sentence, split over as many messages as needed."""
    blocks = [bold(one_line(heading) or _("Latest"))]
    for card in cards:
        url = web_url(card.url)
        title = shorten_plain(one_line(card.title) or url_title(url), 300)
        first = _first_sentence(card.summary)
        lines = [_title_line(title, url)]
        if first:
            lines.append(escape(first))
        blocks.append(join_lines(*lines))
    if not cards:
        blocks.append(italic(_("Nothing new yet.")))
    return text_messages("\n\n".join(blocks))


def render_latest(cards: Sequence[ArticleCard]) -> list[OutgoingMessage]:
    """The /latest answer."""
    if not cards:
        return [OutgoingMessage(method="sendMessage",
                                text=escape(_("No explainers yet — check back soon.")))]
    return render_article_list(cards, _("Latest explainers"))
