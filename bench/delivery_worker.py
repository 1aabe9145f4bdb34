"""The bot side of the delivery benchmark, run as its own process by ``bench.delivery``.

``python -m bench.delivery_worker --database URL --base-url URL --chats N --mode MODE``
(``--setup`` migrates the schema and stores one topic, one explainer in it and N private chats
subscribed to the topic; ``--mode seed`` stops there) then prints one result line:

* ``pipeline`` — after 500 untimed, a plain aiohttp loop posts N sendMessage (the
  explainer's rendered message: text, buttons, preview options) with ``--concurrency`` in
  flight; then the outbox pushes the explainer: ``enqueue_articles`` and one
  ``DeliveryService.send_due()`` (claim → plan → render → send → record) as JSON through our
  aiohttp transport, the limiter effectively off
  (1,000,000/s, no per-chat spacing, no coalescing); then the raw loop again. Each phase is
  timed, and the outbox's steps too;
* ``rate`` — the same push with the limiter at ``--rate`` msgs/s (``--paid``: as a paid
  broadcast) and Telegram's per-chat spacing; the achieved rate and the 429s received;
* ``rss`` — the push alone (the schema and chats stored by an earlier ``seed`` process), under
  a :class:`bench.measure.PhaseMeter`: the peak resident set of a push.

``--profile PATH`` writes a cProfile of the push to PATH (slower; not for figures);
``--batch-size`` sets ``delivery.batch_size`` (rows per claim; default the setting's default).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import aiohttp
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Bot

from bench.measure import PhaseMeter, emit_result
from bot.config import DeliverySettings
from bot.render import render_pushed_article
from bot.services.delivery import DeliveryService
from bot.services.news import load_card
from bot.services.outbox import DeliveryStats
from bot.services.rate_limits import SendLimiter
from bot.telegram_io import PtbSender
from bot.transport import AiohttpRequest
from storage.db import create_engine, create_session_factory, upgrade_schema, write_session
from storage.deliveries import enqueue_articles
from storage.models import Article, ArticleTopic, Chat, Delivery, Subscription, Topic

BENCH_TOKEN = "123456:BENCH-delivery-token"  # noqa: S105 - the emulator's kind of fake token
FIRST_CHAT = 10_000_000
WARMUP = 500  # sendMessage before the first timed loop: a fresh emulator starts slower
_SEED_CHUNK = 5_000
_UNLIMITED = 1_000_000.0


async def _seed(sessions: async_sessionmaker[AsyncSession], chats: int) -> None:
    """One topic, one explainer in it, ``chats`` private chats subscribed to the topic."""
    now = datetime.now(UTC)
    async with write_session(sessions) as session:
        topic_id = (await session.execute(
            insert(Topic).values(slug="bench", name="Bench").returning(Topic.id))).scalar_one()
        article_id = (await session.execute(insert(Article).values(
            canonical_url="https://example.org/explainers/budget-vote",
            url="https://example.org/explainers/budget-vote",
            title="What the budget vote means for the winter power grid",
            summary=("Parliament passed the budget after a week of talks. The central bank "
                     "warned about inflation; the grid operator asked for more reserves. "
                     "Here is what changes for households and when."),
            content_hash="0" * 64, published_at=now, created_at=now, updated_at=now,
        ).returning(Article.id))).scalar_one()
        await session.execute(insert(ArticleTopic).values(article_id=article_id,
                                                          topic_id=topic_id))
    for start in range(0, chats, _SEED_CHUNK):
        ids = range(FIRST_CHAT + start, FIRST_CHAT + min(chats, start + _SEED_CHUNK))
        async with write_session(sessions) as session:
            await session.execute(insert(Chat), [
                {"id": chat_id, "type": "private", "status": "active", "timezone": "UTC",
                 "settings": {}, "created_at": now, "updated_at": now} for chat_id in ids])
            await session.execute(insert(Subscription), [
                {"chat_id": chat_id, "topic_id": topic_id, "thread_id": 0, "mode": "instant",
                 "created_at": now} for chat_id in ids])


async def _article_id(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions() as session:
        return int((await session.execute(select(Article.id))).scalar_one())


async def _raw_loop(
    base_url: str, chats: int, concurrency: int, params: dict[str, Any]
) -> dict[str, Any]:
    """N sendMessage POSTs of the same rendered message the outbox sends (text, parse mode,
    buttons, preview options) with ``concurrency`` in flight, each answer read and checked."""
    url = f"{base_url}{BENCH_TOKEN}/sendMessage"
    numbers = iter(range(chats))
    failures = 0
    connector = aiohttp.TCPConnector(limit=concurrency, limit_per_host=concurrency)
    async with aiohttp.ClientSession(connector=connector) as http:

        async def worker() -> None:
            nonlocal failures
            for number in numbers:
                payload = {**params, "chat_id": FIRST_CHAT + number}
                async with http.post(url, json=payload) as response:
                    if not json.loads(await response.read()).get("ok"):
                        failures += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        seconds = time.perf_counter() - started
    return {"seconds": round(seconds, 3), "msgs_per_s": round(chats / seconds, 1),
            "failures": failures}


def _timed(steps: dict[str, float], name: str,
           method: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    """Wrap one of the outbox's steps so its wall time adds up in ``steps[name]``."""
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return await method(*args, **kwargs)
        finally:
            steps[name] = steps.get(name, 0.0) + time.perf_counter() - started
    return wrapper


async def _push(sessions: async_sessionmaker[AsyncSession], base_url: str, article_id: int,
                settings: DeliverySettings, limiter: SendLimiter | None,
                profile: str | None) -> dict[str, Any]:
    """Enqueue the explainer for every subscriber and drain the outbox once; time both."""
    bot = Bot(BENCH_TOKEN, base_url=base_url,
              request=AiohttpRequest(pool_size=settings.concurrency))
    await bot.initialize()
    service = DeliveryService(sessions, PtbSender(bot), load_card, settings, limiter=limiter)
    steps: dict[str, float] = {}
    for name in ("_claim", "_context", "_send_jobs", "_record"):
        setattr(service, name, _timed(steps, name.strip("_"), getattr(service, name)))
    profiler = cProfile.Profile() if profile else None
    try:
        if profiler is not None:
            profiler.enable()
        started = time.perf_counter()
        async with write_session(sessions) as session:
            queued = await enqueue_articles(session, [article_id])
        enqueued = time.perf_counter()
        stats: DeliveryStats = await service.send_due()
        drained = time.perf_counter()
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(profile)
    finally:
        await bot.shutdown()
    async with sessions() as session:
        pending = len((await session.execute(
            select(Delivery.id).where(Delivery.status != "sent"))).all())
    return {
        "queued": queued, "sent": stats.sent, "not_sent": pending,
        "flood_waits": stats.flood_waits, "failed": stats.failed, "retried": stats.retried,
        "errors": stats.errors[:5],
        "enqueue_s": round(enqueued - started, 3), "drain_s": round(drained - enqueued, 3),
        "total_s": round(drained - started, 3),
        "msgs_per_s": round(stats.sent / (drained - started), 1),
        "drain_msgs_per_s": round(stats.sent / (drained - enqueued), 1),
        "steps_s": {name: round(seconds, 3) for name, seconds in steps.items()},
    }


def _unlimited(concurrency: int, batch: dict[str, int]) -> tuple[DeliverySettings, SendLimiter]:
    """Settings and a limiter that never hold a send (the rate is beyond what
    ``delivery.rate_per_second`` accepts, so the limiter is built here)."""
    settings = DeliverySettings(concurrency=concurrency, coalesce_seconds=0,
                                private_chat_interval=0, group_chat_interval=0, **batch)
    return settings, SendLimiter(_UNLIMITED, paid_rate_per_second=_UNLIMITED,
                                 private_chat_interval=0, group_chat_interval=0)


async def _main(args: argparse.Namespace) -> None:
    engine = create_engine(args.database, pool_size=max(10, args.concurrency // 4))
    sessions = create_session_factory(engine)
    try:
        if args.setup:
            await upgrade_schema(engine)
            await _seed(sessions, args.chats)
        if args.mode == "seed":
            emit_result({"mode": "seed", "chats": args.chats})
            return
        article_id = await _article_id(sessions)
        batch = {"batch_size": args.batch_size} if args.batch_size else {}
        if args.mode == "pipeline":
            async with sessions() as session:
                card = await load_card(session, article_id)
            assert card is not None
            params = render_pushed_article(card, article_id)[0].api_params()
            await _raw_loop(args.base_url, WARMUP, args.concurrency, params)  # untimed
            raw_before = await _raw_loop(args.base_url, args.chats, args.concurrency, params)
            settings, limiter = _unlimited(args.concurrency, batch)
            push = await _push(sessions, args.base_url, article_id, settings, limiter,
                               args.profile)
            raw_after = await _raw_loop(args.base_url, args.chats, args.concurrency, params)
            emit_result({"mode": "pipeline", "raw": [raw_before, raw_after], "push": push})
        elif args.mode == "rate":
            rate = {"paid_rate_per_second": args.rate, "paid_broadcast": True} if args.paid \
                else {"rate_per_second": args.rate}
            settings = DeliverySettings(concurrency=args.concurrency, coalesce_seconds=0,
                                        **rate, **batch)
            push = await _push(sessions, args.base_url, article_id, settings, None,
                               args.profile)
            emit_result({"mode": "rate", "rate": args.rate, "paid": args.paid, "push": push})
        else:
            settings, limiter = _unlimited(args.concurrency, batch)
            with PhaseMeter() as meter:
                push = await _push(sessions, args.base_url, article_id, settings, limiter,
                                   args.profile)
            emit_result({"mode": "rss", "push": push, "memory": meter.as_dict()})
    finally:
        await engine.dispose()


def main() -> None:
    """Entry point of ``python -m bench.delivery_worker``."""
    parser = argparse.ArgumentParser(prog="python -m bench.delivery_worker")
    parser.add_argument("--database", required=True)
    parser.add_argument("--base-url", default="")
    parser.add_argument("--chats", type=int, required=True)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--mode", choices=("seed", "pipeline", "rate", "rss"), required=True)
    parser.add_argument("--setup", action="store_true", help="migrate and seed first")
    parser.add_argument("--rate", type=float, default=30.0)
    parser.add_argument("--paid", action="store_true")
    parser.add_argument("--profile", metavar="PATH")
    parser.add_argument("--batch-size", type=int, default=0, help="delivery.batch_size")
    asyncio.run(_main(parser.parse_args()))


if __name__ == "__main__":
    main()
