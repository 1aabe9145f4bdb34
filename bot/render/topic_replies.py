"""Topics: the picker, /topic's key points and the help when a topic is not found."""

from __future__ import annotations

from collections.abc import Sequence

from bot.callback_data import FollowAllTopics, PickerDone, ToggleTopic
from bot.domain import TopicChoice, TopicTag
from bot.i18n import _
from bot.render.display import text_messages, url_title
from bot.render.markup import bold, code, escape, fill, italic, join_lines, link, safe_url
from bot.render.messages import Button, OutgoingMessage
from bot.render.web_html import BULLET
from bot.text import one_line

__all__ = [
    "follow_all_notice",
    "is_picker_keyboard",
    "render_topic_choices",
    "render_topic_digest",
    "render_topic_picker",
    "render_topic_summary",
    "toggle_notice",
    "topic_picker",
]

KeyPoint = tuple[str, str, str]  # (point text, source title, source url)


def topic_picker(choices: Sequence[TopicChoice]) -> tuple[tuple[Button, ...], ...]:
    """One toggle button per topic (✅ when subscribed), two per row, then a last row with
    "All topics" (follow every one) and "Done" (a summary of what will arrive)."""
    buttons = [
        Button(
            text=f"{'✅' if c.subscribed else '☐'} {c.name}",
            callback_data=ToggleTopic(c.slug).pack(),
        )
        for c in choices
    ]
    rows = [tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2)]
    if choices:
        rows.append((Button(text=_("All topics"), callback_data=FollowAllTopics().pack()),
                     Button(text=_("Done"), callback_data=PickerDone().pack())))
    return tuple(rows)


def is_picker_keyboard(callback_data: Sequence[str | None]) -> bool:
    """Whether a message's buttons (their callback data; None for a link button) are a topic
    picker: it has the picker's "Done", or (a picker sent before "Done" existed) nothing but
    topic buttons. An explainer's Read/Comments keyboard is neither."""
    if any(data is not None and PickerDone.matches(data) for data in callback_data):
        return True
    return bool(callback_data) and all(
        data is not None and ToggleTopic.matches(data) for data in callback_data)


def render_topic_picker(choices: Sequence[TopicChoice]) -> OutgoingMessage:
    """The /topics prompt with the picker."""
    text = (
        _("Tap a topic to follow it; tap again to stop. New explainers on the topics you "
          "follow arrive here.")
        if choices
        else _("No topics are set up yet.")
    )
    return OutgoingMessage(method="sendMessage", text=escape(text),
                           buttons=topic_picker(choices), disable_preview=True)


def toggle_notice(topic: TopicChoice | None) -> str:
    """The short plain-text toast after a picker press (not HTML: answerCallbackQuery)."""
    if topic is None:
        return _("That topic is no longer available.")
    if topic.subscribed:
        return _("Following {topic}").format(topic=topic.name)
    return _("Stopped following {topic}").format(topic=topic.name)


def follow_all_notice() -> str:
    """The toast after "All topics" (plain text)."""
    return _("Following every topic")


def _key_point_lines(
    topic: TopicTag, points: Sequence[KeyPoint]
) -> tuple[str, list[str]]:
    """The topic's display name, and its heading plus one bullet per key point citing the
    explainer it comes from."""
    name = one_line(topic.name) or one_line(topic.slug) or _("this topic")
    lines = [bold(_("Key points: {topic}").format(topic=name)), ""]
    for point_text, source_title, source_url in points:
        point = one_line(point_text)
        if not point:
            continue
        url = safe_url(source_url)
        source = one_line(source_title) or (url_title(url) if url else "")
        cite = ""
        if source:
            cite = f" — {link(source, url)}" if url else f" — {italic(source)}"
        lines.append(f"{BULLET}{escape(point)}{cite}")
    return name, lines


def render_topic_summary(
    topic: TopicTag,
    points: Sequence[KeyPoint],
    *,
    more_url: str | None = None,
) -> list[OutgoingMessage]:
    """Key points about a topic as bullet lines, each citing the explainer it comes from."""
    name, lines = _key_point_lines(topic, points)
    if len(lines) == 2:
        lines.append(italic(_("No key points yet.")))
    more = link(_("More on {topic}").format(topic=name), more_url) if safe_url(more_url) else ""
    if more:
        lines.extend(["", more])
    return text_messages(join_lines(*lines))


def _explainer_list(points: Sequence[KeyPoint]) -> str:
    """The explainers the points cite, each once, in the order first cited."""
    seen: dict[str, str] = {}
    for _point, source_title, source_url in points:
        url = safe_url(source_url)
        if url and url not in seen:
            seen[url] = one_line(source_title) or url_title(url)
    if not seen:
        return ""
    return join_lines(bold(_("From these explainers:")),
                      *(f"{BULLET}{link(title, url)}" for url, title in seen.items()))


def render_topic_digest(topic: TopicTag, points: Sequence[KeyPoint]) -> list[OutgoingMessage]:
    """The /topic answer: key points, each citing its explainer, then the list of those
    explainers; or a note that there is nothing yet."""
    if not points:
        return [OutgoingMessage(
            method="sendMessage",
            text=fill(_("No explainers on {topic} yet — follow it with /topics to get the "
                        "first one."), topic=bold(topic.name)),
        )]
    _name, lines = _key_point_lines(topic, points)
    explainers = _explainer_list(points)
    if explainers:
        lines += ["", explainers]
    return text_messages(join_lines(*lines))


def render_topic_choices(query: str, candidates: Sequence[TopicTag]) -> list[OutgoingMessage]:
    """Help for /topic when the name is missing, unknown or ambiguous: one topic a line,
    split over as many messages as Telegram's limit needs (a catalogue of 150 is fine)."""
    if not query.strip():
        example = escape(candidates[0].slug) if candidates else escape(_("name"))
        head = fill(_("Which topic? Send /topic followed by its name, for example /topic "
                      "{example}."), example=example)
    elif candidates:
        head = fill(_("I don't know the topic {topic}. Did you mean one of these?"),
                    topic=bold(query.strip()[:100]))
    else:
        head = fill(_("I don't know the topic {topic}."), topic=bold(query.strip()[:100]))
    lines = [head]
    if candidates:
        lines += ["", escape(_("Topics:")),
                  *(f"{BULLET}{code(t.slug)} ({escape(t.name)})" for t in candidates)]
    return text_messages(join_lines(*lines))
