"""Replies of /subscribe, /unsubscribe, /settings and /stop, in the chat's interface language
(see :mod:`bot.i18n`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from bot.callback_data import ChannelSetting, DeleteChatData, SettingsChoice
from bot.domain import ChatSettingsView, SubscriptionChange, TopicTag
from bot.i18n import LANGUAGES, N_, _, current_language, language_name, ngettext
from bot.render.group_replies import admins_only_notice
from bot.render.markup import bold, code, escape, fill, italic, join_lines
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
        return italic(_("No topics are set up yet."))
    return fill(_("Topics: {topics}"),
                topics=", ".join(f"{escape(t.name)} ({code(t.slug)})" for t in tags))


def render_subscription_change(change: SubscriptionChange, *, follow: bool) -> OutgoingMessage:
    """What /subscribe or /unsubscribe did and what is followed now; usage when nothing was
    named; the near misses of names that matched nothing."""
    command = "/subscribe" if follow else "/unsubscribe"
    if change.too_long:
        return _message([fill(_("That is too long: name a few topics, e.g. {example}."),
                              example=code(command + " russia, economy")), "",
                         _catalogue(change.catalogue)])
    if not change.changed and not change.unknown:
        if not change.catalogue:
            return _message([_catalogue(())])
        example = change.catalogue[0].slug
        if follow:
            usage_line = fill(_("Usage: {usage}, e.g. {example}."),
                              usage=code(command + " <topic…>"),
                              example=code(command + " " + example))
        else:
            usage_line = fill(_("Usage: {usage}, e.g. {example} or {all}."),
                              usage=code(command + " <topic…>"),
                              example=code(command + " " + example),
                              all=code("/unsubscribe all"))
        usage = [usage_line, escape(_("Several topics: separate them with commas.")), "",
                 _catalogue(change.catalogue)]
        return _message([*usage, "", _following(change.following)])
    lines: list[str] = []
    if change.changed:
        template = _("Now following: {topics}.") if follow else _("Stopped following: {topics}.")
        lines.append(fill(template, topics=_names(change.changed)))
    for name, suggestions in change.unknown:
        line = fill(_("No topic called “{name}”."), name=_quote(name))
        if suggestions:
            line += " " + fill(_("Did you mean {topics}?"), topics=_either(suggestions))
        lines.append(line)
    if change.unknown and not any(s for _name, s in change.unknown):
        lines.append(_catalogue(change.catalogue))
    lines.append(_following(change.following))
    return _message(lines)


def _either(tags: Sequence[TopicTag]) -> str:
    names = [bold(t.name) for t in tags]
    if len(names) == 1:
        return names[0]
    return fill(_("{names} or {last}"), names=", ".join(names[:-1]), last=names[-1])


def _following(tags: Sequence[TopicTag]) -> str:
    if not tags:
        return escape(_("You follow no topics here now. /topics to pick some."))
    return fill(_("You follow here: {topics}."), topics=_names(tags))


# -- /settings ---------------------------------------------------------------------------------

_DIGEST_LABELS = (("0800", "08:00"), ("0800-1900", "08:00 + 19:00"), ("1900", "19:00"))
_QUIET_LABELS = (("off", N_("No quiet hours")), ("2200-0700", "22:00–07:00"),
                 ("2300-0800", "23:00–08:00"))
_CONTENT_LABELS = (("en", N_("English")), ("uk", N_("Ukrainian")),
                   ("all", N_("Each story's original")))

#: Where the settings shown apply: a chat, a forum thread of it, or a channel managed from
#: the private chat (then ``channel`` is the channel's id and ``title`` its name).
SCOPES = ("chat", "thread", "channel")


def _pack(channel: int | None) -> Callable[[str, str], str]:
    if channel is None:
        return lambda key, value: SettingsChoice(key, value).pack()
    return lambda key, value: ChannelSetting.of(channel, key, value).pack()


def _on_off(flag: bool) -> str:
    return _("on") if flag else _("off")


def settings_keyboard(view: ChatSettingsView, *, channel: int | None = None,
                      interface: str | None = None) -> tuple[tuple[Button, ...], ...]:
    """The /settings buttons, ✅ on what is chosen now; for a channel managed from the
    private chat, ``channel`` is its id (the buttons carry it). ``interface``: the interface
    language chosen now (default: the one being rendered in)."""
    pack = _pack(channel)
    interface = interface or current_language()

    def button(label: str, chosen: bool, key: str, value: str) -> Button:
        return Button(f"{'✅ ' if chosen else ''}{label}", callback_data=pack(key, value))

    digest = view.delivery == "digest"
    times = "-".join(t.replace(":", "") for t in view.digest_times)
    quiet = "-".join(t.replace(":", "") for t in view.quiet_hours) if view.quiet_hours else "off"
    return (
        (button(_("Instant"), not digest, "delivery", "instant"),
         button(_("Digest"), digest, "delivery", "digest")),
        tuple(button(_("Digest {times}").format(times=label), digest and times == value,
                     "digest", value) for value, label in _DIGEST_LABELS),
        tuple(button(_(label), quiet == value, "quiet", value)
              for value, label in _QUIET_LABELS),
        (button(_("Link previews: {state}").format(state=_on_off(view.previews)), False,
                "previews", "off" if view.previews else "on"),
         button(_("Images: {state}").format(state=_on_off(view.images)), False, "images",
                "off" if view.images else "on")),
        tuple(button(_("Explainers: {language}").format(language=_(label)),
                     view.content_language == value, "content", value)
              for value, label in _CONTENT_LABELS),
        tuple(button(language_name(code_), interface == code_, "lang", code_)
              for code_ in LANGUAGES),
    )


def _content_language(value: str) -> str:
    labels = dict(_CONTENT_LABELS)
    return escape(_(labels[value])) if value in labels else escape(value)


def render_settings(view: ChatSettingsView, *, changed: bool = False, scope: str = "chat",
                    channel: int | None = None, title: str = "", handle: str = "",
                    interface: str | None = None) -> OutgoingMessage:
    """The settings with the buttons that change them, and the text commands. ``scope``:
    "chat", "thread" (a forum thread's own delivery settings) or "channel" (a channel managed
    from the private chat: ``channel`` its id, ``title`` its name, ``handle`` its @username
    or id for the text commands)."""
    if scope == "thread":
        header = bold(_("Settings of this thread (saved)") if changed else _(
            "Settings of this thread"))
    elif scope == "channel":
        header = fill(_("Settings of {channel} (saved)") if changed else _(
            "Settings of {channel}"), channel=bold(title))
    else:
        header = bold(_("Settings (saved)") if changed else _("Settings"))
    if view.delivery == "digest":
        delivery = fill(_("Delivery: a digest at {times}"),
                        times=escape(", ".join(view.digest_times)))
    else:
        delivery = escape(_("Delivery: instant (each explainer as it is published)"))
    quiet = (f"{escape(view.quiet_hours[0])}–{escape(view.quiet_hours[1])}"
             if view.quiet_hours else escape(_("none")))
    muted = escape(", ".join(view.mute_words)) if view.mute_words else escape(_("none"))
    only = escape(", ".join(view.only_words)) if view.only_words else escape(_("any words"))
    interface = interface or current_language()
    prefix = "/settings" if channel is None else f"/settings {handle or channel}"
    lines = [
        header,
        delivery,
        fill(_("Time zone: {timezone}"), timezone=escape(view.timezone)),
        fill(_("Quiet hours: {hours}"), hours=quiet),
        fill(_("Muted words: {words}"), words=muted),
        fill(_("Only explainers with: {words}"), words=only),
        fill(_("Link previews: {previews} · Images: {images}"),
             previews=escape(_on_off(view.previews)), images=escape(_on_off(view.images))),
        fill(_("Explainers' language: {language}"),
             language=_content_language(view.content_language)),
        fill(_("Bot's language (Language / Мова): {language}"),
             language=escape(language_name(interface))),
    ]
    if scope == "thread":
        lines += ["", italic(_("Delivery, digest times, quiet hours, words, previews and "
                               "images set here apply to this thread only; the time zone "
                               "and the languages apply to the whole group."))]
    examples = (f"{prefix} timezone Europe/Kyiv", f"{prefix} digest 08:00 19:00",
                f"{prefix} quiet 23:00 07:00", f"{prefix} mute word1, word2",
                f"{prefix} only word", f"{prefix} content en|uk|all",
                f"{prefix} language en|uk")
    lines += ["", fill(_("Also: {commands}."), commands=", ".join(code(e) for e in examples))]
    return _message(lines, settings_keyboard(view, channel=channel, interface=interface))


_ERRORS = {
    "too_long": N_("That is too long for a setting."),
    "timezone_usage": N_("Name one time zone, e.g. /settings timezone Europe/Kyiv."),
    "bad_times": N_("Digest times are HH:MM, up to six, e.g. /settings digest 08:00 19:00."),
    "bad_quiet": N_("Quiet hours are a start and an end, e.g. /settings quiet 23:00 07:00, "
                    "or /settings quiet off."),
    "no_words": N_("Name the words, e.g. /settings mute football, celebrity (or off)."),
    "too_many_words": N_("At most 20 words, please."),
    "word_too_long": N_("A word can be at most 40 characters."),
    "bad_language": N_("The explainers' language is en, uk or all, e.g. /settings content uk."),
    "bad_interface_language": N_("The bot speaks en or uk, e.g. /settings language uk."),
    "unknown_channel": N_("That is not one of your connected channels: /channels lists them."),
}
_NOT_APPLIED = N_("That setting could not be applied.")


def render_settings_error(reason: str, value: str = "", what: str = "") -> OutgoingMessage:
    """A helpful reply to a /settings argument that was not applied (nothing changed)."""
    if reason == "unknown_timezone":
        text = fill(_("“{value}” is not a time zone I know. Use a tz database name such as "
                      "{example1}, {example2}, {example3} or {example4}."),
                    value=_quote(value), example1=code("Europe/Kyiv"),
                    example2=code("Europe/London"), example3=code("America/New_York"),
                    example4=code("UTC"))
    elif reason == "bad_switch":
        name = what or value
        text = fill(_("Use {on} or {off}."), on=escape(f"/settings {name} on"),
                    off=escape(f"/settings {name} off"))
    elif reason == "usage":
        names = "timezone, digest, quiet, instant, mute, only, previews, images, content, language"
        if value:
            text = fill(_("Unknown setting “{value}”. Send {command} for the buttons, or one "
                          "of: {names}."), value=_quote(value), command=code("/settings"),
                        names=escape(names))
        else:
            text = fill(_("Unknown setting. Send {command} for the buttons, or one of: "
                          "{names}."), command=code("/settings"), names=escape(names))
    else:
        text = escape(_(_ERRORS.get(reason, _NOT_APPLIED)))
    return _message([text, italic(_("Nothing was changed."))])


def settings_notice(applied: bool) -> str:
    """The toast after a /settings button (plain text)."""
    return _("Saved.") if applied else _("That button is no longer available.")


def render_admins_only(chat_type: str = "group") -> OutgoingMessage:
    """The reply to a member changing a group's (or a channel's) topics or settings."""
    return _message([escape(admins_only_notice(chat_type))])


# -- /stop -------------------------------------------------------------------------------------


def render_stopped(chat_id: int, removed: int, *, known: bool = True) -> OutgoingMessage:
    """/stop: unsubscribed, how to come back, and the button that deletes the chat's data
    (none when the bot keeps nothing about the chat)."""
    if removed:
        stopped = ngettext("Stopped: nothing more will be sent here (unfollowed {n} topic).",
                           "Stopped: nothing more will be sent here (unfollowed {n} topics).",
                           removed).format(n=removed)
    else:
        stopped = _("Stopped: nothing more will be sent here.")
    lines = [escape(stopped), escape(_("Send /start any time to come back."))]
    if not known:
        return _message(lines)
    lines += [
        "",
        escape(_("To also delete what this bot keeps about this chat (its settings and "
                 "delivery history; your comments stay, signed “Reader”), press the button.")),
    ]
    button = Button(_("Delete my data"), callback_data=DeleteChatData(str(chat_id)).pack())
    return _message(lines, ((button,),))


def render_forgotten() -> OutgoingMessage:
    """The /stop message after its "Delete my data" button did its work."""
    return _message([escape(_("Your data is deleted: subscriptions, settings and delivery "
                              "history; comments are anonymised.")),
                     escape(_("Send /start to begin again."))])


def forget_notice(done: bool) -> str:
    """The toast after "Delete my data" (plain text)."""
    return _("Deleted.") if done else _("Nothing to delete: that button is no longer "
                                        "available.")
