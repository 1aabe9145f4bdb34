"""Run the Bot API emulator on its own: ``python -m bot.emulator --port 8081 --token 123:ABC``.

Prints the base URL for ``base_url`` and serves until Ctrl-C. Besides the Bot API it offers a
small control API to play the users:

* ``POST /_emulator/users/{user_id}/send`` with ``{"text": "/start", "chat_id"?: …,
  "first_name"?: …, "username"?: …}`` — the user (created on first use) writes to the bot;
* ``POST /_emulator/users/{user_id}/press`` with ``{"message_id": …, "callback_data": …,
  "chat_id"?: …}`` — the user presses an inline button;
* ``GET /_emulator/chats/{chat_id}/sent`` — the bot's messages in a chat.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys

from bot.emulator.server import BotAPIEmulator


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bot.emulator", description="Serve an emulated Telegram Bot API."
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (127.0.0.1)")
    parser.add_argument("--port", type=int, default=8081, help="port to bind (8081; 0 = any)")
    parser.add_argument(
        "--token",
        action="append",
        dest="tokens",
        metavar="TOKEN",
        help="accepted bot token (repeatable; default 123456:TEST-TOKEN)",
    )
    parser.add_argument("--bot-username", default="newsbot_demo_bot")
    parser.add_argument(
        "--auto-create-chats",
        action="store_true",
        help="treat unknown positive chat ids as existing users",
    )
    parser.add_argument(
        "--rate-limits", action="store_true", help="enforce Telegram-like flood limits"
    )
    return parser.parse_args(argv)


async def _serve(args: argparse.Namespace) -> None:
    emulator = BotAPIEmulator(
        tokens=args.tokens or ("123456:TEST-TOKEN",),
        host=args.host,
        port=args.port,
        bot_username=args.bot_username,
        auto_create_chats=args.auto_create_chats,
    )
    if args.rate_limits:
        emulator.faults.set_rate_limits()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    if sys.platform != "win32":  # Windows loops have no signal handlers; Ctrl-C still works
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
    async with emulator:
        print(f"Bot API emulator serving at {emulator.base_url}", flush=True)
        print(f"  tokens: {', '.join(emulator.tokens)}", flush=True)
        print(f"  control API: {emulator.url}/_emulator/", flush=True)
        await stop.wait()
    print("Bot API emulator stopped", flush=True)


def main(argv: list[str] | None = None) -> None:
    """Entry point of ``python -m bot.emulator``."""
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(_parse_args(argv)))


if __name__ == "__main__":
    main()
