"""End-to-end fixtures: the real bot against the Bot API emulator over loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from bot.app import NewsBot
from bot.config import Settings
from bot.emulator import BotAPIEmulator
from tests.factories import TEST_TOKEN, make_settings


@pytest.fixture
async def emulator() -> AsyncIterator[BotAPIEmulator]:
    """A Bot API emulator on a free loopback port."""
    async with BotAPIEmulator(tokens=(TEST_TOKEN,)) as emu:
        yield emu


BotFactory = Callable[..., Any]


@pytest.fixture
def bot_settings(
    tmp_path: Path, emulator: BotAPIEmulator, database_url: str
) -> Callable[..., Settings]:
    """Settings pointing at the emulator and the parametrized database."""

    def make(**kwargs: Any) -> Settings:
        return make_settings(
            tmp_path, api_base_url=emulator.base_url, database_url=database_url, **kwargs
        )

    return make


@pytest.fixture
def running_bot(bot_settings: Callable[..., Settings]) -> Callable[..., Any]:
    """Start the real NewsBot (PTB Application, polling) and stop it afterwards."""

    @asynccontextmanager
    async def run(**kwargs: Any) -> AsyncIterator[NewsBot]:
        bot = NewsBot(bot_settings(**kwargs))
        async with bot:
            yield bot

    return run
