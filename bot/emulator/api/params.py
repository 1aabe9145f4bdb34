"""Parameters and errors of Bot API calls, shared by every method family.

Parameters may arrive typed (JSON bodies) or as strings (form bodies, where PTB JSON-encodes
non-string values); `normalize_params` decodes the well-known fields and the `Params` accessors
accept both, as Telegram does. `ApiError` carries Telegram's error code, description and
parameters.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "JSON",
    "ApiError",
    "Params",
    "UploadedFile",
    "bad_request",
    "maybe_bool",
    "maybe_int",
    "normalize_params",
]

JSON = dict[str, Any]

_INT_FIELDS = frozenset(
    {
        "chat_id",
        "from_chat_id",
        "message_id",
        "user_id",
        "offset",
        "limit",
        "timeout",
        "message_thread_id",
        "reply_to_message_id",
        "cache_time",
        "max_connections",
    }
)
_BOOL_FIELDS = frozenset(
    {
        "disable_notification",
        "protect_content",
        "allow_paid_broadcast",
        "allow_sending_without_reply",
        "disable_web_page_preview",
        "show_alert",
        "drop_pending_updates",
        "show_caption_above_media",
        "has_spoiler",
    }
)
_JSON_FIELDS = frozenset(
    {
        "reply_markup",
        "entities",
        "caption_entities",
        "reply_parameters",
        "link_preview_options",
        "allowed_updates",
        "commands",
        "scope",
        "message_ids",
    }
)


class ApiError(Exception):
    """A Bot API error answer: ``{"ok": false, "error_code", "description", "parameters"?}``."""

    def __init__(self, error_code: int, description: str, parameters: JSON | None = None) -> None:
        super().__init__(f"{error_code} {description}")
        self.error_code = error_code
        self.description = description
        self.parameters = parameters

    def to_json(self) -> JSON:
        """The JSON body Telegram would send."""
        body: JSON = {"ok": False, "error_code": self.error_code, "description": self.description}
        if self.parameters:
            body["parameters"] = dict(self.parameters)
        return body


def bad_request(message: str) -> ApiError:
    """A 400 with Telegram's "Bad Request: " prefix."""
    return ApiError(400, f"Bad Request: {message}")


@dataclass(frozen=True)
class UploadedFile:
    """A file part of a multipart request."""

    filename: str | None
    content_type: str | None
    data: bytes

    def __repr__(self) -> str:
        return f"UploadedFile({self.filename!r}, {self.content_type!r}, {len(self.data)} bytes)"


def maybe_int(value: Any) -> Any:
    """An integer for a string of digits; anything else unchanged."""
    if isinstance(value, str):
        text = value.strip()
        if re.fullmatch(r"-?[0-9]+", text):
            return int(text)
    return value


def maybe_bool(value: Any) -> Any:
    """A Boolean for "true"/"1"/"false"/"0" (any case); anything else unchanged."""
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in ("true", "1"):
            return True
        if lowered in ("false", "0"):
            return False
    return value


def _maybe_json(value: Any) -> Any:
    if isinstance(value, str) and value.strip():
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def normalize_params(raw: Mapping[str, Any]) -> JSON:
    """Decode form-style values of well-known fields (ints, booleans, JSON objects)."""
    params: JSON = {}
    for key, value in raw.items():
        if key in _INT_FIELDS:
            params[key] = maybe_int(value)
        elif key in _BOOL_FIELDS:
            params[key] = maybe_bool(value)
        elif key in _JSON_FIELDS:
            params[key] = _maybe_json(value)
        else:
            params[key] = value
    return params


class Params:
    """Typed, Telegram-tolerant access to a request's parameters (empty counts as absent)."""

    def __init__(self, values: JSON) -> None:
        self.values = values

    def raw(self, name: str) -> Any:
        """The value, or None if missing or empty."""
        value = self.values.get(name)
        if value is None or (isinstance(value, str) and value == ""):
            return None
        return value

    def has(self, name: str) -> bool:
        """Whether the parameter was sent at all (even empty)."""
        return name in self.values

    def get_str(self, name: str, *, required: bool = False) -> str | None:
        """A string parameter."""
        value = self.raw(name)
        if value is None:
            if required:
                raise bad_request(f"{name} is empty")
            return None
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int | float):
            return str(value)
        if not isinstance(value, str):
            raise bad_request(f'field "{name}" must be of type String')
        return value

    def get_int(self, name: str, *, required: bool = False) -> int | None:
        """An integer parameter."""
        value = maybe_int(self.raw(name))
        if value is None:
            if required:
                raise bad_request(f"{name} is empty")
            return None
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise bad_request(f'field "{name}" must be a valid Number')
        return value

    def get_float(self, name: str) -> float | None:
        """A number parameter."""
        value = self.raw(name)
        if value is None:
            return None
        if isinstance(value, bool):
            raise bad_request(f'field "{name}" must be a valid Number')
        try:
            return float(value)
        except (TypeError, ValueError):
            raise bad_request(f'field "{name}" must be a valid Number') from None

    def get_bool(self, name: str) -> bool:
        """A Boolean parameter (absent → False)."""
        value = maybe_bool(self.raw(name))
        if value is None:
            return False
        if isinstance(value, bool):
            return value
        if isinstance(value, int):
            return value != 0
        raise bad_request(f'field "{name}" must be of type Boolean')

    def get_json(self, name: str) -> Any:
        """A JSON-serialized parameter, decoded."""
        value = self.raw(name)
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                raise bad_request(f"can't parse {name} JSON object") from None
        return value

    def chat_id(self, name: str = "chat_id") -> int | str:
        """A chat id: an integer or "@username"."""
        value = maybe_int(self.raw(name))
        if value is None:
            raise bad_request(f"{name} is empty")
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and value.startswith("@") and len(value) > 1:
            return value
        raise bad_request("chat not found")
