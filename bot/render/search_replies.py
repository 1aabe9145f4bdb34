"""/search: the ranked list of explainers, the usage line and the reply when nothing matches."""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain import ArticleCard
from bot.render.article_messages import render_article_list
from bot.render.display import shorten_plain
from bot.render.markup import code, escape, join_lines
from bot.render.messages import OutgoingMessage
from bot.text import one_line

__all__ = ["render_search_results", "render_search_usage"]

_QUERY_SHOWN = 80  # characters of the reader's query repeated in the heading


def _shown(query: str) -> str:
    return shorten_plain(one_line(query), _QUERY_SHOWN)


def render_search_usage() -> OutgoingMessage:
    """The reply to /search without words."""
    text = join_lines(
        "Search the explainers: " + code("/search <words>"),
        "For example " + code("/search energy grid") + " or " + code("/search енергосистема") + ".",
    )
    return OutgoingMessage("sendMessage", text=text, disable_preview=True)


def render_search_results(cards: Sequence[ArticleCard], query: str) -> list[OutgoingMessage]:
    """The /search answer: the explainers matching ``query``, best first, each a linked title
    with its first sentence; or, when none match, what to try instead."""
    if not cards:
        text = join_lines(
            escape(f"No explainers match “{_shown(query)}”."),
            "Try other or fewer words, " + code("/latest") + " for the newest explainers, or "
            + code("/topic <name>") + " for the key points of a topic.",
        )
        return [OutgoingMessage("sendMessage", text=text, disable_preview=True)]
    return render_article_list(cards, f"Search: {_shown(query)}")
