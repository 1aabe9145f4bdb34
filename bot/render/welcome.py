"""The greeting (/start), /help and the notices admins get."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from bot.domain import ReaderSummary, TopicChoice
from bot.render.markup import bold, escape, join_lines, link, safe_url
from bot.render.messages import OutgoingMessage
from bot.render.topic_replies import topic_picker
from bot.text import one_line

__all__ = [
    "UserLike",
    "render_admin_notice",
    "render_free_text_hint",
    "render_help",
    "render_picker_summary",
    "render_unknown_command",
    "render_welcome",
    "slow_down_notice",
]


class UserLike(Protocol):
    """What a greeting needs of a user (bot.mapping.UserInfo)."""

    @property
    def display_name(self) -> str: ...


ABOUT = ("I send you the publisher's new explainers on the topics you follow, and answer "
         "/latest, /topic and /search.")


def _website_line(website: str | None) -> list[str]:
    return [f"Website: {link(website, website)}"] if website and safe_url(website) else []


def render_welcome(
    publisher: str,
    website: str | None,
    greet: str | None,
    choices: Sequence[TopicChoice],
    *,
    followed: str | None = None,
    unknown_topic: str | None = None,
) -> OutgoingMessage:
    """The /start greeting with the topic picker. ``greet`` is whom to greet: the user in a
    private chat, the group's title in a group. ``followed`` names the topic a deep link just
    followed; ``unknown_topic`` the deep link's payload that matched no topic."""
    lines: list[str] = []
    if followed:
        lines += [f"✅ You now follow {bold(followed)}.", ""]
    elif unknown_topic:
        lines += [f"I don't know the topic {bold(one_line(unknown_topic)[:64])}; "
                  "pick from the list below.", ""]
    lines += [
        f"Hello, {bold(greet or 'there')}! This is {bold(publisher)}: our explainers, "
        "in Telegram.",
        escape(ABOUT),
        *_website_line(website),
        "",
    ]
    if choices:
        lines.append("Pick the topics you want new explainers on (tap again to unfollow), "
                     "then tap Done.")
    else:
        lines.append("No topics are set up yet; /latest shows the newest explainers.")
    lines += ["", "/help lists the commands · /stop stops everything"]
    return OutgoingMessage(
        method="sendMessage", text=join_lines(*lines), buttons=topic_picker(choices),
        disable_preview=True,
    )


def render_picker_summary(summary: ReaderSummary) -> OutgoingMessage:
    """What "Done" leaves in place of the picker: one line on what arrives, how often, how to
    change it and how to stop."""
    if not summary.topics:
        text = ("You follow no topics, so nothing will arrive — /topics to choose, "
                "/latest for the newest; /stop to stop.")
        return OutgoingMessage(method="sendMessage", text=escape(text), disable_preview=True)
    names = [bold(one_line(name)) for name in summary.topics]
    shown = ", ".join(names[:10]) + (f" and {len(names) - 10} more" if len(names) > 10 else "")
    if summary.mode == "digest" and summary.digest_times:
        when = (f"in a digest at {escape(', '.join(summary.digest_times))} "
                f"({escape(summary.timezone)})")
    else:
        when = "as soon as they are published"
    text = (f"New explainers on {shown} arrive here {when}. Change topics with /topics, the "
            "schedule with /settings; /stop to stop.")
    return OutgoingMessage(method="sendMessage", text=text, disable_preview=True)


def render_help(
    publisher: str, website: str | None, commands: Sequence[tuple[str, str]]
) -> OutgoingMessage:
    """The /help text: the commands (as registered with Telegram), how to stop, the website."""
    lines = [bold(f"{publisher} bot"), escape(ABOUT), ""]
    lines += [f"/{escape(name)} — {escape(description)}" for name, description in commands]
    lines += [
        "",
        "Reply to an explainer to comment on it; comments are shown behind a spoiler.",
        "To stop receiving explainers, send /stop.",
        *_website_line(website),
    ]
    return OutgoingMessage(method="sendMessage", text=join_lines(*lines), disable_preview=True)


def render_unknown_command(command: str) -> OutgoingMessage:
    """A private chat's unknown command: short, pointing to /help."""
    name = one_line(command)[:40]
    return OutgoingMessage(method="sendMessage",
                           text=f"I don't know {escape(name)} — try /help.",
                           disable_preview=True)


def render_free_text_hint() -> OutgoingMessage:
    """Free text in a private chat: what to send instead."""
    text = join_lines(
        "I answer commands rather than messages:",
        "/latest — the newest explainers",
        "/search " + escape("<words>") + " — find explainers by their words",
        "/topics — choose the topics you follow",
        "To comment on an explainer, reply to it.",
    )
    return OutgoingMessage(method="sendMessage", text=text, disable_preview=True)


def slow_down_notice() -> OutgoingMessage:
    """The one reply a user gets past the per-minute command limit."""
    return OutgoingMessage(method="sendMessage",
                           text="Slow down a little — try again in a minute.",
                           disable_preview=True)


def render_admin_notice(text: str) -> OutgoingMessage:
    """A plain-text notice for admins (feed health), escaped."""
    return OutgoingMessage(method="sendMessage", text="⚠️ " + escape(text),
                           disable_preview=True)


def stale_button_notice() -> str:
    """The toast for a press of a button the bot no longer knows (plain text, not HTML)."""
    return "This button is no longer active. Send /start for a fresh menu."
