"""The Bot API emulator for ``bench.delivery``, in its own process, with chosen flood limits.

``python -m bench.delivery_emulator --token T [--overall 200] [--paid 1000] [--per-chat 1]``
serves the emulator with ``--auto-create-chats`` and, when any limit is given, Telegram-like
flood limits at those rates (``python -m bot.emulator --rate-limits`` only knows the 30/s
defaults). It prints one JSON line ``{"base_url": …}`` when ready and serves until SIGTERM.
Without a limit, limits are off.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal

from bot.emulator.server import BotAPIEmulator


async def _serve(args: argparse.Namespace) -> None:
    emulator = BotAPIEmulator(tokens=(args.token,), port=0, auto_create_chats=True)
    if args.overall or args.paid:
        emulator.faults.set_rate_limits(
            overall_per_second=args.overall, per_chat_per_second=args.per_chat or None,
            per_group_per_minute=20, paid_per_second=args.paid or 1000)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with emulator:
        print(json.dumps({"base_url": emulator.base_url}), flush=True)
        await stop.wait()


def main() -> None:
    """Entry point of ``python -m bench.delivery_emulator``."""
    parser = argparse.ArgumentParser(prog="python -m bench.delivery_emulator")
    parser.add_argument("--token", required=True)
    parser.add_argument("--overall", type=float, default=0.0, help="overall msgs/s (0 = off)")
    parser.add_argument("--paid", type=float, default=0.0, help="paid-broadcast msgs/s")
    parser.add_argument("--per-chat", type=float, default=1.0, help="per private chat msgs/s")
    asyncio.run(_serve(parser.parse_args()))


if __name__ == "__main__":
    main()
