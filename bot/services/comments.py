"""Reader comments: a reply to a pushed explainer becomes a comment on that article, and
readers see an article's comments relayed back behind Telegram spoilers.

Comments belong to the story: a comment is stored on the language version it replies to,
and every version shows (and counts) the comments of all versions.

Before a reader's first comment is published they choose the name it goes out under (their
display name, or "Reader"); the comment waits in status ``consent`` until they do. With
``comments.moderation = "pre"`` (or a held link / first comment under ``"auto"``) a comment
waits in ``pending`` until an admin approves it. Limits (length, a per-user rate, bans) are
checked before anything is stored."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import CommentSettings
from bot.domain import (
    ArticleComments,
    CommentDecision,
    CommentPosted,
    CommentView,
    ExplainerChoice,
    HeldComment,
    TextSpan,
    UserInfo,
)
from bot.render.comment_replies import ANONYMOUS_NAME
from bot.render.entities import entities_to_html, strip_spans
from storage import articles as articles_dao
from storage import comments as comments_dao
from storage import stories as stories_dao
from storage.db import write_session
from storage.models import Comment, utcnow

log = logging.getLogger(__name__)
PAGE_SIZE = 5  # comments per page of the comments view
_LINK_KINDS = frozenset({"url", "text_link"})
_DB_INT_MAX = 2**31 - 1
_MAX_PENDING = 1000  # open prompts / digest drafts kept in memory; the oldest go first


@dataclass(frozen=True)
class _Prompt:
    """A "Write your comment on …" question: who was asked, about which explainer."""

    user_id: int
    article_id: int


@dataclass(frozen=True)
class _Draft:
    """A reply to a digest waiting for its author to pick the explainer."""

    chat_id: int
    user: UserInfo
    body: str
    spans: tuple[TextSpan, ...]
    message_id: int | None
    article_ids: frozenset[int]


def _has_link_text(text: str) -> bool:
    return any(marker in text for marker in ("http://", "https://", "t.me/"))


def _trim(pending: dict[Any, Any]) -> None:
    """Drop the oldest entries past :data:`_MAX_PENDING` (dicts keep insertion order)."""
    while len(pending) > _MAX_PENDING:
        del pending[next(iter(pending))]


class AdminDirectory(Protocol):
    """Who the bot's admins are (bot.services.admins.AdminService)."""

    async def is_admin(self, user_id: int) -> bool: ...

    async def admin_ids(self) -> tuple[int, ...]: ...


class CommentService:
    """Stores reader comments, asks for consent, holds them for admins and reads them back."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        settings: CommentSettings | None = None,
        admins: Sequence[int] = (),
        on_change: Callable[[str, int], Awaitable[None]] | None = None,
        admin_directory: AdminDirectory | None = None,
    ) -> None:
        """``on_change("edited" | "deleted", comment_id)`` is awaited after a comment's text
        changed or it was deleted (the relay updates its copies); it may also be set later
        (``service.on_change = relay.changed``) when the relay is built after this service.
        A failing hook is logged, never undoes the committed change. ``admin_directory`` (the
        admin console's AdminService) answers who the bot's admins are — ``telegram.admins``
        and those added from Telegram; without it, ``admins`` alone."""
        self._sessions = session_factory
        self.settings = settings or CommentSettings()
        self.admins = frozenset(admins)
        self.admin_directory = admin_directory
        self.on_change = on_change
        # In memory only (a restart forgets them: a late reply is refused, never misplaced).
        self._prompts: dict[tuple[int, int], _Prompt] = {}
        self._drafts: dict[int, _Draft] = {}
        self._draft_serial = 0

    async def post_reply(
        self,
        chat_id: int,
        reply_to_message_id: int,
        user: UserInfo,
        text: str,
        spans: Sequence[TextSpan] = (),
        message_id: int | None = None,
    ) -> CommentPosted:
        """Take ``text`` (with the reader's formatting) as a comment if it replies to an
        explainer the bot pushed here, or to the bot's "Write your comment" prompt: refused,
        held for consent or an admin, or published. A reply to a message carrying several
        explainers (a digest) is kept as a draft and answered with reason "choose"."""
        limit = self.settings.max_length
        body, spans = strip_spans(text, spans)
        if not body:
            return CommentPosted(False, reason="empty", max_length=limit)
        if len(body) > limit:
            return CommentPosted(False, reason="too long", max_length=limit)
        prompt = self._prompts.get((chat_id, reply_to_message_id))
        if prompt is not None:
            if prompt.user_id != user.id:  # someone else answered a prompt meant for another
                return CommentPosted(False, reason="not an explainer")
            posted = await self._store(chat_id, prompt.article_id, user, body, spans, message_id)
            if posted.stored:
                self._prompts.pop((chat_id, reply_to_message_id), None)
            return posted
        async with self._sessions() as session:
            found = await comments_dao.explainers_at_message(session, chat_id,
                                                             reply_to_message_id)
        if not found:
            return CommentPosted(False, reason="not an explainer")
        if len(found) == 1:
            return await self._store(chat_id, found[0][0], user, body, spans, message_id)
        choices = tuple(ExplainerChoice(article_id, title) for article_id, title in found)
        self._draft_serial += 1
        draft_id = self._draft_serial
        self._drafts[draft_id] = _Draft(chat_id, user, body, tuple(spans), message_id,
                                        frozenset(c.article_id for c in choices))
        _trim(self._drafts)
        return CommentPosted(False, reason="choose", choices=choices, draft_id=draft_id,
                             max_length=limit)

    async def pick(self, user_id: int, draft_id: int, article_id: int) -> CommentPosted:
        """Store the reader's held reply to a digest on the explainer they picked; reason
        "gone" for an unknown draft or a choice it did not offer, "not yours" for someone
        else's."""
        draft = self._drafts.get(draft_id)
        if draft is None or article_id not in draft.article_ids:
            return CommentPosted(False, reason="gone")
        if draft.user.id != user_id:
            return CommentPosted(False, reason="not yours")
        del self._drafts[draft_id]
        return await self._store(draft.chat_id, article_id, draft.user, draft.body,
                                 draft.spans, draft.message_id)

    async def prompt_title(self, article_id: int) -> str | None:
        """The title of the explainer a reader pressed "Comment" under, or None if gone."""
        if not 0 < article_id <= _DB_INT_MAX:
            return None
        async with self._sessions() as session:
            article = await articles_dao.get_article(session, article_id)
            return None if article is None else article.title

    def remember_prompt(self, chat_id: int, message_id: int, user_id: int,
                        article_id: int) -> None:
        """The bot asked ``user_id`` for a comment on ``article_id`` with message
        ``message_id``: a reply to it becomes that comment. Kept in memory only, so after a
        restart a reply to an old prompt is refused, never put on the wrong explainer."""
        self._prompts[(chat_id, message_id)] = _Prompt(user_id, article_id)
        _trim(self._prompts)

    def cancel_prompts(self, chat_id: int, user_id: int) -> bool:
        """Forget the user's open "Write your comment" prompts (and digest drafts) in this
        chat; whether there was one."""
        prompts = [key for key, p in self._prompts.items()
                   if key[0] == chat_id and p.user_id == user_id]
        drafts = [key for key, d in self._drafts.items()
                  if d.chat_id == chat_id and d.user.id == user_id]
        for key in prompts:
            del self._prompts[key]
        for draft in drafts:
            del self._drafts[draft]
        return bool(prompts or drafts)

    async def explainers_at(self, chat_id: int, message_id: int) -> tuple[ExplainerChoice, ...]:
        """The explainers the bot's message carried (none when it carried none)."""
        async with self._sessions() as session:
            found = await comments_dao.explainers_at_message(session, chat_id, message_id)
        return tuple(ExplainerChoice(article_id, title) for article_id, title in found)

    async def edit(self, chat_id: int, message_id: int, user_id: int, text: str,
                   spans: Sequence[TextSpan] = ()) -> CommentPosted:
        """The reader edited the message a comment was taken from: store the new text (the
        same limits apply; a refused edit keeps the old text) and tell the relay. Reason
        "not a comment" when the message was not taken as a comment (or was deleted); a
        stored edit with reason "held again" took a published comment back to the admins
        (see :meth:`_edit_hold_reason`)."""
        limit = self.settings.max_length
        body, spans = strip_spans(text, spans)
        async with write_session(self._sessions) as session:
            comment = await comments_dao.comment_of_message(session, chat_id, message_id)
            if comment is None or comment.user_id != user_id or comment.status == "rejected":
                return CommentPosted(False, reason="not a comment")
            article = await articles_dao.get_article(session, comment.article_id)
            title = article.title if article else None
            if not body:
                return CommentPosted(False, comment.article_id, title, reason="empty",
                                     max_length=limit, comment_id=comment.id)
            if len(body) > limit:
                return CommentPosted(False, comment.article_id, title, reason="too long",
                                     max_length=limit, comment_id=comment.id)
            body_html = entities_to_html(body, spans)
            if comment.text == body and comment.body_html == body_html:
                return CommentPosted(False, comment.article_id, title, reason="unchanged",
                                     comment_id=comment.id)
            rehold = None
            if comment.status == "visible":
                rehold = self._edit_hold_reason(comment.text, comment.body_html, body, spans)
            comment.text, comment.body_html = body, body_html
            if rehold is not None:  # published, now back with the admins
                comment.status, comment.held_reason = "pending", rehold
            comment_id, status = comment.id, comment.status
        posted = CommentPosted(True, comment.article_id, title, status=status,
                               comment_id=comment_id, max_length=limit,
                               reason=None if rehold is None else "held again")
        if rehold is not None:
            await self.on_deleted(comment_id)  # its published copies go until approved again
        else:
            await self.on_edited(comment_id)
        return posted

    def _edit_hold_reason(self, old_text: str, old_html: str | None, body: str,
                          spans: Sequence[TextSpan]) -> str | None:
        """Why an edit takes a published comment back to the admins, or None: every edit
        under pre-moderation, and an edit adding a link when links are held (a harmless
        comment must not become spam after it was published)."""
        if self.settings.moderation == "pre":
            return "pre"
        if not self.settings.hold_links:
            return None
        had_link = bool(old_html and "<a " in old_html) or _has_link_text(old_text)
        has_link = any(span.kind in _LINK_KINDS for span in spans) or _has_link_text(body)
        return "link" if has_link and not had_link else None

    async def on_edited(self, comment_id: int) -> None:
        """A stored comment's text changed (already committed)."""
        # relay: H's CommentRelay.edited(comment_id), wired as ``on_change`` at the merge
        await self._notify("edited", comment_id)

    async def on_deleted(self, comment_id: int) -> None:
        """A comment was deleted (already committed)."""
        # relay: H's CommentRelay.deleted(comment_id), wired as ``on_change`` at the merge
        await self._notify("deleted", comment_id)

    async def _notify(self, change: str, comment_id: int) -> None:
        if self.on_change is None:
            return
        try:
            await self.on_change(change, comment_id)
        except Exception:  # the comment is already changed; the relay's copies may lag
            log.exception("comment %s %s, but the relay hook failed", comment_id, change)

    async def delete(self, user_id: int, comment_id: int) -> CommentDecision:
        """Delete a comment: its author may, and so may the bot's admins (telegram.admins,
        never taken from the button); anyone else is refused and nothing changes."""
        if not 0 < comment_id <= _DB_INT_MAX:
            return CommentDecision("gone")
        admin = await self.is_admin(user_id)
        async with write_session(self._sessions) as session:
            comment = await comments_dao.get_comment(session, comment_id)
            decision = await self._delete(session, user_id, comment, admin=admin)
        return await self._after_delete(decision)

    async def delete_replied(self, chat_id: int, user_id: int,
                             message_id: int) -> CommentDecision:
        """/delete replying to the reader's own comment message in this chat (or, for an
        admin, to anyone's): delete that comment. "gone" when the message was no comment."""
        admin = await self.is_admin(user_id)
        async with write_session(self._sessions) as session:
            comment = await comments_dao.comment_of_message(session, chat_id, message_id)
            decision = await self._delete(session, user_id, comment, admin=admin)
        return await self._after_delete(decision)

    async def _after_delete(self, decision: CommentDecision) -> CommentDecision:
        """Tell the relay once the deletion is committed (the hook may open its own session:
        write sessions never nest)."""
        if decision.outcome == "deleted" and decision.comment_id is not None:
            await self.on_deleted(decision.comment_id)
        return decision

    async def is_admin(self, user_id: int) -> bool:
        """Whether ``user_id`` is one of the bot's admins (asked on every use)."""
        if self.admin_directory is not None:
            return await self.admin_directory.is_admin(user_id)
        return user_id in self.admins

    async def admin_ids(self) -> tuple[int, ...]:
        """Every admin's user id, for the moderation messages."""
        if self.admin_directory is not None:
            return tuple(await self.admin_directory.admin_ids())
        return tuple(sorted(self.admins))

    async def _delete(self, session: AsyncSession, user_id: int,
                      comment: Comment | None, *, admin: bool) -> CommentDecision:
        if comment is None or comment.status in ("deleted", "rejected"):
            return CommentDecision("gone")
        if comment.user_id != user_id and not admin:
            return CommentDecision("not yours")
        article = await articles_dao.get_article(session, comment.article_id)
        comment.status = "deleted"
        if comment.user_id != user_id:
            comment.reviewed_by = user_id
        return CommentDecision("deleted", author=comment.author,
                               title=article.title if article else None,
                               author_user_id=comment.user_id, comment_id=comment.id)

    async def _store(self, chat_id: int, article_id: int, user: UserInfo, body: str,
                     spans: Sequence[TextSpan], message_id: int | None) -> CommentPosted:
        """Check the limits and store ``body`` (already stripped and within length) as the
        user's comment on ``article_id``."""
        limit = self.settings.max_length
        async with write_session(self._sessions) as session:
            article = await articles_dao.get_article(session, article_id)
            if article is None:
                return CommentPosted(False, reason="not an explainer")
            # The commenter's row, locked: comments from one user in several chats at once
            # are counted one after another, so none slips past the rate limit.
            commenter = await comments_dao.commenter_for_update(session, user.id)
            if commenter.banned:
                return CommentPosted(False, article.id, article.title, reason="banned")
            now = utcnow()
            window = timedelta(minutes=self.settings.rate_window_minutes)
            recent = await comments_dao.count_recent_by_user(session, user.id, now - window)
            if recent >= self.settings.rate_limit:
                if commenter.slowed_at is not None and commenter.slowed_at > now - window:
                    return CommentPosted(False, article.id, article.title, reason="quiet")
                commenter.slowed_at = now
                return CommentPosted(False, article.id, article.title, reason="slow down")
            body_html = entities_to_html(body, spans)
            has_link = any(span.kind in _LINK_KINDS for span in spans) or (
                "http://" in body or "https://" in body or "t.me/" in body
            )
            consent = None if commenter is None else commenter.consent
            if consent is None:
                status, held_reason = "consent", None
                author = self._name(user.display_name, "named")
            else:
                author = self._name(user.display_name, consent)
                held_reason = await self._hold_reason(session, user.id, has_link)
                status = "pending" if held_reason else "visible"
            comment = await comments_dao.hold_comment(
                session, article_id=article.id, author=author, text=body, body_html=body_html,
                chat_id=chat_id, user_id=user.id, telegram_message_id=message_id,
                status=status, held_reason=held_reason,
            )
            versions = await stories_dao.story_article_ids(session, article.id)
            total = await comments_dao.count_visible_of(session, versions)
            return CommentPosted(True, article.id, article.title, total, status=status,
                                 comment_id=comment.id, author=author, max_length=limit)

    async def held(self, comment_id: int) -> HeldComment | None:
        """A comment with its article, to show to admins."""
        async with self._sessions() as session:
            comment = await comments_dao.get_comment(session, comment_id)
            if comment is None:
                return None
            return await _held_view(session, comment)

    async def choose_name(self, user_id: int, comment_id: int, choice: str) -> CommentDecision:
        """The reader's answer to the consent question for their held comment(s)."""
        if not 0 < comment_id <= _DB_INT_MAX or choice not in ("named", "anonymous", "cancel"):
            return CommentDecision("gone")
        async with write_session(self._sessions) as session:
            comment = await comments_dao.get_comment(session, comment_id)
            if comment is not None and comment.user_id != user_id:
                return CommentDecision("not yours")  # someone else in a group pressed it
            if comment is None or comment.status != "consent":
                return CommentDecision("gone")
            article = await articles_dao.get_article(session, comment.article_id)
            title = article.title if article else None
            waiting = await comments_dao.comments_awaiting_consent(session, user_id)
            if choice == "cancel":
                for row in waiting:
                    await session.delete(row)
                return CommentDecision("cancelled", title=title)
            commenter = await comments_dao.commenter_for_update(session, user_id)
            if commenter.banned:  # banned while the question was open: nothing is published
                for row in waiting:
                    row.status = "rejected"
                return CommentDecision("cancelled", title=title)
            commenter.consent = choice
            name = self._name(comment.author, choice)
            held: list[HeldComment] = []
            published: list[HeldComment] = []
            for row in waiting:
                row.author = self._name(row.author, choice)
                has_link = bool(row.body_html and "<a " in row.body_html) or any(
                    marker in row.text for marker in ("http://", "https://", "t.me/")
                )
                row.held_reason = await self._hold_reason(session, user_id, has_link)
                row.status = "pending" if row.held_reason else "visible"
                await session.flush()
                view = await _held_view(session, row)
                (held if row.held_reason else published).append(view)
            return CommentDecision("held" if held and not published else "published",
                                   author=name, title=title, held=tuple(held),
                                   published=tuple(published), author_user_id=user_id)

    async def moderate(self, admin_id: int, comment_id: int, action: str) -> CommentDecision:
        """An admin's decision on a held comment; anyone who is not one of the bot's admins
        is refused."""
        if not await self.is_admin(admin_id):
            return CommentDecision("forbidden")
        if not 0 < comment_id <= _DB_INT_MAX or action not in ("approve", "reject", "ban"):
            return CommentDecision("gone")
        async with write_session(self._sessions) as session:
            comment = await comments_dao.get_comment(session, comment_id)
            if comment is None or comment.status != "pending":
                return CommentDecision("gone")
            comment.reviewed_by = admin_id
            comment.status = "visible" if action == "approve" else "rejected"
            if action == "ban" and comment.user_id is not None:
                commenter = await comments_dao.commenter_for_update(session, comment.user_id)
                commenter.banned = True
                commenter.banned_by = admin_id
            await session.flush()
            view = await _held_view(session, comment)
            outcome = {"approve": "approved", "reject": "rejected", "ban": "banned"}[action]
            return CommentDecision(outcome, author=comment.author, title=view.article_title,
                                   published=(view,) if action == "approve" else (),
                                   author_user_id=comment.user_id)

    async def for_article(self, article_id: int, page: int = 0) -> ArticleComments | None:
        """One page of the visible comments (oldest first) on every language version of the
        article's story, or None if the article does not exist (or the id is not one we could
        store). A page past the end shows the last one."""
        if not 0 < article_id <= _DB_INT_MAX:
            return None
        async with self._sessions() as session:
            article = await articles_dao.get_article(session, article_id)
            if article is None:
                return None
            versions = await stories_dao.story_article_ids(session, article_id)
            total = await comments_dao.count_visible_of(session, versions)
            pages = max(1, -(-total // PAGE_SIZE))
            page = min(max(0, page), pages - 1)
            rows = await comments_dao.visible_comments_of(session, versions, PAGE_SIZE,
                                                          page * PAGE_SIZE)
        return ArticleComments(
            article_id, article.title, article.canonical_url, total,
            tuple(CommentView(c.author, c.text, c.body_html, from_site=c.source == "site")
                  for c in rows), page, pages,
        )

    def _name(self, display_name: str, choice: str) -> str:
        if self.settings.anonymous or choice == "anonymous":
            return ANONYMOUS_NAME
        return display_name

    async def _hold_reason(self, session: AsyncSession, user_id: int, has_link: bool) -> str | None:
        """Why a comment from a reader who has consented waits for an admin, or None."""
        if self.settings.moderation == "pre":
            return "pre"
        if self.settings.hold_links and has_link:
            return "link"
        if self.settings.hold_new_commenters and not await comments_dao.has_published(
            session, user_id
        ):
            return "new"
        return None


async def _held_view(session: AsyncSession, comment: Comment) -> HeldComment:
    article = await articles_dao.get_article(session, comment.article_id)
    return HeldComment(
        comment.id, comment.article_id, article.title if article else "",
        article.canonical_url if article else "", comment.author, comment.user_id,
        comment.text, comment.body_html, comment.held_reason,
    )
