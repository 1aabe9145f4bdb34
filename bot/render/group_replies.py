"""Replies about groups: the hello on being added, and the admins-only notice."""

from __future__ import annotations

from bot.render.markup import bold, escape, join_lines
from bot.render.messages import OutgoingMessage

__all__ = ["admins_only_notice", "render_group_hello"]


def admins_only_notice(chat_type: str = "group") -> str:
    """The short toast (plain text) when a member presses an admin's button."""
    return f"Only the {'channel' if chat_type == 'channel' else 'group'}'s admins can change this."


def render_group_hello(publisher: str) -> OutgoingMessage:
    """What the bot says once when added to a group."""
    return OutgoingMessage(
        method="sendMessage",
        text=join_lines(
            f"Hello! I'm the {bold(publisher)} bot: new explainers on the topics this group "
            "follows arrive here.",
            escape("Admins: send /topics to pick the topics. Anyone can ask /latest or /help."),
        ),
        disable_preview=True,
    )
