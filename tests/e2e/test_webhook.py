"""Webhook mode: Telegram posts updates to our server with the secret header."""

from __future__ import annotations

import socket
from typing import Any

import aiohttp

from bot.emulator import BotAPIEmulator

SECRET = "s3cret-webhook-token"


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def test_webhook_mode_receives_updates(emulator: BotAPIEmulator, running_bot: Any) -> None:
    """With mode=webhook the bot registers its URL and answers updates posted to it."""
    port = free_port()
    async with running_bot(extra={
        "telegram": {
            "mode": "webhook",
            "webhook_url": f"http://127.0.0.1:{port}/telegram/webhook",
            "webhook_secret": SECRET,
        },
        "server": {"port": port},
    }):
        calls = [r for r in emulator.requests if r.method.lower() == "setwebhook"]
        assert calls
        assert calls[-1].params["secret_token"] == SECRET
        reader = emulator.user(3003, first_name="Mariia")
        await reader.send("/start")
        [reply] = await emulator.wait_for_sent(3003, count=1, timeout=10)
        assert "Mariia" in reply["text"]


async def test_webhook_rejects_wrong_secret(emulator: BotAPIEmulator, running_bot: Any) -> None:
    """A POST without the right secret header is refused with 403 and changes nothing."""
    async with running_bot(extra={"telegram": {
        "mode": "webhook", "webhook_url": "http://127.0.0.1:1/x", "webhook_secret": SECRET,
    }}) as bot:
        url = f"http://127.0.0.1:{bot.web.port}/telegram/webhook"
        update = {"update_id": 1, "message": {
            "message_id": 1, "date": 0, "chat": {"id": 5, "type": "private"},
            "from": {"id": 5, "is_bot": False, "first_name": "Eve"}, "text": "/start",
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}]}}
        async with aiohttp.ClientSession() as http:
            for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}):
                async with http.post(url, json=update, headers=headers) as response:
                    assert response.status == 403
            async with http.post(url, data=b"not json", headers={
                    "X-Telegram-Bot-Api-Secret-Token": SECRET}) as response:
                assert response.status == 400
        assert emulator.sent(5) == []


async def test_health_and_metrics(emulator: BotAPIEmulator, running_bot: Any) -> None:
    """/healthz reports the database; /metrics counts updates."""
    async with running_bot() as bot:
        reader = emulator.user(3004)
        await reader.send("/start")
        await emulator.wait_for_sent(3004, count=1, timeout=10)
        base = f"http://127.0.0.1:{bot.web.port}"
        async with aiohttp.ClientSession() as http:
            async with http.get(base + "/healthz") as response:
                assert response.status == 200
                assert (await response.json())["database"] == "ok"
            async with http.get(base + "/metrics") as response:
                text = await response.text()
        assert 'newsbot_updates_total{outcome="ok",type="message"} 1.0' in text
