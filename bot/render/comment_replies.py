"""Comments: one comment, the confirmation of a posted one, and an explainer's comments."""

from __future__ import annotations

from babel.numbers import format_decimal

from bot.callback_data import (
    CommentConsent,
    CommentsPage,
    DeleteComment,
    ModerateComment,
    PickExplainer,
    ShowComments,
)
from bot.domain import (
    ArticleComments,
    CommentDecision,
    CommentPosted,
    ExplainerChoice,
    HeldComment,
)
from bot.i18n import _, current_language, ngettext
from bot.render.cutting import truncate_html
from bot.render.display import clean_plain, shorten_plain, url_title
from bot.render.markup import (
    TEXT_LIMIT,
    bold,
    escape,
    fill,
    italic,
    join_lines,
    link,
    safe_url,
)
from bot.render.messages import Button, OutgoingMessage
from bot.render.telegram_html import visible_length
from bot.text import one_line

__all__ = [
    "ANONYMOUS_NAME",
    "SITE_READER_NAME",
    "comment_delete_buttons",
    "comment_prompt_needs_private_chat",
    "comment_prompt_placeholder",
    "comment_prompt_sent_privately",
    "comments_button_label",
    "comments_deep_link",
    "comments_need_private_chat",
    "comments_sent_privately",
    "comments_usage",
    "delete_toast",
    "delete_usage",
    "moderation_toast",
    "render_comment",
    "render_comment_deleted",
    "render_comment_posted",
    "render_comment_prompt",
    "render_comments",
    "render_comments_picker",
    "render_consent_result",
    "render_edit_refused",
    "render_explainer_picker",
    "render_held_comment",
    "render_moderation_for_author",
    "render_moderation_result",
    "render_prompt_cancelled",
]

ANONYMOUS_NAME = "Reader"  # stored as the author of anonymous comments; shown translated
# Stored as the author of a website comment whose feed names none; shown translated.
SITE_READER_NAME = "Website reader"

_ROOM_AFTER_COMMENTS = 80  # kept free under the comments for the "Page 1 of 3" line
_MIN_PER_COMMENT = 200


def render_comment(
    author: str,
    text: str,
    *,
    article_title: str | None = None,
    article_url: str | None = None,
    spoiler: bool = True,
    body_html: str | None = None,
    hint: bool = True,
    from_site: bool = False,
) -> str:
    """A reader's comment: the author's name (outside the spoiler), the explainer it is about
    (linked), a visible line saying a spoiler follows, and the body inside one spoiler.

    `body_html` is the reader's formatted body (from :func:`~bot.render.entities.
    entities_to_html`); without it the plain `text` is escaped. The body is cut so the whole
    message fits one text; `spoiler=False` shows it openly, `hint=False` leaves out the line.
    `from_site`: a comment written on the publisher's website, marked so after the name."""
    who = bold(shorten_plain(one_line(_display_name(author)), 64))
    if from_site:
        who = fill(_("{author} (from the website)"), author=who)
    url = safe_url(article_url)
    about = shorten_plain(one_line(article_title or ""), 256) or (url_title(url) if url else "")
    header = who
    if about:
        header = fill(_("{author} on {title}"), author=who,
                      title=link(about, url) if url else bold(about))
    body = body_html if body_html is not None else escape(clean_plain(text))
    if not visible_length(body):
        return header
    lines = [header]
    if spoiler and hint:
        lines.append(italic(_("This comment may contain spoilers — tap to reveal")))
    room = TEXT_LIMIT - sum(visible_length(line) + 1 for line in lines)
    cut = truncate_html(body, room)
    lines.append(f"<tg-spoiler>{cut}</tg-spoiler>" if spoiler else cut)
    return join_lines(*lines)


def render_comment_posted(posted: CommentPosted) -> OutgoingMessage | None:
    """Confirm a comment, ask for consent before a first one, or explain why a reply was not
    taken; None when nothing should be said (a flood already told to slow down)."""
    title = bold(posted.title or _("this explainer"))
    buttons: tuple[tuple[Button, ...], ...] = ()
    if posted.stored and posted.status == "consent" and posted.comment_id is not None:
        text = join_lines(
            fill(_("Comments are public: your comment on {title} will be shown to other "
                   "readers of this bot. Under which name should it appear?"), title=title),
            escape(_("I ask only once; your choice is kept for your next comments.")),
        )
        buttons = _consent_buttons(posted.comment_id, posted.author or "")
    elif posted.stored and posted.status == "pending":
        text = fill(_("Thanks — your comment on {title} will appear once a moderator has "
                      "approved it."), title=title)
        buttons = comment_delete_buttons(posted.comment_id)
    elif posted.stored:
        buttons = comment_delete_buttons(posted.comment_id)
        text = fill(
            ngettext(
                "Thanks — your comment on {title} is posted as {name} ({n} comment so far). "
                "Others see it behind a spoiler.",
                "Thanks — your comment on {title} is posted as {name} ({n} comments so far). "
                "Others see it behind a spoiler.",
                posted.total,
            ),
            title=title, name=bold(_display_name(posted.author)), n=str(posted.total),
        )
    elif posted.reason == "choose":
        return render_explainer_picker(posted)
    elif posted.reason in ("quiet", "gone", "not yours"):
        return None
    elif posted.reason == "too long":
        text = fill(
            ngettext("That comment is too long ({n} character at most). Please shorten it.",
                     "That comment is too long ({n} characters at most). Please shorten it.",
                     posted.max_length),
            n=format_number(posted.max_length),
        )
    elif posted.reason == "empty":
        text = escape(_("That comment is empty."))
    elif posted.reason == "banned":
        text = escape(_("Sorry, you can no longer comment here."))
    elif posted.reason == "slow down":
        text = escape(_("You are commenting very fast — please wait a few minutes before "
                        "the next comment."))
    else:
        text = escape(_("To comment, reply to one of the explainers I sent you."))
    return OutgoingMessage(method="sendMessage", text=text, disable_preview=True,
                           buttons=buttons)


def format_number(n: int) -> str:
    """``n`` with the reading language's digit grouping (2,000 / 2 000)."""
    return format_decimal(n, locale=current_language())


def _display_name(author: str | None) -> str:
    """A stored author name as shown: the anonymous name is translated."""
    if not author or not author.strip() or author == ANONYMOUS_NAME:
        return _("Reader")
    if author == SITE_READER_NAME:
        return _("Website reader")
    return author


def _consent_buttons(comment_id: int, name: str) -> tuple[tuple[Button, ...], ...]:
    rows: list[tuple[Button, ...]] = []
    if name and name != ANONYMOUS_NAME:
        label = _("Publish as {name}").format(name=shorten_plain(one_line(name), 40))
        rows.append((Button(label, callback_data=CommentConsent(comment_id, "named").pack()),))
    rows.append((Button(_("Publish as Reader (anonymous)"),
                        callback_data=CommentConsent(comment_id, "anonymous").pack()),))
    rows.append((Button(_("Cancel"), callback_data=CommentConsent(comment_id, "cancel").pack()),))
    return tuple(rows)


def render_consent_result(decision: CommentDecision) -> str:
    """What the consent question becomes once answered (edited in place)."""
    title = bold(decision.title or _("this explainer"))
    if decision.outcome == "cancelled":
        return fill(_("Your comment on {title} was not published."), title=title)
    if decision.outcome == "held":
        return fill(_("Thanks — your comment on {title} will appear as {name} once a "
                      "moderator has approved it."),
                    title=title, name=bold(_display_name(decision.author)))
    if decision.outcome == "published":
        return fill(_("Thanks — your comment on {title} is posted as {name}. Others see it "
                      "behind a spoiler."),
                    title=title, name=bold(_display_name(decision.author)))
    return escape(_("That question was already answered."))


def render_held_comment(held: HeldComment, *, spoiler: bool) -> OutgoingMessage:
    """A comment for the admins: held ones with Approve / Reject / Ban, published ones as a
    notice."""
    reasons = {
        "pre": _("Every comment waits for approval."),
        "link": _("It contains a link."),
        "new": _("It is this reader's first comment."),
    }
    comment = render_comment(_display_name(held.author), held.text, body_html=held.body_html,
                             article_title=held.article_title, article_url=held.article_url,
                             spoiler=spoiler, hint=False)
    if held.held_reason is None:
        head = escape(_("💬 New comment:"))
        return OutgoingMessage(method="sendMessage", text=truncate_html(
            join_lines(head, comment), TEXT_LIMIT), disable_preview=True,
            buttons=comment_delete_buttons(held.comment_id))
    head = join_lines(escape(_("💬 A comment is waiting for approval.")),
                      escape(reasons.get(held.held_reason, "")))
    buttons = ((
        Button(_("Approve"), callback_data=ModerateComment(held.comment_id, "approve").pack()),
        Button(_("Reject"), callback_data=ModerateComment(held.comment_id, "reject").pack()),
        Button(_("Ban"), callback_data=ModerateComment(held.comment_id, "ban").pack()),
    ),)
    text = truncate_html(join_lines(head, "", comment), TEXT_LIMIT)
    return OutgoingMessage(method="sendMessage", text=text, disable_preview=True,
                           buttons=buttons)


def render_moderation_result(decision: CommentDecision, admin_name: str) -> str:
    """What a held comment's notice becomes after an admin's decision (edited in place)."""
    name = bold(_display_name(decision.author))
    who = escape(admin_name)
    if decision.outcome == "approved":
        return fill(_("✅ {admin} approved the comment by {name}."), admin=who, name=name)
    if decision.outcome == "rejected":
        return fill(_("❌ {admin} rejected the comment by {name}."), admin=who, name=name)
    if decision.outcome == "banned":
        return fill(_("🚫 {admin} rejected the comment and banned {name} from commenting."),
                    admin=who, name=name)
    return escape(_("That comment was already decided."))


def render_moderation_for_author(decision: CommentDecision) -> OutgoingMessage | None:
    """Tell a comment's author what the moderator decided (None: nothing to tell)."""
    title = bold(decision.title or _("this explainer"))
    if decision.outcome == "approved":
        text = fill(_("Your comment on {title} was approved and is now published."),
                    title=title)
    elif decision.outcome in ("rejected", "banned"):
        text = fill(_("Your comment on {title} was not published."), title=title)
    else:
        return None
    return OutgoingMessage(method="sendMessage", text=text, disable_preview=True)


def moderation_toast(decision: CommentDecision) -> str:
    """The short answer to a moderation or consent button press (plain text)."""
    if decision.outcome == "forbidden":
        return _("Only the bot's admins can moderate comments.")
    if decision.outcome == "not yours":
        return _("Only the comment's author can answer this.")
    if decision.outcome == "gone":
        return _("That comment was already decided.")
    return _("Done")


def comments_button_label(total: int) -> str:
    """The label of an explainer's comments button with the count: "💬 3 comments"."""
    if total == 0:
        return _("💬 Comments")
    return ngettext("💬 {n} comment", "💬 {n} comments", total).format(n=total)


def render_comments(found: ArticleComments | None, *, spoiler: bool = True) -> OutgoingMessage:
    """One page of an explainer's comments, each body behind a spoiler like on the website
    (unless ``comments.spoiler = false``), with ◀ / ▶ buttons (edited in place) when there
    are more pages."""
    if found is None:
        return OutgoingMessage(method="sendMessage",
                               text=escape(_("That explainer is no longer available.")))
    head = "💬 " + fill(_("Comments on {title}"),
                       title=link(found.title, found.url) if found.url else bold(found.title))
    if not found.comments:
        return OutgoingMessage(
            method="sendMessage",
            text=join_lines(
                head, "", escape(_("No comments yet. Reply to the explainer to add one."))
            ),
            disable_preview=True,
        )
    hint = italic(_("Comments may contain spoilers — tap to reveal")) if spoiler else ""
    budget = TEXT_LIMIT - visible_length(head) - visible_length(hint) - _ROOM_AFTER_COMMENTS
    parts = [head, *([hint] if hint else []), ""]
    per_comment = max(_MIN_PER_COMMENT, budget // max(1, len(found.comments)))
    for comment in found.comments:
        block = render_comment(comment.author, comment.text, spoiler=spoiler,
                               body_html=comment.body_html, hint=False,
                               from_site=comment.from_site)
        if visible_length(block) > per_comment:
            block = truncate_html(block, per_comment)
        parts += [block, ""]
    buttons: tuple[tuple[Button, ...], ...] = ()
    if found.pages > 1:  # found.page counts from 0, the buttons from 1
        parts.append(italic(
            _("Page {page} of {pages} · {n} in all").format(
                page=found.page + 1, pages=found.pages, n=found.total)))
        row: list[Button] = []
        if found.page > 0:
            row.append(Button(_("◀ Previous"), callback_data=CommentsPage(
                found.article_id, found.page).pack()))
        if found.page < found.pages - 1:
            row.append(Button(_("Next ▶"), callback_data=CommentsPage(
                found.article_id, found.page + 2).pack()))
        buttons = (tuple(row),)
    return OutgoingMessage(method="sendMessage", text=join_lines(*parts).rstrip(),
                           disable_preview=True, buttons=buttons)


def comments_sent_privately() -> str:
    """The toast when a group member's comments view went to their private chat."""
    return _("I sent you the comments in our private chat.")


def comments_need_private_chat() -> str:
    """The alert when the bot cannot write to a group member privately yet."""
    return _("Start a private chat with me first (open my profile and press Start), then "
             "tap again — I show comments privately, not to the whole group.")


def comments_deep_link(url: str) -> str:
    """/comments in a group from a member without a private chat with the bot: the link that
    opens it on the comments (HTML)."""
    return fill(_("I show comments privately, not to the whole group: {link}"),
                link=link(_("open them in our chat"), url))


def comment_delete_buttons(comment_id: int | None) -> tuple[tuple[Button, ...], ...]:
    """The 🗑 Delete button under a comment's confirmation or an admin's notice of it."""
    if comment_id is None:
        return ()
    return ((Button(_("🗑 Delete"), callback_data=DeleteComment(comment_id).pack()),),)


def render_comment_prompt(title: str, mention: tuple[int, str] | None = None) -> str:
    """The ForceReply question after "Comment" was pressed; in a group it names (mentions)
    the presser, so only their reply field opens."""
    about = bold(shorten_plain(one_line(title), 256) or _("this explainer"))
    if mention is None:
        return fill(_("Write your comment on {title} as a reply to this message (or /cancel)."),
                    title=about)
    user_id, name = mention
    who = f'<a href="tg://user?id={int(user_id)}">{escape(shorten_plain(one_line(name), 64))}</a>'
    return fill(_("{name}, write your comment on {title} as a reply to this message "
                  "(or /cancel)."), name=who, title=about)


def comment_prompt_placeholder() -> str:
    """The input field's placeholder while the comment prompt is open (plain, ≤ 64)."""
    return _("Your comment")


def render_prompt_cancelled(cancelled: bool) -> OutgoingMessage:
    """The answer to /cancel: the open comment prompt dropped, or there was none."""
    text = (_("Cancelled — your comment was not sent.") if cancelled
            else _("There is nothing to cancel."))
    return OutgoingMessage(method="sendMessage", text=escape(text))


def _choice_label(choice: ExplainerChoice) -> str:
    return shorten_plain(one_line(choice.title), 48) or _("this explainer")


def render_explainer_picker(posted: CommentPosted) -> OutgoingMessage:
    """Ask which of a digest's explainers a reply is a comment on, one button each."""
    draft = posted.draft_id or 0
    buttons = tuple(
        (Button(_choice_label(c), callback_data=PickExplainer(draft, c.article_id).pack()),)
        for c in posted.choices
    )
    return OutgoingMessage(
        method="sendMessage",
        text=escape(_("That message has several explainers. Which one is your comment on?")),
        buttons=buttons,
    )


def render_comments_picker(choices: tuple[ExplainerChoice, ...]) -> OutgoingMessage:
    """/comments replying to a digest: one "show comments" button per explainer in it."""
    buttons = tuple(
        (Button(_choice_label(c), callback_data=ShowComments(c.article_id).pack()),)
        for c in choices
    )
    return OutgoingMessage(
        method="sendMessage",
        text=escape(_("That message has several explainers. Whose comments do you want to "
                      "see?")),
        buttons=buttons,
    )


def comments_usage() -> OutgoingMessage:
    """/comments that does not reply to an explainer."""
    return OutgoingMessage(method="sendMessage", text=escape(
        _("To see an explainer's comments, send /comments as a reply to it.")))


def delete_usage() -> OutgoingMessage:
    """/delete that does not reply to a comment."""
    return OutgoingMessage(method="sendMessage", text=escape(
        _("To delete one of your comments, send /delete as a reply to it (or to my "
          "confirmation of it).")))


def render_comment_deleted(decision: CommentDecision, admin_name: str | None = None) -> str:
    """What a confirmation or notice becomes once its comment is deleted (or the answer to
    /delete): told to the author, or naming the admin who deleted someone's comment."""
    title = bold(decision.title or _("this explainer"))
    if decision.outcome == "deleted" and admin_name is not None:
        return fill(_("🗑 {admin} deleted the comment by {name} on {title}."),
                    admin=escape(admin_name), name=bold(_display_name(decision.author)),
                    title=title)
    if decision.outcome == "deleted":
        return fill(_("🗑 Your comment on {title} was deleted."), title=title)
    if decision.outcome == "not yours":
        return escape(_("Only the comment's author or the bot's admins can delete it."))
    return escape(_("That comment is already deleted, or it is not a comment I kept."))


def delete_toast(decision: CommentDecision) -> str:
    """The short answer to a 🗑 Delete press (plain text)."""
    if decision.outcome == "deleted":
        return _("Comment deleted")
    if decision.outcome == "not yours":
        return _("Only the comment's author or the bot's admins can delete it.")
    return _("That comment is already deleted.")


def render_edit_refused(posted: CommentPosted) -> OutgoingMessage | None:
    """Why an edited comment was not taken (its earlier text stays), or that the edit took it
    back to the moderators; None when there is nothing to say."""
    if posted.reason == "held again":
        text = fill(_("Your edited comment on {title} is hidden until a moderator has "
                      "approved it."), title=bold(posted.title or _("this explainer")))
    elif posted.reason == "too long":
        text = fill(
            ngettext("That edit is too long ({n} character at most); your comment keeps its "
                     "earlier text.",
                     "That edit is too long ({n} characters at most); your comment keeps its "
                     "earlier text.", posted.max_length),
            n=format_number(posted.max_length))
    elif posted.reason == "empty":
        text = escape(_("That edit leaves the comment empty; it keeps its earlier text. To "
                        "remove it, reply /delete to it."))
    else:
        return None
    return OutgoingMessage(method="sendMessage", text=text)


def comment_prompt_sent_privately() -> str:
    """The toast when "Comment" under a channel post asked in the private chat."""
    return _("I asked for your comment in our private chat.")


def comment_prompt_needs_private_chat() -> str:
    """The alert when "Comment" is pressed in a channel but the bot cannot write to the
    presser privately yet."""
    return _("Start a private chat with me first (open my profile and press Start), then "
             "tap again — I ask for your comment there.")
