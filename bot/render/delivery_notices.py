"""Notices the outbox sends when Telegram stops taking a destination's pushes."""

from __future__ import annotations

from typing import Literal

from bot.render.markup import bold, escape, join_lines
from bot.render.messages import OutgoingMessage

PausedKind = Literal["thread_closed", "thread_gone", "channel_rights", "channel_left"]

_WHAT_HAPPENED: dict[PausedKind, str] = {
    "thread_closed": "the forum topic they go to is closed",
    "thread_gone": "the forum topic they go to was deleted",
    "channel_rights": "the bot is no longer an administrator allowed to post there",
    "channel_left": "the bot was removed from the channel",
}
_WHAT_TO_DO: dict[PausedKind, str] = {
    "thread_closed": "Reopen the topic, then send /topics in it to pick topics again.",
    "thread_gone": "Send /topics in the topic where explainers should arrive.",
    "channel_rights": "Make the bot an administrator with the right to post messages, "
                      "then connect the channel again.",
    "channel_left": "Add the bot back as an administrator, then connect the channel again.",
}


def render_destination_paused(kind: PausedKind, where: str) -> OutgoingMessage:
    """Tell a chat's admins that pushes to ``where`` are paused, why, and what to do."""
    text = join_lines(
        bold("⏸ Explainer pushes paused"),
        escape(f"Pushes to {where} are paused: {_WHAT_HAPPENED[kind]}."),
        escape(_WHAT_TO_DO[kind]),
    )
    return OutgoingMessage(method="sendMessage", text=text, disable_preview=True)
