"""The typed handler context: ``context.services`` instead of an untyped ``bot_data`` lookup.

Registered with the application through :data:`CONTEXT_TYPES` (python-telegram-bot's
``ContextTypes``), so every handler and job receives a :class:`NewsContext`.
"""

from __future__ import annotations

from typing import Any

from telegram.ext import Application, CallbackContext, ContextTypes, ExtBot

from bot.services.container import Services

SERVICES_KEY = "newsbot.services"

NewsApplication = Application[Any, "NewsContext", dict[Any, Any], dict[Any, Any],
                              dict[Any, Any], Any]


class NewsContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """PTB's callback context with the services the wiring attached to the application."""

    @property
    def services(self) -> Services:
        """The services built by :mod:`bot.app` for this application."""
        services: Services = self.application.bot_data[SERVICES_KEY]
        return services


CONTEXT_TYPES = ContextTypes(context=NewsContext)


def attach_services(application: NewsApplication, services: Services) -> None:
    """Make ``services`` reachable as ``context.services`` in every handler and job."""
    application.bot_data[SERVICES_KEY] = services
