"""Outgoing message types: what a renderer hands to the sender (bot.telegram_io)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["Button", "OutgoingMessage"]


@dataclass(frozen=True, slots=True)
class Button:
    """An inline keyboard button: a link (`url`) or a callback (`callback_data`)."""

    text: str
    url: str | None = None
    callback_data: str | None = None

    def __post_init__(self) -> None:
        if (self.url is None) == (self.callback_data is None):
            raise ValueError("a button needs exactly one of url and callback_data")
        if self.callback_data is not None and not 1 <= len(self.callback_data.encode()) <= 64:
            raise ValueError("callback_data must be 1-64 bytes")

    def to_dict(self) -> dict[str, str]:
        """The Bot API ``InlineKeyboardButton`` object."""
        if self.url is not None:
            return {"text": self.text, "url": self.url}
        return {"text": self.text, "callback_data": self.callback_data or ""}


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """A message ready to send: the Bot API method and its rendered parameters. `fallback`
    is what to send instead when Telegram refuses this one (e.g. an unreachable photo)."""

    method: Literal["sendMessage", "sendPhoto"]
    text: str | None = None
    caption: str | None = None
    photo: str | None = None
    parse_mode: str = "HTML"
    buttons: tuple[tuple[Button, ...], ...] = ()
    fallback: OutgoingMessage | None = None
    disable_preview: bool = False

    def __post_init__(self) -> None:
        if self.method == "sendMessage" and not self.text:
            raise ValueError("sendMessage needs text")
        if self.method == "sendPhoto" and not self.photo:
            raise ValueError("sendPhoto needs a photo")

    def api_params(self) -> dict[str, Any]:
        """Bot API parameters for `method`, without ``chat_id``."""
        params: dict[str, Any] = {}
        if self.method == "sendPhoto":
            params["photo"] = self.photo
            if self.caption:
                params["caption"] = self.caption
        else:
            params["text"] = self.text
            if self.disable_preview:
                params["link_preview_options"] = {"is_disabled": True}
        if self.parse_mode and (self.text if self.method == "sendMessage" else self.caption):
            params["parse_mode"] = self.parse_mode
        if self.buttons:
            params["reply_markup"] = {
                "inline_keyboard": [[button.to_dict() for button in row] for row in self.buttons]
            }
        return params

    def preview_dict(self) -> dict[str, Any]:
        """A compact view for logs and admin previews: method, text or caption, parse mode."""
        preview: dict[str, Any] = {"method": self.method}
        if self.method == "sendPhoto":
            preview["caption"] = self.caption or ""
            preview["photo"] = self.photo
        else:
            preview["text"] = self.text
        preview["parse_mode"] = self.parse_mode
        return preview
