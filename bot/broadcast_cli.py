"""``newsbot broadcast -c FILE --text-file F [--topic SLUG] [--at ISO-TIME] [--wait]``.

The CLI only **queues**: it stores the broadcast and its outbox rows (or, with ``--at``, the
time it goes out) in the configured database and prints its id; the running bot's outbox
sends it at the rate limits, and its broadcast job starts scheduled ones. Without a running
bot nothing is sent.

The text file is plain text (UTF-8): it is escaped, so ``<`` and ``&`` arrive as typed and no
formatting is applied — a file cannot break the message's HTML. ``--wait`` polls the database
and shows a live progress bar (rich: sent, failed, remaining, ETA) until the broadcast is
done; exit 0 when it is, 1 when it was cancelled or could not start.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

from bot.config import Settings
from bot.domain import BroadcastContent
from bot.render.markup import TEXT_LIMIT, escape, utf16_len
from bot.services.admins import AdminService
from bot.services.broadcasts import CLI_ACTOR, BroadcastService
from storage.db import check_connection, create_engine, create_session_factory

POLL_SECONDS = 0.5


async def run(settings: Settings, text_file: Path, out: IO[str], err: IO[str], *,
              topics: Sequence[str] = (), at: str | None = None, wait: bool = False) -> int:
    """Queue the broadcast; with ``wait``, show its progress until it ends."""
    try:
        text = (await asyncio.to_thread(text_file.read_text, encoding="utf-8")).strip()
    except (OSError, UnicodeDecodeError) as exc:
        print(f"error: cannot read {text_file}: {exc}", file=err)
        return 1
    if not text or utf16_len(text) > TEXT_LIMIT:
        print(f"error: the text must have 1 to {TEXT_LIMIT} characters", file=err)
        return 1
    when = None
    if at is not None:
        try:
            when = datetime.fromisoformat(at)
        except ValueError:
            print(f"error: --at {at!r} is not an ISO time (2026-12-03T09:00+02:00)", file=err)
            return 1
        when = when if when.tzinfo is not None else when.replace(tzinfo=UTC)
    engine = create_engine(settings.database.url,
                           connect_timeout=settings.database.connect_timeout)
    try:
        await check_connection(engine, settings.database.connect_timeout)
        sessions = create_session_factory(engine)
        service = BroadcastService(sessions, AdminService(sessions, settings.telegram.admins),
                                   paid=settings.delivery.paid_broadcast)
        topic_ids: list[int] = []
        for topic in topics:
            topic_id = await service.topic_id(topic)
            if topic_id is None:
                print(f"error: no topic {topic!r}", file=err)
                return 1
            topic_ids.append(topic_id)
        broadcast_id = await service.create(CLI_ACTOR, BroadcastContent(escape(text)))
        assert broadcast_id is not None
        for topic, topic_id in zip(topics, topic_ids, strict=True):
            chosen = await service.set_audience(CLI_ACTOR, broadcast_id, "topic", topic_id)
            if chosen.outcome != "ok":  # never fall back to everyone
                print(f"error: topic {topic!r} cannot be the audience ({chosen.outcome})",
                      file=err)
                await service.cancel(CLI_ACTOR, broadcast_id)
                return 1
        result = (await service.schedule(CLI_ACTOR, broadcast_id, when) if when is not None
                  else await service.send_now(CLI_ACTOR, broadcast_id))
        if result.progress is None:
            print(f"error: broadcast {broadcast_id} not started ({result.outcome}; "
                  "is --at in the future?)", file=err)
            await service.cancel(CLI_ACTOR, broadcast_id)
            return 1
        print(broadcast_id, file=out, flush=True)
        if not wait:
            return 0
        return await _wait(service, broadcast_id, out)
    finally:
        await engine.dispose()


async def _wait(service: BroadcastService, broadcast_id: int, out: IO[str]) -> int:
    console = Console(file=out, force_terminal=False, width=100)
    columns = (TextColumn("broadcast {task.fields[id]}"), BarColumn(),
               TextColumn("sent {task.fields[sent]} · failed {task.fields[failed]} · "
                          "remaining {task.fields[remaining]}"), TimeRemainingColumn())
    with Progress(*columns, console=console, refresh_per_second=4) as bar:
        task = bar.add_task("broadcast", total=None, id=broadcast_id, sent=0, failed=0,
                            remaining="?")
        while True:
            progress = await service.progress(broadcast_id)
            if progress is None:
                return 1
            failed = progress.failed + progress.blocked
            bar.update(task, total=progress.total or None, completed=progress.done,
                       sent=progress.sent, failed=failed, remaining=progress.remaining)
            if progress.status == "cancelled":
                console.print(f"broadcast {broadcast_id} cancelled: sent {progress.sent}, "
                              f"failed {failed}, not sent {progress.cancelled}")
                return 1
            if progress.status == "done" or (progress.status == "sending" and progress.total
                                             and not progress.remaining):
                console.print(f"broadcast {broadcast_id} done: sent {progress.sent}, "
                              f"failed {progress.failed}, blocked {progress.blocked}")
                return 0
            await asyncio.sleep(POLL_SECONDS)
