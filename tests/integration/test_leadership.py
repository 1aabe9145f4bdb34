"""One leader among processes sharing PostgreSQL, one process per SQLite file: real databases,
real subprocesses, takeover when the leader stops, loses its connection or dies."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.services.leadership import (
    LEADER_LOCK_KEY,
    AnotherInstanceRunning,
    LeaderElection,
    SingleInstanceLock,
)
from storage.db import create_engine, startup_lock
from tests.conftest import REPO_ROOT

#: Small, so takeovers happen fast; the waits below allow generous slack on a busy machine.
INTERVAL = 0.2
TAKEOVER_WAIT = INTERVAL * 2 + 3.0


class Changes:
    """Records the leadership changes an election reports."""

    def __init__(self) -> None:
        self.seen: list[bool] = []

    async def __call__(self, leader: bool) -> None:
        self.seen.append(leader)


async def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> float:
    """Poll ``condition`` until it holds; return how long that took, fail after ``timeout``."""
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > timeout:
            pytest.fail(f"not within {timeout:g}s: {what}")
        await asyncio.sleep(0.01)
    return time.monotonic() - start


async def leaders_over(elections: list[LeaderElection], seconds: float) -> set[int]:
    """How many of ``elections`` were leaders at each sample over ``seconds``."""
    counts: set[int] = set()
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        counts.add(sum(e.is_leader for e in elections))
        await asyncio.sleep(0.01)
    return counts


def subprocess_env() -> dict[str, str]:
    """The environment for a child Python that imports this checkout."""
    return {**os.environ, "PYTHONPATH": str(REPO_ROOT)}


# --- PostgreSQL: advisory-lock leader election ---------------------------------------------

@pytest.fixture
async def pg_engines(postgres_url: str) -> AsyncIterator[list[AsyncEngine]]:
    """Three engines on one PostgreSQL database, as three processes would have (two bots
    and an operator's connection)."""
    engines = [create_engine(postgres_url) for _ in range(3)]
    yield engines
    for engine in engines:
        await engine.dispose()


@pytest.fixture
async def elections(pg_engines: list[AsyncEngine]) -> AsyncIterator[list[LeaderElection]]:
    """Two elections on their own engines, stopped after the test (in reverse)."""
    made = [LeaderElection(engine, interval=INTERVAL, on_change=Changes())
            for engine in pg_engines[:2]]
    yield made
    for election in reversed(made):
        await election.stop()


def changes(election: LeaderElection) -> list[bool]:
    callback = election._on_change
    assert isinstance(callback, Changes)
    return callback.seen


async def lock_holders(engine: AsyncEngine) -> list[int]:
    """Backend pids holding the leader advisory lock (pg_locks splits a bigint key in two)."""
    unsigned = LEADER_LOCK_KEY & 0xFFFF_FFFF_FFFF_FFFF
    async with engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted"
                 " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
                 " AND classid = :hi AND objid = :lo AND objsubid = 1"),
            {"hi": unsigned >> 32, "lo": unsigned & 0xFFFF_FFFF},
        )
        return [row.pid for row in rows]


@pytest.mark.postgres
async def test_two_processes_elect_exactly_one_leader(
    elections: list[LeaderElection], pg_engines: list[AsyncEngine],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Of two elections on one database exactly one leads, stays leading, holds the one
    advisory lock, and the change is logged at INFO."""
    first, second = elections
    with caplog.at_level(logging.INFO, logger="bot.services.leadership"):
        await first.start()
        await second.start()
    assert first.is_leader
    assert not second.is_leader
    assert await leaders_over(elections, INTERVAL * 4) == {1}
    assert changes(first) == [True]
    assert changes(second) == []
    assert len(await lock_holders(pg_engines[2])) == 1
    assert any(r.levelno == logging.INFO and "became the leader" in r.getMessage()
               for r in caplog.records)


@pytest.mark.postgres
async def test_every_process_counts_the_processes_sharing_the_database(
    elections: list[LeaderElection],
) -> None:
    """Two processes on one database each count two members (they split Telegram's rate);
    after one stops the other counts one again."""
    first, second = elections
    assert first.members == 1  # before start: alone as far as it knows
    await first.start()
    await second.start()
    await wait_until(lambda: first.members == 2 and second.members == 2, INTERVAL * 10,
                     "both count two processes")
    await second.stop()
    await wait_until(lambda: first.members == 1, INTERVAL * 10, "the survivor counts one")


@pytest.mark.postgres
async def test_stopping_the_leader_hands_leadership_over(
    elections: list[LeaderElection], pg_engines: list[AsyncEngine],
) -> None:
    """When the leader stops it lets go of the lock and the other process takes over."""
    first, second = elections
    await first.start()
    await second.start()
    await first.stop()
    assert not first.is_leader
    assert changes(first) == [True, False]
    await wait_until(lambda: second.is_leader, TAKEOVER_WAIT, "the second takes over")
    assert changes(second) == [True]
    assert len(await lock_holders(pg_engines[2])) == 1
    await second.stop()
    assert await lock_holders(pg_engines[2]) == []


@pytest.mark.postgres
async def test_a_leader_whose_connection_is_killed_steps_down_and_a_peer_takes_over(
    elections: list[LeaderElection], pg_engines: list[AsyncEngine],
) -> None:
    """pg_terminate_backend on the leader's connection: the peer becomes the leader, the old
    leader notices, steps down (on_change(False)), reconnects and can lead again later."""
    first, second = elections
    await first.start()
    await second.start()
    [pid] = await lock_holders(pg_engines[2])
    async with pg_engines[2].connect() as admin:
        assert await admin.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})

    await wait_until(lambda: second.is_leader, TAKEOVER_WAIT, "the second takes over")
    await wait_until(lambda: not first.is_leader, TAKEOVER_WAIT, "the first steps down")
    assert changes(first) == [True, False]
    assert await leaders_over(elections, INTERVAL * 4) == {1}
    assert second.is_leader

    await second.stop()
    await wait_until(lambda: first.is_leader, TAKEOVER_WAIT,
                     "the first, reconnected, leads again")
    assert changes(first) == [True, False, True]


@pytest.mark.postgres
async def test_a_killed_connection_ends_leadership_before_the_next_check(
    pg_engines: list[AsyncEngine],
) -> None:
    """The driver reporting the lock's connection closed ends leadership at once, without
    waiting for the next periodic check (here 60 s away)."""
    seen = Changes()
    election = LeaderElection(pg_engines[0], interval=60.0, on_change=seen)
    try:
        await election.start()
        assert election.is_leader
        [pid] = await lock_holders(pg_engines[2])
        async with pg_engines[2].connect() as admin:
            await admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        await wait_until(lambda: not election.is_leader, 10.0, "leadership ends")
        assert seen.seen == [True, False]
    finally:
        await election.stop()


LEADER_CHILD = textwrap.dedent("""
    import asyncio, sys
    from bot.services.leadership import LeaderElection
    from storage.db import create_engine

    async def announce(leader):
        print("leader" if leader else "follower", flush=True)

    async def main():
        election = LeaderElection(create_engine(sys.argv[1]), interval=float(sys.argv[2]),
                                  on_change=announce)
        await election.start()
        await asyncio.Event().wait()

    asyncio.run(main())
""")


@pytest.fixture
def leader_child(postgres_url: str) -> Iterator[subprocess.Popen[str]]:
    """A separate Python process that runs an election and prints 'leader' when it leads."""
    child = subprocess.Popen(
        [sys.executable, "-c", LEADER_CHILD, postgres_url, str(INTERVAL)],
        stdout=subprocess.PIPE, text=True, env=subprocess_env(), cwd=REPO_ROOT,
    )
    yield child
    if child.poll() is None:
        child.kill()
    child.wait(timeout=10)
    assert child.stdout is not None
    child.stdout.close()


@pytest.mark.postgres
async def test_a_killed_leader_process_is_replaced(
    leader_child: subprocess.Popen[str], pg_engines: list[AsyncEngine],
) -> None:
    """A leader process killed with SIGKILL (no clean release): PostgreSQL drops its lock
    with its connection and the surviving process becomes the leader."""
    assert leader_child.stdout is not None
    line = await asyncio.wait_for(asyncio.to_thread(leader_child.stdout.readline), 30)
    assert line.strip() == "leader"

    survivor = LeaderElection(pg_engines[0], interval=INTERVAL)
    try:
        await survivor.start()
        assert not survivor.is_leader
        leader_child.send_signal(signal.SIGKILL)
        await asyncio.to_thread(leader_child.wait, 10)
        await wait_until(lambda: survivor.is_leader, TAKEOVER_WAIT, "the survivor takes over")
    finally:
        await survivor.stop()


# --- SQLite: always the leader; one process per file ----------------------------------------

async def test_on_sqlite_the_process_is_always_the_leader(tmp_path: Path) -> None:
    """On SQLite the election needs no lock: leader from start() to stop()."""
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'newsbot.db'}")
    seen = Changes()
    election = LeaderElection(engine, interval=INTERVAL, on_change=seen)
    try:
        await election.start()
        assert election.is_leader
        assert await leaders_over([election], INTERVAL * 2) == {1}
        await election.stop()
        assert not election.is_leader
        assert seen.seen == [True, False]
    finally:
        await engine.dispose()


TRY_LOCK_CHILD = textwrap.dedent("""
    import sys
    from pathlib import Path
    from bot.services.leadership import AnotherInstanceRunning, SingleInstanceLock

    try:
        SingleInstanceLock(Path(sys.argv[1])).acquire()
    except AnotherInstanceRunning as exc:
        print(exc, file=sys.stderr)
        sys.exit(3)
    print("acquired")
""")


def try_lock_in_child(database: Path) -> subprocess.CompletedProcess[str]:
    """Try the instance lock from another process."""
    return subprocess.run(
        [sys.executable, "-c", TRY_LOCK_CHILD, str(database)], capture_output=True, text=True,
        timeout=60, env=subprocess_env(), cwd=REPO_ROOT, check=False,
    )


def test_a_second_process_on_the_same_sqlite_file_is_refused(tmp_path: Path) -> None:
    """While one process holds the SQLite file's lock another gets a one-line refusal naming
    the file and the lock file; after release it gets the lock."""
    database = tmp_path / "newsbot.db"
    lock = SingleInstanceLock(database)
    lock.acquire()
    try:
        refused = try_lock_in_child(database)
    finally:
        lock.release()
    assert refused.returncode == 3, refused.stderr
    assert refused.stderr.strip() == (
        f"another newsbot is already running on {database} (lock file {database}.lock); "
        "stop it first or point database.url at another file"
    )
    accepted = try_lock_in_child(database)
    assert accepted.returncode == 0, accepted.stderr
    assert accepted.stdout.strip() == "acquired"


HOLD_LOCK_CHILD = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from bot.services.leadership import SingleInstanceLock

    with SingleInstanceLock(Path(sys.argv[1])):
        print("held", flush=True)
        time.sleep(120)
""")


def test_the_lock_of_a_killed_process_is_free(tmp_path: Path) -> None:
    """A process killed while holding the lock leaves no stale lock behind: the next one
    is refused while it lives and gets the lock once it is gone."""
    database = tmp_path / "newsbot.db"
    child = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK_CHILD, str(database)], stdout=subprocess.PIPE,
        text=True, env=subprocess_env(), cwd=REPO_ROOT,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "held"
        with pytest.raises(AnotherInstanceRunning, match="another newsbot is already running"):
            SingleInstanceLock(database).acquire()
    finally:
        child.kill()
        child.wait(timeout=10)
        if child.stdout is not None:
            child.stdout.close()
    with SingleInstanceLock(database) as lock:
        assert lock.held
    assert not lock.held


def test_only_sqlite_files_get_an_instance_lock(tmp_path: Path) -> None:
    """A SQLite file gets a lock beside it; PostgreSQL and in-memory SQLite get none."""
    lock = SingleInstanceLock.for_database(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    assert lock is not None
    assert lock.lock_file == tmp_path / "bot.db.lock"
    assert SingleInstanceLock.for_database("sqlite+aiosqlite://") is None
    assert SingleInstanceLock.for_database("sqlite+aiosqlite:///:memory:") is None
    assert SingleInstanceLock.for_database("postgresql+asyncpg://u@localhost/db") is None


@pytest.mark.postgres
async def test_processes_starting_together_take_turns_on_startup_work(
    pg_engines: list[AsyncEngine],
) -> None:
    """The start-up lock makes a second process wait for the first one's migrations and
    config sync (two processes starting at once raced to insert the same topics)."""
    order: list[str] = []
    first_in = asyncio.Event()

    async def first() -> None:
        async with startup_lock(pg_engines[0]):
            order.append("first in")
            first_in.set()
            await asyncio.sleep(0.3)
            order.append("first out")

    async def second() -> None:
        await first_in.wait()
        async with startup_lock(pg_engines[1]):
            order.append("second in")

    await asyncio.gather(first(), second())
    assert order == ["first in", "first out", "second in"]
