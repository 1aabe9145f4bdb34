"""Notices for the bot's admins about its own health: a feed that keeps failing and recovers,
the database file going away and coming back. Plain text (the notifier escapes it), rendered
once per admin in that admin's interface language; values such as the error stay as they are.
A feed alert is sent as :func:`render_feed_alert` builds it: with the feed's URL, and buttons
while it fails.
"""

from __future__ import annotations

from typing import Literal

from bot.callback_data import FeedAlertAction
from bot.i18n import _, ngettext
from bot.render.markup import code, escape, fill, join_lines
from bot.render.messages import Button, OutgoingMessage

DatabaseFileProblem = Literal["missing", "replaced"]


def feed_failing_notice(feed: str, failures: int, error: str) -> str:
    """A feed has failed ``failures`` polls in a row (said once, at the alert threshold)."""
    return ngettext("Feed {feed} has failed {n} poll in a row: {error}",
                    "Feed {feed} has failed {n} polls in a row: {error}",
                    failures).format(feed=feed, n=failures, error=error)


def feed_recovered_notice(feed: str, failures: int) -> str:
    """A feed the admins were told about works again."""
    return ngettext("Feed {feed} recovered after {n} failure",
                    "Feed {feed} recovered after {n} failures",
                    failures).format(feed=feed, n=failures)


def database_problem_notice(problem: DatabaseFileProblem, path: str) -> str:
    """The SQLite file the bot opened is gone or is another file now."""
    if problem == "missing":
        text = _("Database problem: database file {path} is missing (deleted or moved). "
                 "The bot is not ready.")
    else:
        text = _("Database problem: database file {path} was replaced by another file; "
                 "restart to open it. The bot is not ready.")
    return text.format(path=path)


def database_recovered_notice(path: str) -> str:
    """The SQLite file the bot opened is back."""
    return _("Database recovered: {path} is back.").format(path=path)


def render_feed_alert(text: str, url: str, feed_id: int, *, recovered: bool) -> OutgoingMessage:
    """A feed alert as sent: ⚠️ and the Pause / Retry now buttons while the feed fails, ✅
    when it recovered; the feed's URL (without credentials or query) on its own line."""
    lines = [("✅ " if recovered else "⚠️ ") + escape(text)]
    if url:
        lines.append(fill(_("URL: {url}"), url=code(url)))
    buttons: tuple[tuple[Button, ...], ...] = ()
    if not recovered and feed_id:
        buttons = ((Button(_("Pause"), callback_data=FeedAlertAction(feed_id, "pause").pack()),
                    Button(_("Retry now"),
                           callback_data=FeedAlertAction(feed_id, "retry").pack())),)
    return OutgoingMessage(method="sendMessage", text=join_lines(*lines), disable_preview=True,
                           buttons=buttons)
