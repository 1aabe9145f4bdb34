"""Replies of /subscribe, /unsubscribe, /settings and /stop (English for now; the texts will
be wrapped for translation)."""

from __future__ import annotations

from collections.abc import Sequence

from bot.callback_data import DeleteChatData, SettingsChoice
from bot.domain import ChatSettingsView, SubscriptionChange, TopicTag
from bot.render.group_replies import admins_only_notice
from bot.render.markup import bold, code, escape, italic, join_lines
from bot.render.messages import Button, OutgoingMessage
from bot.text import one_line

__all__ = [
    "forget_notice",
    "render_admins_only",
    "render_forgotten",
    "render_settings",
    "render_settings_error",
    "render_stopped",
    "render_subscription_change",
    "settings_keyboard",
    "settings_notice",
]

#: How much of what a reader typed is quoted back in a reply.
QUOTE_CHARS = 60


def _quote(text: str) -> str:
    line = one_line(text)
    return escape(line if len(line) <= QUOTE_CHARS else line[: QUOTE_CHARS - 1] + "…")


def _names(tags: Sequence[TopicTag]) -> str:
    return ", ".join(bold(t.name) for t in tags)


def _message(lines: Sequence[str], buttons: tuple[tuple[Button, ...], ...] = ()
             ) -> OutgoingMessage:
    return OutgoingMessage(method="sendMessage", text=join_lines(*lines), buttons=buttons,
                           disable_preview=True)


def _catalogue(tags: Sequence[TopicTag]) -> str:
    if not tags:
        return italic("No topics are set up yet.")
    return "Topics: " + ", ".join(f"{escape(t.name)} ({code(t.slug)})" for t in tags)


def render_subscription_change(change: SubscriptionChange, *, follow: bool) -> OutgoingMessage:
    """What /subscribe or /unsubscribe did and what is followed now; usage when nothing was
    named; the near misses of names that matched nothing."""
    command = "/subscribe" if follow else "/unsubscribe"
    if change.too_long:
        return _message([f"That is too long: name a few topics, e.g. "
                         f"{code(command + ' russia, economy')}.", "",
                         _catalogue(change.catalogue)])
    if not change.changed and not change.unknown:
        if not change.catalogue:
            return _message([_catalogue(())])
        example = change.catalogue[0].slug
        usage = [f"Usage: {code(command + ' <topic…>')}, e.g. {code(command + ' ' + example)}"
                 + ("" if follow else f" or {code('/unsubscribe all')}") + ".",
                 "Several topics: separate them with commas.", "",
                 _catalogue(change.catalogue)]
        return _message([*usage, "", _following(change.following)])
    lines: list[str] = []
    if change.changed:
        verb = "Now following" if follow else "Stopped following"
        lines.append(f"{verb}: {_names(change.changed)}.")
    for name, suggestions in change.unknown:
        line = f"No topic called “{_quote(name)}”."
        if suggestions:
            line += f" Did you mean {' or '.join(bold(t.name) for t in suggestions)}?"
        lines.append(line)
    if change.unknown and not any(s for _, s in change.unknown):
        lines.append(_catalogue(change.catalogue))
    lines.append(_following(change.following))
    return _message(lines)


def _following(tags: Sequence[TopicTag]) -> str:
    if not tags:
        return "You follow no topics here now. " + escape("/topics to pick some.")
    return f"You follow here: {_names(tags)}."


# -- /settings ---------------------------------------------------------------------------------

_DIGEST_LABELS = (("0800", "08:00"), ("0800-1900", "08:00 + 19:00"), ("1900", "19:00"))
_QUIET_LABELS = (("off", "No quiet hours"), ("2200-0700", "22:00–07:00"),
                 ("2300-0800", "23:00–08:00"))


def _button(label: str, chosen: bool, key: str, value: str) -> Button:
    return Button(f"{'✅ ' if chosen else ''}{label}",
                  callback_data=SettingsChoice(key, value).pack())


def settings_keyboard(view: ChatSettingsView) -> tuple[tuple[Button, ...], ...]:
    """The /settings buttons, ✅ on what is chosen now."""
    digest = view.delivery == "digest"
    times = "-".join(t.replace(":", "") for t in view.digest_times)
    quiet = "-".join(t.replace(":", "") for t in view.quiet_hours) if view.quiet_hours else "off"
    return (
        (_button("Instant", not digest, "delivery", "instant"),
         _button("Digest", digest, "delivery", "digest")),
        tuple(_button(f"Digest {label}", digest and times == value, "digest", value)
              for value, label in _DIGEST_LABELS),
        tuple(_button(label, quiet == value, "quiet", value) for value, label in _QUIET_LABELS),
        (_button(f"Link previews: {'on' if view.previews else 'off'}", False, "previews",
                 "off" if view.previews else "on"),
         _button(f"Images: {'on' if view.images else 'off'}", False, "images",
                 "off" if view.images else "on")),
    )


def render_settings(view: ChatSettingsView, *, changed: bool = False) -> OutgoingMessage:
    """The chat's settings with the buttons that change them, and the text commands."""
    if view.delivery == "digest":
        delivery = f"a digest at {escape(', '.join(view.digest_times))}"
    else:
        delivery = "instant (each explainer as it is published)"
    quiet = (f"{escape(view.quiet_hours[0])}–{escape(view.quiet_hours[1])}"
             if view.quiet_hours else "none")
    language = {"en": "English", "uk": "Ukrainian", "all": "each story's original"}.get(
        view.content_language, escape(view.content_language))
    lines = [
        bold("Settings" + (" (saved)" if changed else "")),
        f"Delivery: {delivery}",
        f"Time zone: {escape(view.timezone)}",
        f"Quiet hours: {quiet}",
        f"Muted words: {escape(', '.join(view.mute_words)) if view.mute_words else 'none'}",
        "Only explainers with: "
        + (escape(", ".join(view.only_words)) if view.only_words else "any words"),
        f"Link previews: {'on' if view.previews else 'off'} · "
        f"Images: {'on' if view.images else 'off'}",
        f"Language: {language}",
        "",
        italic("Also: ") + code("/settings timezone Europe/Kyiv") + ", "
        + code("/settings digest 08:00 19:00") + ", " + code("/settings quiet 23:00 07:00")
        + ", " + code("/settings mute word1, word2") + ", " + code("/settings only word")
        + ", " + code("/settings language en|uk|all") + ".",
    ]
    return _message(lines, settings_keyboard(view))


_ERRORS = {
    "too_long": "That is too long for a setting.",
    "timezone_usage": "Name one time zone, e.g. /settings timezone Europe/Kyiv.",
    "bad_times": "Digest times are HH:MM, up to six, e.g. /settings digest 08:00 19:00.",
    "bad_quiet": "Quiet hours are a start and an end, e.g. /settings quiet 23:00 07:00, "
                 "or /settings quiet off.",
    "no_words": "Name the words, e.g. /settings mute football, celebrity (or off).",
    "too_many_words": "At most 20 words, please.",
    "word_too_long": "A word can be at most 40 characters.",
    "bad_language": "Language is en, uk or all, e.g. /settings language uk.",
}


def render_settings_error(reason: str, value: str = "", what: str = "") -> OutgoingMessage:
    """A helpful reply to a /settings argument that was not applied (nothing changed)."""
    if reason == "unknown_timezone":
        text = (f"“{_quote(value)}” is not a time zone I know. Use a tz database name such as "
                f"{code('Europe/Kyiv')}, {code('Europe/London')}, {code('America/New_York')} "
                f"or {code('UTC')}.")
    elif reason == "bad_switch":
        text = escape(f"Use /settings {what or value} on or /settings {what or value} off.")
    elif reason == "usage":
        text = ("Unknown setting" + (f" “{_quote(value)}”" if value else "") + ". Send "
                + code("/settings") + " for the buttons, or one of: timezone, digest, quiet, "
                "instant, mute, only, previews, images, language.")
    else:
        text = escape(_ERRORS.get(reason, "That setting could not be applied."))
    return _message([text, italic("Nothing was changed.")])


def settings_notice(applied: bool) -> str:
    """The toast after a /settings button (plain text)."""
    return "Saved." if applied else "That button is no longer available."


def render_admins_only() -> OutgoingMessage:
    """The reply to a member changing a group's topics or settings."""
    return _message([escape(admins_only_notice())])


# -- /stop -------------------------------------------------------------------------------------


def render_stopped(chat_id: int, removed: int, *, known: bool = True) -> OutgoingMessage:
    """/stop: unsubscribed, how to come back, and the button that deletes the chat's data
    (none when the bot keeps nothing about the chat)."""
    lines = [
        "Stopped: nothing more will be sent here"
        + (f" (unfollowed {removed} topic{'s' if removed != 1 else ''})." if removed else "."),
        escape("Send /start any time to come back."),
    ]
    if not known:
        return _message(lines)
    lines += [
        "",
        "To also delete what this bot keeps about this chat (its settings and delivery "
        "history; your comments stay, signed “Reader”), press the button.",
    ]
    button = Button("Delete my data", callback_data=DeleteChatData(str(chat_id)).pack())
    return _message(lines, ((button,),))


def render_forgotten() -> OutgoingMessage:
    """The /stop message after its "Delete my data" button did its work."""
    return _message(["Your data is deleted: subscriptions, settings and delivery history; "
                     "comments are anonymised.", escape("Send /start to begin again.")])


def forget_notice(done: bool) -> str:
    """The toast after "Delete my data" (plain text)."""
    return "Deleted." if done else "Nothing to delete: that button is no longer available."
