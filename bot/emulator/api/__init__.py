"""The Bot API methods of the emulator, on top of `EmulatorState` and `Faults`.

`BotApi.call(method, params)` runs one method and returns its ``result`` or raises `ApiError`,
which carries Telegram's error code, description and parameters. The methods live in one
module per family; each module's docstring says where the emulator knowingly differs from
Telegram:

* `params` — parameter decoding and errors, shared by all;
* `text` — parse modes, entities and length limits of texts and captions;
* `messages` — send, copy, edit and delete; `media` — photos and captions;
* `callbacks` — inline keyboards and answerCallbackQuery;
* `chats` — chats and members; `updates` — getUpdates and the webhook;
* `settings` — getMe, commands and descriptions.
"""

from __future__ import annotations

from typing import Any

from bot.emulator.api.base import Handler, MethodFamily
from bot.emulator.api.callbacks import CallbackMethods
from bot.emulator.api.chats import ChatMethods
from bot.emulator.api.media import MediaMethods
from bot.emulator.api.messages import MessageMethods
from bot.emulator.api.params import JSON, ApiError, Params, UploadedFile, normalize_params
from bot.emulator.api.settings import SettingsMethods
from bot.emulator.api.updates import UpdateMethods
from bot.emulator.faults import Faults
from bot.emulator.state import EmulatorState

__all__ = ["ApiError", "BotApi", "Params", "UploadedFile", "normalize_params"]

_FAMILIES: tuple[type[MethodFamily], ...] = (
    SettingsMethods,
    UpdateMethods,
    MessageMethods,
    MediaMethods,
    CallbackMethods,
    ChatMethods,
)


class BotApi:
    """The emulated Bot API methods. Look methods up with `canonical_name`."""

    def __init__(self, state: EmulatorState, faults: Faults) -> None:
        self.state = state
        self.faults = faults
        self._handlers: dict[str, tuple[str, Handler]] = {}
        for family in _FAMILIES:
            for name, handler in family(state, faults).handlers().items():
                self._handlers[name.lower()] = (name, handler)

    def canonical_name(self, method: str) -> str | None:
        """The Bot API spelling of `method` (matched case-insensitively), or None if unknown."""
        entry = self._handlers.get(method.lower())
        return entry[0] if entry else None

    async def call(self, method: str, params: JSON) -> Any:
        """Run `method`; return its result or raise `ApiError`."""
        entry = self._handlers.get(method.lower())
        if entry is None:
            raise ApiError(404, "Not Found")
        scripted = self.faults.take_scripted(entry[0])
        if scripted is not None:
            raise ApiError(scripted.error_code, scripted.description, scripted.parameters)
        return await entry[1](Params(params))
