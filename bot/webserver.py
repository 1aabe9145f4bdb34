"""The bot's own HTTP server: health, Prometheus metrics and (webhook mode) Telegram updates."""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

log = logging.getLogger(__name__)

UpdateSink = Callable[[dict[str, Any]], Awaitable[None]]
HealthCheck = Callable[[], Awaitable[dict[str, Any]]]

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name


class BotWebServer:
    """An aiohttp server started and stopped with the bot."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        registry: CollectorRegistry,
        health_check: HealthCheck,
        webhook_path: str | None = None,
        webhook_secret: str | None = None,
        update_sink: UpdateSink | None = None,
    ) -> None:
        self._host = host
        self._port = port
        self._registry = registry
        self._health_check = health_check
        self._webhook_secret = webhook_secret
        self._update_sink = update_sink
        self._runner: web.AppRunner | None = None
        self.port: int | None = None
        self.app = web.Application(client_max_size=2 * 1024 * 1024)
        self.app.router.add_get("/healthz", self._health)
        self.app.router.add_get("/metrics", self._metrics)
        if webhook_path and update_sink is not None:
            self.app.router.add_post(webhook_path, self._webhook)

    async def start(self) -> None:
        """Bind and serve."""
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, self._port)
        await site.start()
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        self.port = sockets[0].getsockname()[1] if sockets else self._port
        log.info("HTTP server listening on %s:%s", self._host, self.port)

    async def stop(self) -> None:
        """Stop serving (idempotent)."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _health(self, _request: web.Request) -> web.Response:
        report = await self._health_check()
        status = 200 if report.get("status") == "ok" else 503
        return web.json_response(report, status=status)

    async def _metrics(self, _request: web.Request) -> web.Response:
        body = generate_latest(self._registry)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def _webhook(self, request: web.Request) -> web.Response:
        if self._webhook_secret is not None:
            given = request.headers.get(SECRET_HEADER, "")
            if not hmac.compare_digest(given.encode(), self._webhook_secret.encode()):
                log.warning("webhook request with a wrong or missing secret token rejected")
                return web.Response(status=403, text="forbidden")
        try:
            data = await request.json(loads=json.loads)
        except (ValueError, UnicodeDecodeError):
            return web.Response(status=400, text="body is not JSON")
        if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
            return web.Response(status=400, text="not a Telegram update")
        assert self._update_sink is not None
        await self._update_sink(data)
        return web.Response(status=200, text="ok")
