"""Readiness checks without I/O: the Bot API freshness rule and the report."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from bot.i18n import use_language
from bot.services.readiness import DatabaseFileWatch, FlagCheck, Readiness, RecentSuccessCheck


class Clock:
    """A settable monotonic clock."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_fresh_success_needs_no_refresh() -> None:
    """A success within max_age is ready without calling the API."""
    clock, calls = Clock(), []

    async def refresh() -> None:
        calls.append(clock.now)

    check = RecentSuccessCheck(lambda: clock.now - 30, refresh, max_age=60, clock=clock)
    assert asyncio.run(check.check()) is None
    assert calls == []


def test_failed_refresh_reports_and_is_retried_at_most_once_a_minute() -> None:
    """A stale success triggers one refresh; while it fails the reason says so, and the next
    refresh waits a minute."""
    clock, calls = Clock(), []
    last: list[float | None] = [None]

    async def refresh() -> None:
        calls.append(clock.now)
        raise OSError("connection refused")

    async def scenario() -> list[str | None]:
        check = RecentSuccessCheck(lambda: last[0], refresh, max_age=600, clock=clock)
        outcomes = [await check.check()]
        clock.now += 30
        outcomes.append(await check.check())
        clock.now += 31
        outcomes.append(await check.check())
        return outcomes

    outcomes = asyncio.run(scenario())
    assert calls == [1000.0, 1061.0]
    assert all(o is not None and "never" in o and "connection refused" in o for o in outcomes)


def test_report_names_each_failing_check() -> None:
    """The report lists every check and, under failing, only the failing ones with reasons."""

    async def broken() -> bool:
        raise RuntimeError("boom")

    class Broken:
        async def check(self) -> str | None:
            return str(await broken())

    readiness = Readiness({
        "ok": FlagCheck(lambda: True, "never shown"),
        "flag": FlagCheck(lambda: False, "not running"),
        "broken": Broken(),
    })
    report = asyncio.run(readiness.report())
    assert not report.ready
    assert report.as_json() == {
        "status": "not ready",
        "checks": {"ok": "ok", "flag": "not running", "broken": "RuntimeError: boom"},
        "failing": {"flag": "not running", "broken": "RuntimeError: boom"},
    }


def test_database_file_notices_are_rendered_in_each_admins_language(tmp_path: Path) -> None:
    """The watch hands the admins' notifier functions, not English text: rendered for a
    Ukrainian admin, the missing file and its return read as Ukrainian."""
    database = tmp_path / "newsbot.db"
    database.write_bytes(b"")
    watch = DatabaseFileWatch(database)
    notices: list[str | Callable[[], str]] = []

    async def notify(notice: str | Callable[[], str]) -> None:
        notices.append(notice)

    database.rename(tmp_path / "moved.db")
    asyncio.run(watch.watch(notify))
    asyncio.run(watch.watch(notify))  # told once
    (tmp_path / "moved.db").rename(database)
    asyncio.run(watch.watch(notify))
    assert all(callable(notice) for notice in notices)
    with use_language("uk"):
        uk = [notice() if callable(notice) else notice for notice in notices]
    assert uk == [f"Проблема з базою даних: файлу бази даних {database} немає (його видалили "
                  "або перемістили). Бот не готовий до роботи.",
                  f"Базу даних відновлено: файл {database} знову на місці."]
    english = [notice() if callable(notice) else notice for notice in notices]
    assert english[0] == (f"Database problem: database file {database} is missing (deleted or "
                          "moved). The bot is not ready.")
