"""An aiohttp-based transport for python-telegram-bot.

PTB's default HTTPX transport managed 240–500 sendMessage/s against a local server here,
where an aiohttp client reaches several times that, so the bot speaks to the Bot API through
this :class:`~telegram.request.BaseRequest` for both API calls and ``getUpdates``.
"""

from __future__ import annotations

import time
from typing import Any

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

from bot.log import mask_secrets


class ApiActivity:
    """When the Bot API last answered a call successfully (a 2xx), on the monotonic clock.

    One instance is shared by the API and the getUpdates transports, for readiness."""

    def __init__(self) -> None:
        self.last_success: float | None = None

    def record_success(self) -> None:
        """Note a successful call now."""
        self.last_success = time.monotonic()


class AiohttpRequest(BaseRequest):
    """PTB request class over one shared :class:`aiohttp.ClientSession`.

    ``pool_size`` caps simultaneous connections; timeouts are defaults that PTB's per-call
    values override. The session is created in :meth:`initialize` (inside the running loop)
    and closed in :meth:`shutdown`.
    """

    def __init__(
        self,
        *,
        pool_size: int = 64,
        connect_timeout: float | None = 5.0,
        read_timeout: float | None = 10.0,
        write_timeout: float | None = 10.0,
        pool_timeout: float | None = 5.0,
        media_write_timeout: float | None = 20.0,
        activity: ApiActivity | None = None,
    ) -> None:
        self._pool_size = pool_size
        self._connect_timeout = connect_timeout
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._pool_timeout = pool_timeout
        self._media_write_timeout = media_write_timeout
        self._session: aiohttp.ClientSession | None = None
        self._activity = activity

    @property
    def read_timeout(self) -> float | None:
        """The default read timeout, as PTB asks for it when long-polling."""
        return self._read_timeout

    async def initialize(self) -> None:
        """Open the connection pool (idempotent)."""
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._pool_size, limit_per_host=self._pool_size)
            self._session = aiohttp.ClientSession(
                connector=connector,
                headers={"User-Agent": self.USER_AGENT},
                raise_for_status=False,
            )

    async def shutdown(self) -> None:
        """Close the connection pool (idempotent)."""
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    @staticmethod
    def _pick(value: Any, default: float | None) -> float | None:
        if isinstance(value, DefaultValue):
            return default
        return None if value is None else float(value)

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Send one request and return ``(status, body)``; map failures to PTB's errors."""
        if self._session is None or self._session.closed:
            raise RuntimeError("AiohttpRequest is not initialized")
        has_files = bool(request_data and request_data.contains_files)
        read = self._pick(read_timeout, self._read_timeout)
        write = self._pick(
            write_timeout, self._media_write_timeout if has_files else self._write_timeout
        )
        connect = self._pick(connect_timeout, self._connect_timeout)
        pool = self._pick(pool_timeout, self._pool_timeout)
        # aiohttp has no separate write timeout; the socket read timeout covers a stalled
        # server, the total bounds the whole exchange.
        total = None if read is None else read + (write or 0.0) + (connect or 0.0) + (pool or 0.0)
        timeout = aiohttp.ClientTimeout(total=total, connect=pool, sock_connect=connect,
                                        sock_read=read)
        body: aiohttp.FormData | bytes | None = None
        headers: dict[str, str] | None = None
        if request_data is not None:
            if has_files:
                form = aiohttp.FormData()
                for name, value in request_data.json_parameters.items():
                    form.add_field(name, value)
                for name, part in (request_data.multipart_data or {}).items():
                    if isinstance(part, tuple):
                        filename, content, mimetype = (*tuple(part), None, None)[:3]
                        form.add_field(
                            name, content,
                            filename=filename if isinstance(filename, str) else None,
                            content_type=mimetype if isinstance(mimetype, str) else None,
                        )
                    else:
                        form.add_field(name, part)
                body = form
            else:
                # One JSON body (Telegram takes application/json): encoding it is a fraction of
                # the cost of form-urlencoding every character of a message's text.
                body = request_data.json_payload
                headers = _JSON_HEADERS
        return await self._exchange(method, url, body, headers, timeout)

    async def post_json(self, url: str, payload: bytes) -> tuple[int, bytes]:
        """POST an already JSON-encoded body with the default timeouts (the outbox's hot
        path, which has no use for PTB's request objects); errors as in ``do_request``."""
        if self._session is None or self._session.closed:
            raise RuntimeError("AiohttpRequest is not initialized")
        read, write = self._read_timeout, self._write_timeout
        connect, pool = self._connect_timeout, self._pool_timeout
        total = None if read is None else read + (write or 0.0) + (connect or 0.0) + (pool or 0.0)
        timeout = aiohttp.ClientTimeout(total=total, connect=pool, sock_connect=connect,
                                        sock_read=read)
        return await self._exchange("POST", url, payload, _JSON_HEADERS, timeout)

    async def _exchange(
        self, method: str, url: str, body: aiohttp.FormData | bytes | None,
        headers: dict[str, str] | None, timeout: aiohttp.ClientTimeout,
    ) -> tuple[int, bytes]:
        assert self._session is not None
        try:
            async with self._session.request(method, url, data=body, headers=headers,
                                             timeout=timeout) as response:
                payload = await response.read()
        except TimeoutError as exc:
            raise TimedOut(f"Timed out talking to the Bot API ({_describe(exc)})") from None
        except aiohttp.ClientError as exc:
            raise NetworkError(
                f"aiohttp.{exc.__class__.__name__}: {mask_secrets(str(exc))}"
            ) from None
        if self._activity is not None and 200 <= response.status < 300:
            self._activity.record_success()
        return response.status, payload


_JSON_HEADERS = {"Content-Type": "application/json"}


def _describe(exc: BaseException) -> str:
    return mask_secrets(str(exc)) or exc.__class__.__name__
