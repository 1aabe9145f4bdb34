"""The bot's own settings: getMe, the command lists and the descriptions."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

from bot.emulator.api.base import MethodFamily
from bot.emulator.api.params import JSON, Params, bad_request

__all__ = ["SettingsMethods"]

_COMMAND = re.compile(r"^[a-z0-9_]{1,32}$")

# The two bot texts: Bot API field → key prefix in `EmulatorState.bot_texts`.
_TEXT_PREFIX = {"description": "description", "short_description": "short"}


class SettingsMethods(MethodFamily):
    """Who the bot is and what it says about itself."""

    METHODS = (
        "getMe",
        "setMyCommands",
        "getMyCommands",
        "deleteMyCommands",
        "setMyDescription",
        "getMyDescription",
        "setMyShortDescription",
        "getMyShortDescription",
    )

    async def get_me(self, p: Params) -> Any:
        me = copy.deepcopy(self.state.bot_user)
        me.update(
            can_join_groups=True,
            can_read_all_group_messages=False,
            supports_inline_queries=False,
            can_connect_to_business=False,
            has_main_web_app=False,
        )
        return me

    # -- commands ----------------------------------------------------------------------------

    @staticmethod
    def _commands_key(p: Params) -> tuple[str, str]:
        scope = p.get_json("scope")
        if scope is None:
            scope = {"type": "default"}
        if not isinstance(scope, dict) or "type" not in scope:
            raise bad_request("can't parse BotCommandScope JSON object")
        return json.dumps(scope, sort_keys=True), p.get_str("language_code") or ""

    async def set_my_commands(self, p: Params) -> Any:
        commands = p.get_json("commands")
        if not isinstance(commands, list):
            raise bad_request("can't parse commands JSON object")
        if len(commands) > 100:
            raise bad_request("too many commands")
        clean: list[JSON] = []
        for command in commands:
            if not isinstance(command, dict):
                raise bad_request("can't parse BotCommand JSON object")
            name, description = command.get("command"), command.get("description")
            if not isinstance(name, str) or not _COMMAND.match(name):
                raise bad_request("BOT_COMMAND_INVALID")
            if not isinstance(description, str) or not 1 <= len(description) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
            clean.append({"command": name, "description": description})
        self.state.commands[self._commands_key(p)] = clean
        return True

    async def get_my_commands(self, p: Params) -> Any:
        return copy.deepcopy(self.state.commands.get(self._commands_key(p), []))

    async def delete_my_commands(self, p: Params) -> Any:
        self.state.commands.pop(self._commands_key(p), None)
        return True

    # -- descriptions ------------------------------------------------------------------------

    def _set_text(self, field: str, p: Params) -> bool:
        """Store the description or short description for the call's language."""
        text = p.get_str(field) or ""
        self.state.bot_texts[f"{_TEXT_PREFIX[field]}:{p.get_str('language_code') or ''}"] = text
        return True

    def _get_text(self, field: str, p: Params) -> JSON:
        """``{field: text}`` for the call's language (empty if never set)."""
        key = f"{_TEXT_PREFIX[field]}:{p.get_str('language_code') or ''}"
        return {field: self.state.bot_texts.get(key, "")}

    async def set_my_description(self, p: Params) -> Any:
        return self._set_text("description", p)

    async def get_my_description(self, p: Params) -> Any:
        return self._get_text("description", p)

    async def set_my_short_description(self, p: Params) -> Any:
        return self._set_text("short_description", p)

    async def get_my_short_description(self, p: Params) -> Any:
        return self._get_text("short_description", p)
