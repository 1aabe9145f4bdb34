"""Callback data: typed values that pack within Telegram's limit and refuse anything forged."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.callback_data import CallbackData, ShowComments, ToggleTopic


@dataclass(frozen=True)
class _Paged(CallbackData):
    prefix: ClassVar[str] = "pg"
    article_id: int
    hidden: bool
    cursor: str


def test_pack_keeps_the_wire_format_of_existing_buttons() -> None:
    """Buttons already in readers' chats ("topic:x", "comments:7") still parse after upgrades."""
    assert ToggleTopic("economy").pack() == "topic:economy"
    assert ShowComments(7).pack() == "comments:7"
    assert ToggleTopic.parse("topic:economy") == ToggleTopic("economy")
    assert ShowComments.parse("comments:7") == ShowComments(7)


def test_several_fields_round_trip_and_the_last_text_may_hold_a_colon() -> None:
    """Fields are separated by ':'; only the last text field may contain one."""
    value = _Paged(12, True, "a:b")
    assert value.pack() == "pg:12:1:a:b"
    assert _Paged.parse(value.pack()) == value


@pytest.mark.parametrize(
    "data",
    [
        None, "", "comments", "comments:", "comments:abc", "comments:-1", "comments:0",
        "comments:99999999999", "comments:2147483648", "comments:7:8", "comments: 7",
        "comments:٣", "topic:economy", "commentsx:7", "x" * 65,
    ],
)
def test_forged_stale_or_foreign_data_parses_to_none(data: str | None) -> None:
    """Anything ShowComments did not pack parses to None, including ids past int32."""
    assert ShowComments.parse(data) is None


def test_matches_routes_on_the_prefix_only() -> None:
    """The handler pattern claims its own prefix, so a forged press is still answered."""
    assert ShowComments.matches("comments:99999999999")
    assert not ShowComments.matches("topic:economy")
    assert not ToggleTopic.matches(None)


def test_packing_refuses_what_does_not_fit() -> None:
    """Over 64 bytes, an out-of-range id or an empty text raises instead of making a bad button."""
    with pytest.raises(ValueError, match="64 bytes"):
        ToggleTopic("é" * 40).pack()
    with pytest.raises(ValueError, match="out of range"):
        ShowComments(2**31).pack()
    with pytest.raises(ValueError, match="cannot be packed"):
        ToggleTopic("").pack()
    with pytest.raises(ValueError, match="cannot be packed"):
        _Paged(1, False, "").pack()


@given(st.integers(min_value=1, max_value=2**31 - 1), st.booleans(),
       st.text(min_size=1, max_size=20))
def test_round_trip_property(article_id: int, hidden: bool, cursor: str) -> None:
    """Whatever packs, parses back to the same value."""
    value = _Paged(article_id, hidden, cursor)
    try:
        data = value.pack()
    except ValueError:
        assert len(f"pg:{article_id}:0:{cursor}".encode()) > 64
        return
    assert _Paged.parse(data) == value
