"""A bad [comments] value stops `newsbot check-config` with exit 2 naming the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.cli import run_cli
from tests.support.factories import TEST_TOKEN, write_config


@pytest.mark.parametrize(
    ("comments", "key"),
    [({"moderation": "later"}, "comments.moderation"),
     ({"spoiler": "maybe"}, "comments.spoiler"),
     ({"moderation": "pre"}, "comments.moderation")],
    ids=["bad-moderation", "bad-spoiler", "pre-without-admins"],
)
def test_bad_comments_value_exits_2(tmp_path: Path, comments: dict[str, object],
                                    key: str) -> None:
    """One line names the key; no traceback."""
    sections = {"telegram": {"token": TEST_TOKEN}, "comments": comments}
    path = write_config(tmp_path / "config.toml", sections)
    result = run_cli("check-config", "-c", str(path))
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().startswith(f"config error: {key}:"), result.stderr
    assert "Traceback" not in result.stderr + result.stdout
