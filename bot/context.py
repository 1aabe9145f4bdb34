"""The typed handler context: ``context.services`` instead of an untyped ``bot_data`` lookup.

Registered with the application through :data:`CONTEXT_TYPES` (python-telegram-bot's
``ContextTypes``), so every handler and job receives a :class:`NewsContext`.
"""

from __future__ import annotations

from typing import Any

from telegram.ext import Application, CallbackContext, ContextTypes, ExtBot

from bot.chat_admins import ChatAdmins
from bot.services.container import Services

SERVICES_KEY = "newsbot.services"
ADMINS_KEY = "newsbot.chat_admins"

NewsApplication = Application[Any, "NewsContext", dict[Any, Any], dict[Any, Any],
                              dict[Any, Any], Any]


class NewsContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """PTB's callback context with the services the wiring attached to the application."""

    @property
    def services(self) -> Services:
        """The services built by :mod:`bot.app` for this application."""
        services: Services = self.application.bot_data[SERVICES_KEY]
        return services

    @property
    def chat_admins(self) -> ChatAdmins:
        """The application's administrator checks (with their short cache)."""
        admins = self.application.bot_data.get(ADMINS_KEY)
        if not isinstance(admins, ChatAdmins):
            admins = self.application.bot_data[ADMINS_KEY] = ChatAdmins()
        return admins


CONTEXT_TYPES = ContextTypes(context=NewsContext)


def attach_services(application: NewsApplication, services: Services) -> None:
    """Make ``services`` reachable as ``context.services`` in every handler and job."""
    application.bot_data[SERVICES_KEY] = services
