"""Telegram HTML rendering: the one package that builds message markup.

Everything the bot sends in HTML parse mode is produced here, so escaping, nesting rules and
Telegram's limits (4096 characters for a text, 1024 for a caption, both counted in UTF-16 code
units after entity parsing) are handled in one place. One module per concern:

* :mod:`~bot.render.markup` — escaping, the formatting helpers, limits and URL safety;
* :mod:`~bot.render.document` — the document model (runs of text with formatting marks) that
  every reader builds and every cut works on, so output is always balanced Telegram HTML;
* :mod:`~bot.render.telegram_html` — reads Telegram HTML (our own output) back into a document;
* :mod:`~bot.render.cutting` — `split_html` / `truncate_html` at block and sentence boundaries;
* :mod:`~bot.render.web_html` — `sanitize_html` / `html_to_text` for feed and page HTML;
* :mod:`~bot.render.messages` — `Button` and `OutgoingMessage`, what the sender sends;
* reply renderers by feature: :mod:`~bot.render.article_messages`,
  :mod:`~bot.render.topic_replies`, :mod:`~bot.render.search_replies`,
  :mod:`~bot.render.comment_replies`,
  :mod:`~bot.render.digests`, :mod:`~bot.render.welcome` (with their shared
  :mod:`~bot.render.display` helpers).

The package imports only the standard library, Babel (dates per language) and the plain
modules :mod:`bot.domain`, :mod:`bot.i18n` (every text a reader sees is translated with its
``_``/``ngettext`` in the current language), :mod:`bot.sentences`, :mod:`bot.text` and
:mod:`bot.callback_data`; never services, storage, handlers or ``telegram``.
"""

from __future__ import annotations

from bot.render.article_messages import (
    hashtag,
    render_article,
    render_article_list,
    render_latest,
    render_pushed_article,
)
from bot.render.channel_replies import (
    channel_topic_picker,
    render_channel_list,
    render_channel_offer,
    render_channel_picker,
    render_connect_problem,
    render_connect_usage,
)
from bot.render.comment_relay import follow_button, follow_toast, render_relayed_comment
from bot.render.comment_replies import (
    comments_button_label,
    comments_deep_link,
    comments_need_private_chat,
    comments_sent_privately,
    moderation_toast,
    render_comment,
    render_comment_posted,
    render_comments,
    render_consent_result,
    render_held_comment,
    render_moderation_for_author,
    render_moderation_result,
)
from bot.render.cutting import split_html, truncate_html
from bot.render.digests import render_coalesced, render_digest
from bot.render.group_replies import admins_only_notice, render_group_hello
from bot.render.latest_pages import (
    latest_more_notice,
    render_latest_page,
    render_latest_usage,
)
from bot.render.markup import (
    CAPTION_LIMIT,
    LINK_SCHEMES,
    TEXT_LIMIT,
    blockquote,
    bold,
    code,
    escape,
    italic,
    join_lines,
    link,
    pre,
    spoiler,
)
from bot.render.messages import Button, OutgoingMessage
from bot.render.search_replies import render_search_results, render_search_usage
from bot.render.settings_replies import (
    forget_notice,
    render_admins_only,
    render_forgotten,
    render_settings,
    render_settings_error,
    render_stopped,
    render_subscription_change,
    settings_keyboard,
    settings_notice,
)
from bot.render.topic_replies import (
    follow_all_notice,
    is_picker_keyboard,
    render_topic_choices,
    render_topic_digest,
    render_topic_picker,
    render_topic_summary,
    toggle_notice,
    topic_picker,
)
from bot.render.web_html import html_to_text, sanitize_html
from bot.render.welcome import (
    UserLike,
    render_admin_notice,
    render_free_text_hint,
    render_help,
    render_picker_summary,
    render_unknown_command,
    render_welcome,
    slow_down_notice,
    stale_button_notice,
)

__all__ = [
    "CAPTION_LIMIT",
    "LINK_SCHEMES",
    "TEXT_LIMIT",
    "Button",
    "OutgoingMessage",
    "UserLike",
    "admins_only_notice",
    "blockquote",
    "bold",
    "channel_topic_picker",
    "code",
    "comments_button_label",
    "comments_deep_link",
    "comments_need_private_chat",
    "comments_sent_privately",
    "escape",
    "follow_all_notice",
    "follow_button",
    "follow_toast",
    "forget_notice",
    "hashtag",
    "html_to_text",
    "is_picker_keyboard",
    "italic",
    "join_lines",
    "latest_more_notice",
    "link",
    "moderation_toast",
    "pre",
    "render_admin_notice",
    "render_admins_only",
    "render_article",
    "render_article_list",
    "render_channel_list",
    "render_channel_offer",
    "render_channel_picker",
    "render_coalesced",
    "render_comment",
    "render_comment_posted",
    "render_comments",
    "render_connect_problem",
    "render_connect_usage",
    "render_consent_result",
    "render_digest",
    "render_forgotten",
    "render_free_text_hint",
    "render_group_hello",
    "render_held_comment",
    "render_help",
    "render_latest",
    "render_latest_page",
    "render_latest_usage",
    "render_moderation_for_author",
    "render_moderation_result",
    "render_picker_summary",
    "render_pushed_article",
    "render_relayed_comment",
    "render_search_results",
    "render_search_usage",
    "render_settings",
    "render_settings_error",
    "render_stopped",
    "render_subscription_change",
    "render_topic_choices",
    "render_topic_digest",
    "render_topic_picker",
    "render_topic_summary",
    "render_unknown_command",
    "render_welcome",
    "sanitize_html",
    "settings_keyboard",
    "settings_notice",
    "slow_down_notice",
    "split_html",
    "spoiler",
    "stale_button_notice",
    "toggle_notice",
    "topic_picker",
    "truncate_html",
]

from bot.render.comment_replies import (  # comments: writing, reading, edits, deletes
    comment_delete_buttons,
    comment_prompt_needs_private_chat,
    comment_prompt_placeholder,
    comment_prompt_sent_privately,
    comments_usage,
    delete_toast,
    delete_usage,
    render_comment_deleted,
    render_comment_prompt,
    render_comments_picker,
    render_edit_refused,
    render_explainer_picker,
    render_prompt_cancelled,
)

__all__ += [
    "comment_delete_buttons",
    "comment_prompt_needs_private_chat",
    "comment_prompt_placeholder",
    "comment_prompt_sent_privately",
    "comments_usage",
    "delete_toast",
    "delete_usage",
    "render_comment_deleted",
    "render_comment_prompt",
    "render_comments_picker",
    "render_edit_refused",
    "render_explainer_picker",
    "render_prompt_cancelled",
]
