"""/readyz tells the truth: database and schema, the SQLite file, scheduler, Bot API, outbox."""

from __future__ import annotations

import logging
import os
import shutil
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy.engine import make_url

from bot.emulator import BotAPIEmulator
from storage.db import downgrade_schema, upgrade_schema
from storage.health import head_revision

ADMIN = 4001


async def readyz(bot: Any) -> tuple[int, dict[str, Any]]:
    """GET /readyz of the running bot: (status, JSON body)."""
    url = f"http://127.0.0.1:{bot.web.port}/readyz"
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        return response.status, await response.json()


async def test_ready_when_all_is_well(emulator: BotAPIEmulator, running_bot: Any) -> None:
    """A freshly started bot is ready and lists every check as ok; /healthz is alive."""
    async with running_bot() as bot:
        status, body = await readyz(bot)
        assert (status, body["failing"]) == (200, {})
        assert set(body["checks"]) == {"database", "database_file", "scheduler", "telegram",
                                       "outbox"}


async def test_schema_behind_head_is_not_ready(
    emulator: BotAPIEmulator, running_bot: Any
) -> None:
    """A schema at an older revision than the code expects makes /readyz 503 until upgraded."""
    async with running_bot() as bot:
        await downgrade_schema(bot.running.engine, "0001")
        status, body = await readyz(bot)
        assert status == 503
        assert body["failing"] == {
            "database": f"schema at revision 0001, expected {head_revision()}"}
        await upgrade_schema(bot.running.engine)
        assert (await readyz(bot))[0] == 200


async def test_unreachable_database_is_not_ready_until_it_answers(
    emulator: BotAPIEmulator, running_bot: Any, tmp_path: Path, database_url: str
) -> None:
    """A database that stops accepting connections makes /readyz 503 naming it; 200 again
    once it answers."""
    if database_url.startswith("sqlite"):
        directory = tmp_path / "data"
        directory.mkdir()
        url = f"sqlite+aiosqlite:///{directory / 'newsbot.db'}"
        async with running_bot(extra={"database": {"url": url}}) as bot:
            assert (await readyz(bot))[0] == 200
            directory.rename(tmp_path / "elsewhere")
            await bot.running.engine.dispose()  # new connections must open the file
            status, body = await readyz(bot)
            assert status == 503
            assert body["failing"]["database"].startswith("unreachable: ")
            assert "missing" in body["failing"]["database_file"]
            (tmp_path / "elsewhere").rename(directory)
            assert (await readyz(bot))[0] == 200
        return
    import asyncpg  # type: ignore[import-untyped]

    from tests.conftest import _postgres_base_url

    name = make_url(database_url).database
    admin_url = make_url(_postgres_base_url()[0])
    admin = await asyncpg.connect(host=admin_url.host, port=admin_url.port or 5432,
                                  user=admin_url.username, password=admin_url.password,
                                  database=admin_url.database, timeout=5)
    try:
        async with running_bot() as bot:
            assert (await readyz(bot))[0] == 200
            await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
            await admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                "WHERE datname = $1 AND pid <> pg_backend_pid()", name)
            try:
                status, body = await readyz(bot)
                assert status == 503
                assert body["failing"]["database"].startswith("unreachable: ")
            finally:
                await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
            assert (await readyz(bot))[0] == 200
    finally:
        await admin.close()


async def test_deleted_sqlite_file_is_noticed_and_alerted_once(
    emulator: BotAPIEmulator, running_bot: Any, tmp_path: Path, database_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Deleting the SQLite file makes /readyz 503 and the watch job log an ERROR and tell
    admins once; putting the same file back makes it ready again, with one recovery notice."""
    if not database_url.startswith("sqlite"):
        pytest.skip("only a SQLite database is a file")
    admin = emulator.user(ADMIN)
    await admin.send("/start")
    async with running_bot(admins=(ADMIN,)) as bot:
        await emulator.wait_for_sent(ADMIN, count=1, timeout=10)
        database = tmp_path / "newsbot.db"
        database.rename(tmp_path / "moved.db")
        status, body = await readyz(bot)
        assert status == 503
        assert "is missing" in body["failing"]["database_file"]
        with caplog.at_level(logging.ERROR):
            await bot.watch_database()
            await bot.watch_database()
        assert [r.levelno for r in caplog.records if "missing" in r.getMessage()] == [
            logging.ERROR]
        (tmp_path / "moved.db").rename(database)  # the same file (inode) is back
        status, body = await readyz(bot)
        assert (status, body["failing"]) == (200, {})
        await bot.watch_database()
        await bot.watch_database()
        notices = [m["text"] for m in emulator.sent(ADMIN)[1:]]
        assert len(notices) == 2
        assert "missing" in notices[0]
        assert "recovered" in notices[1]


async def test_replaced_sqlite_file_is_not_ready(
    emulator: BotAPIEmulator, running_bot: Any, tmp_path: Path, database_url: str
) -> None:
    """A different file at the database's path (a copy, a restored backup) is reported as
    replaced: the bot still writes to the file it opened."""
    if not database_url.startswith("sqlite"):
        pytest.skip("only a SQLite database is a file")
    async with running_bot() as bot:
        database = tmp_path / "newsbot.db"
        shutil.copyfile(database, tmp_path / "copy.db")
        os.replace(tmp_path / "copy.db", database)
        status, body = await readyz(bot)
        assert status == 503
        assert "replaced" in body["failing"]["database_file"]


async def test_stopped_scheduler_is_not_ready(emulator: BotAPIEmulator, running_bot: Any) -> None:
    """With the job queue's scheduler stopped, /readyz says so."""
    async with running_bot() as bot:
        bot.application.job_queue.scheduler.shutdown(wait=False)
        status, body = await readyz(bot)
        assert status == 503
        assert body["failing"] == {"scheduler": "the scheduler (job queue) is not running"}


async def test_stale_bot_api_success_is_refreshed_with_get_me(
    emulator: BotAPIEmulator, running_bot: Any
) -> None:
    """An old last success is refreshed by one getMe; the bot stays ready."""
    async with running_bot() as bot:
        bot.api_activity.last_success = time.monotonic() - 3600
        before = sum(r.method.lower() == "getme" for r in emulator.requests)
        assert (await readyz(bot))[0] == 200
        assert sum(r.method.lower() == "getme" for r in emulator.requests) == before + 1
