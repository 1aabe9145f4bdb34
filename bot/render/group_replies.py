"""Replies about groups: the hello on being added, and the admins-only notice."""

from __future__ import annotations

from bot.i18n import _
from bot.render.markup import bold, escape, fill, join_lines
from bot.render.messages import OutgoingMessage

__all__ = ["admins_only_notice", "render_group_hello"]


def admins_only_notice(chat_type: str = "group") -> str:
    """The short toast (plain text) when a member presses an admin's button."""
    if chat_type == "channel":
        return _("Only the channel's admins can change this.")
    return _("Only the group's admins can change this.")


def render_group_hello(publisher: str) -> OutgoingMessage:
    """What the bot says once when added to a group."""
    return OutgoingMessage(
        method="sendMessage",
        text=join_lines(
            fill(_("Hello! I'm the {publisher} bot: new explainers on the topics this group "
                   "follows arrive here."), publisher=bold(publisher)),
            escape(_("Admins: send /topics to pick the topics. Anyone can ask /latest or "
                     "/help.")),
        ),
        disable_preview=True,
    )
