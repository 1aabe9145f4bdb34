"""`newsbot run` as real processes, for tests that kill, stop and restart them mid-push.

    await seed_push(database_url, chats=1000)      # one explainer queued for 1,000 readers
    bot = BotProcess(config, tmp_path / "a.log")
    await bot.start()                               # returns once "newsbot started" is logged
    await wait_until(lambda: len(explainers_by_chat(emulator)) >= 300)
    bot.kill()                                      # SIGKILL; bot.terminate() sends SIGTERM
    code = await bot.wait(10)

The bot's log (stdout and stderr) goes to a file, so it can be read while the process runs.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select

from bot.emulator import BotAPIEmulator
from storage.db import create_engine, create_session_factory, upgrade_schema
from storage.deliveries import enqueue_articles
from storage.models import Article, ArticleTopic, Chat, Delivery, Subscription, Topic, utcnow

PUSH_TITLE = "Why the outbox never loses a reader"

#: Settings that let a push run fast but last a few seconds (with the emulator's latency), so
#: a test can interrupt it mid-way.
FAST_DELIVERY: dict[str, Any] = {
    "rate_per_second": 200,
    "private_chat_interval": 0,
    "group_chat_interval": 0,
    "coalesce_seconds": 0,
    "concurrency": 16,
    "lease_seconds": 10,
    "shutdown_grace_seconds": 2,
    "leader_check_seconds": 0.5,
}


async def seed_push(database_url: str, chats: int) -> int:
    """Migrate the database, subscribe ``chats`` private chats (ids 1..chats) to "russia" and
    queue one explainer for all of them; return the article id."""
    engine = create_engine(database_url)
    try:
        await upgrade_schema(engine)
        sessions = create_session_factory(engine)
        now = utcnow()
        async with sessions() as session, session.begin():
            topic = Topic(slug="russia", name="Russia", active=True)
            article = Article(canonical_url="https://e.org/outbox", url="https://e.org/outbox",
                              guid="outbox", title=PUSH_TITLE, summary="Claims and leases.",
                              body="Body.", content_hash="x", created_at=now, updated_at=now)
            session.add_all([topic, article])
            await session.flush()
            session.add(ArticleTopic(article_id=article.id, topic_id=topic.id))
            ids = range(1, chats + 1)
            await session.execute(insert(Chat), [
                {"id": i, "type": "private", "status": "active", "timezone": "UTC",
                 "settings": {}, "created_at": now, "updated_at": now} for i in ids])
            await session.execute(insert(Subscription), [
                {"chat_id": i, "topic_id": topic.id, "thread_id": 0, "mode": "instant",
                 "created_at": now} for i in ids])
            article_id = article.id
        async with sessions() as session, session.begin():
            queued = await enqueue_articles(session, [article_id])
        assert queued == chats, f"queued {queued} deliveries for {chats} chats"
        return article_id
    finally:
        await engine.dispose()


async def delivery_statuses(database_url: str) -> Counter[str]:
    """How many deliveries are in each status."""
    engine = create_engine(database_url)
    try:
        async with create_session_factory(engine)() as session:
            rows = await session.execute(
                select(Delivery.status, func.count(Delivery.id)).group_by(Delivery.status))
            return Counter(dict(rows.all()))
    finally:
        await engine.dispose()


def slow_emulator(emulator: BotAPIEmulator, seconds: float = 0.1) -> BotAPIEmulator:
    """Delay every sendMessage answer by ``seconds`` (before it is carried out)."""
    emulator.faults.set_random_faults(slow_rate=1.0, slow_seconds=seconds, seed=7,
                                      methods=["sendMessage"])
    return emulator


def explainers_by_chat(*emulators: BotAPIEmulator) -> Counter[int]:
    """How many copies of the pushed explainer each chat received, over all ``emulators``."""
    counts: Counter[int] = Counter()
    for emulator in emulators:
        counts.update(m.chat_id for m in emulator.sent_messages() if PUSH_TITLE in (m.text or ""))
    return counts


def duplicates(counts: Counter[int]) -> int:
    """Copies beyond the first, summed over chats."""
    return sum(n - 1 for n in counts.values() if n > 1)


async def wait_until(
    condition: Callable[[], bool], timeout: float, *, what: str = "condition",
    interval: float = 0.05,
) -> float:
    """Wait until ``condition()`` holds; return the seconds it took (AssertionError after
    ``timeout``)."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(interval)
    return time.monotonic() - started


class BotProcess:
    """One ``python -m bot run -c CONFIG`` subprocess, its output in ``log_path``."""

    def __init__(self, config: Path, log_path: Path) -> None:
        self.config = config
        self.log_path = log_path
        self._process: asyncio.subprocess.Process | None = None

    @property
    def process(self) -> asyncio.subprocess.Process:
        """The running subprocess."""
        if self._process is None:
            raise RuntimeError("the bot process was not started")
        return self._process

    @property
    def log(self) -> str:
        """Everything the process printed so far."""
        return self.log_path.read_text(encoding="utf-8", errors="replace") \
            if self.log_path.exists() else ""

    async def start(self, *, ready: bool = True, timeout: float = 30.0) -> BotProcess:
        """Start the process; with ``ready``, wait until it logged "newsbot started"."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSBOT_")}
        with self.log_path.open("ab") as log:
            self._process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "run", "-c", str(self.config),
                stdin=asyncio.subprocess.DEVNULL, stdout=log, stderr=log, env=env)
        if ready:
            await wait_until(lambda: "newsbot started" in self.log or self.exited, timeout,
                             what=f"{self.log_path.name} to start")
            if self.exited:
                raise AssertionError(f"the bot exited at start:\n{self.log[-3000:]}")
        return self

    @property
    def exited(self) -> bool:
        """Whether the process has ended."""
        return self._process is not None and self._process.returncode is not None

    def kill(self) -> None:
        """SIGKILL: no shutdown at all."""
        self.process.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        """SIGTERM: the graceful stop `docker stop` asks for."""
        self.process.send_signal(signal.SIGTERM)

    async def wait(self, timeout: float) -> int:
        """Wait for the exit code."""
        return await asyncio.wait_for(self.process.wait(), timeout)

    async def close(self) -> None:
        """Kill the process if it still runs (test cleanup)."""
        if self._process is not None and self._process.returncode is None:
            self._process.kill()
            await self._process.wait()
