"""Exactly once across processes: `newsbot run` killed, stopped, restarted and run twice
mid-push, and the database going away under a running push."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.engine import make_url

from bot.app import NewsBot
from bot.config import load_settings
from bot.emulator import BotAPIEmulator
from storage.db import create_engine, create_session_factory, sqlite_path
from storage.models import Feed
from tests.support.cli import run_cli
from tests.support.demo_feed import feed_config
from tests.support.factories import TEST_TOKEN, make_config
from tests.support.feedserver import FeedServer
from tests.support.processes import (
    FAST_DELIVERY,
    BotProcess,
    delivery_statuses,
    duplicates,
    explainers_by_chat,
    seed_push,
    slow_emulator,
    wait_until,
)
from tests.support.sqlite_locker import SqliteLocker
from tests.support.tcp_proxy import TcpProxy

CHATS = 1000


@pytest.fixture
async def emulator() -> AsyncIterator[BotAPIEmulator]:
    """An emulator that knows every reader (positive ids) and answers sends after 0.1 s."""
    async with BotAPIEmulator(tokens=(TEST_TOKEN,), auto_create_chats=True) as emu:
        yield slow_emulator(emu)


@pytest.fixture
async def processes() -> AsyncIterator[list[BotProcess]]:
    """Bot processes started by the test; any still running at the end are killed."""
    started: list[BotProcess] = []
    yield started
    for process in started:
        await process.close()


def _config(directory: Path, emulator: BotAPIEmulator, database_url: str,
            **extra: Any) -> Path:
    directory.mkdir(exist_ok=True)
    return make_config(directory, api_base_url=emulator.base_url, database_url=database_url,
                       extra={"delivery": FAST_DELIVERY, **extra})


async def _start(processes: list[BotProcess], config: Path, log: Path) -> BotProcess:
    process = BotProcess(config, log)
    processes.append(process)
    return await process.start()


@pytest.mark.slow
async def test_sigkill_mid_push_then_restart_loses_nothing(
    tmp_path: Path, emulator: BotAPIEmulator, database_url: str,
    processes: list[BotProcess],
) -> None:
    """After SIGKILL mid-push a restart delivers to every chat, re-sending at most the
    sends that were in flight (delivery.concurrency)."""
    await seed_push(database_url, CHATS)
    config = _config(tmp_path / "bot", emulator, database_url)
    first = await _start(processes, config, tmp_path / "first.log")
    await wait_until(lambda: len(explainers_by_chat(emulator)) >= 300, 30, what="300 sends")
    first.kill()
    assert await first.wait(10) == -9
    sent_before = len(explainers_by_chat(emulator))
    assert sent_before < CHATS, "the push ended before the kill; nothing was interrupted"

    second = await _start(processes, config, tmp_path / "second.log")
    # The killed process's claims come back when their lease (10 s) runs out.
    await wait_until(lambda: len(explainers_by_chat(emulator)) == CHATS, 60,
                     what="every chat to get the explainer")
    second.terminate()
    assert await second.wait(15) == 0, second.log[-3000:]
    counts = explainers_by_chat(emulator)
    assert len(counts) == CHATS
    statuses = await delivery_statuses(database_url)
    assert statuses == {"sent": CHATS}, statuses
    assert duplicates(counts) <= FAST_DELIVERY["concurrency"], (
        f"{duplicates(counts)} duplicates after SIGKILL at {sent_before} sent")


@pytest.mark.slow
async def test_sigterm_mid_push_exits_cleanly_without_duplicates(
    tmp_path: Path, emulator: BotAPIEmulator, database_url: str,
    processes: list[BotProcess],
) -> None:
    """SIGTERM mid-push exits 0 within the shutdown grace, sends nothing twice, and a restart
    finishes the push, still with no duplicates."""
    await seed_push(database_url, CHATS)
    config = _config(tmp_path / "bot", emulator, database_url)
    first = await _start(processes, config, tmp_path / "first.log")
    await wait_until(lambda: len(explainers_by_chat(emulator)) >= 300, 30, what="300 sends")
    started = time.monotonic()
    first.terminate()
    assert await first.wait(30) == 0, first.log[-3000:]
    took = time.monotonic() - started
    print(f"SIGTERM to exit: {took:.2f}s")
    assert took <= FAST_DELIVERY["shutdown_grace_seconds"] + 5, f"exit took {took:.1f}s"
    sent_before = len(explainers_by_chat(emulator))
    assert sent_before < CHATS, "the push ended before SIGTERM; nothing was interrupted"
    statuses = await delivery_statuses(database_url)
    assert statuses["sending"] == 0, statuses
    assert statuses["sent"] == sent_before, statuses
    assert duplicates(explainers_by_chat(emulator)) == 0

    second = await _start(processes, config, tmp_path / "second.log")
    await wait_until(lambda: len(explainers_by_chat(emulator)) == CHATS, 60,
                     what="every chat to get the explainer")
    second.terminate()
    assert await second.wait(15) == 0, second.log[-3000:]
    assert duplicates(explainers_by_chat(emulator)) == 0
    assert await delivery_statuses(database_url) == {"sent": CHATS}


@pytest.mark.slow
@pytest.mark.postgres
async def test_two_processes_share_a_push_without_duplicates(
    tmp_path: Path, postgres_url: str, processes: list[BotProcess],
) -> None:
    """Two processes on one PostgreSQL database split a 5,000-chat push: both send, and no
    chat gets the explainer twice."""
    from tests.conftest import _reset_postgres

    await _reset_postgres(postgres_url)
    chats = 5000
    await seed_push(postgres_url, chats)
    # One emulator per process, so each one's share can be counted.
    async with (BotAPIEmulator(tokens=(TEST_TOKEN,), auto_create_chats=True) as emu_a,
                BotAPIEmulator(tokens=(TEST_TOKEN,), auto_create_chats=True) as emu_b):
        for emu in (emu_a, emu_b):
            slow_emulator(emu, 0.05)
        fast = {"delivery": {**FAST_DELIVERY, "rate_per_second": 300}}
        configs = []
        for name, emu in (("a", emu_a), ("b", emu_b)):
            (tmp_path / name).mkdir()
            configs.append(make_config(tmp_path / name, api_base_url=emu.base_url,
                                       database_url=postgres_url, extra=fast))
        bots = [BotProcess(config, tmp_path / f"{name}.log")
                for config, name in zip(configs, "ab", strict=True)]
        processes.extend(bots)
        await asyncio.gather(*(bot.start() for bot in bots))
        await wait_until(lambda: len(explainers_by_chat(emu_a, emu_b)) >= chats, 90,
                         what="every chat to get the explainer")
        for bot in bots:
            bot.terminate()
        for bot in bots:
            assert await bot.wait(15) == 0, bot.log[-3000:]
        counts = explainers_by_chat(emu_a, emu_b)
        share_a, share_b = len(explainers_by_chat(emu_a)), len(explainers_by_chat(emu_b))
    assert len(counts) == chats
    assert duplicates(counts) == 0, f"{duplicates(counts)} duplicates"
    print(f"shares: {share_a} + {share_b}")
    assert share_a > 0, (share_a, share_b)
    assert share_b > 0, (share_a, share_b)
    assert await delivery_statuses(postgres_url) == {"sent": chats}


@pytest.mark.slow
@pytest.mark.postgres
async def test_killing_the_leader_hands_feed_polling_over(
    tmp_path: Path, emulator: BotAPIEmulator, postgres_url: str,
    processes: list[BotProcess],
) -> None:
    """When the leader is killed the other process becomes leader within a bounded time and
    polls the feeds."""
    from tests.conftest import _reset_postgres

    await _reset_postgres(postgres_url)
    async with FeedServer() as feeds:
        feeds.route("/feed.xml", (Path(__file__).parents[2] / "bot" / "demo_data"
                                  / "explainers-before.xml").read_bytes())
        config = _config(tmp_path / "bot", emulator, postgres_url, **feed_config(feeds))
        leader = await _start(processes, config, tmp_path / "leader.log")
        assert "became the leader" in leader.log
        await wait_until(lambda: feeds.requests("/feed.xml") >= 1, 20, what="the first poll")
        follower = await _start(processes, config, tmp_path / "follower.log")
        await asyncio.sleep(1.5)  # several election rounds: the follower must not lead
        assert "became the leader" not in follower.log
        polls = feeds.requests("/feed.xml")

        leader.kill()
        await leader.wait(10)
        killed = time.monotonic()
        await _make_feeds_due(postgres_url)  # a feed falls due: only a leader polls it
        await wait_until(lambda: "became the leader" in follower.log, 10,
                         what="the follower to take over")
        took_over = time.monotonic() - killed
        print(f"leader killed to follower leading: {took_over:.2f}s")
        # The next poll-feeds tick (every 10 s) on the new leader polls the due feed.
        await wait_until(lambda: feeds.requests("/feed.xml") > polls, 15,
                         what="the new leader to poll")
        print(f"leader killed to the new leader's poll: {time.monotonic() - killed:.2f}s")
        follower.terminate()
        assert await follower.wait(15) == 0, follower.log[-3000:]
    assert took_over <= FAST_DELIVERY["leader_check_seconds"] * 4 + 2, f"{took_over:.1f}s"


async def _make_feeds_due(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        async with create_session_factory(engine)() as session, session.begin():
            await session.execute(update(Feed).values(next_poll_at=None))
    finally:
        await engine.dispose()


async def test_second_process_on_one_sqlite_file_is_refused(
    tmp_path: Path, emulator: BotAPIEmulator, processes: list[BotProcess],
) -> None:
    """A second `newsbot run` on the same SQLite file exits 1 with one line naming it."""
    database = tmp_path / "newsbot.db"
    config = _config(tmp_path / "bot", emulator, f"sqlite+aiosqlite:///{database}")
    await _start(processes, config, tmp_path / "first.log")
    result = await asyncio.to_thread(run_cli, "run", "-c", str(config))
    assert result.returncode == 1, result.stderr[-2000:]
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: another newsbot is already running on "), lines[0]
    assert str(database) in lines[0]


@pytest.mark.slow
async def test_database_outage_mid_push_strands_nothing(
    tmp_path: Path, emulator: BotAPIEmulator, database_url: str,
) -> None:
    """A 20 s database outage mid-push (SQLite locked by another process; PostgreSQL's
    connection cut) ends with every row sent exactly once, without a restart."""
    await seed_push(database_url, CHATS)
    path = sqlite_path(database_url)
    proxy: TcpProxy | None = None
    bot_url = database_url
    if path is None:
        url = make_url(database_url)
        proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
        bot_url = url.set(host="127.0.0.1", port=await proxy.start()).render_as_string(
            hide_password=False)
    config = _config(tmp_path / "bot", emulator, bot_url,
                     database={"url": bot_url, "connect_timeout": 3})
    try:
        async with NewsBot(load_settings(config), schedule_feeds=False):
            await wait_until(lambda: len(explainers_by_chat(emulator)) >= 200, 30,
                             what="200 sends")
            assert len(explainers_by_chat(emulator)) < CHATS, "the push ended before the outage"
            if path is not None:
                locker = SqliteLocker(path, seconds=20)
                await locker.start_async()
                await asyncio.to_thread(locker.wait, 40)
            else:
                assert proxy is not None
                await proxy.cut()
                await asyncio.sleep(20)
                await proxy.restore()
            await wait_until(lambda: len(explainers_by_chat(emulator)) == CHATS, 60,
                             what="every chat to get the explainer")

            async def settled() -> bool:
                return await delivery_statuses(database_url) == {"sent": CHATS}

            deadline = time.monotonic() + 30
            while not await settled():
                assert time.monotonic() < deadline, await delivery_statuses(database_url)
                await asyncio.sleep(0.5)
    finally:
        if proxy is not None:
            await proxy.stop()
    assert duplicates(explainers_by_chat(emulator)) == 0
