"""The comment relay's storage on both databases: follows per story, copies queued once per
chat and never for the author's own chats, and follows moving with a migrated group."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage import chats as chats_dao
from storage import comment_relays as relays_dao
from storage import comments as comments_dao
from storage.models import CommentFollow, Delivery
from tests.support.outbox import add_chats, add_topics, publish

DISCUSSION = -100500


async def test_followers_queued_once_and_never_the_author(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    [topic] = await add_topics(session_factory, "alpha")
    article_id = await publish(session_factory, "Story", [topic])
    await add_chats(session_factory, [(11, "private"), (12, "private"), (13, "private"),
                                      (-500, "group")])
    async with session_factory() as session, session.begin():
        story = await relays_dao.story_of_article(session, article_id)
        assert story is not None
        for chat_id in (11, 12, 13, -500):
            await relays_dao.set_following(session, chat_id, story, True)
        await relays_dao.set_following(session, 12, story, True)  # idempotent
        await chats_dao.set_chat_status(session, 13, "blocked")
        comment = await comments_dao.hold_comment(
            session, article_id=article_id, author="Ann", text="Hi", body_html=None,
            chat_id=11, user_id=11, telegram_message_id=5, status="visible")
        # The discussion chat is not known yet: a row is made for it.
        assert await relays_dao.enqueue_comment(session, comment, story, DISCUSSION) == 3
        assert await relays_dao.enqueue_comment(session, comment, story, DISCUSSION) == 0
        await relays_dao.set_following(session, 12, story, False)
        assert not await relays_dao.is_following(session, 12, story)
    async with session_factory() as session:
        chats = sorted((await session.scalars(select(Delivery.chat_id).where(
            Delivery.comment_id == comment.id))).all())
    assert chats == [DISCUSSION, -500, 12]  # not the author (11), not the blocked chat (13)


async def test_follows_move_with_a_migrated_group(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    [topic] = await add_topics(session_factory, "alpha")
    article_id = await publish(session_factory, "Story", [topic])
    await add_chats(session_factory, [(-600, "group")])
    async with session_factory() as session, session.begin():
        story = await relays_dao.story_of_article(session, article_id)
        assert story is not None
        await relays_dao.set_following(session, -600, story, True)
        await chats_dao.merge_chat(session, -600, -100600)
    async with session_factory() as session:
        follows = (await session.execute(select(CommentFollow.chat_id,
                                                CommentFollow.story_id))).all()
    assert [tuple(row) for row in follows] == [(-100600, story)]
