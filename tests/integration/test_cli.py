"""The CLI as an operator meets it: a real subprocess, exit codes and one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.cli import run_cli
from tests.support.factories import TEST_TOKEN, make_config, write_config


@pytest.mark.parametrize(
    ("sections", "key"),
    [
        ({"server": {"port": 8080}}, "telegram.token"),
        ({"telegram": {"token": TEST_TOKEN}, "database": {"url": "mysql://u@h/db"}},
         "database.url"),
        ({"telegram": {"token": TEST_TOKEN}, "database": {
            "url": "postgresql+asyncpg://postgres@127.0.0.1:1/none"}}, "database.url"),
        ({"telegram": {"token": TEST_TOKEN}, "database": {
            "url": "sqlite+aiosqlite:////nonexistent-dir/x/newsbot.db"}}, "database.url"),
        ({"telegram": {"token": TEST_TOKEN, "tokn": "x"}}, "telegram.tokn"),
        ({"telegram": {"token": TEST_TOKEN, "admins": ["alice"]}}, "telegram.admins[0]"),
        ({"telegram": {"token": TEST_TOKEN}, "server": {"port": "http"}}, "server.port"),
    ],
    ids=["missing-token", "bad-db-scheme", "unreachable-db", "missing-db-dir", "unknown-key",
         "wrong-type-list", "wrong-type"],
)
def test_check_config_rejects_bad_config(
    tmp_path: Path, sections: dict[str, object], key: str
) -> None:
    """A bad config exits 2 with one line naming the key, and no traceback."""
    path = write_config(tmp_path / "config.toml", sections)  # type: ignore[arg-type]
    result = run_cli("check-config", "-c", str(path))
    assert result.returncode == 2, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"config error: {key}:"), lines[0]
    assert "Traceback" not in result.stderr + result.stdout


def test_check_config_accepts_good_config(tmp_path: Path) -> None:
    """A valid config passes, prints a summary, and creates no database file."""
    path = make_config(tmp_path)
    result = run_cli("check-config", "-c", str(path))
    assert result.returncode == 0, result.stderr
    assert "config OK" in result.stdout
    assert not (tmp_path / "newsbot.db").exists()


def test_migrate_creates_schema(tmp_path: Path) -> None:
    """`newsbot migrate` creates the SQLite database at the newest revision."""
    path = make_config(tmp_path)
    result = run_cli("migrate", "-c", str(path))
    assert result.returncode == 0, result.stderr
    assert "up to date" in result.stdout
    assert (tmp_path / "newsbot.db").exists()
    again = run_cli("migrate", "-c", str(path))
    assert again.returncode == 0, again.stderr


def test_env_token_override_reported_like_file(tmp_path: Path) -> None:
    """A bad token from the environment is named the same way."""
    path = make_config(tmp_path)
    result = run_cli("check-config", "-c", str(path), env={"NEWSBOT_TELEGRAM__TOKEN": "oops"})
    assert result.returncode == 2
    assert result.stderr.startswith("config error: telegram.token:")
    assert "oops" not in result.stderr


async def test_run_with_rejected_token_is_one_line_without_the_token(tmp_path: Path) -> None:
    """`newsbot run` with a token the Bot API rejects exits 2; the token is printed nowhere."""
    import asyncio

    from bot.emulator import BotAPIEmulator

    secret = "987654:REJECTED-SECRET-value-xyz"
    async with BotAPIEmulator(tokens=(TEST_TOKEN,)) as emulator:
        path = make_config(tmp_path, api_base_url=emulator.base_url, token=secret,
                           extra={"logging": {"level": "DEBUG"}})
        result = await asyncio.to_thread(run_cli, "run", "-c", str(path))
    assert result.returncode == 2, result.stderr[-2000:]
    assert "config error: telegram.token: rejected by the Bot API" in result.stderr
    assert "REJECTED-SECRET" not in result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert "Unclosed client session" not in result.stderr


def test_run_with_unreachable_api_is_one_line(tmp_path: Path) -> None:
    """An unreachable Bot API ends `newsbot run` with one masked line and exit 1."""
    path = make_config(tmp_path, api_base_url="http://127.0.0.1:9/bot")
    result = run_cli("run", "-c", str(path))
    assert result.returncode == 1, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    assert TEST_TOKEN not in result.stderr
    assert TEST_TOKEN.split(":")[1] not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("error: the Bot API")


def test_stats_without_a_database_says_so(tmp_path: Path) -> None:
    """`newsbot stats` on a database file that does not exist exits 1 with one line and
    creates nothing; after `newsbot migrate` it prints the (empty) tables and exits 0."""
    path = make_config(tmp_path)
    result = run_cli("stats", "-c", str(path))
    assert result.returncode == 1, result.stderr
    assert result.stderr.strip().startswith("error: the database file")
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "newsbot.db").exists()
    assert run_cli("migrate", "-c", str(path)).returncode == 0
    result = run_cli("stats", "-c", str(path))
    assert result.returncode == 0, result.stderr
    assert "Subscribers" in result.stdout
