"""Command line: ``newsbot run | migrate | check-config | doctor | demo | feeds | stats |
broadcast``.

Operator mistakes (a bad config, an unreachable database) end with one line and exit code 2,
never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from bot.log import configure_logging, mask_secrets

if TYPE_CHECKING:
    from bot.config import Settings

# The heavy parts (pydantic settings, SQLAlchemy, python-telegram-bot, the bot itself) are
# imported by the command that needs them, so `newsbot --help` answers at once.

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_CONFIG = 2


def _config_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-c", "--config", type=Path, default=Path("config.toml"),
        help="path to the TOML config file (default: ./config.toml)",
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every sub-command."""
    parser = argparse.ArgumentParser(
        prog="newsbot", description="A Telegram bot for a news publisher's explainers."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = sub.add_parser("run", help="run the bot (polling or webhook, per config)")
    _config_arg(run)
    migrate = sub.add_parser("migrate", help="upgrade the database schema")
    _config_arg(migrate)
    check = sub.add_parser("check-config", help="validate the config and the database URL")
    _config_arg(check)
    doctor = sub.add_parser(
        "doctor", help="check config, database, Telegram, webhook and feeds; print a table"
    )
    _config_arg(doctor)
    sub.add_parser("demo", help="run a reader's session offline against the emulator")
    stats = sub.add_parser(
        "stats", help="subscribers, deliveries, outbox, feeds, comments and clicks as a table"
    )
    stats.add_argument("--json", action="store_true", help="print one JSON object instead")
    _config_arg(stats)
    broadcast = sub.add_parser(
        "broadcast", help="queue an announcement for the running bot to send (see --wait)")
    broadcast.add_argument("--text-file", type=Path, required=True,
                           help="the announcement, plain UTF-8 text (sent escaped, as typed)")
    broadcast.add_argument("--topic", action="append",
                           help="only the subscribers of this topic (its slug); repeat it for "
                                "several topics")
    broadcast.add_argument("--at", help="send at this ISO time (UTC unless it has an offset)")
    broadcast.add_argument("--wait", action="store_true",
                           help="show progress until it is sent; exit 1 if cancelled")
    _config_arg(broadcast)
    feeds = sub.add_parser("feeds", help="import, export or preview feeds")
    feeds_sub = feeds.add_subparsers(dest="feeds_command", required=True, metavar="ACTION")
    imp = feeds_sub.add_parser("import", help="add the feeds of an OPML file")
    imp.add_argument("file", type=Path, help="OPML file")
    imp.add_argument("--interval", type=int, default=900,
                     help="poll interval in seconds for imported feeds (default 900)")
    _config_arg(imp)
    exp = feeds_sub.add_parser("export", help="write every enabled feed as OPML")
    exp.add_argument("-o", "--output", type=Path, help="write to this file (default: stdout)")
    _config_arg(exp)
    preview = feeds_sub.add_parser(
        "preview", help="show what a feed's entries would look like in Telegram"
    )
    preview.add_argument("source", help="a feed URL or a local file")
    preview.add_argument("--json", action="store_true", help="print one JSON array")
    preview.add_argument("--allow-private-networks", action="store_true",
                         help="fetch from loopback or private addresses too "
                              "(like ingestion.allow_private_networks)")
    preview.add_argument("--full-text", action="store_true",
                         help="fetch each entry's page and summarise its full text, as the "
                              "bot does for feeds with full_text = true (automatic when the "
                              "config has this feed with full_text = true)")
    preview.add_argument("-c", "--config", type=Path, default=None,
                         help="take topics, feeds and fetch settings from this config")
    return parser


def _load(path: Path) -> Settings:
    from bot.config import load_settings

    return load_settings(path)


async def _check_database(settings: Settings) -> None:
    from storage.db import DatabaseError, check_connection, create_engine, sqlite_path

    url = settings.database.url
    path = sqlite_path(url)
    if path is not None and not path.exists():
        # Don't create a database file just to check the config.
        if not path.parent.is_dir():
            raise DatabaseError(f"directory {path.parent} does not exist")
        return
    engine = create_engine(url, connect_timeout=settings.database.connect_timeout)
    try:
        await check_connection(engine, settings.database.connect_timeout)
    finally:
        await engine.dispose()


async def _migrate(settings: Settings) -> str:
    from storage.db import check_connection, create_engine, upgrade_schema

    engine = create_engine(url := settings.database.url,
                           connect_timeout=settings.database.connect_timeout)
    try:
        await check_connection(engine, settings.database.connect_timeout)
        await upgrade_schema(engine)
    finally:
        await engine.dispose()
    return url.split("://", 1)[0]


def _configure_logging(settings: Settings) -> None:
    secrets = [settings.telegram.token.get_secret_value()]
    if settings.telegram.webhook_secret is not None:
        secrets.append(settings.telegram.webhook_secret.get_secret_value())
    configure_logging(settings.logging.level, secrets, settings.logging.format)


def cmd_check_config(args: argparse.Namespace) -> int:
    """Validate config and database; print a one-line summary."""
    settings = _load(args.config)
    asyncio.run(_check_database(settings))
    print(
        f"config OK: mode={settings.telegram.mode}, {len(settings.feeds)} feed(s), "
        f"{len(settings.topics)} topic(s), {len(settings.telegram.admins)} admin(s), "
        f"database={settings.database.url.split('://', 1)[0]}"
    )
    return EXIT_OK


def cmd_migrate(args: argparse.Namespace) -> int:
    """Upgrade the schema to the newest revision."""
    settings = _load(args.config)
    _configure_logging(settings)
    backend = asyncio.run(_migrate(settings))
    print(f"database schema is up to date ({backend})")
    return EXIT_OK


def cmd_run(args: argparse.Namespace) -> int:
    """Run the bot until interrupted."""
    from bot.app import NewsBot

    settings = _load(args.config)
    _configure_logging(settings)
    asyncio.run(NewsBot(settings).run_until_signal())
    return EXIT_OK


def cmd_doctor(args: argparse.Namespace) -> int:
    """Check everything the bot depends on; exit 1 if a check fails."""
    from bot.doctor import print_report, run_checks

    settings = _load(args.config)
    _configure_logging(settings)
    results = asyncio.run(run_checks(settings, args.config))
    return EXIT_OK if print_report(results, sys.stdout) else EXIT_FAILURE


def cmd_demo(_args: argparse.Namespace) -> int:
    """Run the offline demo and print its transcript."""
    from bot.demo import run_demo

    return asyncio.run(run_demo(sys.stdout))


def cmd_stats(args: argparse.Namespace) -> int:
    """Print the statistics of /stats (read-only)."""
    from bot import stats_cli

    settings = _load(args.config)
    _configure_logging(settings)
    return asyncio.run(stats_cli.run(settings, sys.stdout, sys.stderr, as_json=args.json))


def cmd_broadcast(args: argparse.Namespace) -> int:
    """Queue a broadcast (the running bot sends it); print its id and, with --wait, progress."""
    from bot import broadcast_cli

    settings = _load(args.config)
    _configure_logging(settings)
    return asyncio.run(broadcast_cli.run(settings, args.text_file, sys.stdout, sys.stderr,
                                         topics=args.topic or (), at=args.at, wait=args.wait))


def cmd_feeds(args: argparse.Namespace) -> int:
    """Dispatch ``newsbot feeds import|export|preview``."""
    from bot import feeds_cli

    if args.feeds_command == "preview":
        settings = _load(args.config) if args.config is not None else None
        return asyncio.run(feeds_cli.preview(args.source, settings, as_json=args.json,
                                             allow_private=args.allow_private_networks,
                                             full_text=args.full_text, out=sys.stdout))
    settings = _load(args.config)
    if args.feeds_command == "import":
        return asyncio.run(feeds_cli.import_opml(settings, args.file, args.interval, sys.stdout))
    return asyncio.run(feeds_cli.export_opml(settings, args.output, sys.stdout))


COMMANDS = {
    "run": cmd_run,
    "migrate": cmd_migrate,
    "check-config": cmd_check_config,
    "doctor": cmd_doctor,
    "demo": cmd_demo,
    "feeds": cmd_feeds,
    "stats": cmd_stats,
    "broadcast": cmd_broadcast,
}


def _masked_excepthook(
    kind: type[BaseException], value: BaseException, tb: TracebackType | None
) -> None:
    """Last resort: an unexpected traceback is still printed, with secrets masked."""
    text = "".join(traceback.format_exception(kind, value, tb))
    sys.stderr.write(mask_secrets(text))


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``newsbot`` console script."""
    sys.excepthook = _masked_excepthook
    args = build_parser().parse_args(argv)
    from telegram.error import InvalidToken, TelegramError

    from bot.config import ConfigError
    from bot.services.leadership import AnotherInstanceRunning
    from storage.db import DatabaseError

    try:
        return COMMANDS[args.command](args)
    except AnotherInstanceRunning as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    except ConfigError as exc:
        print(exc.one_line(), file=sys.stderr)
        return EXIT_CONFIG
    except DatabaseError as exc:
        print(f"config error: database.url: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except InvalidToken:
        print("config error: telegram.token: rejected by the Bot API (revoked or mistyped?)",
              file=sys.stderr)
        return EXIT_CONFIG
    except TelegramError as exc:
        print(f"error: the Bot API at the configured telegram.api_base_url failed: "
              f"{mask_secrets(str(exc))}", file=sys.stderr)
        return EXIT_FAILURE
    except OSError as exc:
        print(f"error: {mask_secrets(str(exc))}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        return EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
