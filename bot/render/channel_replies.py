"""Replies about channels managed from the private chat: the offer, /connect, /channels and
a channel's topic picker, in the interface language of the private chat (see
:mod:`bot.i18n`)."""

from __future__ import annotations

from collections.abc import Sequence

from bot.callback_data import ChannelAction, ChannelSetting, ChannelTopic
from bot.domain import ChatInfo, ConnectedChannel, TopicChoice
from bot.i18n import N_, _, ngettext
from bot.render.markup import bold, escape, fill, join_lines
from bot.render.messages import Button, OutgoingMessage

__all__ = ["channel_topic_picker", "render_channel_list", "render_channel_offer",
           "render_channel_picker", "render_connect_problem", "render_connect_usage"]

_PROBLEMS = {
    "not_found": N_("I can't see that channel. Add me to it as an admin, then try again."),
    "not_channel": N_("That is not a channel. Send /connect @yourchannel."),
    "not_admin": N_("Only the channel's admins can connect it."),
    "bot_rights": N_("Make me an admin of the channel who can post messages, then try again."),
}
#: Longest button label (Telegram shows little more on a phone).
LABEL_CHARS = 60


def _title(channel: ChatInfo | ConnectedChannel) -> str:
    return channel.title or (f"@{channel.username}" if channel.username else _("your channel"))


def render_channel_offer(channel: ChatInfo) -> OutgoingMessage:
    """To the admin who made the bot a channel admin: connect it?"""
    return OutgoingMessage(
        method="sendMessage",
        text=join_lines(
            fill(_("You made me an admin of {channel}."), channel=bold(_title(channel))),
            escape(_("Connect it to choose which explainers I post there.")),
        ),
        buttons=((Button(_("Connect {channel}").format(channel=_title(channel))[:LABEL_CHARS],
                         callback_data=ChannelAction.of("connect", channel.id).pack()),),),
        disable_preview=True,
    )


def render_connect_usage() -> OutgoingMessage:
    """How to connect a channel."""
    return OutgoingMessage(method="sendMessage", text=escape(_(
        "To post explainers in your channel: add me to it as an admin who can post, then send "
        "/connect @yourchannel here (or forward me a post from the channel).")),
        disable_preview=True)


def render_connect_problem(problem: str) -> OutgoingMessage:
    """Why a channel could not be connected (``problem`` is a ChannelCheck problem)."""
    return OutgoingMessage(method="sendMessage", text=escape(_(_PROBLEMS.get(
        problem, _PROBLEMS["not_found"]))), disable_preview=True)


def channel_topic_picker(channel_id: int, choices: Sequence[TopicChoice]
                         ) -> tuple[tuple[Button, ...], ...]:
    """One toggle button per topic for a channel (✅ when followed), two per row."""
    buttons = [Button(text=f"{'✅' if c.subscribed else '☐'} {c.name}",
                      callback_data=ChannelTopic.of(channel_id, c.slug).pack())
               for c in choices]
    return tuple(tuple(buttons[i: i + 2]) for i in range(0, len(buttons), 2))


def render_channel_picker(channel: ChatInfo | ConnectedChannel,
                          choices: Sequence[TopicChoice]) -> OutgoingMessage:
    """A connected channel's topic picker, shown in the private chat."""
    text = join_lines(
        fill(_("{channel} is connected."), channel=bold(_title(channel))),
        escape(_("Tap the topics whose new explainers I should post there; tap again to "
                 "stop. /channels lists your channels.")))
    return OutgoingMessage(method="sendMessage", text=text,
                           buttons=channel_topic_picker(channel.id, choices),
                           disable_preview=True)


def render_channel_list(channels: Sequence[ConnectedChannel]) -> OutgoingMessage:
    """/channels: the user's connected channels, each with Topics, Settings (schedule,
    filters, languages) and Disconnect buttons."""
    if not channels:
        return render_connect_usage()
    lines = [bold(_("Your channels")), ""]
    rows: list[tuple[Button, ...]] = []
    for channel in channels:
        count = ngettext("{n} topic", "{n} topics", channel.topics).format(n=channel.topics)
        lines.append(f"• {escape(_title(channel))} — {escape(count)}")
        rows.append((
            Button(_("Topics: {channel}").format(channel=_title(channel))[:LABEL_CHARS],
                   callback_data=ChannelAction.of("topics", channel.id).pack()),
            Button(_("Settings"), callback_data=ChannelSetting.of(
                channel.id, ChannelSetting.SHOW).pack()),
            Button(_("Disconnect"), callback_data=ChannelAction.of("off", channel.id).pack()),
        ))
    lines += ["", escape(_("Settings: when and how I post there (instant or a digest, quiet "
                           "hours, words, previews, images, languages)."))]
    return OutgoingMessage(method="sendMessage", text=join_lines(*lines), buttons=tuple(rows),
                           disable_preview=True)
