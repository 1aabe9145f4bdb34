"""Comments: one comment, the confirmation of a posted one, and an explainer's comments."""

from __future__ import annotations

from bot.domain import ArticleComments, CommentPosted
from bot.render.cutting import truncate_html
from bot.render.display import clean_plain, shorten_plain, url_title
from bot.render.markup import TEXT_LIMIT, bold, escape, italic, join_lines, link, safe_url
from bot.render.messages import OutgoingMessage
from bot.render.telegram_html import visible_length
from bot.text import one_line

__all__ = [
    "render_comment",
    "render_comment_posted",
    "render_comments",
]

_ROOM_AFTER_COMMENTS = 80  # kept free under the comments for the "…and N more." line
_MIN_PER_COMMENT = 200


def render_comment(
    author: str,
    text: str,
    *,
    article_title: str | None = None,
    article_url: str | None = None,
    spoiler: bool = True,
) -> str:
    """A reader's comment: the author in italics, the article it is about, and the escaped
    comment (behind a spoiler by default), cut so the whole message fits one text."""
    who = italic(shorten_plain(one_line(author), 64) or "Anonymous")
    url = safe_url(article_url)
    about = shorten_plain(one_line(article_title or ""), 256) or (url_title(url) if url else "")
    header = who
    if about:
        header += f" on {link(about, url)}" if url else f" on {bold(about)}"
    body_text = clean_plain(text)
    if not body_text:
        return header
    body = f"<tg-spoiler>{escape(body_text)}</tg-spoiler>" if spoiler else escape(body_text)
    room = TEXT_LIMIT - visible_length(header) - 1
    return f"{header}\n{truncate_html(body, room)}"


def render_comment_posted(posted: CommentPosted) -> OutgoingMessage:
    """Confirm a comment, or explain why a reply was not taken as one."""
    if posted.stored:
        text = (f"Thanks — your comment on {bold(posted.title or 'this explainer')} is posted "
                f"({posted.total} comment{'s' if posted.total != 1 else ''} so far). Others see "
                "it behind a spoiler.")
    elif posted.reason == "too long":
        text = escape("That comment is too long (2,000 characters at most). Please shorten it.")
    elif posted.reason == "empty":
        text = escape("That comment is empty.")
    else:
        text = escape("To comment, reply to one of the explainers I sent you.")
    return OutgoingMessage(method="sendMessage", text=text, disable_preview=True)


def render_comments(found: ArticleComments | None) -> OutgoingMessage:
    """Relay an explainer's comments, each hidden behind a spoiler like on the website."""
    if found is None:
        return OutgoingMessage(method="sendMessage",
                               text=escape("That explainer is no longer available."))
    head = f"💬 Comments on {link(found.title, found.url) if found.url else bold(found.title)}"
    if not found.comments:
        return OutgoingMessage(
            method="sendMessage",
            text=join_lines(head, "", escape("No comments yet. Reply to the explainer to add one.")
                            ),
            disable_preview=True,
        )
    budget = TEXT_LIMIT - visible_length(head) - _ROOM_AFTER_COMMENTS
    parts = [head, ""]
    per_comment = max(_MIN_PER_COMMENT, budget // max(1, len(found.comments)))
    for comment in found.comments:
        block = render_comment(comment.author, comment.text, spoiler=True)
        if visible_length(block) > per_comment:
            block = truncate_html(block, per_comment)
        parts += [block, ""]
    if found.total > len(found.comments):
        parts.append(italic(f"…and {found.total - len(found.comments)} more."))
    return OutgoingMessage(method="sendMessage", text=join_lines(*parts).rstrip(),
                           disable_preview=True)
