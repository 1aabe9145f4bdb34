"""Message texts and captions: parse modes, explicit entities and Telegram's length limits.

Only ``HTML`` (any case) and no parse mode are implemented; ``Markdown``/``MarkdownV2`` are
refused with 400 "Bad Request: unsupported parse_mode (the emulator implements HTML only)".
Explicit ``entities`` are taken as given (only their shape is checked); no url/mention entities
are detected in the bot's own texts; texts are not trimmed.
"""

from __future__ import annotations

from typing import Any

from bot.emulator.api.params import JSON, Params, bad_request
from bot.emulator.html import EntityParseError, parse_html, utf16_len

__all__ = ["CAPTION_LIMIT", "TEXT_LIMIT", "caption", "formatted", "message_text"]

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024


def formatted(p: Params, field: str, entities_field: str) -> tuple[str, list[JSON]]:
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


def message_text(p: Params) -> tuple[str, list[JSON]]:
    """The ``text`` of a message: formatted, non-empty and within `TEXT_LIMIT`."""
    text, entities = formatted(p, "text", "entities")
    if not text.strip():
        raise bad_request("message text is empty")
    if utf16_len(text) > TEXT_LIMIT:
        raise bad_request("message is too long")
    return text, entities


def caption(p: Params) -> tuple[str, list[JSON]]:
    """The ``caption`` of a media message: formatted, within `CAPTION_LIMIT`; blank → none."""
    text, entities = formatted(p, "caption", "caption_entities")
    if utf16_len(text) > CAPTION_LIMIT:
        raise bad_request("message caption is too long")
    if not text.strip():
        return "", []
    return text, entities


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
