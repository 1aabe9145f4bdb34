"""/latest: one page of the newest explainers in one message, with a "More" button."""

from __future__ import annotations

from collections.abc import Sequence

from bot.callback_data import LatestMore
from bot.domain import ArticleCard, LatestPage, TopicTag, plausible_publication
from bot.i18n import _
from bot.render.article_messages import day_label
from bot.render.display import clean_plain, shorten_plain, url_title
from bot.render.markup import (
    TEXT_LIMIT,
    bold,
    code,
    escape,
    fill,
    italic,
    join_lines,
    link,
    web_url,
)
from bot.render.messages import Button, OutgoingMessage
from bot.render.telegram_html import visible_length
from bot.sentences import sentence_ends
from bot.text import one_line

__all__ = ["latest_more_notice", "render_latest_page", "render_latest_usage"]

# Dates as readers write them: "3 Nov 2026"; Ukrainian with the month's full name in the
# genitive ("3 листопада 2026"), as abbreviated months read oddly there.
_TITLE_MAX = 150
_SUMMARY_MAX = 200
_MIN_SUMMARY = 30  # below this much room a cut summary is noise; drop it
_FRAME = 300  # room kept for the heading and the clamp note


def explainer_date(card: ArticleCard) -> str:
    """The explainer's publication date in the current language ("3 Nov 2026",
    "3 листопада 2026"), or "" when it has no plausible one."""
    when = plausible_publication(card.published_at)
    if when is None:
        return ""
    return day_label(when.date())


def _one_line_summary(text: str, limit: int) -> str:
    """The summary's first sentence on one line, at most ``limit`` characters."""
    lines = [line for line in clean_plain(text).split("\n") if line.strip()]
    first = one_line(lines[0]) if lines else ""
    ends = sentence_ends(first)
    if ends and ends[0] <= limit:
        return first[: ends[0]]
    return shorten_plain(first, limit) if limit >= _MIN_SUMMARY else ""


def _entry(card: ArticleCard, room: int) -> str:
    """A linked title, its date, and a one-line summary, within ``room`` visible characters."""
    url = web_url(card.url)
    title = shorten_plain(one_line(card.title) or url_title(url), min(_TITLE_MAX, room // 2))
    date = explainer_date(card)
    head = f"<b>{link(title, url)}</b>" if url else bold(title)
    lines = [f"{head} · {italic(date)}" if date else head]
    summary = _one_line_summary(card.summary, min(_SUMMARY_MAX, room - len(title) - 16))
    if summary:
        lines.append(escape(summary))
    return join_lines(*lines)


def render_latest_page(
    page: LatestPage,
    *,
    clamped_to: int | None = None,
    earlier: bool = False,
) -> OutgoingMessage:
    """One /latest page as a single message (so "More" can edit it in place): a heading,
    then per explainer its linked title, date and a one-line summary, shortened to fit
    Telegram's limit whatever the page size; a "More" button when there is a next page, its
    callback data carrying the cursor, the count and the topic id."""
    cards, topic = page.cards, page.topic
    more = None
    if page.next_after is not None:
        scope = str(page.topic_id) if page.topic_id is not None else LatestMore.OWN_TOPICS
        more = LatestMore(page.next_after, page.count, scope)
    name = one_line(topic.name)[:100] if topic else ""
    if name:
        heading = (_("Earlier explainers on {topic}") if earlier
                   else _("Latest explainers on {topic}")).format(topic=name)
    else:
        heading = _("Earlier explainers") if earlier else _("Latest explainers")
    blocks = [bold(heading)]
    if clamped_to is not None:
        blocks.append(italic(_("Showing {n}, the most /latest shows at once.").format(
            n=clamped_to)))
    if not cards:
        blocks.append(italic(_("No explainers yet — check back soon.") if not name
                             else _("No explainers on {topic} yet.").format(topic=name)))
    room = (TEXT_LIMIT - _FRAME) // max(len(cards), 1) - 4
    blocks.extend(_entry(card, room) for card in cards)
    text = "\n\n".join(blocks)
    while visible_length(text) > TEXT_LIMIT and room > 40:  # never expected; belt and braces
        room -= 40
        text = "\n\n".join([*blocks[: len(blocks) - len(cards)],
                            *(_entry(card, room) for card in cards)])
    buttons = ((Button(text=_("More ▸"), callback_data=more.pack()),),) if more else ()
    return OutgoingMessage(method="sendMessage", text=text, buttons=buttons,
                           disable_preview=True)


def render_latest_usage(query: str, candidates: Sequence[TopicTag]) -> OutgoingMessage:
    """Help for /latest with a bad count or an unknown topic."""
    lines = []
    if query.strip():
        lines += [fill(_("I don't know the topic {topic}."), topic=bold(one_line(query)[:100])),
                  ""]
    example = escape(candidates[0].slug) if candidates else escape(_("topic"))
    lines += [
        fill(_("Send /latest for the newest 5 explainers, /latest 10 for ten (at most 20), or "
               "/latest 10 {example} for one topic."), example=example),
    ]
    if candidates:
        shown = candidates[:30]
        listed = ", ".join(code(t.slug) for t in shown) + (
            " …" if len(candidates) > len(shown) else "")
        lines += ["", fill(_("Topics: {topics}"), topics=listed)]
    return OutgoingMessage(method="sendMessage", text=join_lines(*lines), disable_preview=True)


def latest_more_notice(found: bool, has_more: bool) -> str:
    """The toast after "More" (plain text): nothing, or why nothing changed."""
    if not found:
        return _("That list is no longer available — send /latest again.")
    return "" if has_more else _("That's all for now.")
