"""Who is an admin, and what admins do: add and remove admins, ban and unban commenters, read
the moderation queue and the audit log.

An admin is a user id in ``telegram.admins`` (the config; not removable from Telegram) or one
stored by an existing admin's ``/admin add``. Every method that acts checks the acting user
itself, so a handler that forgot to ask :meth:`AdminService.is_admin` still changes nothing;
every change is written to the audit log in the same transaction.

Admin alerts about handler errors are rate-limited by :class:`ErrorAlertGate`: one per error
kind per window, remembered in memory (each process has its own; a restart forgets).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.domain import AdminEntry, AdminOutcome, AuditEntry, HeldComment, ModerationQueue
from storage import admins as admins_dao
from storage.db import write_session

log = logging.getLogger(__name__)

AUDIT_DEFAULT = 20  # /audit without a number
AUDIT_MAX = 100  # /audit 1000 shows this many (and the reply is cut to Telegram's limit)
QUEUE_MAX = 10  # held comments /queue sends, oldest first
_USER_ID_MAX = 2**53  # Telegram user ids fit 52 bits; anything larger is a typo


class AdminService:
    """The bot's admins (config plus stored), their actions and the audit log."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession],
                 config_admins: Sequence[int] = ()) -> None:
        self._sessions = session_factory
        self.config_admins = frozenset(config_admins)
        self.alert_gate = ErrorAlertGate()

    async def is_admin(self, user_id: int) -> bool:
        """Whether ``user_id`` may use admin commands and buttons (asked on every use)."""
        if user_id in self.config_admins:
            return True
        async with self._sessions() as session:
            return await admins_dao.is_stored_admin(session, user_id)

    async def admins(self) -> tuple[AdminEntry, ...]:
        """Every admin: the config's first (by id), then the stored ones (oldest first)."""
        async with self._sessions() as session:
            stored = await admins_dao.stored_admins(session)
        entries = [AdminEntry(user_id) for user_id in sorted(self.config_admins)]
        entries += [AdminEntry(row.user_id, row.added_by, row.added_at) for row in stored
                    if row.user_id not in self.config_admins]
        return tuple(entries)

    async def admin_ids(self) -> tuple[int, ...]:
        """Every admin's user id (for menus and alerts); the config's alone if the database
        cannot be read."""
        try:
            return tuple(entry.user_id for entry in await self.admins())
        except Exception:  # the alert may be that the database is away
            log.warning("stored admins unavailable; using telegram.admins only", exc_info=True)
            return tuple(sorted(self.config_admins))

    async def add(self, actor: int, user_id: int) -> AdminOutcome:
        """Make ``user_id`` an admin (audited)."""
        if not await self.is_admin(actor):
            return AdminOutcome("forbidden")
        if user_id in self.config_admins:
            return AdminOutcome("already admin", user_id)
        async with write_session(self._sessions) as session:
            if not await admins_dao.add_admin(session, user_id, actor):
                return AdminOutcome("already admin", user_id)
            await admins_dao.record_action(session, actor, "admin.add", str(user_id))
        return AdminOutcome("added", user_id)

    async def remove(self, actor: int, user_id: int) -> AdminOutcome:
        """Take admin rights from a stored admin (audited); config admins stay."""
        if not await self.is_admin(actor):
            return AdminOutcome("forbidden")
        if user_id in self.config_admins:
            return AdminOutcome("config admin", user_id)
        async with write_session(self._sessions) as session:
            if not await admins_dao.remove_admin(session, user_id):
                return AdminOutcome("not admin", user_id)
            await admins_dao.record_action(session, actor, "admin.remove", str(user_id))
        return AdminOutcome("removed", user_id)

    async def ban(self, actor: int, user_id: int, banned: bool = True) -> AdminOutcome:
        """Ban ``user_id`` from commenting (or lift the ban), audited."""
        if not await self.is_admin(actor):
            return AdminOutcome("forbidden")
        async with write_session(self._sessions) as session:
            if not await admins_dao.set_comment_ban(session, user_id, banned, actor):
                return AdminOutcome("already banned" if banned else "not banned", user_id)
            await admins_dao.record_action(session, actor,
                                           "comments.ban" if banned else "comments.unban",
                                           str(user_id))
        return AdminOutcome("banned" if banned else "unbanned", user_id)

    async def record(self, actor: int, action: str, target: str | None = None,
                     details: dict[str, Any] | None = None) -> None:
        """Write an admin action done elsewhere (e.g. a moderation button) to the audit log."""
        async with write_session(self._sessions) as session:
            await admins_dao.record_action(session, actor, action, target, details)

    async def audit(self, actor: int, count: int = AUDIT_DEFAULT) -> tuple[AuditEntry, ...] | None:
        """The newest ``count`` audit entries (newest first), or None for a non-admin."""
        if not await self.is_admin(actor):
            return None
        async with self._sessions() as session:
            rows = await admins_dao.latest_actions(session, max(1, min(count, AUDIT_MAX)))
        return tuple(AuditEntry(row.admin_id, row.action, row.target, dict(row.details or {}),
                                row.created_at) for row in rows)

    async def queue(self, actor: int, limit: int = QUEUE_MAX) -> ModerationQueue | None:
        """The comments held for moderation (oldest first), or None for a non-admin."""
        if not await self.is_admin(actor):
            return None
        async with self._sessions() as session:
            total, rows = await admins_dao.held_comments(session, limit)
        return ModerationQueue(total, tuple(
            HeldComment(comment.id, comment.article_id, article.title, article.canonical_url,
                        comment.author, comment.user_id, comment.text, comment.body_html,
                        comment.held_reason or "pre")
            for comment, article in rows))


def parse_user_id(text: str | None) -> int | None:
    """A user id typed after a command (``/ban 12345``), or None if it is not one."""
    if text is None:
        return None
    text = text.strip()
    if not text.isascii() or not text.isdigit():
        return None
    value = int(text)
    return value if 0 < value < _USER_ID_MAX else None


class ErrorAlertGate:
    """Lets one admin alert through per error kind per ``window`` seconds (in memory)."""

    def __init__(self, window: float = 600.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._window = window
        self._clock = clock
        self._last: dict[str, float] = {}

    def allow(self, kind: str) -> bool:
        """Whether an alert for ``kind`` may go out now (and, if so, remember it did)."""
        now = self._clock()
        last = self._last.get(kind)
        if last is not None and now - last < self._window:
            return False
        if len(self._last) > 1000:  # many kinds: forget the ones past their window
            self._last = {k: t for k, t in self._last.items() if now - t < self._window}
        self._last[kind] = now
        return True
