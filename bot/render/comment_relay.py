"""A published comment as relayed to the discussion chat and to the readers following an
explainer's comments, and the "Follow comments" toggle."""

from __future__ import annotations

from bot.callback_data import FollowComments
from bot.domain import HeldComment
from bot.i18n import _
from bot.render.comment_replies import render_comment
from bot.render.messages import Button, OutgoingMessage

__all__ = [
    "follow_button",
    "follow_toast",
    "render_relayed_comment",
]


def render_relayed_comment(comment: HeldComment, *, spoiler: bool = True,
                           follower: bool = False) -> OutgoingMessage:
    """One relayed copy, in the current language: the author and the explainer outside, the
    body in one spoiler (:func:`~bot.render.comment_replies.render_comment`). A follower's copy
    carries the button to stop following."""
    text = render_comment(comment.author, comment.text, article_title=comment.article_title,
                          article_url=comment.article_url or None, spoiler=spoiler,
                          body_html=comment.body_html, from_site=comment.from_site)
    buttons = ((follow_button(comment.article_id, following=True),),) if follower else ()
    return OutgoingMessage(method="sendMessage", text=text, disable_preview=True,
                           buttons=buttons)


def follow_button(article_id: int, *, following: bool) -> Button:
    """The toggle: "🔔 Follow comments", or "🔕 Unfollow comments" while the chat follows."""
    label = _("🔕 Unfollow comments") if following else _("🔔 Follow comments")
    return Button(label, callback_data=FollowComments(article_id).pack())


def follow_toast(following: bool) -> str:
    """The answer to a press of the toggle (plain text)."""
    if following:
        return _("You will get new comments on this explainer here.")
    return _("You no longer get new comments on this explainer.")
