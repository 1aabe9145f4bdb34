"""/start: greet the reader (or the group), follow a deep link's topic, show the picker."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CommandHandler

from bot import render
from bot.context import NewsApplication, NewsContext
from bot.mapping import incoming_message
from bot.telegram_io import send_rendered
from handlers.comments import open_comments_link

#: The payload of our "Add me to a group" link (t.me/<bot>?startgroup=…): Telegram sends it as
#: "/start join" in the group it adds the bot to; it is not a topic.
GROUP_PAYLOAD = "join"


async def start(update: Update, context: NewsContext) -> None:
    """Register the chat; ``/start <topic-slug>`` (a t.me deep link) follows that topic.
    Answer with a welcome and the topic picker; a group is greeted by its title."""
    incoming = incoming_message(update)
    if incoming is None:
        return
    services = context.services
    thread_id = incoming.thread_id or 0
    choices = await services.readers.register(incoming.chat, incoming.user, thread_id)
    await services.languages.first_contact(
        incoming.chat.id, incoming.user.language_code if incoming.user else None)
    payload = context.args[0] if context.args else None
    if (payload and incoming.chat.type == "private"
            and await open_comments_link(context, incoming.chat.id, payload)):
        return  # a group member's deep link to an explainer's comments
    if payload == GROUP_PAYLOAD:  # added to a group through the "Add me to a group" link
        payload = None
    followed = None
    if payload:
        result = await services.readers.follow(incoming.chat, payload, thread_id)
        followed, choices = (result.topic.name if result.topic else None), result.choices
    private = incoming.chat.type == "private"
    username = context.bot.username if private else None
    greet = (incoming.user.display_name if private and incoming.user else incoming.chat.title)
    website = services.settings.publisher.website
    reply = render.render_welcome(
        services.publisher_name, str(website) if website else None, greet, choices,
        followed=followed, unknown_topic=payload if payload and not followed else None,
        add_to_group_url=f"https://t.me/{username}?startgroup={GROUP_PAYLOAD}"
        if username else None,
    )
    await send_rendered(context.bot, incoming.chat.id, reply, thread_id=incoming.thread_id)


def register(application: NewsApplication) -> None:
    """Add the /start handler."""
    application.add_handler(CommandHandler("start", start))
