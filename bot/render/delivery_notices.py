"""Notices the outbox sends when Telegram stops taking a destination's pushes."""

from __future__ import annotations

from typing import Literal

from bot.i18n import N_, _
from bot.render.markup import bold, escape, join_lines
from bot.render.messages import OutgoingMessage

PausedKind = Literal["thread_closed", "thread_gone", "channel_rights", "channel_left"]

# One whole sentence per case, so each language can word it its own way.
_WHAT_HAPPENED: dict[PausedKind, str] = {
    "thread_closed": N_("Pushes to this group's topic are paused: the forum topic they go to "
                        "is closed."),
    "thread_gone": N_("Pushes to this group's topic are paused: the forum topic they go to "
                      "was deleted."),
    "channel_rights": N_("Pushes to your channel are paused: the bot is no longer an "
                         "administrator allowed to post there."),
    "channel_left": N_("Pushes to your channel are paused: the bot was removed from the "
                       "channel."),
}
_IN_GENERAL: dict[PausedKind, str] = {
    "thread_closed": N_("Pushes to this group's General topic are paused: the forum topic "
                        "they go to is closed."),
    "thread_gone": N_("Pushes to this group's General topic are paused: the forum topic "
                      "they go to was deleted."),
}
_WHAT_TO_DO: dict[PausedKind, str] = {
    "thread_closed": N_("Reopen the topic, then send /topics in it to pick topics again."),
    "thread_gone": N_("Send /topics in the topic where explainers should arrive."),
    "channel_rights": N_("Make the bot an administrator with the right to post messages, "
                         "then connect the channel again."),
    "channel_left": N_("Add the bot back as an administrator, then connect the channel "
                       "again."),
}


def render_destination_paused(kind: PausedKind, *, general_topic: bool = False
                              ) -> OutgoingMessage:
    """Tell a chat's admins that its pushes (to a forum topic — ``general_topic``: the
    General one — or to their channel) are paused, why, and what to do, in the current
    language (the recipient's)."""
    happened = _IN_GENERAL.get(kind) if general_topic else None
    text = join_lines(
        bold(_("⏸ Explainer pushes paused")),
        escape(_(happened or _WHAT_HAPPENED[kind])),
        escape(_(_WHAT_TO_DO[kind])),
    )
    return OutgoingMessage(method="sendMessage", text=text, disable_preview=True)


def paused_admin_notice(chat_id: int, thread_id: int, error: str) -> str:
    """The plain-text notice to the bot's admins when nobody in the chat could be told."""
    if thread_id:
        return _("Pushes to chat {chat} (topic {thread}) are paused: {error}. Its "
                 "subscriptions wait until its admins fix it.").format(
            chat=chat_id, thread=thread_id, error=error)
    return _("Pushes to chat {chat} are paused: {error}. Its subscriptions wait until its "
             "admins fix it.").format(chat=chat_id, error=error)
