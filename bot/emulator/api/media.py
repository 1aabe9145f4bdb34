"""Photos and captions: sendPhoto and editMessageCaption.

Photos given by URL are not fetched; unknown file ids are refused.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from bot.emulator.api.callbacks import reply_markup
from bot.emulator.api.compose import ComposingFamily
from bot.emulator.api.params import JSON, Params, UploadedFile, bad_request
from bot.emulator.api.text import caption
from bot.emulator.records import StoredFile

__all__ = ["MediaMethods"]


class MediaMethods(ComposingFamily):
    """Sending photos and editing captions."""

    METHODS = ("sendPhoto", "editMessageCaption")

    async def send_photo(self, p: Params) -> Any:
        text, entities = caption(p)
        markup = reply_markup(p)
        photo = self._photo(p)
        chat = self.chat(p.chat_id(), writing=True)
        fields = self.thread(chat, p)
        fields.update(self.reply(chat, p))
        self.rate(chat, p)
        fields["photo"] = copy.deepcopy(photo.photo_sizes)
        if text:
            fields["caption"] = text
            if entities:
                fields["caption_entities"] = entities
            if p.get_bool("show_caption_above_media"):
                fields["show_caption_above_media"] = True
        if p.get_bool("has_spoiler"):
            fields["has_media_spoiler"] = True
        fields.update(self.send_options(p))
        fields.pop("link_preview_options", None)
        if markup is not None:
            fields["reply_markup"] = markup
        return self.store_bot_message(chat, fields, p)

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

    async def edit_message_caption(self, p: Params) -> Any:
        text, entities = caption(p)
        markup = reply_markup(p)
        chat, stored = self.editable(
            p, holding="photo", missing="there is no caption in the message to edit"
        )
        changes: JSON = {
            "caption": text or None,
            "caption_entities": entities or None,
            "reply_markup": markup,
        }
        return self.apply_edit(chat, stored, changes, p)
