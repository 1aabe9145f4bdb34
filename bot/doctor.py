"""``newsbot doctor``: check everything the bot depends on and print a pass/fail table.

One row per check: the config, the database and its schema revision, the Bot API (getMe),
the webhook as Telegram sees it, and each configured feed (fetched under the same network
policy as the running bot). A check never raises: whatever goes wrong becomes its row's
detail, with secrets masked. Only a config that does not load stops the doctor (the CLI
exits 2, as every command does).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TextIO

from bot.config import FeedSettings, Settings, TelegramSettings
from bot.ingest.feed_parsing import FeedParseError, parse_feed
from bot.ingest.fetch import FeedFetcher, FetchError, describe_url
from bot.log import mask_secrets
from bot.transport import AiohttpRequest


class Status(StrEnum):
    """A check's verdict; only FAIL makes the doctor exit 1."""

    PASS = "PASS"  # noqa: S105 -- a verdict, not a password
    WARN = "WARN"
    FAIL = "FAIL"
    SKIP = "SKIP"


@dataclass(frozen=True, slots=True)
class CheckResult:
    """One row of the report."""

    name: str
    status: Status
    detail: str


def _error_text(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or exc.__class__.__name__
    return mask_secrets(text)[:200]


async def run_checks(settings: Settings, config_path: Path | None = None) -> list[CheckResult]:
    """Run every check; the settings already loaded, so the config row passes."""
    where = f"{config_path}: " if config_path is not None else ""
    results = [CheckResult(
        "config", Status.PASS,
        f"{where}{settings.telegram.mode} mode, {len(settings.feeds)} feed(s), "
        f"{len(settings.topics)} topic(s)",
    )]
    results += await check_database(settings)
    results += await check_telegram(settings.telegram)
    results += await check_feeds(settings)
    return results


# --- database ----------------------------------------------------------------------------------


def _missing_sqlite_file(url: str) -> Path | None:
    """The SQLite file ``url`` names, if it does not exist (connecting would create it)."""
    from storage.db import sqlite_path

    path = sqlite_path(url)
    return path if path is not None and not path.exists() else None


async def check_database(settings: Settings) -> list[CheckResult]:
    """Is the database reachable, and is its schema at the newest revision?"""
    from storage.db import DatabaseError, check_connection, create_engine
    from storage.health import head_revision, schema_revision

    url = settings.database.url
    backend = url.split("://", 1)[0]
    missing = _missing_sqlite_file(url)
    if missing is not None:
        hint = ("newsbot migrate creates it" if missing.parent.is_dir()
                else f"and its directory {missing.parent} does not exist")
        return [
            CheckResult("database", Status.FAIL, f"{missing} does not exist ({hint})"),
            CheckResult("migrations", Status.SKIP, "no database"),
        ]
    try:
        engine = create_engine(url, connect_timeout=settings.database.connect_timeout)
    except DatabaseError as exc:
        return [CheckResult("database", Status.FAIL, _error_text(exc)),
                CheckResult("migrations", Status.SKIP, "no database")]
    try:
        try:
            await check_connection(engine, settings.database.connect_timeout)
        except DatabaseError as exc:
            return [CheckResult("database", Status.FAIL, f"{backend}: {_error_text(exc)}"),
                    CheckResult("migrations", Status.SKIP, "no database")]
        rows = [CheckResult("database", Status.PASS, f"{backend} answers")]
        try:
            current = await schema_revision(engine, settings.database.connect_timeout)
            head = await asyncio.to_thread(head_revision)
        except Exception as exc:  # alembic and the drivers raise many unrelated types
            return [*rows, CheckResult("migrations", Status.FAIL, _error_text(exc))]
    finally:
        await engine.dispose()
    if current is None:
        rows.append(CheckResult("migrations", Status.FAIL,
                                f"schema not created; head is {head} (run newsbot migrate)"))
    elif current != head:
        rows.append(CheckResult("migrations", Status.FAIL,
                                f"at {current}, head is {head} (run newsbot migrate)"))
    else:
        rows.append(CheckResult("migrations", Status.PASS, f"at head ({head})"))
    return rows


# --- Telegram ----------------------------------------------------------------------------------


async def check_telegram(tg: TelegramSettings) -> list[CheckResult]:
    """getMe at the configured Bot API, then the webhook as Telegram reports it."""
    from telegram import Bot
    from telegram.error import InvalidToken, TelegramError

    request = AiohttpRequest(
        pool_size=1, connect_timeout=tg.connect_timeout, read_timeout=tg.read_timeout,
        write_timeout=tg.write_timeout, pool_timeout=tg.pool_timeout,
    )
    await request.initialize()
    try:
        bot = Bot(tg.token.get_secret_value(), base_url=tg.api_base_url,
                  request=request, get_updates_request=request)
        try:
            me = await bot.get_me()
        except InvalidToken:
            return [CheckResult("telegram", Status.FAIL,
                                "getMe: the token was rejected (revoked or mistyped?)"),
                    CheckResult("webhook", Status.SKIP, "Bot API not usable")]
        except TelegramError as exc:
            return [CheckResult("telegram", Status.FAIL, f"getMe: {_error_text(exc)}"),
                    CheckResult("webhook", Status.SKIP, "Bot API not reachable")]
        rows = [CheckResult("telegram", Status.PASS,
                            f"getMe: @{me.username} (id {me.id}) at {_api_host(tg)}")]
        try:
            info = await bot.get_webhook_info()
        except TelegramError as exc:
            return [*rows, CheckResult("webhook", Status.FAIL,
                                       f"getWebhookInfo: {_error_text(exc)}")]
        rows.append(webhook_verdict(tg, info.url, info.pending_update_count,
                                    info.last_error_message))
        return rows
    finally:
        await request.shutdown()


def _api_host(tg: TelegramSettings) -> str:
    return mask_secrets(describe_url(tg.api_base_url))


def webhook_verdict(
    tg: TelegramSettings, url: str, pending: int, last_error: str | None
) -> CheckResult:
    """Judge what getWebhookInfo reported against the configured mode."""
    tail = f"{pending} pending update(s)"
    if last_error:
        tail += f", last error: {last_error}"
    if tg.mode == "polling":
        if not url:
            return CheckResult("webhook", Status.PASS, f"none set (polling mode); {tail}")
        return CheckResult(
            "webhook", Status.WARN,
            mask_secrets(f"set to {url} although mode = 'polling': getUpdates is refused "
                         f"while it is set (newsbot run removes it); {tail}"),
        )
    if not url:
        return CheckResult("webhook", Status.WARN, f"not set yet (newsbot run sets it); {tail}")
    if url != tg.webhook_url:
        return CheckResult(
            "webhook", Status.FAIL,
            mask_secrets(f"set to {url}, but telegram.webhook_url is {tg.webhook_url}; {tail}"),
        )
    status = Status.WARN if last_error else Status.PASS
    return CheckResult("webhook", status, mask_secrets(f"set to {url}; {tail}"))


# --- feeds -------------------------------------------------------------------------------------


async def check_feeds(settings: Settings) -> list[CheckResult]:
    """Fetch each configured feed once, under the configured network policy."""
    if not settings.feeds:
        return []
    async with FeedFetcher(settings.ingestion) as fetcher:
        return list(await asyncio.gather(*(_check_feed(fetcher, feed)
                                           for feed in settings.feeds)))


async def _check_feed(fetcher: FeedFetcher, feed: FeedSettings) -> CheckResult:
    url = str(feed.url)
    name = f"feed {feed.name}"
    try:
        result = await fetcher.fetch_feed(url)
    except FetchError as exc:
        detail = exc.message  # names the status, or the network policy key that refused
        if exc.status is not None and str(exc.status) not in detail:
            detail = f"HTTP {exc.status}: {detail}"
        return CheckResult(name, Status.FAIL, mask_secrets(f"{describe_url(url)}: {detail}"))
    except Exception as exc:  # the doctor reports; it never stops half-way
        return CheckResult(name, Status.FAIL, f"{describe_url(url)}: {_error_text(exc)}")
    try:
        parsed = await asyncio.to_thread(parse_feed, result.body, result.final_url,
                                         result.content_type)
    except FeedParseError as exc:
        return CheckResult(name, Status.FAIL,
                           f"HTTP {result.status}, but not a feed: {exc.message}")
    return CheckResult(name, Status.PASS,
                       f"HTTP {result.status}, {len(parsed.entries)} entries, "
                       f"{len(result.body) // 1024} KiB")


# --- the report --------------------------------------------------------------------------------


def print_report(results: list[CheckResult], out: TextIO) -> bool:
    """Print the table and a summary line; return True when nothing failed."""
    width = max(len("CHECK"), *(len(r.name) for r in results))
    out.write(f"{'CHECK':<{width}}  STATUS  DETAIL\n")
    for result in results:
        out.write(f"{result.name:<{width}}  {result.status.value:<6}  {result.detail}\n")
    failed = sum(r.status is Status.FAIL for r in results)
    warned = sum(r.status is Status.WARN for r in results)
    if failed:
        out.write(f"\n{failed} of {len(results)} checks failed\n")
    else:
        note = f" ({warned} warning(s))" if warned else ""
        out.write(f"\nall {len(results)} checks passed{note}\n")
    return failed == 0
