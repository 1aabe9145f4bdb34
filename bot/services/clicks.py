"""Click tracking (opt-in: ``server.public_url`` set): the "Read" buttons of pushed
explainers lead to ``<public_url>/r/<token>``, which the bot's HTTP server counts and
redirects (302) to the article.

Design. The outbox renders a pushed explainer once per article and language per batch and
sends that same message to every chat, so a link is per *article*: its token
(``secrets.token_urlsafe(9)``, 72 random bits: not guessable, 12 characters) is made once,
in bulk for all the batch's articles in one transaction (:meth:`ClickTracker.read_urls`),
never per message, and remembered in memory (a token never changes), so a batch of known
articles costs no query at all. A click is counted per link per UTC day: no chat, no user, no IP is
stored. An unknown token is a 404 and counts nothing.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Mapping
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage import clicks as clicks_dao
from storage.db import write_session
from storage.models import utcnow

TOKEN_BYTES = 9  # → 12 URL-safe characters
_TOKEN = re.compile(r"[A-Za-z0-9_-]{8,32}")
_KNOWN_MAX = 10_000  # links remembered in memory


def new_token() -> str:
    """A fresh, unguessable link token."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def tracked_url(public_url: str, token: str) -> str:
    """The public address of a tracked link."""
    return f"{public_url.rstrip('/')}/r/{token}"


class ClickTracker:
    """Makes tracked links for explainers and counts their clicks."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession], public_url: str,
                 *, clock: Callable[[], datetime] = utcnow) -> None:
        self._sessions = session_factory
        self.public_url = public_url
        self._clock = clock
        self._known: dict[int, tuple[str, str]] = {}  # article id → (token, target URL)

    async def read_urls(self, urls: Mapping[int, str]) -> dict[int, str]:
        """article id → the tracked address for its "Read" button, for every article of
        ``urls`` (article id → its URL): at most one transaction for the whole batch, none
        when every link is known already."""
        unknown = {article_id: url for article_id, url in urls.items()
                   if self._known.get(article_id, ("", ""))[1] != url}
        if unknown:
            async with write_session(self._sessions) as session:
                tokens = await clicks_dao.article_links(session, unknown, new_token)
            if len(self._known) > _KNOWN_MAX:  # old explainers are rarely pushed again
                self._known.clear()
            self._known.update({article_id: (token, unknown[article_id])
                                for article_id, token in tokens.items()})
        return {article_id: tracked_url(self.public_url, self._known[article_id][0])
                for article_id in urls if article_id in self._known}

    async def broadcast_url(self, broadcast_id: int, url: str) -> str:
        """The tracked address for a broadcast's link button (made once, then remembered)."""
        key = -broadcast_id  # beside article ids in the same memory
        if self._known.get(key, ("", ""))[1] != url:
            async with write_session(self._sessions) as session:
                token = await clicks_dao.broadcast_link(session, broadcast_id, url, new_token)
            self._known[key] = (token, url)
        return tracked_url(self.public_url, self._known[key][0])

    async def click(self, token: str) -> str | None:
        """Count a click on ``token``; the URL to redirect to, or None if there is no such
        link (nothing counted)."""
        if not _TOKEN.fullmatch(token):
            return None
        async with write_session(self._sessions) as session:
            return await clicks_dao.count_click(session, token, self._clock().date())
