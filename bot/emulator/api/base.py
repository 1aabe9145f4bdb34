"""`MethodFamily`: what every group of Bot API methods shares — the emulator's state and
faults, the method registry, and the chat and flood checks that Telegram applies first."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar

from bot.emulator.api.params import ApiError, Params, bad_request
from bot.emulator.faults import Faults
from bot.emulator.state import ChatState, EmulatorState

__all__ = ["Handler", "MethodFamily"]

Handler = Callable[[Params], Awaitable[Any]]


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()


class MethodFamily:
    """A group of Bot API methods; each name in `METHODS` is served by its snake_case method."""

    METHODS: ClassVar[tuple[str, ...]] = ()

    def __init__(self, state: EmulatorState, faults: Faults) -> None:
        self.state = state
        self.faults = faults

    def handlers(self) -> dict[str, Handler]:
        """The Bot API spelling of each method this family serves → its handler."""
        return {name: getattr(self, _snake(name)) for name in self.METHODS}

    def chat(self, chat_id: int | str, *, writing: bool) -> ChatState:
        """Resolve a chat and apply migration, block and membership faults; for `writing`, a
        channel also needs the bot to be an administrator allowed to post."""
        chat = self.state.resolve_chat(chat_id, self.faults.migrations)
        if chat is None:
            raise bad_request("chat not found")
        new_id = self.faults.migrations.get(chat.id)
        if new_id is not None:
            self.faults.stats.migrated += 1
            raise ApiError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": new_id},
            )
        if writing and chat.id in self.faults.blocked:
            self.faults.stats.forbidden += 1
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if not chat.bot_is_member:
            if chat.bot_status == "kicked":
                raise ApiError(403, f"Forbidden: bot was kicked from the {chat.type} chat")
            raise ApiError(403, f"Forbidden: bot is not a member of the {chat.type} chat")
        if writing and not chat.bot_can_post:
            raise bad_request("need administrator rights in the channel chat")
        return chat

    def rate(self, chat: ChatState, p: Params) -> None:
        """Refuse with 429 when the flood limits leave no room for one more send to `chat`."""
        retry_after = self.faults.check_rate(chat.id, paid=p.get_bool("allow_paid_broadcast"))
        if retry_after is not None:
            raise ApiError(
                429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
            )
