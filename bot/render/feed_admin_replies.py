"""Replies of the admins' feed commands: /feeds (the list with health, cut into messages that
fit), what /feeds add|remove|pause|resume and /post did, and the toasts of a feed alert's
Pause / Retry now buttons."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.domain import FeedAdminOutcome, FeedStatus, PostOutcome
from bot.i18n import _, ngettext
from bot.render.markup import TEXT_LIMIT, bold, code, escape, fill, join_lines, utf16_len

TOAST_LIMIT = 200  # characters of an answerCallbackQuery text


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "—"


def feeds_usage() -> str:
    """How to use /feeds (HTML)."""
    return escape(_("Usage: /feeds to list the feeds; /feeds add <url> [topic…]; "
                    "/feeds remove <id or url>; /feeds pause <id or url>; "
                    "/feeds resume <id or url>."))


def post_usage() -> str:
    """How to use /post (HTML)."""
    return escape(_("Usage: /post <url of an explainer> [topic…]"))


def render_feed_list(feeds: Sequence[FeedStatus]) -> list[str]:
    """/feeds: one block per feed with its health, in as many messages as it takes."""
    if not feeds:
        return [escape(_("No feeds yet. Add one with /feeds add <url>."))]
    head = bold(ngettext("{n} feed", "{n} feeds", len(feeds)).format(n=len(feeds)))
    messages: list[str] = []
    current: list[str] = [head]
    used = utf16_len(head)
    for feed in feeds:
        block = _feed_block(feed)
        size = utf16_len(block) + 2
        if used + size > TEXT_LIMIT and len(current) > 1:
            messages.append(join_lines(*current))
            current, used = [], 0
        current.append("\n" + block if current else block)
        used += size
    messages.append(join_lines(*current))
    return messages


def _feed_block(feed: FeedStatus) -> str:
    state = ""
    if feed.paused:
        state = " — " + escape(_("paused"))
    elif not feed.enabled:
        state = " — " + escape(_("disabled (no longer in the config file)"))
    lines = [f"{code('#' + str(feed.id))} {bold(feed.name)}{state}", code(feed.url)]
    if feed.topics:
        lines.append(fill(_("Topics: {topics}"), topics=escape(", ".join(feed.topics))))
    lines.append(fill(_("Last success: {when} · failures in a row: {n} · next poll: {next}"),
                      when=escape(_when(feed.last_success_at)),
                      n=escape(str(feed.consecutive_failures)),
                      next=escape(_("paused") if feed.paused else _when(feed.next_poll_at))))
    if feed.consecutive_failures and feed.last_error:
        lines.append(fill(_("Last error: {error}"), error=code(feed.last_error)))
    return join_lines(*lines)


def feed_outcome(result: FeedAdminOutcome) -> str:
    """What /feeds add|remove|pause|resume did (HTML)."""
    name, url, detail = bold(result.name), code(result.url), code(result.detail)
    feed_id = code("#" + str(result.feed_id))
    match result.outcome:
        case "forbidden":
            return escape(_("Sorry, only the bot's admins can do that."))
        case "added":
            text = fill(_("Added feed {id} {name} ({url}): {n} entries now. They are stored as "
                          "its baseline at its first poll; later ones go to subscribers."),
                        id=feed_id, name=name, url=url, n=escape(str(result.new)))
            if result.topics:
                text += "\n" + fill(_("Topics: {topics}"),
                                    topics=escape(", ".join(result.topics)))
            return text
        case "exists":
            return fill(_("That feed is already there: {id} {name}."), id=feed_id, name=name)
        case "unknown topic":
            return fill(_("No topic is called {word}. Send /topics for the list."), word=detail)
        case "not found":
            return fill(_("No feed {reference}. Send /feeds for the list with ids."),
                        reference=detail)
        case "config feed":
            return fill(_("{id} {name} comes from the config file: remove it there, or pause "
                          "it with /feeds pause."), id=feed_id, name=name)
        case "removed":
            return fill(_("Removed feed {id} {name}; its explainers stay."), id=feed_id,
                        name=name)
        case "paused":
            return fill(_("Paused feed {id} {name}: it is not polled until /feeds resume."),
                        id=feed_id, name=name)
        case "already paused":
            return fill(_("Feed {id} {name} is already paused."), id=feed_id, name=name)
        case "resumed":
            return fill(_("Resumed feed {id} {name}: it is polled again, first within a "
                          "minute."), id=feed_id, name=name)
        case "not paused":
            return fill(_("Feed {id} {name} is not paused."), id=feed_id, name=name)
    return fetch_refusal(result.outcome, result.url, result.detail)


def fetch_refusal(outcome: str, url: str, detail: str) -> str:
    """Why /feeds add or /post refused a URL after trying it (HTML)."""
    texts = {
        "blocked": _("Refused {url}: it resolves to a loopback, private or link-local "
                     "address ({detail}). Set ingestion.allow_private_networks = true to "
                     "allow such addresses."),
        "http error": _("Refused {url}: the server answered with an error ({detail})."),
        "invalid url": _("Refused {url}: not a valid http(s) URL ({detail})."),
        "not a feed": _("Refused {url}: it is not an RSS, Atom or JSON feed ({detail})."),
        "not an article": _("Refused {url}: no explainer could be extracted from the page "
                            "({detail})."),
    }
    template = texts.get(outcome, _("Refused {url}: unreachable ({detail})."))
    return fill(template, url=code(url), detail=code(detail))


def post_outcome(result: PostOutcome) -> str:
    """What /post did (HTML)."""
    if result.outcome == "forbidden":
        return escape(_("Sorry, only the bot's admins can do that."))
    if result.outcome == "unknown topic":
        return fill(_("No topic is called {word}. Send /topics for the list."),
                    word=code(result.detail))
    if result.outcome == "exists":
        return fill(_("{title} is already stored ({url}); it went to subscribers when it "
                      "arrived."), title=bold(result.title), url=code(result.url))
    if result.outcome != "posted":
        return fetch_refusal(result.outcome, result.url, result.detail)
    topics = escape(", ".join(result.topics)) if result.topics else escape(_("none"))
    return join_lines(
        fill(_("Posted {title}."), title=bold(result.title)),
        fill(_("Topics: {topics}"), topics=topics),
        escape(ngettext("Queued for {n} subscriber chat; sending now.",
                        "Queued for {n} subscriber chats; sending now.",
                        result.queued).format(n=result.queued)),
    )


def feed_button_toast(result: FeedAdminOutcome) -> str:
    """The toast answering a feed alert's Pause or Retry now (plain text, cut to fit)."""
    texts = {
        "forbidden": _("Sorry, only the bot's admins can do that."),
        "not found": _("That feed is gone."),
        "paused": _("Paused {name}. /feeds resume {id} polls it again."),
        "already paused": _("{name} is already paused."),
        "busy": _("{name} is being polled right now."),
        "failed": _("{name} still fails: {error}"),
    }
    if result.outcome == "polled":
        text = ngettext("{name} polled: {n} new explainer.", "{name} polled: {n} new explainers.",
                        result.new)
    else:
        text = texts.get(result.outcome, texts["not found"])
    text = text.format(name=result.name, id=result.feed_id, n=result.new, error=result.detail)
    return text if len(text) <= TOAST_LIMIT else text[:TOAST_LIMIT - 1] + "…"
