"""The Bot API methods of the emulator, on top of `EmulatorState` and `Faults`.

`BotApi.call(method, params)` runs one method and returns its ``result`` or raises `ApiError`,
which carries Telegram's error code, description and parameters. Parameters may arrive typed
(JSON bodies) or as strings (form bodies, where PTB JSON-encodes non-string values); the
`Params` accessors accept both, as Telegram does.

Choices where Telegram's behaviour was not copied:

* parse modes: ``HTML`` (any case) and no parse mode; ``Markdown``/``MarkdownV2`` are refused
  with 400 "Bad Request: unsupported parse_mode (the emulator implements HTML only)";
* ``entities`` are taken as given (only their shape is checked); no url/mention entities are
  detected in the bot's own texts; texts are not trimmed;
* photos given by URL are not fetched; unknown file ids are refused;
* ``reply_parameters`` may only point into the same chat;
* a button URL must be ``http(s)``, ``tg`` or ``ton``, or scheme-less like ``t.me/x``.
"""

from __future__ import annotations

import asyncio
import copy
import json
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.emulator.faults import Faults
from bot.emulator.html import EntityParseError, parse_html, utf16_len
from bot.emulator.state import (
    CallbackAnswer,
    ChatState,
    EmulatorState,
    StoredFile,
    StoredMessage,
    WebhookConfig,
    member_dict,
    now,
)

__all__ = ["ApiError", "BotApi", "Params", "UploadedFile", "normalize_params"]

JSON = dict[str, Any]

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64

_INT_FIELDS = frozenset(
    {
        "chat_id",
        "from_chat_id",
        "message_id",
        "user_id",
        "offset",
        "limit",
        "timeout",
        "message_thread_id",
        "reply_to_message_id",
        "cache_time",
        "max_connections",
    }
)
_BOOL_FIELDS = frozenset(
    {
        "disable_notification",
        "protect_content",
        "allow_paid_broadcast",
        "allow_sending_without_reply",
        "disable_web_page_preview",
        "show_alert",
        "drop_pending_updates",
        "show_caption_above_media",
        "has_spoiler",
    }
)
_JSON_FIELDS = frozenset(
    {
        "reply_markup",
        "entities",
        "caption_entities",
        "reply_parameters",
        "link_preview_options",
        "allowed_updates",
        "commands",
        "scope",
        "message_ids",
    }
)
_BUTTON_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
_URL_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):")
_COMMAND = re.compile(r"^[a-z0-9_]{1,32}$")
_SECRET_TOKEN = re.compile(r"^[A-Za-z0-9_\-]{1,256}$")


class ApiError(Exception):
    """A Bot API error answer: ``{"ok": false, "error_code", "description", "parameters"?}``."""

    def __init__(self, error_code: int, description: str, parameters: JSON | None = None) -> None:
        super().__init__(f"{error_code} {description}")
        self.error_code = error_code
        self.description = description
        self.parameters = parameters

    def to_json(self) -> JSON:
        """The JSON body Telegram would send."""
        body: JSON = {"ok": False, "error_code": self.error_code, "description": self.description}
        if self.parameters:
            body["parameters"] = dict(self.parameters)
        return body


def bad_request(message: str) -> ApiError:
    """A 400 with Telegram's "Bad Request: " prefix."""
    return ApiError(400, f"Bad Request: {message}")


@dataclass(frozen=True)
class UploadedFile:
    """A file part of a multipart request."""

    filename: str | None
    content_type: str | None
    data: bytes

    def __repr__(self) -> str:
        return f"UploadedFile({self.filename!r}, {self.content_type!r}, {len(self.data)} bytes)"


def _maybe_int(value: Any) -> Any:
    if isinstance(value, str):
        text = value.strip()
        if re.fullmatch(r"-?[0-9]+", text):
            return int(text)
    return value


def _maybe_bool(value: Any) -> Any:
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in ("true", "1"):
            return True
        if lowered in ("false", "0"):
            return False
    return value


def _maybe_json(value: Any) -> Any:
    if isinstance(value, str) and value.strip():
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def normalize_params(raw: Mapping[str, Any]) -> JSON:
    """Decode form-style values of well-known fields (ints, booleans, JSON objects)."""
    params: JSON = {}
    for key, value in raw.items():
        if key in _INT_FIELDS:
            params[key] = _maybe_int(value)
        elif key in _BOOL_FIELDS:
            params[key] = _maybe_bool(value)
        elif key in _JSON_FIELDS:
            params[key] = _maybe_json(value)
        else:
            params[key] = value
    return params


class Params:
    """Typed, Telegram-tolerant access to a request's parameters (empty counts as absent)."""

    def __init__(self, values: JSON) -> None:
        self.values = values

    def raw(self, name: str) -> Any:
        """The value, or None if missing or empty."""
        value = self.values.get(name)
        if value is None or (isinstance(value, str) and value == ""):
            return None
        return value

    def has(self, name: str) -> bool:
        """Whether the parameter was sent at all (even empty)."""
        return name in self.values

    def get_str(self, name: str, *, required: bool = False) -> str | None:
        """A string parameter."""
        value = self.raw(name)
        if value is None:
            if required:
                raise bad_request(f"{name} is empty")
            return None
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int | float):
            return str(value)
        if not isinstance(value, str):
            raise bad_request(f'field "{name}" must be of type String')
        return value

    def get_int(self, name: str, *, required: bool = False) -> int | None:
        """An integer parameter."""
        value = _maybe_int(self.raw(name))
        if value is None:
            if required:
                raise bad_request(f"{name} is empty")
            return None
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise bad_request(f'field "{name}" must be a valid Number')
        return value

    def get_float(self, name: str) -> float | None:
        """A number parameter."""
        value = self.raw(name)
        if value is None:
            return None
        if isinstance(value, bool):
            raise bad_request(f'field "{name}" must be a valid Number')
        try:
            return float(value)
        except (TypeError, ValueError):
            raise bad_request(f'field "{name}" must be a valid Number') from None

    def get_bool(self, name: str) -> bool:
        """A Boolean parameter (absent → False)."""
        value = _maybe_bool(self.raw(name))
        if value is None:
            return False
        if isinstance(value, bool):
            return value
        if isinstance(value, int):
            return value != 0
        raise bad_request(f'field "{name}" must be of type Boolean')

    def get_json(self, name: str) -> Any:
        """A JSON-serialized parameter, decoded."""
        value = self.raw(name)
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                raise bad_request(f"can't parse {name} JSON object") from None
        return value

    def chat_id(self, name: str = "chat_id") -> int | str:
        """A chat id: an integer or "@username"."""
        value = _maybe_int(self.raw(name))
        if value is None:
            raise bad_request(f"{name} is empty")
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and value.startswith("@") and len(value) > 1:
            return value
        raise bad_request("chat not found")


Handler = Callable[[Params], Awaitable[Any]]


class BotApi:
    """The emulated Bot API methods. Look methods up with `canonical_name`."""

    def __init__(self, state: EmulatorState, faults: Faults) -> None:
        self.state = state
        self.faults = faults
        self._handlers: dict[str, tuple[str, Handler]] = {}
        for name in (
            "getMe",
            "getUpdates",
            "sendMessage",
            "sendPhoto",
            "copyMessage",
            "editMessageText",
            "editMessageCaption",
            "editMessageReplyMarkup",
            "deleteMessage",
            "deleteMessages",
            "answerCallbackQuery",
            "sendChatAction",
            "setMyCommands",
            "getMyCommands",
            "deleteMyCommands",
            "setMyDescription",
            "getMyDescription",
            "setMyShortDescription",
            "getMyShortDescription",
            "getChat",
            "getChatMember",
            "getChatAdministrators",
            "getChatMemberCount",
            "leaveChat",
            "setWebhook",
            "deleteWebhook",
            "getWebhookInfo",
        ):
            handler: Handler = getattr(self, "_" + _snake(name))
            self._handlers[name.lower()] = (name, handler)

    def canonical_name(self, method: str) -> str | None:
        """The Bot API spelling of `method` (matched case-insensitively), or None if unknown."""
        entry = self._handlers.get(method.lower())
        return entry[0] if entry else None

    async def call(self, method: str, params: JSON) -> Any:
        """Run `method`; return its result or raise `ApiError`."""
        entry = self._handlers.get(method.lower())
        if entry is None:
            raise ApiError(404, "Not Found")
        scripted = self.faults.take_scripted(entry[0])
        if scripted is not None:
            raise ApiError(scripted.error_code, scripted.description, scripted.parameters)
        return await entry[1](Params(params))

    # -- shared checks -----------------------------------------------------------------------

    def _chat(self, chat_id: int | str, *, writing: bool) -> ChatState:
        """Resolve a chat and apply migration, block and membership faults."""
        chat = self.state.resolve_chat(chat_id, self.faults.migrations)
        if chat is None:
            raise bad_request("chat not found")
        new_id = self.faults.migrations.get(chat.id)
        if new_id is not None:
            self.faults.stats.migrated += 1
            raise ApiError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": new_id},
            )
        if writing and chat.id in self.faults.blocked:
            self.faults.stats.forbidden += 1
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if not chat.bot_is_member:
            if chat.bot_status == "kicked":
                raise ApiError(403, f"Forbidden: bot was kicked from the {chat.type} chat")
            raise ApiError(403, f"Forbidden: bot is not a member of the {chat.type} chat")
        return chat

    def _rate(self, chat: ChatState, p: Params) -> None:
        retry_after = self.faults.check_rate(chat.id, paid=p.get_bool("allow_paid_broadcast"))
        if retry_after is not None:
            raise ApiError(
                429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
            )

    def _formatted(self, p: Params, field: str, entities_field: str) -> tuple[str, list[JSON]]:
        """Text and entities of `field` after parse_mode (or the explicit entities)."""
        text = p.get_str(field) or ""
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise bad_request("strings must be encoded in UTF-8") from None
        mode = (p.get_str("parse_mode") or "").lower()
        if mode and mode != "none":
            if mode in ("markdown", "markdownv2"):
                raise bad_request("unsupported parse_mode (the emulator implements HTML only)")
            if mode != "html":
                raise bad_request("unsupported parse_mode")
            if not text:
                return "", []
            try:
                parsed = parse_html(text)
            except EntityParseError as exc:
                raise bad_request(f"can't parse entities: {exc.description}") from None
            return parsed.text, parsed.entities
        raw_entities = p.get_json(entities_field)
        if raw_entities is None:
            return text, []
        return text, _check_entities(raw_entities, utf16_len(text))

    def _message_text(self, p: Params) -> tuple[str, list[JSON]]:
        text, entities = self._formatted(p, "text", "entities")
        if not text.strip():
            raise bad_request("message text is empty")
        if utf16_len(text) > TEXT_LIMIT:
            raise bad_request("message is too long")
        return text, entities

    def _caption(self, p: Params) -> tuple[str, list[JSON]]:
        caption, entities = self._formatted(p, "caption", "caption_entities")
        if utf16_len(caption) > CAPTION_LIMIT:
            raise bad_request("message caption is too long")
        if not caption.strip():
            return "", []
        return caption, entities

    def _thread(self, chat: ChatState, p: Params) -> JSON:
        thread_id = p.get_int("message_thread_id")
        if not chat.is_forum:
            return {"message_thread_id": thread_id} if thread_id else {}
        if thread_id is None or thread_id == 1:
            if chat.general_closed:
                raise bad_request("TOPIC_CLOSED")
            return {}
        topic = chat.topics.get(thread_id)
        if topic is None:
            raise bad_request("message thread not found")
        if topic.closed:
            raise bad_request("TOPIC_CLOSED")
        return {"message_thread_id": thread_id, "is_topic_message": True}

    def _reply(self, chat: ChatState, p: Params) -> JSON:
        reply = p.get_json("reply_parameters")
        allow_missing = p.get_bool("allow_sending_without_reply")
        message_id: Any
        if reply is not None:
            if not isinstance(reply, dict) or "message_id" not in reply:
                raise bad_request("can't parse reply parameters JSON object")
            message_id = _maybe_int(reply["message_id"])
            allow_missing = bool(_maybe_bool(reply.get("allow_sending_without_reply", False)))
            other_chat = _maybe_int(reply.get("chat_id"))
            if other_chat is not None and other_chat != chat.id:
                raise bad_request("message to be replied not found")
        else:
            message_id = p.get_int("reply_to_message_id")
            if message_id is None:
                return {}
        if not isinstance(message_id, int):
            raise bad_request("message to be replied not found")
        target = self.state.find_message(chat.id, message_id)
        if target is None:
            if allow_missing:
                return {}
            raise bad_request("message to be replied not found")
        replied = copy.deepcopy(target.data)
        replied.pop("reply_to_message", None)
        return {"reply_to_message": replied}

    def _send_options(self, p: Params) -> JSON:
        extra: JSON = {}
        preview = p.get_json("link_preview_options")
        if isinstance(preview, dict):
            extra["link_preview_options"] = preview
        elif p.get_bool("disable_web_page_preview"):
            extra["link_preview_options"] = {"is_disabled": True}
        if p.get_bool("protect_content"):
            extra["has_protected_content"] = True
        return extra

    def _store_bot_message(self, chat: ChatState, fields: JSON) -> JSON:
        message = self.state.new_message(chat, self.state.bot_user, fields)
        self.state.store_message(chat, message, from_bot=True)
        return copy.deepcopy(message)

    def _editable(self, p: Params) -> tuple[ChatState, StoredMessage]:
        if p.raw("inline_message_id") is not None:
            raise bad_request("inline messages are not supported by the emulator")
        chat = self._chat(p.chat_id(), writing=True)
        message_id = p.get_int("message_id", required=True)
        assert message_id is not None
        stored = self.state.find_message(chat.id, message_id)
        if stored is None:
            raise bad_request("message to edit not found")
        if not stored.from_bot:
            raise bad_request("message can't be edited")
        return chat, stored

    def _apply_edit(self, chat: ChatState, stored: StoredMessage, changes: JSON, p: Params) -> JSON:
        """Refuse a no-op edit like Telegram, apply the rate limit, then set (None: remove)."""
        data = stored.data
        if all(data.get(key) == value for key, value in changes.items()):
            raise bad_request(
                "message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message"
            )
        self._rate(chat, p)
        for key, value in changes.items():
            if value is None:
                data.pop(key, None)
            else:
                data[key] = value
        data["edit_date"] = now()
        self.state.messages_signal.fire()
        return copy.deepcopy(data)

    # -- methods: bot and updates ------------------------------------------------------------

    async def _get_me(self, p: Params) -> Any:
        me = copy.deepcopy(self.state.bot_user)
        me.update(
            can_join_groups=True,
            can_read_all_group_messages=False,
            supports_inline_queries=False,
            can_connect_to_business=False,
            has_main_web_app=False,
        )
        return me

    async def _get_updates(self, p: Params) -> Any:
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
        allowed = p.get_json("allowed_updates")
        if allowed is not None:
            if not isinstance(allowed, list) or not all(isinstance(a, str) for a in allowed):
                raise bad_request("can't parse allowed_updates JSON object")
            state.allowed_updates = list(allowed)
        state.poll_generation += 1
        generation = state.poll_generation
        state.updates_signal.fire()  # an older long poll ends with 409, as on Telegram
        if offset is not None:
            state.confirm_updates(offset)
        loop_time = _loop_time()
        deadline = loop_time + timeout
        while not state.updates and not state.stopping and state.webhook is None:
            remaining = deadline - _loop_time()
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

    async def _set_webhook(self, p: Params) -> Any:
        url = p.get_str("url")
        if not url:
            return await self._delete_webhook(p)
        if not re.match(r"^https?://[^\s/]+", url):
            raise bad_request("bad webhook: invalid webhook URL specified")
        secret = p.get_str("secret_token")
        if secret is not None and not _SECRET_TOKEN.match(secret):
            raise bad_request("secret token contains unallowed characters")
        allowed = p.get_json("allowed_updates")
        if allowed is not None:
            if not isinstance(allowed, list) or not all(isinstance(a, str) for a in allowed):
                raise bad_request("can't parse allowed_updates JSON object")
            self.state.allowed_updates = list(allowed)
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

    async def _delete_webhook(self, p: Params) -> Any:
        if p.get_bool("drop_pending_updates"):
            self.state.updates.clear()
        self.state.webhook = None
        self.state.updates_signal.fire()
        return True

    async def _get_webhook_info(self, p: Params) -> Any:
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

    # -- methods: sending --------------------------------------------------------------------

    async def _send_message(self, p: Params) -> Any:
        text, entities = self._message_text(p)
        markup = _reply_markup(p.get_json("reply_markup"))
        chat = self._chat(p.chat_id(), writing=True)
        fields = self._thread(chat, p)
        fields.update(self._reply(chat, p))
        self._rate(chat, p)
        fields["text"] = text
        if entities:
            fields["entities"] = entities
        fields.update(self._send_options(p))
        if markup is not None:
            fields["reply_markup"] = markup
        return self._store_bot_message(chat, fields)

    async def _send_photo(self, p: Params) -> Any:
        caption, entities = self._caption(p)
        markup = _reply_markup(p.get_json("reply_markup"))
        photo = self._photo(p)
        chat = self._chat(p.chat_id(), writing=True)
        fields = self._thread(chat, p)
        fields.update(self._reply(chat, p))
        self._rate(chat, p)
        fields["photo"] = copy.deepcopy(photo.photo_sizes)
        if caption:
            fields["caption"] = caption
            if entities:
                fields["caption_entities"] = entities
            if p.get_bool("show_caption_above_media"):
                fields["show_caption_above_media"] = True
        if p.get_bool("has_spoiler"):
            fields["has_media_spoiler"] = True
        fields.update(self._send_options(p))
        fields.pop("link_preview_options", None)
        if markup is not None:
            fields["reply_markup"] = markup
        return self._store_bot_message(chat, fields)

    def _photo(self, p: Params) -> StoredFile:
        value = p.raw("photo")
        if isinstance(value, str) and value.startswith("attach://"):
            value = p.raw(value.removeprefix("attach://"))
        if value is None:
            raise bad_request("there is no photo in the request")
        if isinstance(value, UploadedFile):
            if not value.data:
                raise bad_request("file must be non-empty")
            return self.state.new_photo(data=value.data, url=None, filename=value.filename)
        if not isinstance(value, str):
            raise bad_request("wrong file identifier/HTTP URL specified")
        if re.match(r"^https?://\S+$", value):
            return self.state.new_photo(data=None, url=value, filename=None)
        known = self.state.files.get(value)
        if known is None:
            raise bad_request("wrong file identifier/HTTP URL specified")
        return known

    async def _copy_message(self, p: Params) -> Any:
        source_chat = self._chat(p.chat_id("from_chat_id"), writing=False)
        message_id = p.get_int("message_id", required=True)
        assert message_id is not None
        source = self.state.find_message(source_chat.id, message_id)
        if source is None:
            raise bad_request("message to copy not found")
        original = source.data
        if "text" not in original and "photo" not in original:
            raise bad_request("message can't be copied")
        fields: JSON = {}
        if "text" in original:
            fields["text"] = original["text"]
            if original.get("entities"):
                fields["entities"] = copy.deepcopy(original["entities"])
        else:
            fields["photo"] = copy.deepcopy(original["photo"])
            if p.has("caption"):
                caption, entities = self._caption(p)
            else:
                caption = original.get("caption", "")
                entities = copy.deepcopy(original.get("caption_entities", []))
            if caption:
                fields["caption"] = caption
                if entities:
                    fields["caption_entities"] = entities
        markup = _reply_markup(p.get_json("reply_markup"))
        chat = self._chat(p.chat_id(), writing=True)
        target = self._thread(chat, p)
        target.update(self._reply(chat, p))
        self._rate(chat, p)
        target.update(fields)
        if p.get_bool("protect_content"):
            target["has_protected_content"] = True
        if markup is not None:
            target["reply_markup"] = markup
        message = self._store_bot_message(chat, target)
        return {"message_id": message["message_id"]}

    async def _send_chat_action(self, p: Params) -> Any:
        self._chat(p.chat_id(), writing=True)
        p.get_str("action", required=True)
        return True

    # -- methods: editing and deleting -------------------------------------------------------

    async def _edit_message_text(self, p: Params) -> Any:
        text, entities = self._message_text(p)
        markup = _reply_markup(p.get_json("reply_markup"))
        chat, stored = self._editable(p)
        if "text" not in stored.data:
            raise bad_request("there is no text in the message to edit")
        changes: JSON = {"text": text, "entities": entities or None, "reply_markup": markup}
        preview = p.get_json("link_preview_options")
        if isinstance(preview, dict):
            changes["link_preview_options"] = preview
        return self._apply_edit(chat, stored, changes, p)

    async def _edit_message_caption(self, p: Params) -> Any:
        caption, entities = self._caption(p)
        markup = _reply_markup(p.get_json("reply_markup"))
        chat, stored = self._editable(p)
        if "photo" not in stored.data:
            raise bad_request("there is no caption in the message to edit")
        changes: JSON = {
            "caption": caption or None,
            "caption_entities": entities or None,
            "reply_markup": markup,
        }
        return self._apply_edit(chat, stored, changes, p)

    async def _edit_message_reply_markup(self, p: Params) -> Any:
        markup = _reply_markup(p.get_json("reply_markup"))
        chat, stored = self._editable(p)
        return self._apply_edit(chat, stored, {"reply_markup": markup}, p)

    async def _delete_message(self, p: Params) -> Any:
        chat = self._chat(p.chat_id(), writing=False)
        message_id = p.get_int("message_id", required=True)
        assert message_id is not None
        self._delete(chat, message_id)
        return True

    async def _delete_messages(self, p: Params) -> Any:
        chat = self._chat(p.chat_id(), writing=False)
        ids = p.get_json("message_ids")
        if not isinstance(ids, list) or not ids or len(ids) > 100:
            raise bad_request("message_ids must be a non-empty list of at most 100 ids")
        deleted = False
        for message_id in ids:
            try:
                self._delete(chat, int(message_id))
                deleted = True
            except ApiError:
                continue
        if not deleted:
            raise bad_request("message to delete not found")
        return True

    def _delete(self, chat: ChatState, message_id: int) -> None:
        stored = self.state.find_message(chat.id, message_id)
        if stored is None:
            raise bad_request("message to delete not found")
        if (
            not stored.from_bot
            and chat.type != "private"
            and chat.bot_status not in ("creator", "administrator")
        ):
            raise bad_request("message can't be deleted")
        stored.deleted = True
        self.state.messages_signal.fire()

    # -- methods: callbacks, commands, descriptions ------------------------------------------

    async def _answer_callback_query(self, p: Params) -> Any:
        query_id = p.get_str("callback_query_id", required=True)
        assert query_id is not None
        record = self.state.callback_queries.get(query_id)
        if record is None or record.answered:
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        text = p.get_str("text")
        if text is not None and len(text) > 200:
            raise bad_request("MESSAGE_TOO_LONG")
        record.answered = True
        self.state.callback_answers.append(
            CallbackAnswer(
                callback_query_id=query_id,
                text=text,
                show_alert=p.get_bool("show_alert"),
                url=p.get_str("url"),
                cache_time=p.get_int("cache_time") or 0,
            )
        )
        return True

    def _commands_key(self, p: Params) -> tuple[str, str]:
        scope = p.get_json("scope")
        if scope is None:
            scope = {"type": "default"}
        if not isinstance(scope, dict) or "type" not in scope:
            raise bad_request("can't parse BotCommandScope JSON object")
        return json.dumps(scope, sort_keys=True), p.get_str("language_code") or ""

    async def _set_my_commands(self, p: Params) -> Any:
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

    async def _get_my_commands(self, p: Params) -> Any:
        return copy.deepcopy(self.state.commands.get(self._commands_key(p), []))

    async def _delete_my_commands(self, p: Params) -> Any:
        self.state.commands.pop(self._commands_key(p), None)
        return True

    async def _set_my_description(self, p: Params) -> Any:
        self.state.bot_texts[f"description:{p.get_str('language_code') or ''}"] = (
            p.get_str("description") or ""
        )
        return True

    async def _get_my_description(self, p: Params) -> Any:
        key = f"description:{p.get_str('language_code') or ''}"
        return {"description": self.state.bot_texts.get(key, "")}

    async def _set_my_short_description(self, p: Params) -> Any:
        self.state.bot_texts[f"short:{p.get_str('language_code') or ''}"] = (
            p.get_str("short_description") or ""
        )
        return True

    async def _get_my_short_description(self, p: Params) -> Any:
        key = f"short:{p.get_str('language_code') or ''}"
        return {"short_description": self.state.bot_texts.get(key, "")}

    # -- methods: chats ----------------------------------------------------------------------

    async def _get_chat(self, p: Params) -> Any:
        chat = self._chat(p.chat_id(), writing=False)
        info = copy.deepcopy(chat.chat)
        info.update(
            accent_color_id=0,
            max_reaction_count=11,
            accepted_gift_types={
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        )
        return info

    def _member_status(self, chat: ChatState, user_id: int) -> str:
        if user_id == self.state.bot_user["id"]:
            return chat.bot_status
        if chat.type == "private":
            if user_id != chat.id:
                raise bad_request("user not found")
            return "member"
        return chat.members.get(user_id, "left")

    async def _get_chat_member(self, p: Params) -> Any:
        chat = self._chat(p.chat_id(), writing=False)
        user_id = p.get_int("user_id", required=True)
        assert user_id is not None
        if user_id == self.state.bot_user["id"]:
            user = self.state.bot_user
        else:
            found = self.state.users.get(user_id)
            if found is None:
                raise bad_request("user not found")
            user = found
        return member_dict(user, self._member_status(chat, user_id))

    async def _get_chat_administrators(self, p: Params) -> Any:
        chat = self._chat(p.chat_id(), writing=False)
        if chat.type == "private":
            raise bad_request("there are no administrators in the private chat")
        admins: list[JSON] = []
        for user_id, status in chat.members.items():
            if status in ("creator", "administrator") and user_id in self.state.users:
                admins.append(member_dict(self.state.users[user_id], status))
        if chat.bot_status == "administrator":
            admins.append(member_dict(self.state.bot_user, "administrator"))
        return admins

    async def _get_chat_member_count(self, p: Params) -> Any:
        chat = self._chat(p.chat_id(), writing=False)
        if chat.type == "private":
            return 2
        present = ("creator", "administrator", "member")
        people = sum(1 for status in chat.members.values() if status in present)
        return people + (1 if chat.bot_is_member else 0)

    async def _leave_chat(self, p: Params) -> Any:
        chat = self._chat(p.chat_id(), writing=False)
        if chat.type == "private":
            raise bad_request("chat member status can't be changed in private chats")
        chat.bot_status = "left"
        return True


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()


def _loop_time() -> float:
    return asyncio.get_running_loop().time()


def _check_entities(raw: Any, text_length: int) -> list[JSON]:
    if not isinstance(raw, list):
        raise bad_request("can't parse entities JSON object")
    entities: list[JSON] = []
    for entity in raw:
        if not isinstance(entity, dict):
            raise bad_request("can't parse MessageEntity JSON object")
        kind, offset, length = entity.get("type"), entity.get("offset"), entity.get("length")
        if not isinstance(kind, str) or not isinstance(offset, int) or not isinstance(length, int):
            raise bad_request("can't parse MessageEntity JSON object")
        if offset < 0 or length <= 0 or offset >= text_length:
            continue  # Telegram silently drops entities outside the text
        clean = {k: v for k, v in entity.items() if v is not None}
        clean["length"] = min(length, text_length - offset)
        entities.append(clean)
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return entities


def _valid_button_url(url: str) -> bool:
    if not url or any(ch.isspace() for ch in url):
        return False
    scheme = _URL_SCHEME.match(url)
    if scheme is None or "." in scheme.group(1):
        return "." in url.split("/", 1)[0]
    return scheme.group(1).lower() in ("http", "https", "tg", "ton") and len(url) > len(
        scheme.group(0)
    )


def _reply_markup(raw: Any) -> JSON | None:
    """Validate a reply_markup; return the inline keyboard to show on the message, or None."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" not in raw:
        if any(key in raw for key in ("keyboard", "remove_keyboard", "force_reply")):
            return None  # accepted; reply keyboards do not appear on the Message object
        raise bad_request("can't parse reply keyboard markup JSON object")
    rows = raw["inline_keyboard"]
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request(
            'field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays'
        )
    keyboard: list[list[JSON]] = []
    for row in rows:
        buttons: list[JSON] = []
        for button in row:
            if not isinstance(button, dict):
                raise bad_request("can't parse inline keyboard button JSON object")
            text = button.get("text")
            if not isinstance(text, str) or not text.strip():
                raise bad_request("BUTTON_TEXT_INVALID")
            actions = [key for key in _BUTTON_ACTIONS if button.get(key) is not None]
            if not actions:
                raise bad_request("text buttons are unallowed in the inline keyboard")
            data = button.get("callback_data")
            if data is not None and (
                not isinstance(data, str)
                or not 1 <= len(data.encode("utf-8")) <= CALLBACK_DATA_LIMIT
            ):
                raise bad_request("BUTTON_DATA_INVALID")
            url = button.get("url")
            if url is not None and (not isinstance(url, str) or not _valid_button_url(url)):
                raise bad_request("BUTTON_URL_INVALID")
            buttons.append({k: v for k, v in button.items() if v is not None})
        if buttons:
            keyboard.append(buttons)
    if not keyboard:
        return None
    return {"inline_keyboard": keyboard}
