"""A Telegram Bot API emulator for tests and demos: an aiohttp server speaking the real Bot API
over HTTP, as strict as Telegram, with users, chats and fault injection.

Self-contained: it imports only the standard library and aiohttp, never the rest of newsbot.
"""

from bot.emulator.api import ApiError, UploadedFile
from bot.emulator.client import ChatHandle, UserHandle
from bot.emulator.faults import Faults, FaultStats
from bot.emulator.html import EntityParseError, ParsedText, parse_html, parsed_length, utf16_len
from bot.emulator.records import CallbackAnswer, SentMessage
from bot.emulator.server import SECRET_TOKEN_HEADER, BotAPIEmulator, RecordedRequest

__all__ = [
    "SECRET_TOKEN_HEADER",
    "ApiError",
    "BotAPIEmulator",
    "CallbackAnswer",
    "ChatHandle",
    "EntityParseError",
    "FaultStats",
    "Faults",
    "ParsedText",
    "RecordedRequest",
    "SentMessage",
    "UploadedFile",
    "UserHandle",
    "parse_html",
    "parsed_length",
    "utf16_len",
]
