"""Broadcasts: the announcement as subscribers get it, and the admin's side — the controls
under the preview, the page of topics, the progress message with its final report,
/broadcasts and the usage and outcome texts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from zoneinfo import ZoneInfo

from bot.callback_data import BroadcastAction, BroadcastTopic
from bot.domain import BroadcastContent, BroadcastProgress
from bot.i18n import N_, _
from bot.render.markup import bold, code, escape, fill, join_lines
from bot.render.messages import Button, OutgoingMessage

_AUDIENCES = {
    "all": N_("Everyone"),
    "private": N_("Private chats only"),
    "groups": N_("Groups"),
    "channels": N_("Channels"),
}
_STATUSES = {
    "draft": N_("draft"),
    "scheduled": N_("scheduled"),
    "sending": N_("being sent"),
    "paused": N_("paused"),
    "done": N_("done"),
    "cancelled": N_("cancelled"),
}
SCHEDULE_FORMAT = "%Y-%m-%d %H:%M"


def render_broadcast(content: BroadcastContent) -> OutgoingMessage:
    """The announcement exactly as every chat gets it: the admin's HTML as is (a photo's
    caption when there is a photo), with the link button if it has one."""
    buttons: tuple[tuple[Button, ...], ...] = ()
    if content.button_text and content.button_url:
        buttons = ((Button(content.button_text, url=content.button_url),),)
    if content.photo:
        return OutgoingMessage(method="sendPhoto", photo=content.photo,
                               caption=content.html or None, buttons=buttons)
    return OutgoingMessage(method="sendMessage", text=content.html, buttons=buttons)


def _audience(progress: BroadcastProgress) -> str:
    if progress.audience == "topic":
        return _("Subscribers of {topic}").format(topic=progress.topic or "?")
    return _(_AUDIENCES.get(progress.audience, _AUDIENCES["all"]))


def render_controls(progress: BroadcastProgress, size: int) -> OutgoingMessage:
    """Under the preview: the audience (with how many chats it has now) and the buttons."""
    bid = progress.broadcast_id

    def button(label: str, action: str) -> Button:
        return Button(label, callback_data=BroadcastAction(bid, action).pack())

    text = join_lines(
        fill(_("Broadcast {id}: the preview is above, exactly as subscribers will see it."),
             id=bold(str(bid))),
        fill(_("Audience: {audience} ({count} chats now)."),
             audience=bold(_audience(progress)), count=str(size)),
        escape(_("Choose the audience, send a test to yourself, then send or schedule it.")),
    )
    return OutgoingMessage(method="sendMessage", text=text, disable_preview=True, buttons=(
        (button(_("Everyone"), "all"), button(_("Topics…"), "topics")),
        (button(_("Private chats"), "private"), button(_("Groups"), "groups"),
         button(_("Channels"), "channels")),
        (button(_("Test to me"), "test"),),
        (button(_("Send now"), "send"), button(_("Schedule"), "schedule"),
         button(_("Cancel"), "cancel")),
    ))


def topic_buttons(broadcast_id: int, topics: Sequence[tuple[int, str, str]],
                  chosen: Sequence[int] = ()) -> tuple[tuple[Button, ...], ...]:
    """The page of topics (two a row; ✅ on those chosen — one or more, each press adds or
    takes one off), then Done, back to the controls with that audience."""
    buttons = [Button(f"{'✅ ' if topic_id in chosen else ''}{name}",
                      callback_data=BroadcastTopic(broadcast_id, topic_id).pack())
               for topic_id, _slug, name in topics[:40]]
    rows = [tuple(buttons[i:i + 2]) for i in range(0, len(buttons), 2)]
    rows.append((Button(_("« Done"), callback_data=BroadcastAction(broadcast_id, "back").pack()),))
    return tuple(rows)


def _eta(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    return str(timedelta(seconds=round(seconds)))


def render_progress(progress: BroadcastProgress) -> OutgoingMessage:
    """The progress message (edited while it sends) or, once done or cancelled, the final
    report; Pause/Resume and Cancel while it can still change."""
    bid = progress.broadcast_id
    head = fill(_("Broadcast {id} — {status}"), id=bold(str(bid)),
                status=escape(_(_STATUSES.get(progress.status, progress.status))))
    lines = [
        head,
        fill(_("Audience: {audience}"), audience=escape(_audience(progress))),
        fill(_("Sent: {sent} · failed: {failed} · blocked: {blocked} · remaining: {remaining}"),
             sent=str(progress.sent), failed=str(progress.failed),
             blocked=str(progress.blocked), remaining=str(progress.remaining)),
    ]
    if progress.cancelled:
        lines.append(fill(_("Not sent (cancelled): {n}"), n=str(progress.cancelled)))
    if progress.status == "sending":
        lines.append(fill(_("ETA: {eta}"), eta=escape(_eta(progress.eta_seconds))))
    if progress.status == "scheduled" and progress.scheduled_at is not None:
        lines.append(fill(_("Scheduled for {when}"), when=escape(local_time(progress))))
    buttons: list[tuple[Button, ...]] = []
    if progress.status in ("sending", "paused", "scheduled"):
        row = []
        if progress.status == "sending":
            row.append(Button(_("Pause"), callback_data=BroadcastAction(bid, "pause").pack()))
        elif progress.status == "paused":
            row.append(Button(_("Resume"), callback_data=BroadcastAction(bid, "resume").pack()))
        row.append(Button(_("Cancel"), callback_data=BroadcastAction(bid, "cancel").pack()))
        buttons.append(tuple(row))
    return OutgoingMessage(method="sendMessage", text=join_lines(*lines), disable_preview=True,
                           buttons=tuple(buttons))


def local_time(progress: BroadcastProgress) -> str:
    """The scheduled time in the admin's timezone."""
    when = progress.scheduled_at
    if when is None:
        return ""
    zone = ZoneInfo(progress.timezone)
    return f"{when.astimezone(zone).strftime(SCHEDULE_FORMAT)} ({progress.timezone})"


def render_live(broadcasts: Sequence[BroadcastProgress]) -> list[OutgoingMessage]:
    """/broadcasts: one message per scheduled, sending or paused broadcast (with Cancel), or
    one line when there is none."""
    if not broadcasts:
        return [OutgoingMessage(method="sendMessage", text=escape(
            _("No broadcast is scheduled or being sent. Start one with /broadcast.")))]
    return [render_progress(progress) for progress in broadcasts]


def broadcast_usage() -> str:
    """What /broadcast asks for (HTML)."""
    return join_lines(
        escape(_("Send the announcement as your next message: text with its formatting, or "
                 "a photo with a caption. Or write it after the command: /broadcast <text>.")),
        fill(_("Add a link button to a draft with {example}."),
             example=code("/broadcast button <id> <url> <label>")),
    )


def schedule_usage(broadcast_id: int, timezone: str) -> str:
    """How to schedule (HTML)."""
    return fill(_("Send {example} — the date and time in your timezone ({zone})."),
                example=code(f"/broadcast schedule {broadcast_id} 2026-12-03 09:00"),
                zone=escape(timezone))


def too_long(limit: int) -> str:
    """The announcement is over Telegram's limit (HTML)."""
    return escape(_("That is too long to send: Telegram takes at most {n} characters "
                    "here.").format(n=limit))


def outcome_text(outcome: str) -> str:
    """An action that did nothing, as a toast or a line (plain text)."""
    if outcome == "wrong state":
        return _("That broadcast cannot do that now.")
    return _("That broadcast no longer exists.")


def bad_time() -> str:
    """A schedule that cannot be read or is in the past (HTML)."""
    return escape(_("Give a date and time in the future as YYYY-MM-DD HH:MM."))


def scheduled_line(progress: BroadcastProgress) -> str:
    """After /broadcast schedule (HTML)."""
    return fill(_("Broadcast {id} is scheduled for {when}. /broadcasts lists it."),
                id=bold(str(progress.broadcast_id)), when=escape(local_time(progress)))


def test_note() -> str:
    """Toast after a test send (plain)."""
    return _("Sent to you only.")


def started_toast() -> str:
    """Toast after Send now (plain)."""
    return _("Sending…")


def audience_toast() -> str:
    """Toast after choosing an audience (plain)."""
    return _("Audience changed")
