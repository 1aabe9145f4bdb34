"""A published comment that an edit sends back to the admins is relayed again once they
approve it (its old copies were deleted; the outbox must not think they are still out)."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import CommentSettings
from bot.services.comment_relay import CommentRelay
from bot.services.comments import CommentService
from storage import comments as comments_dao
from storage.models import Delivery
from tests.support.outbox import add_chats, add_topics, publish


async def test_an_edited_comment_approved_again_is_relayed_again(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    """Approve → relayed to the discussion chat; an edit under "pre" moderation takes it
    back (its copy deleted); approving again queues a fresh copy."""
    [topic] = await add_topics(session_factory, "alpha")
    article_id = await publish(session_factory, "Story", [topic])
    await add_chats(session_factory, [(11, "private")])
    settings = CommentSettings(moderation="pre", discussion_chat_id=-100500)
    relay = CommentRelay(session_factory, settings)
    comments = CommentService(session_factory, settings, admins=[1], on_change=relay.changed)
    async with session_factory() as session, session.begin():
        comment = await comments_dao.hold_comment(
            session, article_id=article_id, author="Ann", text="Hi", body_html=None,
            chat_id=11, user_id=11, telegram_message_id=5, status="pending")
        comment_id = comment.id
    assert (await comments.moderate(1, comment_id, "approve")).outcome != "forbidden"
    assert await relay.publish(comment_id) == 1
    async with session_factory() as session, session.begin():  # the outbox sent it
        await session.execute(update(Delivery).where(Delivery.comment_id == comment_id)
                              .values(status="sent", message_id=77))
    await comments.edit(11, 5, 11, "Hi, edited")  # back to the admins: copies deleted
    assert (await comments.moderate(1, comment_id, "approve")).outcome != "forbidden"
    assert await relay.publish(comment_id) == 1
    async with session_factory() as session:
        rows = (await session.execute(select(Delivery.chat_id, Delivery.status)
                                      .where(Delivery.comment_id == comment_id))).all()
    assert rows == [(-100500, "pending")]
