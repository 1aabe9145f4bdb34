"""Webhook mode: Telegram posts updates to our server with the secret header."""

from __future__ import annotations

import io
import json
import logging
import socket
from typing import Any

import aiohttp
import pytest

from bot.application import ALLOWED_UPDATES
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
    """/healthz says the process is alive; /metrics counts updates."""
    async with running_bot() as bot:
        reader = emulator.user(3004)
        await reader.send("/start")
        await emulator.wait_for_sent(3004, count=1, timeout=10)
        base = f"http://127.0.0.1:{bot.web.port}"
        async with aiohttp.ClientSession() as http:
            async with http.get(base + "/healthz") as response:
                assert response.status == 200
                assert (await response.json())["status"] == "alive"
            async with http.get(base + "/metrics") as response:
                text = await response.text()
        assert 'newsbot_updates_total{outcome="ok",type="message"} 1.0' in text


WEBHOOK = {"telegram": {
    "mode": "webhook", "webhook_url": "http://127.0.0.1:1/x", "webhook_secret": SECRET,
}}
HEADERS = {"X-Telegram-Bot-Api-Secret-Token": SECRET}


def make_command_update(update_id: int, chat_id: int, command: str) -> dict[str, Any]:
    """A private-chat message update carrying a bot command, as Telegram would post it."""
    return {"update_id": update_id, "message": {
        "message_id": update_id, "date": 0, "chat": {"id": chat_id, "type": "private"},
        "from": {"id": chat_id, "is_bot": False, "first_name": "Olena"}, "text": command,
        "entities": [{"type": "bot_command", "offset": 0, "length": len(command)}]}}


MALFORMED = {
    "message is a string": json.dumps({"update_id": 7, "message": "hello"}).encode(),
    "callback_query lacks fields": json.dumps(
        {"update_id": 8, "callback_query": {"id": "1"}}).encode(),
    "callback_query is a list": json.dumps({"update_id": 9, "callback_query": [1]}).encode(),
    "message without a date": json.dumps(
        {"update_id": 10, "message": {"message_id": 1}}).encode(),
    "body is a list": b"[1, 2]",
    "body is a string": b'"update"',
    "update_id missing": json.dumps({"message": {"message_id": 1}}).encode(),
    "update_id is a string": json.dumps({"update_id": "7"}).encode(),
    "update_id is a boolean": json.dumps({"update_id": True}).encode(),
    "nested 100,000 levels": b"[" * 100_000 + b"]" * 100_000,
    "nested inside an update": b'{"update_id": 11, "x": ' + b"[" * 100_000 + b"]" * 100_000
    + b"}",
    "not UTF-8": b'{"update_id": 12, "\xff": 1}',
}


@pytest.mark.parametrize("body", MALFORMED.values(), ids=MALFORMED.keys())
async def test_webhook_refuses_unreadable_updates(
    emulator: BotAPIEmulator, running_bot: Any, body: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    """An update the bot cannot read gets 400 and one WARNING line: no traceback, nothing
    queued or handled."""
    async with running_bot(extra=WEBHOOK) as bot:
        url = f"http://127.0.0.1:{bot.web.port}/telegram/webhook"
        caplog.clear()
        with caplog.at_level(logging.INFO):
            async with aiohttp.ClientSession() as http, http.post(
                    url, data=body, headers=HEADERS) as response:
                assert response.status == 400
        assert bot.application.update_queue.qsize() == 0
        refusals = [r for r in caplog.records if r.name == "bot.webserver"]
        assert [r.levelno for r in refusals] == [logging.WARNING]
        assert all(r.exc_info is None and r.levelno < logging.ERROR for r in caplog.records)
        assert "Traceback" not in caplog.text
    assert 'newsbot_updates_total{outcome="ok",type="message"}' not in _metrics_text(bot)


def _metrics_text(bot: Any) -> str:
    from prometheus_client import generate_latest

    return generate_latest(bot.metrics.registry).decode()


async def test_webhook_refuses_huge_bodies(emulator: BotAPIEmulator, running_bot: Any) -> None:
    """A body over the 2 MiB limit is refused with 413 before it is parsed."""
    async with running_bot(extra=WEBHOOK) as bot:
        url = f"http://127.0.0.1:{bot.web.port}/telegram/webhook"
        body = b'{"update_id": 1, "x": "' + b"a" * (3 * 1024 * 1024) + b'"}'
        async with aiohttp.ClientSession() as http, http.post(
                url, data=io.BytesIO(body), headers=HEADERS) as response:
            assert response.status == 413


async def test_webhook_handles_a_repeated_update_once(
    emulator: BotAPIEmulator, running_bot: Any
) -> None:
    """Telegram redelivering an update_id gets 200, and the bot answers it only once."""
    emulator.user(3005, first_name="Olena")
    async with running_bot(extra=WEBHOOK) as bot:
        url = f"http://127.0.0.1:{bot.web.port}/telegram/webhook"
        async with aiohttp.ClientSession() as http:
            for update in (make_command_update(42, 3005, "/start"),
                           make_command_update(42, 3005, "/start"),
                           make_command_update(43, 3005, "/help")):
                async with http.post(url, json=update, headers=HEADERS) as response:
                    assert response.status == 200
        first, second = await emulator.wait_for_sent(3005, count=2, timeout=10)
        assert "Olena" in first["text"]
        assert "Olena" not in second["text"]
        assert len(emulator.sent(3005)) == 2


async def test_webhook_registration_can_drop_pending_updates(
    emulator: BotAPIEmulator, running_bot: Any
) -> None:
    """telegram.drop_pending_updates is passed to setWebhook."""
    extra = {"telegram": {**WEBHOOK["telegram"], "drop_pending_updates": True}}
    async with running_bot(extra=extra):
        [call] = [r for r in emulator.requests if r.method.lower() == "setwebhook"]
        assert str(call.params["drop_pending_updates"]).lower() == "true"
        assert list(call.params["allowed_updates"]) == ALLOWED_UPDATES
