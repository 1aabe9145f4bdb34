"""The [comments] section: defaults, and a bad value names its key."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings
from tests.support.factories import TEST_TOKEN, write_config


def test_comment_defaults(tmp_path: Path) -> None:
    """Without a [comments] section comments are auto-published, named, behind spoilers."""
    path = write_config(tmp_path / "c.toml", {"telegram": {"token": TEST_TOKEN}})
    comments = load_settings(path).comments
    assert (comments.moderation, comments.anonymous, comments.spoiler) == ("auto", False, True)
    assert (comments.rate_limit, comments.rate_window_minutes, comments.max_length) == (5, 10, 2000)
    assert comments.discussion_chat_id is None


@pytest.mark.parametrize(
    ("values", "key", "fragment"),
    [
        ({"moderation": "post"}, "comments.moderation", "auto"),
        ({"anonymous": "perhaps"}, "comments.anonymous", "bool"),
        ({"spoiler": "sometimes"}, "comments.spoiler", "bool"),
        ({"discussion_chat_id": 0}, "comments.discussion_chat_id", "chat id"),
        ({"discussion_chat_id": "general"}, "comments.discussion_chat_id", "integer"),
        ({"rate_limit": 0}, "comments.rate_limit", "greater than"),
        ({"max_length": 5000}, "comments.max_length", "less than"),
        ({"hold_links": "yes please"}, "comments.hold_links", "bool"),
        ({"colour": "red"}, "comments.colour", "unknown key"),
    ],
)
def test_bad_comment_value_names_the_key(
    tmp_path: Path, values: dict[str, object], key: str, fragment: str
) -> None:
    """A bad [comments] value raises ConfigError naming the dotted key."""
    sections = {"telegram": {"token": TEST_TOKEN}, "comments": values}
    path = write_config(tmp_path / "c.toml", sections)
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    assert info.value.key == key
    assert fragment in info.value.problem


def test_pre_moderation_needs_admins(tmp_path: Path) -> None:
    """moderation = "pre" without telegram.admins would hold every comment forever."""
    path = write_config(tmp_path / "c.toml", {"telegram": {"token": TEST_TOKEN},
                                              "comments": {"moderation": "pre"}})
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    assert info.value.key == "comments.moderation"
    assert "telegram.admins" in info.value.problem
    path = write_config(tmp_path / "c.toml", {"telegram": {"token": TEST_TOKEN, "admins": [1]},
                                              "comments": {"moderation": "pre"}})
    assert load_settings(path).comments.moderation == "pre"
