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
from tests.support.demo_feed import serve_demo_feed
from tests.support.factories import TEST_TOKEN, make_settings
from tests.support.feedserver import FeedServer


@pytest.fixture
async def emulator() -> AsyncIterator[BotAPIEmulator]:
    """A Bot API emulator on a free loopback port."""
    async with BotAPIEmulator(tokens=(TEST_TOKEN,)) as emu:
        yield emu


BotFactory = Callable[..., Any]


@pytest.fixture
async def feed_server() -> AsyncIterator[FeedServer]:
    """The publisher's website: serves the demo feed (before the POW explainer) at /feed.xml."""
    async with FeedServer() as server:
        serve_demo_feed(server)
        yield server


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
    async def run(*, schedule_feeds: bool = False, **kwargs: Any) -> AsyncIterator[NewsBot]:
        # Tests drive feed polls and the outbox themselves (deterministic); the scheduler's
        # own jobs are exercised in test_scheduler.
        bot = NewsBot(bot_settings(**kwargs), schedule_feeds=schedule_feeds)
        async with bot:
            yield bot

    return run
