"""Presses of buttons no other handler claims: an old menu, or data a client made up."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler

from bot import render
from bot.context import NewsApplication, NewsContext


async def answer_stale_press(update: Update, context: NewsContext) -> None:
    """Answer the press so the client's spinner stops, and say the button is gone."""
    if update.callback_query is not None:
        await update.callback_query.answer(render.stale_button_notice())


def register(application: NewsApplication) -> None:
    """Add the catch-all button handler; register it after every other module."""
    application.add_handler(CallbackQueryHandler(answer_stale_press))
