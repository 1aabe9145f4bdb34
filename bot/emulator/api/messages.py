"""Text messages: sendMessage, copyMessage, editMessageText, editMessageReplyMarkup,
deleteMessage and deleteMessages."""

from __future__ import annotations

import copy
from typing import Any

from bot.emulator.api.callbacks import reply_markup
from bot.emulator.api.compose import ComposingFamily
from bot.emulator.api.params import JSON, ApiError, Params, bad_request
from bot.emulator.api.text import caption, message_text
from bot.emulator.records import ChatState

__all__ = ["MessageMethods"]


class MessageMethods(ComposingFamily):
    """Sending, copying, editing and deleting messages."""

    METHODS = (
        "sendMessage",
        "copyMessage",
        "editMessageText",
        "editMessageReplyMarkup",
        "deleteMessage",
        "deleteMessages",
    )

    async def send_message(self, p: Params) -> Any:
        text, entities = message_text(p)
        markup = reply_markup(p)
        chat = self.chat(p.chat_id(), writing=True)
        fields = self.thread(chat, p)
        fields.update(self.reply(chat, p))
        self.rate(chat, p)
        fields["text"] = text
        if entities:
            fields["entities"] = entities
        fields.update(self.send_options(p))
        if markup is not None:
            fields["reply_markup"] = markup
        return self.store_bot_message(chat, fields, p)

    async def copy_message(self, p: Params) -> Any:
        source_chat = self.chat(p.chat_id("from_chat_id"), writing=False)
        message_id = p.get_int("message_id", required=True)
        assert message_id is not None
        source = self.state.find_message(source_chat.id, message_id)
        if source is None:
            raise bad_request("message to copy not found")
        fields = self._copied_content(source.data, p)
        markup = reply_markup(p)
        chat = self.chat(p.chat_id(), writing=True)
        target = self.thread(chat, p)
        target.update(self.reply(chat, p))
        self.rate(chat, p)
        target.update(fields)
        if p.get_bool("protect_content"):
            target["has_protected_content"] = True
        if markup is not None:
            target["reply_markup"] = markup
        message = self.store_bot_message(chat, target, p)
        return {"message_id": message["message_id"]}

    @staticmethod
    def _copied_content(original: JSON, p: Params) -> JSON:
        """The text or photo of `original`, with the caption replaced if one is given."""
        if "text" not in original and "photo" not in original:
            raise bad_request("message can't be copied")
        fields: JSON = {}
        if "text" in original:
            fields["text"] = original["text"]
            if original.get("entities"):
                fields["entities"] = copy.deepcopy(original["entities"])
            return fields
        fields["photo"] = copy.deepcopy(original["photo"])
        if p.has("caption"):
            text, entities = caption(p)
        else:
            text = original.get("caption", "")
            entities = copy.deepcopy(original.get("caption_entities", []))
        if text:
            fields["caption"] = text
            if entities:
                fields["caption_entities"] = entities
        return fields

    async def edit_message_text(self, p: Params) -> Any:
        text, entities = message_text(p)
        markup = reply_markup(p)
        chat, stored = self.editable(
            p, holding="text", missing="there is no text in the message to edit"
        )
        changes: JSON = {"text": text, "entities": entities or None, "reply_markup": markup}
        preview = p.get_json("link_preview_options")
        if isinstance(preview, dict):
            changes["link_preview_options"] = preview
        return self.apply_edit(chat, stored, changes, p)

    async def edit_message_reply_markup(self, p: Params) -> Any:
        markup = reply_markup(p)
        chat, stored = self.editable(p)
        return self.apply_edit(chat, stored, {"reply_markup": markup}, p)

    async def delete_message(self, p: Params) -> Any:
        chat = self.chat(p.chat_id(), writing=False)
        message_id = p.get_int("message_id", required=True)
        assert message_id is not None
        self._delete(chat, message_id)
        return True

    async def delete_messages(self, p: Params) -> Any:
        chat = self.chat(p.chat_id(), writing=False)
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
        ) or not chat.bot_can_post:
            raise bad_request("message can't be deleted")
        stored.deleted = True
        self.state.messages_signal.fire()
