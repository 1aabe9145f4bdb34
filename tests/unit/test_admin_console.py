"""The admin console's pure parts: user ids typed after a command, the error alert gate, the
failing handler's name, the audit log cut to one message, and the admin command menus."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.application import ADMIN_COMMANDS, admin_command_menus, command_menus
from bot.domain import AuditEntry
from bot.i18n import use_language
from bot.render.admin_replies import render_audit
from bot.render.markup import TEXT_LIMIT, utf16_len
from bot.services.admins import ErrorAlertGate, parse_user_id
from handlers.errors import failing_handler


def test_parse_user_id_takes_positive_ascii_digits_only() -> None:
    """Only a plain positive number is a user id; signs, spaces inside, other digits are not."""
    assert parse_user_id(" 12345 ") == 12345
    for text in (None, "", "0", "-5", "+5", "12 34", "١٢٣", "abc", "9" * 20):
        assert parse_user_id(text) is None, text


def test_error_alert_gate_lets_one_per_kind_per_window() -> None:
    """A second alert of the same kind within the window is held back; another kind, or the
    same kind after the window, goes through."""
    now = [0.0]
    gate = ErrorAlertGate(window=600, clock=lambda: now[0])
    assert gate.allow("RuntimeError@handlers.reader.latest")
    assert not gate.allow("RuntimeError@handlers.reader.latest")
    assert gate.allow("KeyError@handlers.reader.latest")
    now[0] = 599.0
    assert not gate.allow("RuntimeError@handlers.reader.latest")
    now[0] = 600.0
    assert gate.allow("RuntimeError@handlers.reader.latest")


def test_failing_handler_names_the_innermost_frame_without_handlers() -> None:
    """Outside a handlers module the innermost frame names the failure."""
    with pytest.raises(ValueError, match="not a number") as caught:
        int("not a number")
    assert failing_handler(caught.value).endswith(
        "test_failing_handler_names_the_innermost_frame_without_handlers")
    assert failing_handler(ValueError("never raised")) == "unknown"


def test_audit_log_is_cut_to_one_message() -> None:
    """A hundred long entries are cut to Telegram's limit, saying so."""
    when = datetime(2026, 12, 2, 18, 0, tzinfo=UTC)
    entries = [AuditEntry(900, "admin.add", "9" * 60, {}, when)] * 100
    text = render_audit(entries)
    assert utf16_len(text) <= TEXT_LIMIT
    assert text.endswith("ask for fewer with /audit 10.")
    assert render_audit([]) == "The audit log is empty."


def test_admin_menus_hold_reader_and_admin_commands_and_public_ones_no_admin_command() -> None:
    """The admin menu (English and Ukrainian) lists every reader command and the admin ones;
    no public menu lists an admin command."""
    admin_names = {name for name, _ in ADMIN_COMMANDS}
    for commands, _scope, _language in command_menus():
        assert admin_names.isdisjoint(c.command for c in commands)
    menus = admin_command_menus()
    assert [language for _, language in menus] == [None, "uk"]
    english, ukrainian = (commands for commands, _ in menus)
    assert [c.command for c in english] == [c.command for c in ukrainian]
    assert admin_names <= {c.command for c in english}
    assert "start" in {c.command for c in english}
    with use_language("uk"):
        assert next(c for c in ukrainian if c.command == "queue").description == \
            "Коментарі, що чекають на схвалення"
