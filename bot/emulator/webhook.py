"""Webhook delivery: after setWebhook, POST each pending update to the bot's URL.

Updates go oldest first, one at a time, with ``X-Telegram-Bot-Api-Secret-Token`` when a secret
was set. A non-2xx answer or a connection error is retried with backoff (0.1 s, 0.2 s, 0.4 s …
capped at 2 s); after ``max_attempts`` failures the update is dropped and recorded in
`WebhookSender.dropped`. Unlike Telegram, plain ``http://`` URLs are accepted, and a method call
in the webhook's answer is ignored.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

from bot.emulator.state import EmulatorState, now

__all__ = ["SECRET_TOKEN_HEADER", "WebhookSender"]

JSON = dict[str, Any]

SECRET_TOKEN_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name


class WebhookSender:
    """A background task that delivers the state's pending updates to its webhook."""

    def __init__(
        self,
        state: EmulatorState,
        sleep: Callable[[float], Awaitable[None]],
        *,
        max_attempts: int,
        timeout: float,
    ) -> None:
        self.state = state
        self.delivered: list[JSON] = []
        self.dropped: list[JSON] = []
        self._sleep = sleep
        self._max_attempts = max(1, max_attempts)
        self._timeout = timeout
        self._session: aiohttp.ClientSession | None = None
        self._worker: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start delivering in the background."""
        self._session = aiohttp.ClientSession()
        self._worker = asyncio.create_task(self._run(), name="emulator-webhook")

    async def stop(self) -> None:
        """Stop delivering and close the HTTP session."""
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
            self._worker = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _run(self) -> None:
        attempts = 0
        while not self.state.stopping:
            hook = self.state.webhook
            if hook is None or not self.state.updates:
                await self.state.updates_signal.wait(1.0)
                continue
            update = self.state.updates[0]
            error = await self._post_update(hook.url, hook.secret_token, update)
            if self.state.webhook is not hook:
                attempts = 0
                continue
            if error is None:
                attempts = 0
                self._forget(update)
                self.delivered.append(update)
                continue
            hook.last_error_date = now()
            hook.last_error_message = error
            attempts += 1
            if attempts >= self._max_attempts:
                attempts = 0
                self._forget(update)
                self.dropped.append(update)
                continue
            await self._sleep(min(2.0, 0.1 * 2 ** (attempts - 1)))

    def _forget(self, update: JSON) -> None:
        if self.state.updates and self.state.updates[0] is update:
            self.state.updates.pop(0)

    async def _post_update(self, url: str, secret: str | None, update: JSON) -> str | None:
        """POST one update; return None on success or Telegram-style error text."""
        assert self._session is not None
        headers = {"Content-Type": "application/json"}
        if secret:
            headers[SECRET_TOKEN_HEADER] = secret
        try:
            async with self._session.post(
                url,
                data=json.dumps(update),
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=self._timeout),
            ) as response:
                await response.read()
                if 200 <= response.status < 300:
                    return None
                return f"Wrong response from the webhook: {response.status} {response.reason}"
        except TimeoutError:
            return "Read timeout expired"
        except aiohttp.ClientError as exc:
            return f"Connection failed: {exc}"
