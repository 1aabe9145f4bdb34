"""Reader comments: a reply to a pushed explainer becomes a comment on that article, and
readers see an article's comments relayed back behind Telegram spoilers.

Comments belong to the story: a comment is stored on the language version it replies to,
and every version shows (and counts) the comments of all versions."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.domain import ArticleComments, CommentPosted, CommentView, UserInfo
from storage import articles as articles_dao
from storage import comments as comments_dao
from storage import deliveries as deliveries_dao
from storage import stories as stories_dao
from storage.db import write_session

MAX_COMMENT_CHARS = 2000
SHOWN_COMMENTS = 10


class CommentService:
    """Stores reader comments and reads them back."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = session_factory

    async def post_reply(
        self, chat_id: int, reply_to_message_id: int, user: UserInfo, text: str
    ) -> CommentPosted:
        """Store ``text`` as a comment if it replies to an explainer the bot pushed here."""
        body = " ".join(text.split())
        if not body:
            return CommentPosted(False, reason="empty")
        if len(body) > MAX_COMMENT_CHARS:
            return CommentPosted(False, reason="too long")
        async with write_session(self._sessions) as session:
            delivery = await deliveries_dao.find_by_message(session, chat_id, reply_to_message_id)
            if delivery is None or delivery.article_id is None:
                return CommentPosted(False, reason="not an explainer")
            article = await articles_dao.get_article(session, delivery.article_id)
            if article is None:
                return CommentPosted(False, reason="not an explainer")
            await comments_dao.add_comment(
                session, article_id=article.id, author=user.display_name, text=body,
                chat_id=chat_id, user_id=user.id, telegram_message_id=None,
            )
            versions = await stories_dao.story_article_ids(session, article.id)
            total = await comments_dao.count_visible_of(session, versions)
            return CommentPosted(True, article.id, article.title, total)

    async def for_article(self, article_id: int) -> ArticleComments | None:
        """The visible comments (oldest first) on every language version of the article's
        story, or None if the article does not exist."""
        async with self._sessions() as session:
            article = await articles_dao.get_article(session, article_id)
            if article is None:
                return None
            versions = await stories_dao.story_article_ids(session, article_id)
            rows = await comments_dao.visible_comments_of(session, versions, SHOWN_COMMENTS)
            total = await comments_dao.count_visible_of(session, versions)
        return ArticleComments(
            article_id, article.title, article.canonical_url, total,
            tuple(CommentView(c.author, c.text) for c in rows),
        )
