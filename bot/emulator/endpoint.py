"""The Bot API endpoint, ``/bot{token}/{method}``: read the call's parameters, apply the
transport faults, run the method, answer and record the call.

Parameters come from the query string and a JSON, form or multipart body (GET or POST); method
names are matched case-insensitively. Every accepted token authenticates the same bot.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from bot.emulator.api import ApiError, BotApi, UploadedFile, normalize_params
from bot.emulator.faults import Faults

__all__ = ["BotEndpoint", "RecordedRequest"]

JSON = dict[str, Any]


@dataclass(frozen=True)
class RecordedRequest:
    """One Bot API call as the emulator saw it.

    `params` are decoded (ints, booleans and JSON fields parsed; uploads as `UploadedFile`);
    `response` is the JSON body that was (or, if not `delivered`, would have been) sent; it is
    empty for a connection dropped before processing.
    """

    method: str
    params: JSON
    response: JSON
    delivered: bool = True

    @property
    def ok(self) -> bool:
        """Whether Telegram would have said ``"ok": true``."""
        return bool(self.response.get("ok"))

    @property
    def result(self) -> Any:
        """The ``result`` of a successful call (None otherwise)."""
        return self.response.get("result")

    @property
    def error_code(self) -> int | None:
        """The ``error_code`` of a failed call."""
        code = self.response.get("error_code")
        return int(code) if code is not None else None

    @property
    def description(self) -> str | None:
        """The ``description`` of a failed call."""
        text = self.response.get("description")
        return str(text) if text is not None else None


class BotEndpoint:
    """The aiohttp handlers of the Bot API routes."""

    def __init__(
        self,
        tokens: list[str],
        api: BotApi,
        faults: Faults,
        *,
        record: Callable[[RecordedRequest], None],
        sleep: Callable[[float], Awaitable[None]],
    ) -> None:
        self._tokens = tokens
        self._api = api
        self._faults = faults
        self._record = record
        self._sleep = sleep

    async def handle_unknown(self, request: web.Request) -> web.StreamResponse:
        """Any other path: 404, as Telegram answers."""
        return web.json_response(ApiError(404, "Not Found").to_json(), status=404)

    async def handle_bot(self, request: web.Request) -> web.StreamResponse:
        """One Bot API call."""
        token = request.match_info["token"]
        method = request.match_info["method"]
        if token not in self._tokens:
            return self._answer(method, {}, ApiError(401, "Unauthorized").to_json())
        try:
            params = await _read_params(request)
        except ApiError as exc:
            return self._answer(method, {}, exc.to_json())
        canonical = self._api.canonical_name(method)
        if canonical is None:
            return self._answer(method, params, ApiError(404, "Not Found").to_json())
        decision = self._faults.decide(canonical)
        if decision.delay:
            await self._sleep(decision.delay)
        if decision.drop and not decision.drop_after_processing:
            return self._drop(request, canonical, params, {})
        if decision.server_error is not None:
            phrase = "Internal Server Error" if decision.server_error == 500 else "Bad Gateway"
            error = ApiError(decision.server_error, phrase)
            return self._answer(canonical, params, error.to_json())
        try:
            body: JSON = {"ok": True, "result": await self._api.call(canonical, params)}
        except ApiError as exc:
            body = exc.to_json()
        if decision.drop:
            return self._drop(request, canonical, params, body)
        return self._answer(canonical, params, body)

    def _answer(self, method: str, params: JSON, body: JSON) -> web.Response:
        self._record(RecordedRequest(method, params, body))
        status = 200 if body.get("ok") else int(body.get("error_code", 500))
        return web.json_response(body, status=status)

    def _drop(self, request: web.Request, method: str, params: JSON, body: JSON) -> web.Response:
        self._record(RecordedRequest(method, params, body, delivered=False))
        if request.transport is not None:
            request.transport.close()
        return web.Response(status=500)


async def _read_params(request: web.Request) -> JSON:
    raw: JSON = dict(request.query)
    if request.can_read_body:
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError:
                raise ApiError(400, "Bad Request: can't parse JSON body") from None
            if not isinstance(body, dict):
                raise ApiError(400, "Bad Request: request body must be a JSON object")
            raw.update(body)
        elif request.content_type in (
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        ):
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    raw[key] = UploadedFile(value.filename, value.content_type, value.file.read())
                else:
                    raw[key] = value
    return normalize_params(raw)
