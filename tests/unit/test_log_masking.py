"""The bot token never reaches a log line."""

from __future__ import annotations

import logging

import pytest

from bot.log import install_masking, mask_secrets, register_secret

TOKEN = "7654321:AAFakeSecretTokenValue_123456789abc"


def test_registered_secret_masked_in_text() -> None:
    """A registered secret is replaced wherever it appears."""
    register_secret(TOKEN)
    assert TOKEN not in mask_secrets(f"POST https://api.telegram.org/bot{TOKEN}/getMe")


def test_token_shaped_strings_masked_even_unregistered() -> None:
    """Anything shaped like a token or a /bot<token>/ URL part is masked."""
    text = mask_secrets("url=http://x/bot111:zzzzzzzzzzzz/sendMessage other=222:yyyyyyyyyyyyyyyy")
    assert "zzzzzzzzzzzz" not in text
    assert "yyyyyyyyyyyyyyyy" not in text


def test_records_masked_in_message_args_and_traceback(caplog: pytest.LogCaptureFixture) -> None:
    """Message, %-args and exception text of a record are all masked at creation."""
    register_secret(TOKEN)
    install_masking()
    logger = logging.getLogger("test.masking")
    with caplog.at_level(logging.DEBUG):
        logger.debug("calling %s", f"https://api/bot{TOKEN}/getUpdates")
        try:
            raise RuntimeError(f"failed at /bot{TOKEN}/send")
        except RuntimeError:
            logger.exception("boom")
    assert caplog.records
    for record in caplog.records:
        formatted = logging.Formatter().format(record)
        assert TOKEN not in formatted
    assert "failed at" in caplog.text
