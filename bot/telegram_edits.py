"""Editing and deleting sent messages through PTB: the corrections service's
:class:`~bot.services.corrections.MessageEditor` and the comment relay's deleter."""

from __future__ import annotations

from telegram import Bot, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
)

from bot.render import OutgoingMessage
from bot.services.comment_relay import DeleteOutcome
from bot.services.corrections import EditOutcome
from bot.telegram_io import keyboard

# Bad Request descriptions that mean the message cannot be edited any more (lower case).
_GONE = (
    "message to edit not found",
    "message can't be edited",
    "message_id_invalid",
    "chat not found",
    "there is no text in the message to edit",  # a photo message now rendered as text
)
# The message holds text where the rendering has a photo (the photo was refused at send time,
# or the article gained an image since): edit the text version instead.
_NO_CAPTION = "there is no caption in the message to edit"


class PtbEditor:
    """Edits a message's text (editMessageText) or a photo's caption (editMessageCaption),
    with its inline keyboard; translates Telegram's errors into an :class:`EditOutcome`."""

    def __init__(self, bot: Bot) -> None:
        self._bot = bot

    async def edit(self, chat_id: int, message_id: int, message: OutgoingMessage
                   ) -> EditOutcome:
        """Replace the message's content with ``message``; never raises for Telegram's
        answers."""
        try:
            try:
                await self._edit(chat_id, message_id, message)
            except BadRequest as exc:
                if _NO_CAPTION not in exc.message.lower() or message.fallback is None:
                    raise
                await self._edit(chat_id, message_id, message.fallback)
        except RetryAfter as exc:
            seconds = exc.retry_after
            delay = seconds.total_seconds() if hasattr(seconds, "total_seconds") else seconds
            return EditOutcome("retry", retry_after=float(delay), error=str(exc))
        except (Forbidden, ChatMigrated) as exc:  # blocked, kicked; or the group moved
            return EditOutcome("gone", error=str(exc))
        except BadRequest as exc:
            description = exc.message.lower()
            if "message is not modified" in description:
                return EditOutcome("not_modified")
            if any(marker in description for marker in _GONE):
                return EditOutcome("gone", error=str(exc))
            return EditOutcome("failed", error=str(exc))
        except NetworkError as exc:  # includes TimedOut and 5xx: try again next run
            return EditOutcome("retry", error=str(exc))
        except TelegramError as exc:
            return EditOutcome("failed", error=str(exc))
        return EditOutcome("edited")

    async def _edit(self, chat_id: int, message_id: int, message: OutgoingMessage) -> None:
        markup = keyboard(message.buttons)
        if message.method == "sendPhoto":
            await self._bot.edit_message_caption(
                chat_id=chat_id, message_id=message_id, caption=message.caption,
                parse_mode=ParseMode.HTML, reply_markup=markup,
            )
            return
        await self._bot.edit_message_text(
            message.text or "", chat_id=chat_id, message_id=message_id,
            parse_mode=ParseMode.HTML, reply_markup=markup,
            link_preview_options=LinkPreviewOptions(is_disabled=True)
            if message.disable_preview else None,
        )


# deleteMessage's Bad Request descriptions that mean there is nothing left to delete.
_DELETE_GONE = (
    "message to delete not found",
    "message can't be deleted",
    "message_id_invalid",
    "chat not found",
)


class PtbDeleter:
    """Deletes a message the bot sent (the comment relay's
    :class:`~bot.services.comment_relay.MessageDeleter`)."""

    def __init__(self, bot: Bot) -> None:
        self._bot = bot

    async def delete(self, chat_id: int, message_id: int) -> DeleteOutcome:
        """Delete the message; never raises for Telegram's answers."""
        try:
            await self._bot.delete_message(chat_id=chat_id, message_id=message_id)
        except RetryAfter as exc:
            seconds = exc.retry_after
            delay = seconds.total_seconds() if hasattr(seconds, "total_seconds") else seconds
            return DeleteOutcome("retry", retry_after=float(delay), error=str(exc))
        except (Forbidden, ChatMigrated) as exc:
            return DeleteOutcome("gone", error=str(exc))
        except BadRequest as exc:
            if any(marker in exc.message.lower() for marker in _DELETE_GONE):
                return DeleteOutcome("gone", error=str(exc))
            return DeleteOutcome("failed", error=str(exc))
        except NetworkError as exc:
            return DeleteOutcome("retry", error=str(exc))
        except TelegramError as exc:
            return DeleteOutcome("failed", error=str(exc))
        return DeleteOutcome("deleted")
