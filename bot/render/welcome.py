"""The greeting (/start), /help and the notices admins get."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from bot.domain import TopicChoice
from bot.render.markup import bold, escape, join_lines
from bot.render.messages import OutgoingMessage
from bot.render.topic_replies import topic_picker

__all__ = ["UserLike", "render_admin_notice", "render_help", "render_welcome"]


class UserLike(Protocol):
    """What a greeting needs of a user (bot.mapping.UserInfo)."""

    @property
    def display_name(self) -> str: ...


def render_welcome(
    publisher: str, user: UserLike | None, choices: Sequence[TopicChoice]
) -> OutgoingMessage:
    """The /start greeting with the topic picker."""
    name = user.display_name if user is not None else "there"
    lines = [
        f"Hello, {bold(name)}! This is {bold(publisher)}: our explainers, in Telegram.",
        "",
    ]
    if choices:
        lines.append("Pick the topics you want new explainers on; tap again to unsubscribe.")
    else:
        lines.append("No topics are set up yet; /latest shows the newest explainers.")
    lines += ["", "/latest — newest explainers · /topic — key points of a topic · /help"]
    return OutgoingMessage(
        method="sendMessage", text=join_lines(*lines), buttons=topic_picker(choices),
        disable_preview=True,
    )


def render_help(publisher: str) -> OutgoingMessage:
    """The /help text."""
    lines = [
        bold(f"{publisher} bot"),
        "",
        "/start — welcome and topic picker",
        "/topics — change the topics you follow",
        "/latest — the newest explainers, summarised",
        "/topic " + escape("<name>") + " — the key points of a topic across recent explainers",
        "/search " + escape("<words>") + " — find explainers by their words",
        "",
        "Reply to an explainer to comment on it; comments are shown behind a spoiler.",
    ]
    return OutgoingMessage(method="sendMessage", text=join_lines(*lines), disable_preview=True)


def render_admin_notice(text: str) -> OutgoingMessage:
    """A plain-text notice for admins (feed health), escaped."""
    return OutgoingMessage(method="sendMessage", text="⚠️ " + escape(text),
                           disable_preview=True)


def stale_button_notice() -> str:
    """The toast for a press of a button the bot no longer knows (plain text, not HTML)."""
    return "This button is no longer active. Send /start for a fresh menu."
