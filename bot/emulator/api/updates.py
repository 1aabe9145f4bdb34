"""How updates reach the bot: getUpdates (long polling) and setWebhook, deleteWebhook and
getWebhookInfo. Webhook delivery itself is the server's (`bot.emulator.webhook`)."""

from __future__ import annotations

import asyncio
import copy
import re
from typing import Any

from bot.emulator.api.base import MethodFamily
from bot.emulator.api.params import JSON, ApiError, Params, bad_request
from bot.emulator.records import WebhookConfig

__all__ = ["UpdateMethods"]

_SECRET_TOKEN = re.compile(r"^[A-Za-z0-9_\-]{1,256}$")


class UpdateMethods(MethodFamily):
    """Long polling and webhook configuration."""

    METHODS = ("getUpdates", "setWebhook", "deleteWebhook", "getWebhookInfo")

    def _set_allowed_updates(self, p: Params) -> None:
        """Remember ``allowed_updates`` if the call names them."""
        allowed = p.get_json("allowed_updates")
        if allowed is not None:
            if not isinstance(allowed, list) or not all(isinstance(a, str) for a in allowed):
                raise bad_request("can't parse allowed_updates JSON object")
            self.state.allowed_updates = list(allowed)

    async def get_updates(self, p: Params) -> Any:
        state = self.state
        if state.webhook is not None:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; use "
                "deleteWebhook to delete the webhook first",
            )
        offset = p.get_int("offset")
        limit = min(100, max(1, p.get_int("limit") or 100))
        timeout = max(0.0, p.get_float("timeout") or 0.0)
        self._set_allowed_updates(p)
        state.poll_generation += 1
        generation = state.poll_generation
        state.updates_signal.fire()  # an older long poll ends with 409, as on Telegram
        if offset is not None:
            state.confirm_updates(offset)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not state.updates and not state.stopping and state.webhook is None:
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            await state.updates_signal.wait(remaining)
            if state.poll_generation != generation:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; make sure that only one "
                    "bot instance is running",
                )
        return copy.deepcopy(state.updates[:limit])

    async def set_webhook(self, p: Params) -> Any:
        url = p.get_str("url")
        if not url:
            return await self.delete_webhook(p)
        if not re.match(r"^https?://[^\s/]+", url):
            raise bad_request("bad webhook: invalid webhook URL specified")
        secret = p.get_str("secret_token")
        if secret is not None and not _SECRET_TOKEN.match(secret):
            raise bad_request("secret token contains unallowed characters")
        self._set_allowed_updates(p)
        if p.get_bool("drop_pending_updates"):
            self.state.updates.clear()
        self.state.webhook = WebhookConfig(
            url=url,
            secret_token=secret,
            max_connections=p.get_int("max_connections") or 40,
            ip_address=p.get_str("ip_address"),
        )
        self.state.updates_signal.fire()
        return True

    async def delete_webhook(self, p: Params) -> Any:
        if p.get_bool("drop_pending_updates"):
            self.state.updates.clear()
        self.state.webhook = None
        self.state.updates_signal.fire()
        return True

    async def get_webhook_info(self, p: Params) -> Any:
        hook = self.state.webhook
        info: JSON = {
            "url": hook.url if hook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self.state.updates),
        }
        if hook is not None:
            info["max_connections"] = hook.max_connections
            if hook.ip_address:
                info["ip_address"] = hook.ip_address
            if hook.last_error_date is not None:
                info["last_error_date"] = hook.last_error_date
                info["last_error_message"] = hook.last_error_message
        if self.state.allowed_updates:
            info["allowed_updates"] = list(self.state.allowed_updates)
        return info
