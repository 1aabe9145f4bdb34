"""/search: the ranked list of explainers, the usage line and the reply when nothing matches."""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain import ArticleCard
from bot.i18n import _
from bot.render.article_messages import render_article_list
from bot.render.display import shorten_plain
from bot.render.markup import code, escape, fill, join_lines
from bot.render.messages import OutgoingMessage
from bot.text import one_line

__all__ = ["render_search_results", "render_search_usage"]

_QUERY_SHOWN = 80  # characters of the reader's query repeated in the heading


def _shown(query: str) -> str:
    return shorten_plain(one_line(query), _QUERY_SHOWN)


def render_search_usage() -> OutgoingMessage:
    """The reply to /search without words."""
    text = join_lines(
        fill(_("Search the explainers: {usage}"), usage=code(_("/search <words>"))),
        fill(_("For example {first} or {second}."), first=code("/search energy grid"),
             second=code("/search енергосистема")),
    )
    return OutgoingMessage("sendMessage", text=text, disable_preview=True)


def render_search_results(cards: Sequence[ArticleCard], query: str) -> list[OutgoingMessage]:
    """The /search answer: the explainers matching ``query``, best first, each a linked title
    with its first sentence; or, when none match, what to try instead."""
    if not cards:
        text = join_lines(
            escape(_("No explainers match “{query}”.").format(query=_shown(query))),
            fill(_("Try other or fewer words, {latest} for the newest explainers, or {topic} "
                   "for the key points of a topic."),
                 latest=code("/latest"), topic=code(_("/topic <name>"))),
        )
        return [OutgoingMessage("sendMessage", text=text, disable_preview=True)]
    return render_article_list(cards, _("Search: {query}").format(query=_shown(query)))
