"""Readiness checks without I/O: the Bot API freshness rule and the report."""

from __future__ import annotations

import asyncio

from bot.services.readiness import FlagCheck, Readiness, RecentSuccessCheck


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
