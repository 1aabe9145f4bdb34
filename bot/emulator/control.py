"""The control API of the standalone runner (``python -m bot.emulator``), under ``/_emulator/``:
play the users over HTTP. See `bot.emulator.__main__` for the routes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.emulator.client import UserHandle

if TYPE_CHECKING:
    from bot.emulator.server import BotAPIEmulator

__all__ = ["add_control_routes"]

JSON = dict[str, Any]


def add_control_routes(router: web.UrlDispatcher, emulator: BotAPIEmulator) -> None:
    """Serve the control API of `emulator` on `router`."""
    control = _ControlApi(emulator)
    router.add_post("/_emulator/users/{user_id}/send", control.send)
    router.add_post("/_emulator/users/{user_id}/press", control.press)
    router.add_get("/_emulator/chats/{chat_id}/sent", control.sent)


class _ControlApi:
    def __init__(self, emulator: BotAPIEmulator) -> None:
        self.emulator = emulator

    def _existing_user(self, user_id: int) -> UserHandle:
        state = self.emulator.state
        return UserHandle(state, self.emulator.faults, state.users[user_id])

    async def send(self, request: web.Request) -> web.StreamResponse:
        body = await _json_object(request)
        user_id = int(request.match_info["user_id"])
        if user_id in self.emulator.state.users and "first_name" not in body:
            user = self._existing_user(user_id)
        else:
            user = self.emulator.user(
                user_id,
                str(body.get("first_name", "Reader")),
                body.get("username"),
                str(body.get("language_code", "en")),
            )
        try:
            message = await user.send(str(body.get("text", "")), chat_id=body.get("chat_id"))
        except ValueError as exc:
            raise web.HTTPBadRequest(text=str(exc)) from None
        return web.json_response(message)

    async def press(self, request: web.Request) -> web.StreamResponse:
        body = await _json_object(request)
        user_id = int(request.match_info["user_id"])
        if user_id not in self.emulator.state.users:
            raise web.HTTPNotFound(text=f"no user {user_id}")
        user = self._existing_user(user_id)
        chat_id = int(body.get("chat_id", user_id))
        message = {"chat": {"id": chat_id}, "message_id": int(body["message_id"])}
        try:
            query = await user.press(message, str(body["callback_data"]))
        except (ValueError, KeyError) as exc:
            raise web.HTTPBadRequest(text=str(exc)) from None
        return web.json_response(query)

    async def sent(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(self.emulator.sent(int(request.match_info["chat_id"])))


async def _json_object(request: web.Request) -> JSON:
    try:
        body = await request.json()
    except ValueError:
        raise web.HTTPBadRequest(text="expected a JSON object") from None
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text="expected a JSON object")
    return body
