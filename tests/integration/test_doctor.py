"""`newsbot doctor` as an operator runs it: a subprocess against the emulator and a feed
server, a pass/fail table and the exit code."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.config import default_database_url
from bot.emulator import BotAPIEmulator
from storage.db import create_engine, upgrade_schema
from tests.support.cli import run_cli
from tests.support.demo_feed import serve_demo_feed
from tests.support.factories import TEST_TOKEN, make_config, write_config
from tests.support.feedserver import FeedServer


@pytest.fixture
async def emulator() -> AsyncIterator[BotAPIEmulator]:
    """A Bot API emulator on a free loopback port."""
    async with BotAPIEmulator(tokens=(TEST_TOKEN,)) as emu:
        yield emu


@pytest.fixture
async def feed_server() -> AsyncIterator[FeedServer]:
    """The demo feed at /feed.xml."""
    async with FeedServer() as server:
        serve_demo_feed(server)
        yield server


def _closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _migrated_config(tmp_path: Path, api_base_url: str, **extra: Any) -> Path:
    path = make_config(tmp_path, api_base_url=api_base_url, extra=extra)
    engine = create_engine(default_database_url(path))
    try:
        await upgrade_schema(engine)
    finally:
        await engine.dispose()
    return path


async def _doctor(path: Path) -> tuple[int, dict[str, tuple[str, str]], str]:
    """Run `newsbot doctor`; return the exit code, {check: (status, detail)} and stdout."""
    result = await asyncio.to_thread(run_cli, "doctor", "-c", str(path))
    assert "Traceback" not in result.stderr, result.stderr
    rows: dict[str, tuple[str, str]] = {}
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["CHECK", "STATUS", "DETAIL"], result.stdout
    for line in lines[1:]:
        if not line.strip():
            break
        name, status, detail = (part.strip() for part in _columns(lines[0], line))
        rows[name] = (status, detail)
    return result.returncode, rows, result.stdout + result.stderr


def _columns(header: str, line: str) -> tuple[str, str, str]:
    status_at, detail_at = header.index("STATUS"), header.index("DETAIL")
    return line[:status_at], line[status_at:detail_at], line[detail_at:]


async def test_doctor_all_pass(
    tmp_path: Path, emulator: BotAPIEmulator, feed_server: FeedServer
) -> None:
    """Emulator up, schema at head, feed served (private networks allowed): every row
    passes and the exit code is 0."""
    path = await _migrated_config(tmp_path, emulator.base_url, feeds=[
        {"url": feed_server.url("/feed.xml"), "name": "Explainers", "interval": 60}])
    code, rows, output = await _doctor(path)
    assert code == 0, output
    assert list(rows) == ["config", "database", "migrations", "telegram", "webhook",
                          "feed Explainers"]
    assert {status for status, _ in rows.values()} == {"PASS"}, output
    assert "newsbot_demo_bot" in rows["telegram"][1]
    assert "HTTP 200" in rows["feed Explainers"][1]
    assert "all 6 checks passed" in output
    assert TEST_TOKEN.split(":")[1] not in output


async def test_doctor_with_emulator_down_fails_telegram(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    """With no Bot API answering, the telegram row fails, the webhook row is skipped, exit 1."""
    path = await _migrated_config(tmp_path, f"http://127.0.0.1:{_closed_port()}/bot")
    code, rows, output = await _doctor(path)
    assert code == 1, output
    assert rows["telegram"][0] == "FAIL"
    assert rows["webhook"][0] == "SKIP"
    assert rows["database"][0] == "PASS"
    assert "1 of 5 checks failed" in output
    assert TEST_TOKEN.split(":")[1] not in output


async def test_doctor_unreachable_feed_fails_its_row(
    tmp_path: Path, emulator: BotAPIEmulator, feed_server: FeedServer
) -> None:
    """A feed nobody serves fails its own row; the reachable one still passes; exit 1."""
    path = await _migrated_config(tmp_path, emulator.base_url, feeds=[
        {"url": feed_server.url("/feed.xml"), "name": "Explainers", "interval": 60},
        {"url": f"http://127.0.0.1:{_closed_port()}/rss", "name": "Gone", "interval": 60},
        {"url": feed_server.url("/missing.xml"), "name": "Missing", "interval": 60},
    ])
    code, rows, output = await _doctor(path)
    assert code == 1, output
    assert rows["feed Explainers"][0] == "PASS"
    assert rows["feed Gone"][0] == "FAIL"
    assert rows["feed Missing"][0] == "FAIL"
    assert "404" in rows["feed Missing"][1]


async def test_doctor_reports_blocked_feed_and_unmigrated_database(
    tmp_path: Path, emulator: BotAPIEmulator, feed_server: FeedServer
) -> None:
    """Without allow_private_networks a loopback feed fails under the network policy, and a
    database that was never migrated fails the database row."""
    path = make_config(tmp_path, api_base_url=emulator.base_url, extra={
        "ingestion": {"allow_private_networks": False},
        "feeds": [{"url": feed_server.url("/feed.xml"), "name": "Explainers", "interval": 60}],
    })
    code, rows, output = await _doctor(path)
    assert code == 1, output
    assert rows["database"][0] == "FAIL"
    assert "newsbot migrate" in rows["database"][1]
    assert not (tmp_path / "newsbot.db").exists()  # the doctor created nothing
    assert rows["feed Explainers"][0] == "FAIL"
    assert "allow_private_networks" in rows["feed Explainers"][1]
    assert feed_server.requests("/feed.xml") == 0


async def test_doctor_warns_about_a_webhook_in_polling_mode(
    tmp_path: Path, emulator: BotAPIEmulator
) -> None:
    """A webhook left set while the config says polling is a warning, not a failure."""
    async with aiohttp.ClientSession() as http, http.post(
            f"{emulator.base_url}{TEST_TOKEN}/setWebhook",
            data={"url": "https://old.example.org/hook"}) as response:
        assert (await response.json())["ok"]
    path = await _migrated_config(tmp_path, emulator.base_url)
    code, rows, output = await _doctor(path)
    assert code == 0, output
    assert rows["webhook"][0] == "WARN"
    assert "https://old.example.org/hook" in rows["webhook"][1]


async def test_doctor_webhook_mode_matches_configured_url(
    tmp_path: Path, emulator: BotAPIEmulator
) -> None:
    """In webhook mode the set URL must be telegram.webhook_url; a different one fails."""
    async with aiohttp.ClientSession() as http, http.post(
            f"{emulator.base_url}{TEST_TOKEN}/setWebhook",
            data={"url": "https://bot.example.org/telegram/webhook"}) as response:
        assert (await response.json())["ok"]
    webhook = {"mode": "webhook", "webhook_secret": "s3cret-value-abc"}
    path = await _migrated_config(
        tmp_path, emulator.base_url,
        telegram={**webhook, "webhook_url": "https://bot.example.org/telegram/webhook"})
    code, rows, output = await _doctor(path)
    assert code == 0, output
    assert rows["webhook"][0] == "PASS"
    assert "0 pending" in rows["webhook"][1]

    path = await _migrated_config(
        tmp_path, emulator.base_url,
        telegram={**webhook, "webhook_url": "https://new.example.org/telegram/webhook"})
    code, rows, output = await _doctor(path)
    assert code == 1, output
    assert rows["webhook"][0] == "FAIL"


def test_doctor_bad_config_exits_2(tmp_path: Path) -> None:
    """A config that does not load ends the doctor like any command: one line, exit 2."""
    path = write_config(tmp_path / "config.toml", {"server": {"port": 8080}})
    result = run_cli("doctor", "-c", str(path))
    assert result.returncode == 2
    assert result.stderr.startswith("config error: telegram.token:")


async def test_doctor_names_a_missing_database_directory(
    tmp_path: Path, emulator: BotAPIEmulator
) -> None:
    """A SQLite path in a directory that does not exist fails the database row naming the
    directory (not the "newsbot migrate creates it" hint, which would fail too)."""
    missing = tmp_path / "nowhere" / "newsbot.db"
    path = make_config(tmp_path, api_base_url=emulator.base_url,
                       database_url=f"sqlite+aiosqlite:///{missing}")
    code, rows, output = await _doctor(path)
    assert code == 1, output
    assert rows["database"][0] == "FAIL"
    assert f"directory {missing.parent} does not exist" in rows["database"][1]
    assert "newsbot migrate" not in rows["database"][1]
    assert not missing.parent.exists()
