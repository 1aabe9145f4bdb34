"""The bot's own HTTP server: liveness, readiness, Prometheus metrics and (webhook mode)
Telegram updates."""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

log = logging.getLogger(__name__)

# Takes a decoded update; returns False for an update id already taken in (ignored), raises
# UnreadableUpdate for one the bot cannot read.
UpdateSink = Callable[[dict[str, Any]], Awaitable[bool]]
# Returns (ready, JSON body).
ReadinessProbe = Callable[[], Awaitable[tuple[bool, dict[str, Any]]]]
# Counts a click on a tracked link's token; returns the URL to redirect to, None if unknown.
ClickSink = Callable[[str], Awaitable[str | None]]

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name
MAX_REASON = 200  # characters of a refused update's reason in the log line


class UnreadableUpdate(Exception):
    """A well-formed request whose update python-telegram-bot cannot read."""


class BotWebServer:
    """An aiohttp server started and stopped with the bot."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        registry: CollectorRegistry,
        readiness: ReadinessProbe,
        webhook_path: str | None = None,
        webhook_secret: str | None = None,
        update_sink: UpdateSink | None = None,
        click_sink: ClickSink | None = None,
    ) -> None:
        self._host = host
        self._port = port
        self._registry = registry
        self._readiness = readiness
        self._webhook_secret = webhook_secret
        self._update_sink = update_sink
        self._click_sink = click_sink
        self._runner: web.AppRunner | None = None
        self.port: int | None = None
        # Larger bodies are refused with 413 before they are read.
        self.app = web.Application(client_max_size=2 * 1024 * 1024)
        self.app.router.add_get("/healthz", self._health)
        self.app.router.add_get("/readyz", self._ready)
        self.app.router.add_get("/metrics", self._metrics)
        if webhook_path and update_sink is not None:
            self.app.router.add_post(webhook_path, self._webhook)
        if click_sink is not None:  # click tracking (server.public_url); GET only: a HEAD
            # from a link checker is not a reader's click
            self.app.router.add_get("/r/{token}", self._click, allow_head=False)

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
        return web.json_response({"status": "alive"})

    async def _ready(self, _request: web.Request) -> web.Response:
        ready, body = await self._readiness()
        return web.json_response(body, status=200 if ready else 503)

    async def _metrics(self, _request: web.Request) -> web.Response:
        body = generate_latest(self._registry)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def _click(self, request: web.Request) -> web.Response:
        assert self._click_sink is not None
        try:
            url = await self._click_sink(request.match_info["token"])
        except Exception as exc:  # the database is away: the reader is not sent nowhere
            log.error("click not counted: %s", f"{exc.__class__.__name__}: {exc}"[:MAX_REASON])
            return web.Response(status=503, text="try again later")
        if url is None:
            return web.Response(status=404, text="no such link")
        return web.Response(status=302, headers={
            "Location": url, "Cache-Control": "no-store", "Referrer-Policy": "no-referrer"})

    async def _webhook(self, request: web.Request) -> web.Response:
        if self._webhook_secret is not None:
            given = request.headers.get(SECRET_HEADER, "")
            # Constant time; "replace" so an undecodable header is just a wrong secret.
            if not hmac.compare_digest(
                given.encode("utf-8", "replace"), self._webhook_secret.encode()
            ):
                log.warning("webhook request with a wrong or missing secret token rejected")
                return web.Response(status=403, text="forbidden")
        body = await request.read()  # over client_max_size: HTTPRequestEntityTooLarge (413)
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            return _refuse("body is not JSON")
        except RecursionError:  # nested deeper than the parser's recursion limit
            return _refuse("body is nested too deeply")
        if not isinstance(data, dict):
            return _refuse(f"body is a JSON {type(data).__name__}, not an object")
        update_id = data.get("update_id")
        if not isinstance(update_id, int) or isinstance(update_id, bool):
            return _refuse("update_id is missing or not an integer")
        assert self._update_sink is not None
        try:
            taken = await self._update_sink(data)
        except UnreadableUpdate as exc:
            return _refuse(f"update {update_id}: {exc}")
        except Exception as exc:  # e.g. the database is down: Telegram retries on non-2xx
            log.error("webhook update %s not taken in: %s", update_id,
                      f"{exc.__class__.__name__}: {exc}"[:MAX_REASON])
            return web.Response(status=503, text="try again later")
        if not taken:
            log.info("webhook update %s already taken in; ignored", update_id)
        return web.Response(status=200, text="ok")


def _refuse(reason: str) -> web.Response:
    log.warning("webhook update refused: %s", ascii(reason[:MAX_REASON]))
    return web.Response(status=400, text="not a Telegram update")
