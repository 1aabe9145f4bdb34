"""Logging set-up: secret masking, the update being handled, text or JSON lines.

PTB and HTTP libraries put the bot token into request URLs, and exceptions carry those URLs.
We mask at the source: a log-record factory rewrites every record's message, arguments and
traceback text before any handler (ours, pytest's, a library's) can see it. Formatters only
ever see masked records, so both output formats keep the guarantee.

While an update is handled, :func:`update_context` holds its ``update_id`` and ``chat_id`` in
context variables; :class:`UpdateContextFilter` copies them onto each record, and both formats
print them.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import threading
import traceback
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, Literal

LogFormat = Literal["text", "json"]

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


_update_id: ContextVar[int | None] = ContextVar("newsbot_update_id", default=None)
_chat_id: ContextVar[int | None] = ContextVar("newsbot_chat_id", default=None)


@contextmanager
def update_context(update_id: int | None, chat_id: int | None) -> Iterator[None]:
    """Mark every record logged inside (in this task and tasks it starts) with the update."""
    update_token = _update_id.set(update_id)
    chat_token = _chat_id.set(chat_id)
    try:
        yield
    finally:
        _chat_id.reset(chat_token)
        _update_id.reset(update_token)


class UpdateContextFilter(logging.Filter):
    """Copy the update being handled (if any) onto the record as ``update_id``/``chat_id``."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Annotate; never drop a record."""
        if getattr(record, "update_id", None) is None:
            record.update_id = _update_id.get()
        if getattr(record, "chat_id", None) is None:
            record.chat_id = _chat_id.get()
        return True


def _update_fields(record: logging.LogRecord) -> dict[str, int]:
    fields = {}
    for name in ("update_id", "chat_id"):
        value = getattr(record, name, None)
        if value is not None:
            fields[name] = value
    return fields


class TextFormatter(logging.Formatter):
    """``time LEVEL logger: message [update=… chat=…]``, then the traceback if any."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def formatMessage(self, record: logging.LogRecord) -> str:
        """The first line, with the update suffix when the record has one."""
        line = super().formatMessage(record)
        fields = _update_fields(record)
        if fields:
            parts = [f"update={fields['update_id']}"] if "update_id" in fields else []
            if "chat_id" in fields:
                parts.append(f"chat={fields['chat_id']}")
            line += f" [{' '.join(parts)}]"
        return line


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (ISO 8601, UTC), level, logger, message, and
    ``exception``, ``stack``, ``update_id``, ``chat_id`` when present."""

    def format(self, record: logging.LogRecord) -> str:
        """Serialise one record; newlines in the message stay inside the JSON string."""
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(_update_fields(record))
        if record.exc_info and not record.exc_text:  # a record made outside our factory
            record.exc_text = mask_secrets(self.formatException(record.exc_info))
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = record.stack_info
        return json.dumps(entry, ensure_ascii=False, default=str)


def make_formatter(log_format: LogFormat) -> logging.Formatter:
    """The formatter for ``logging.format``."""
    return JsonFormatter() if log_format == "json" else TextFormatter()


# APScheduler logs "Running job …" and "Job … executed successfully" at INFO on every run
# (the outbox job runs every 2 s); below DEBUG only its warnings are worth a line.
SCHEDULER_LOGGERS = ("apscheduler",)


def configure_logging(
    level: str, secrets: Iterable[str] = (), log_format: LogFormat = "text"
) -> None:
    """Send logs to stderr at ``level`` in ``log_format`` with ``secrets`` masked everywhere."""
    for secret in secrets:
        register_secret(secret)
    install_masking()
    root = logging.getLogger()
    root.setLevel(level)
    handler = next((h for h in root.handlers if getattr(h, "_newsbot", False)), None)
    if handler is None:
        handler = logging.StreamHandler(sys.stderr)
        handler._newsbot = True  # type: ignore[attr-defined]
        handler.addFilter(UpdateContextFilter())
        root.addHandler(handler)
    handler.setFormatter(make_formatter(log_format))
    # Python warnings go through logging too, so a JSON log stays one object per line.
    logging.captureWarnings(True)
    numeric = logging.getLevelName(level)
    # httpx/hpack/aiosqlite chatter adds nothing at DEBUG but volume.
    for noisy in ("hpack", "aiosqlite", "asyncio"):
        logging.getLogger(noisy).setLevel(max(numeric, logging.INFO))
    for name in SCHEDULER_LOGGERS:
        logging.getLogger(name).setLevel(
            logging.NOTSET if numeric <= logging.DEBUG else max(numeric, logging.WARNING)
        )
