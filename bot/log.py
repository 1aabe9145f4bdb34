"""Logging set-up with secret masking.

PTB and HTTP libraries put the bot token into request URLs, and exceptions carry those URLs.
We mask at the source: a log-record factory rewrites every record's message, arguments and
traceback text before any handler (ours, pytest's, a library's) can see it.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
import traceback
from collections.abc import Callable, Iterable
from typing import Any

MASK = "***"
# Anything shaped like a bot token (digits:secret), and the secret part of /bot<token>/ URLs.
_TOKEN_SHAPE = re.compile(r"\b\d{3,20}:[A-Za-z0-9_-]{8,}")
_BOT_URL = re.compile(r"(/bot)[^/\s'\"]+(/)")

_lock = threading.Lock()
_secrets: set[str] = set()
_installed_factory: Callable[..., logging.LogRecord] | None = None


def mask_secrets(text: str) -> str:
    """Return ``text`` with every registered secret and token-shaped string masked."""
    for secret in _secrets:
        if secret and secret in text:
            text = text.replace(secret, MASK)
    text = _BOT_URL.sub(rf"\1{MASK}\2", text)
    return _TOKEN_SHAPE.sub(MASK, text)


def register_secret(secret: str) -> None:
    """Mask ``secret`` in every log record from now on."""
    if len(secret) >= 4:
        with _lock:
            _secrets.add(secret)


def _masking_factory(base: Callable[..., logging.LogRecord]) -> Callable[..., logging.LogRecord]:
    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = base(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not lose the record
            message = f"{record.msg!r} {record.args!r}"
        record.msg = mask_secrets(message)
        record.args = None
        if record.exc_info and record.exc_info[0] is not None:
            text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
            record.exc_text = mask_secrets(text)
            record.exc_info = None
        if record.stack_info:
            record.stack_info = mask_secrets(record.stack_info)
        return record

    return factory


def install_masking() -> None:
    """Install the masking record factory once per process."""
    global _installed_factory
    with _lock:
        if _installed_factory is None:
            _installed_factory = _masking_factory(logging.getLogRecordFactory())
            logging.setLogRecordFactory(_installed_factory)


def configure_logging(level: str, secrets: Iterable[str] = ()) -> None:
    """Send logs to stderr at ``level`` with ``secrets`` masked everywhere."""
    for secret in secrets:
        register_secret(secret)
    install_masking()
    root = logging.getLogger()
    root.setLevel(level)
    if not any(getattr(h, "_newsbot", False) for h in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
        )
        handler._newsbot = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    # httpx/hpack/aiosqlite chatter adds nothing at DEBUG but volume.
    for noisy in ("hpack", "aiosqlite", "asyncio"):
        logging.getLogger(noisy).setLevel(max(logging.getLevelName(level), logging.INFO))
