"""Replies of the admin console: the admin list, the outcome of /admin add|remove and
/ban|/unban, the audit log, the moderation queue's head, the "not allowed" answer, and the
error handler's apology to users and alert to admins."""

from __future__ import annotations

from collections.abc import Sequence

from babel.dates import format_date

from bot.callback_data import RemoveAdmin
from bot.domain import AdminEntry, AdminOutcome, AuditEntry, ModerationQueue
from bot.i18n import N_, _, current_language, ngettext
from bot.render.markup import TEXT_LIMIT, bold, code, escape, fill, join_lines, utf16_len
from bot.render.messages import Button, OutgoingMessage

# The audit log's action names (stored in English, shown translated).
_ACTIONS = {
    "admin.add": N_("added an admin"),
    "admin.remove": N_("removed an admin"),
    "comments.ban": N_("banned from commenting"),
    "comments.unban": N_("lifted a comment ban"),
    "comments.approve": N_("approved a comment"),
    "comments.reject": N_("rejected a comment"),
    "feeds.add": N_("added a feed"),
    "feeds.remove": N_("removed a feed"),
    "feeds.pause": N_("paused a feed"),
    "feeds.resume": N_("resumed a feed"),
    "feeds.retry": N_("polled a feed now"),
    "post": N_("posted an explainer"),
    "broadcast.create": N_("drafted a broadcast"),
    "broadcast.button": N_("gave a broadcast a link button"),
    "broadcast.audience": N_("chose a broadcast's audience"),
    "broadcast.test": N_("sent a broadcast to themself as a test"),
    "broadcast.send": N_("sent a broadcast"),
    "broadcast.schedule": N_("scheduled a broadcast"),
    "broadcast.pause": N_("paused a broadcast"),
    "broadcast.resume": N_("resumed a broadcast"),
    "broadcast.cancel": N_("cancelled a broadcast"),
}
_ALERT_MESSAGE_LIMIT = 300  # characters of the exception's message in an admin alert


def not_allowed() -> str:
    """What a non-admin gets for an admin command or button (plain text: also a toast)."""
    return _("Sorry, only the bot's admins can do that.")


def render_admin_list(admins: Sequence[AdminEntry]) -> OutgoingMessage:
    """/admin: every admin, who added whom, and a Remove button per admin added here."""
    lines = [bold(ngettext("{n} admin", "{n} admins", len(admins)).format(n=len(admins)))]
    buttons: list[tuple[Button, ...]] = []
    for admin in admins:
        if admin.from_config:
            lines.append(fill(_("• {user} — from the config file"), user=code(str(admin.user_id))))
            continue
        when = (format_date(admin.added_at, format="d MMM yyyy", locale=current_language())
                if admin.added_at else "")
        lines.append(fill(_("• {user} — added by {admin} on {date}"),
                          user=code(str(admin.user_id)), admin=code(str(admin.added_by)),
                          date=escape(when)))
        buttons.append((Button(_("Remove {user}").format(user=admin.user_id),
                               callback_data=RemoveAdmin(str(admin.user_id)).pack()),))
    lines += ["", escape(_("Add an admin with /admin add <user id>, remove one with "
                           "/admin remove <user id>. Admins in the config file can only be "
                           "removed there."))]
    return OutgoingMessage(method="sendMessage", text=join_lines(*lines), disable_preview=True,
                           buttons=tuple(buttons))


def admin_usage() -> str:
    """How to use /admin (HTML)."""
    return escape(_("Usage: /admin, /admin add <user id> or /admin remove <user id>. A user "
                    "finds their id with a bot such as @userinfobot."))


def user_id_usage(command: str) -> str:
    """How to use /ban or /unban (HTML)."""
    return fill(_("Usage: {command} <user id>"), command=escape("/" + command))


def admin_outcome(result: AdminOutcome) -> str:
    """What /admin add|remove, /ban or /unban did (plain text: also a toast)."""
    user = str(result.user_id)
    texts = {
        "forbidden": not_allowed(),
        "added": _("{user} is an admin now."),
        "already admin": _("{user} is already an admin."),
        "removed": _("{user} is no longer an admin."),
        "not admin": _("{user} is not an admin added from Telegram."),
        "config admin": _("{user} is an admin in the config file; remove them there."),
        "banned": _("{user} can no longer comment."),
        "already banned": _("{user} is already banned from commenting."),
        "unbanned": _("{user} can comment again."),
        "not banned": _("{user} is not banned."),
    }
    return texts.get(result.outcome, not_allowed()).format(user=user)


def render_audit(entries: Sequence[AuditEntry]) -> str:
    """/audit: the newest entries first, one line each, cut to fit one message."""
    if not entries:
        return escape(_("The audit log is empty."))
    head = bold(ngettext("The latest {n} admin action", "The latest {n} admin actions",
                         len(entries)).format(n=len(entries)))
    more = escape(_("… older entries cut to fit one message; ask for fewer with /audit 10."))
    lines = [head]
    budget = TEXT_LIMIT - utf16_len(more) - 2
    used = utf16_len(head)
    for entry in entries:
        line = _audit_line(entry)
        if used + 1 + utf16_len(line) > budget:
            lines.append(more)
            break
        lines.append(line)
        used += 1 + utf16_len(line)
    return join_lines(*lines)


def _audit_line(entry: AuditEntry) -> str:
    when = entry.created_at.strftime("%Y-%m-%d %H:%M UTC")
    action = _(_ACTIONS[entry.action]) if entry.action in _ACTIONS else entry.action
    target = f" → {code(entry.target)}" if entry.target else ""
    return f"{escape(when)} · {code(str(entry.admin_id))} · {escape(action)}{target}"


def render_queue_head(queue: ModerationQueue) -> str:
    """/queue's first message: how many comments wait (each follows with its buttons)."""
    if queue.total == 0:
        return escape(_("No comments are waiting for approval."))
    if queue.total > len(queue.comments):
        return escape(ngettext("{n} comment is waiting for approval; the oldest {shown} follow.",
                               "{n} comments are waiting for approval; the oldest {shown} "
                               "follow.", queue.total).format(n=queue.total,
                                                              shown=len(queue.comments)))
    return escape(ngettext("{n} comment is waiting for approval:",
                           "{n} comments are waiting for approval:",
                           queue.total).format(n=queue.total))


def error_apology() -> str:
    """The short apology a user gets when handling their update failed (plain text)."""
    return _("😔 Sorry, something went wrong on our side. Please try again in a moment.")


def render_error_apology() -> OutgoingMessage:
    """The apology as a message."""
    return OutgoingMessage(method="sendMessage", text=escape(error_apology()))


def render_error_alert(kind: str, handler: str, update_kind: str, chat_id: int | None,
                       command: str | None, message: str) -> OutgoingMessage:
    """The admins' alert about a handler error (one per kind per window; says so)."""
    if len(message) > _ALERT_MESSAGE_LIMIT:
        message = message[:_ALERT_MESSAGE_LIMIT] + "…"
    lines = [
        fill(_("⚠️ Error {kind} in {handler}"), kind=bold(kind), handler=code(handler)),
        fill(_("Update: {kind}, chat {chat}, command {command}"), kind=escape(update_kind),
             chat=code(str(chat_id) if chat_id is not None else "—"),
             command=code(command or "—")),
    ]
    if message:
        lines.append(code(message))
    lines.append(escape(_("The same error is reported at most once per 10 minutes; the log has "
                          "every occurrence.")))
    return OutgoingMessage(method="sendMessage", text=join_lines(*lines), disable_preview=True)
