"""The greeting (/start), /help and the notices admins get."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from bot.domain import ReaderSummary, TopicChoice
from bot.i18n import N_, _, ngettext
from bot.render.markup import bold, escape, fill, join_lines, link, safe_url
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


ABOUT = N_("I send you the publisher's new explainers on the topics you follow, and answer "
           "/latest, /topic and /search.")


def _website_line(website: str | None) -> list[str]:
    if not website or not safe_url(website):
        return []
    return [fill(_("Website: {url}"), url=link(website, website))]


def render_welcome(
    publisher: str,
    website: str | None,
    greet: str | None,
    choices: Sequence[TopicChoice],
    *,
    followed: str | None = None,
    unknown_topic: str | None = None,
    add_to_group_url: str | None = None,
) -> OutgoingMessage:
    """The /start greeting with the topic picker. ``greet`` is whom to greet: the user in a
    private chat, the group's title in a group. ``followed`` names the topic a deep link just
    followed; ``unknown_topic`` the deep link's payload that matched no topic;
    ``add_to_group_url`` (private chats) a t.me ``?startgroup`` link for adding the bot to a
    group (a line of the text: the picker's keyboard is redrawn on every tap)."""
    lines: list[str] = []
    if followed:
        lines += [fill(_("✅ You now follow {topic}."), topic=bold(followed)), ""]
    elif unknown_topic:
        lines += [fill(_("I don't know the topic {topic}; pick from the list below."),
                       topic=bold(one_line(unknown_topic)[:64])), ""]
    lines += [
        fill(_("Hello, {name}! This is {publisher}: our explainers, in Telegram."),
             name=bold(greet or _("there")), publisher=bold(publisher)),
        escape(_(ABOUT)),
        *_website_line(website),
        "",
    ]
    if choices:
        lines.append(escape(_("Pick the topics you want new explainers on (tap again to "
                              "unfollow), then tap Done.")))
    else:
        lines.append(escape(_("No topics are set up yet; /latest shows the newest "
                              "explainers.")))
    if add_to_group_url:
        lines.append(link(_("➕ Add me to a group"), add_to_group_url))
    lines += ["", escape(_("/help lists the commands · /stop stops everything"))]
    return OutgoingMessage(
        method="sendMessage", text=join_lines(*lines), buttons=topic_picker(choices),
        disable_preview=True,
    )


def render_picker_summary(summary: ReaderSummary) -> OutgoingMessage:
    """What "Done" leaves in place of the picker: one line on what arrives, how often, how to
    change it and how to stop."""
    if not summary.topics:
        text = _("You follow no topics, so nothing will arrive — /topics to choose, "
                 "/latest for the newest; /stop to stop.")
        return OutgoingMessage(method="sendMessage", text=escape(text), disable_preview=True)
    names = [bold(one_line(name)) for name in summary.topics]
    shown = ", ".join(names[:10])
    if len(names) > 10:
        more = len(names) - 10
        shown = fill(ngettext("{topics} and {n} more", "{topics} and {n} more", more),
                     topics=shown, n=str(more))
    if summary.mode == "digest" and summary.digest_times:
        text = fill(_("New explainers on {topics} arrive here in a digest at {times} "
                      "({timezone}). Change topics with /topics, the schedule with /settings; "
                      "/stop to stop."),
                    topics=shown, times=escape(", ".join(summary.digest_times)),
                    timezone=escape(summary.timezone))
    else:
        text = fill(_("New explainers on {topics} arrive here as soon as they are published. "
                      "Change topics with /topics, the schedule with /settings; /stop to "
                      "stop."), topics=shown)
    return OutgoingMessage(method="sendMessage", text=text, disable_preview=True)


def render_help(
    publisher: str, website: str | None, commands: Sequence[tuple[str, str]]
) -> OutgoingMessage:
    """The /help text: the commands (as registered with Telegram: names and the English
    descriptions, translated here), how to stop, the website."""
    lines = [bold(_("{publisher} bot").format(publisher=publisher)), escape(_(ABOUT)), ""]
    lines += [f"/{escape(name)} — {escape(_(description))}" for name, description in commands]
    lines += [
        "",
        escape(_("Reply to an explainer to comment on it; comments are shown behind a "
                 "spoiler.")),
        escape(_("To stop receiving explainers, send /stop.")),
        *_website_line(website),
    ]
    return OutgoingMessage(method="sendMessage", text=join_lines(*lines), disable_preview=True)


def render_unknown_command(command: str) -> OutgoingMessage:
    """A private chat's unknown command: short, pointing to /help."""
    name = one_line(command)[:40]
    return OutgoingMessage(method="sendMessage",
                           text=fill(_("I don't know {command} — try /help."),
                                     command=escape(name)),
                           disable_preview=True)


def render_free_text_hint() -> OutgoingMessage:
    """Free text in a private chat: what to send instead."""
    text = join_lines(
        escape(_("I answer commands rather than messages:")),
        escape(_("/latest — the newest explainers")),
        escape(_("/search <words> — find explainers by their words")),
        escape(_("/topics — choose the topics you follow")),
        escape(_("To comment on an explainer, reply to it.")),
    )
    return OutgoingMessage(method="sendMessage", text=text, disable_preview=True)


def slow_down_notice() -> OutgoingMessage:
    """The one reply a user gets past the per-minute command limit."""
    return OutgoingMessage(method="sendMessage",
                           text=escape(_("Slow down a little — try again in a minute.")),
                           disable_preview=True)


def render_admin_notice(text: str) -> OutgoingMessage:
    """A plain-text notice for admins (feed health), escaped."""
    return OutgoingMessage(method="sendMessage", text="⚠️ " + escape(text),
                           disable_preview=True)


def stale_button_notice() -> str:
    """The toast for a press of a button the bot no longer knows (plain text, not HTML)."""
    return _("This button is no longer active. Send /start for a fresh menu.")
