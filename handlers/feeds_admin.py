"""The admins' feeds from Telegram: /feeds (list with health, add, remove, pause, resume),
/post URL (one explainer now, pushed at once) and the Pause / Retry now buttons under a
failing feed's alert. Every command and button asks AdminService, server-side; a non-admin
gets a short "not allowed" with nothing changed."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot import render
from bot.callback_data import FeedAlertAction
from bot.context import NewsApplication, NewsContext
from bot.domain import IncomingMessage
from bot.render import feed_admin_replies as replies
from handlers.admin_gate import admin_message, admin_press, reply_html


async def _reply(context: NewsContext, incoming: IncomingMessage, text: str) -> None:
    await reply_html(context, incoming, text)


async def _admin_message(update: Update, context: NewsContext) -> IncomingMessage | None:
    return await admin_message(update, context,
                               available=context.services.feed_admin is not None)


def topic_words(args: Sequence[str]) -> list[str]:
    """The topics after a URL: one per word, or comma-separated when names have spaces."""
    joined = " ".join(args)
    if "," in joined:
        return [word.strip() for word in joined.split(",") if word.strip()]
    return list(args)


async def feeds_command(update: Update, context: NewsContext) -> None:
    """List the feeds with health, or add / remove / pause / resume one."""
    incoming = await _admin_message(update, context)
    service = context.services.feed_admin
    if incoming is None or incoming.user is None or service is None:
        return
    args, actor = context.args or [], incoming.user.id
    action, rest = (args[0].lower(), args[1:]) if args else ("", [])
    if not args:
        for text in replies.render_feed_list(await service.feeds(actor) or ()):
            await _reply(context, incoming, text)
        return
    if action == "add" and rest:
        result = await service.add(actor, rest[0], topic_words(rest[1:]))
    elif action == "remove" and len(rest) == 1:
        result = await service.remove(actor, rest[0])
    elif action in ("pause", "resume") and len(rest) == 1:
        result = await service.set_paused(actor, rest[0], paused=action == "pause")
    else:
        await _reply(context, incoming, replies.feeds_usage())
        return
    await _reply(context, incoming, replies.feed_outcome(result))


async def post_command(update: Update, context: NewsContext) -> None:
    """Ingest one explainer by URL now and push it to its topics' subscribers."""
    incoming = await _admin_message(update, context)
    service = context.services.feed_admin
    if incoming is None or incoming.user is None or service is None:
        return
    args = context.args or []
    if not args:
        await _reply(context, incoming, replies.post_usage())
        return
    result = await service.post(incoming.user.id, args[0], topic_words(args[1:]))
    if result.queued:  # kick the outbox now rather than at its next tick
        context.application.create_task(context.services.delivery.send_due(),
                                        name="outbox-after-post")
    await _reply(context, incoming, replies.post_outcome(result))


async def feed_alert_pressed(update: Update, context: NewsContext) -> None:
    """Pause the failing feed, or poll it now, from its alert's buttons."""
    service = context.services.feed_admin
    if (gate := await admin_press(update, context, available=service is not None)) is None:
        return
    query, actor = gate
    assert service is not None  # available
    pressed = FeedAlertAction.parse(query.data)
    if pressed is None or pressed.action not in FeedAlertAction.ACTIONS:
        await query.answer(render.stale_button_notice())
        return
    if pressed.action == "pause":
        result = await service.set_paused(actor, str(pressed.feed_id), paused=True)
    else:
        result = await service.retry(actor, pressed.feed_id)
    await query.answer(replies.feed_button_toast(result), show_alert=result.outcome == "failed")


def register(application: NewsApplication) -> None:
    """Add /feeds, /post and the feed alerts' Pause / Retry now buttons."""
    application.add_handler(CommandHandler("feeds", feeds_command))
    application.add_handler(CommandHandler("post", post_command))
    application.add_handler(CallbackQueryHandler(feed_alert_pressed,
                                                 pattern=FeedAlertAction.matches))
