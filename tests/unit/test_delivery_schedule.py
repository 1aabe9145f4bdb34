"""Delivery schedule (bot.services.schedule): chat preferences, digest slots across DST and
midnight, quiet hours, and the push plan for one destination."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.services.schedule import (
    DEFAULT_DIGEST_TIMES,
    DeliveryPrefs,
    PushPlan,
    next_digest_at,
    plan_push,
    quiet_until,
)

KYIV = ZoneInfo("Europe/Kyiv")
NEW_YORK = ZoneInfo("America/New_York")
WINDOW = timedelta(minutes=10)


def make_prefs(**overrides: Any) -> DeliveryPrefs:
    """Delivery preferences with defaults; keyword arguments override fields."""
    return DeliveryPrefs(**overrides)


def utc(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    """An aware UTC datetime."""
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def local(zone: ZoneInfo, year: int, month: int, day: int, hour: int, minute: int,
          *, fold: int = 0) -> datetime:
    """A wall time in `zone` as an aware UTC datetime."""
    return datetime(year, month, day, hour, minute, tzinfo=zone, fold=fold).astimezone(UTC)


def plan(prefs: DeliveryPrefs, now: datetime, *schedules: str,
         last_push_at: datetime | None = None, window: timedelta = WINDOW) -> PushPlan:
    """plan_push with the schedules given as arguments."""
    return plan_push(prefs, now, schedules=set(schedules), last_push_at=last_push_at,
                     window=window)


# --- DeliveryPrefs.from_chat -----------------------------------------------------------------


def test_from_chat_reads_every_key() -> None:
    """A chat's time zone, mode, digest times and quiet hours are all read."""
    prefs = DeliveryPrefs.from_chat(
        "Europe/Kyiv",
        {"delivery": "digest", "digest_times": ["19:30", "07:05"],
         "quiet_hours": ["23:00", "07:00"]},
    )
    assert prefs == DeliveryPrefs(
        mode="digest",
        digest_times=(time(7, 5), time(19, 30)),
        quiet_hours=(time(23, 0), time(7, 0)),
        timezone=KYIV,
    )


def test_from_chat_without_settings_gives_the_defaults() -> None:
    """No time zone and no settings: instant delivery in UTC, no quiet hours."""
    prefs = DeliveryPrefs.from_chat(None, None)
    assert prefs == DeliveryPrefs()
    assert prefs.mode == "instant"
    assert prefs.digest_times == (time(8, 0), time(19, 0)) == DEFAULT_DIGEST_TIMES
    assert prefs.quiet_hours is None
    assert prefs.timezone == ZoneInfo("UTC")


@pytest.mark.parametrize("zone", ["Mars/Olympus", "Europe", "../etc/passwd", "", "x" * 5000, 7])
def test_from_chat_falls_back_to_utc_for_an_unknown_zone(zone: Any) -> None:
    """An unknown, malformed or non-string time zone reads as UTC, keeping the other keys."""
    prefs = DeliveryPrefs.from_chat(zone, {"delivery": "digest"})
    assert prefs.timezone == ZoneInfo("UTC")
    assert prefs.mode == "digest"


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({"delivery": "weekly"}, DeliveryPrefs()),
        ({"delivery": ["digest"]}, DeliveryPrefs()),
        ({"delivery": "digest", "digest_times": ["8:00", "25:00"]}, DeliveryPrefs(mode="digest")),
        ({"digest_times": "08:00"}, DeliveryPrefs()),
        ({"digest_times": []}, DeliveryPrefs()),
        ({"digest_times": [800]}, DeliveryPrefs()),
        ({"digest_times": ["08:60"]}, DeliveryPrefs()),
        ({"digest_times": ["8:5"]}, DeliveryPrefs()),
        ({"quiet_hours": ["23:00"]}, DeliveryPrefs()),
        ({"quiet_hours": ["23:00", "07:00", "09:00"]}, DeliveryPrefs()),
        ({"quiet_hours": ["23:00", None]}, DeliveryPrefs()),
        ({"quiet_hours": "23:00-07:00"}, DeliveryPrefs()),
        ({"quiet_hours": {"start": "23:00"}}, DeliveryPrefs()),
        ({"quiet_hours": ["22:00", "22:00"]}, DeliveryPrefs()),
        ({"quiet_hours": [" 9:15 ", "10:00"], "digest_times": ["9:00", "09:00"]},
         DeliveryPrefs(digest_times=(time(9, 0),), quiet_hours=(time(9, 15), time(10, 0)))),
    ],
)
def test_from_chat_falls_back_per_key(settings: dict[str, Any], expected: DeliveryPrefs) -> None:
    """A malformed key falls back to its own default; well-formed keys are still read."""
    assert DeliveryPrefs.from_chat(None, settings) == expected


@pytest.mark.parametrize("settings", [["delivery"], "digest", 42])
def test_from_chat_ignores_settings_that_are_not_a_mapping(settings: Any) -> None:
    """Settings that are not a JSON object give the defaults instead of an error."""
    assert DeliveryPrefs.from_chat("UTC", settings) == DeliveryPrefs()


# --- next_digest_at --------------------------------------------------------------------------


def test_next_digest_is_the_next_slot_today_then_tomorrow() -> None:
    """Slots are taken in order of the day, then the first slot tomorrow."""
    prefs = make_prefs(mode="digest", digest_times=(time(19, 0), time(8, 0)), timezone=KYIV)
    morning = local(KYIV, 2025, 12, 2, 6, 0)
    assert next_digest_at(prefs, morning) == local(KYIV, 2025, 12, 2, 8, 0)
    assert next_digest_at(prefs, local(KYIV, 2025, 12, 2, 8, 0)) == local(
        KYIV, 2025, 12, 2, 19, 0
    )  # strictly after: a slot equal to now is the next one
    assert next_digest_at(prefs, local(KYIV, 2025, 12, 2, 19, 0)) == local(
        KYIV, 2025, 12, 3, 8, 0
    )
    assert next_digest_at(prefs, local(KYIV, 2025, 12, 31, 23, 59)) == local(
        KYIV, 2026, 1, 1, 8, 0
    )


def test_next_digest_uses_the_chat_time_zone_across_utc_midnight() -> None:
    """In New York 19:00 local is after midnight UTC, and the slot is still 19:00 local."""
    prefs = make_prefs(mode="digest", digest_times=(time(19, 0),), timezone=NEW_YORK)
    now = utc(2025, 12, 2, 23, 30)  # 18:30 in New York
    assert next_digest_at(prefs, now) == utc(2025, 12, 3, 0, 0)


def test_next_digest_returns_utc() -> None:
    """The slot comes back as an aware UTC datetime, whatever zone `now` is in."""
    prefs = make_prefs(timezone=KYIV)
    slot = next_digest_at(prefs, datetime(2025, 6, 1, 12, 0, tzinfo=NEW_YORK))
    assert slot.tzinfo is UTC
    assert slot == local(KYIV, 2025, 6, 2, 8, 0)


def test_next_digest_keeps_local_time_across_spring_forward_in_kyiv() -> None:
    """Across the spring change the 08:00 slot stays 08:00 local (06:00 → 05:00 UTC)."""
    prefs = make_prefs(digest_times=(time(8, 0),), timezone=KYIV)
    before = next_digest_at(prefs, utc(2025, 3, 29, 12, 0))
    assert before == utc(2025, 3, 30, 5, 0)  # 30 Mar is already summer time (UTC+3)
    assert next_digest_at(prefs, utc(2025, 3, 28, 12, 0)) == utc(2025, 3, 29, 6, 0)


def test_next_digest_in_the_skipped_hour_takes_the_end_of_the_gap() -> None:
    """A 03:30 slot on Kyiv's spring-forward night (03:00 → 04:00) is sent at 04:00 local."""
    prefs = make_prefs(digest_times=(time(3, 30),), timezone=KYIV)
    slot = next_digest_at(prefs, utc(2025, 3, 29, 12, 0))
    assert slot == utc(2025, 3, 30, 1, 0)
    assert slot.astimezone(KYIV).time() == time(4, 0)


def test_next_digest_in_new_york_spring_gap() -> None:
    """A 02:30 slot on 9 Mar 2025 in New York (02:00 → 03:00) goes at 03:00 EDT, and the day
    after at 02:30 EDT again."""
    prefs = make_prefs(digest_times=(time(2, 30),), timezone=NEW_YORK)
    slot = next_digest_at(prefs, utc(2025, 3, 8, 12, 0))
    assert slot == utc(2025, 3, 9, 7, 0)
    assert next_digest_at(prefs, slot) == utc(2025, 3, 10, 6, 30)


def test_next_digest_in_the_repeated_hour_takes_the_first_occurrence() -> None:
    """A 01:30 slot on New York's fall-back night is sent once, at the first 01:30 (EDT)."""
    prefs = make_prefs(digest_times=(time(1, 30),), timezone=NEW_YORK)
    slot = next_digest_at(prefs, utc(2025, 11, 1, 12, 0))
    assert slot == utc(2025, 11, 2, 5, 30)  # 01:30 EDT; the second 01:30 is 06:30 UTC
    assert next_digest_at(prefs, slot) == utc(2025, 11, 3, 6, 30)  # the next day, EST


def test_next_digest_across_fall_back_in_kyiv() -> None:
    """After the autumn change the 19:00 slot moves from 16:00 to 17:00 UTC."""
    prefs = make_prefs(digest_times=(time(19, 0),), timezone=KYIV)
    assert next_digest_at(prefs, utc(2025, 10, 25, 12, 0)) == utc(2025, 10, 25, 16, 0)
    assert next_digest_at(prefs, utc(2025, 10, 25, 16, 0)) == utc(2025, 10, 26, 17, 0)


def test_next_digest_survives_a_skipped_day() -> None:
    """Samoa skipped 30 Dec 2011 entirely; the next slot is still found, within a day."""
    apia = ZoneInfo("Pacific/Apia")
    prefs = make_prefs(digest_times=(time(8, 0),), timezone=apia)
    now = local(apia, 2011, 12, 29, 9, 0)
    slot = next_digest_at(prefs, now)
    assert now < slot <= now + timedelta(hours=25)
    assert slot.astimezone(apia).date().isoformat() == "2011-12-31"


def test_next_digest_rejects_a_naive_now() -> None:
    """A naive `now` is a caller bug, not something to guess about."""
    with pytest.raises(ValueError, match="timezone-aware"):
        next_digest_at(DeliveryPrefs(), datetime(2025, 1, 1))


ZONES = sorted(available_timezones() - {"localtime", "Factory"})
SLOTS = st.lists(st.times().map(lambda t: t.replace(microsecond=0)), min_size=1, max_size=4)
NOWS = st.datetimes(
    min_value=datetime(1990, 1, 1), max_value=datetime(2037, 12, 31), timezones=st.just(UTC)
)


@settings(max_examples=300, deadline=None)
@given(zone=st.sampled_from(ZONES), slots=SLOTS, now=NOWS)
def test_next_digest_is_after_now_and_within_a_day(
    zone: str, slots: list[time], now: datetime
) -> None:
    """The next slot is strictly after now and at most 25 hours away (a fall-back day is 25
    hours long, so a daily slot can be exactly 25 h after the previous one)."""
    prefs = make_prefs(mode="digest", digest_times=tuple(slots), timezone=ZoneInfo(zone))
    slot = next_digest_at(prefs, now)
    assert now < slot <= now + timedelta(hours=25)
    assert slot.tzinfo is UTC


# --- quiet_until -----------------------------------------------------------------------------


def test_quiet_hours_wrapping_midnight() -> None:
    """23:00–07:00 is quiet before and after midnight and ends at 07:00 local."""
    prefs = make_prefs(quiet_hours=(time(23, 0), time(7, 0)), timezone=KYIV)
    end = local(KYIV, 2025, 12, 3, 7, 0)
    assert quiet_until(prefs, local(KYIV, 2025, 12, 2, 23, 0)) == end
    assert quiet_until(prefs, local(KYIV, 2025, 12, 2, 23, 59)) == end
    assert quiet_until(prefs, local(KYIV, 2025, 12, 3, 0, 0)) == end
    assert quiet_until(prefs, local(KYIV, 2025, 12, 3, 6, 59)) == end
    assert quiet_until(prefs, local(KYIV, 2025, 12, 3, 7, 0)) is None
    assert quiet_until(prefs, local(KYIV, 2025, 12, 2, 22, 59)) is None
    assert quiet_until(prefs, local(KYIV, 2025, 12, 2, 12, 0)) is None


def test_quiet_hours_within_one_day() -> None:
    """13:00–15:00 is quiet only in between."""
    prefs = make_prefs(quiet_hours=(time(13, 0), time(15, 0)), timezone=NEW_YORK)
    assert quiet_until(prefs, local(NEW_YORK, 2025, 7, 1, 14, 0)) == local(
        NEW_YORK, 2025, 7, 1, 15, 0
    )
    assert quiet_until(prefs, local(NEW_YORK, 2025, 7, 1, 12, 59)) is None
    assert quiet_until(prefs, local(NEW_YORK, 2025, 7, 1, 15, 0)) is None


def test_no_quiet_hours() -> None:
    """Without quiet hours, or with start == end, nothing is ever quiet."""
    now = utc(2025, 1, 1, 3, 0)
    assert quiet_until(make_prefs(), now) is None
    assert quiet_until(make_prefs(quiet_hours=(time(3, 0), time(3, 0))), now) is None


def test_quiet_hours_ending_in_the_spring_gap() -> None:
    """Quiet until 02:30 on New York's spring-forward night ends when clocks jump to 03:00."""
    prefs = make_prefs(quiet_hours=(time(23, 0), time(2, 30)), timezone=NEW_YORK)
    assert quiet_until(prefs, local(NEW_YORK, 2025, 3, 9, 1, 0)) == utc(2025, 3, 9, 7, 0)


def test_quiet_hours_ending_in_the_repeated_hour() -> None:
    """Quiet until 01:30 on the fall-back night ends at the first 01:30; during the second
    01:00–01:30 the night is quiet again until the second 01:30."""
    prefs = make_prefs(quiet_hours=(time(23, 0), time(1, 30)), timezone=NEW_YORK)
    first = utc(2025, 11, 2, 5, 30)
    assert quiet_until(prefs, local(NEW_YORK, 2025, 11, 2, 0, 30)) == first
    second_one_o_clock = local(NEW_YORK, 2025, 11, 2, 1, 0, fold=1)
    assert quiet_until(prefs, second_one_o_clock) == utc(2025, 11, 2, 6, 30)


# --- plan_push -------------------------------------------------------------------------------


NOON = local(KYIV, 2025, 12, 2, 12, 0)
NIGHT = local(KYIV, 2025, 12, 2, 23, 30)
QUIET = make_prefs(quiet_hours=(time(23, 0), time(7, 0)), timezone=KYIV)
DIGEST = make_prefs(mode="digest", timezone=KYIV, quiet_hours=(time(23, 0), time(7, 0)))


def test_plan_digest_slot_reached_sends_the_digest() -> None:
    """In digest mode, rows held for the slot are sent as a digest, with a notification."""
    assert plan(DIGEST, NIGHT, "digest", "now") == PushPlan(
        "send", None, "digest", "digest", silent=False
    )


def test_plan_digest_mode_holds_new_rows_for_the_next_slot() -> None:
    """In digest mode, new rows wait for the next digest slot."""
    result = plan(DIGEST, NOON, "now")
    assert (result.action, result.schedule, result.at) == (
        "defer", "digest", local(KYIV, 2025, 12, 2, 19, 0)
    )


def test_plan_quiet_rows_are_sent_silently_together() -> None:
    """Rows held for quiet hours go out as one silent coalesced message."""
    assert plan(QUIET, local(KYIV, 2025, 12, 3, 7, 0), "quiet", "now") == PushPlan(
        "send", None, "quiet", "coalesced", silent=True
    )


def test_plan_during_quiet_hours_defers_to_their_end() -> None:
    """New rows during quiet hours wait for the end of them, marked 'quiet'."""
    result = plan(QUIET, NIGHT, "now")
    assert (result.action, result.schedule, result.at) == (
        "defer", "quiet", local(KYIV, 2025, 12, 3, 7, 0)
    )


def test_plan_window_rows_are_sent_together() -> None:
    """Rows held for the coalescing window go out as one coalesced message, with sound."""
    assert plan(QUIET, NOON, "window", "now", last_push_at=NOON) == PushPlan(
        "send", None, "window", "coalesced", silent=False
    )


def test_plan_within_the_window_defers_to_its_end() -> None:
    """A push soon after the last one waits until the window since that push has passed."""
    last = NOON - timedelta(minutes=3)
    result = plan(QUIET, NOON, "now", last_push_at=last)
    assert (result.action, result.schedule, result.at) == ("defer", "window", last + WINDOW)


def test_plan_after_the_window_sends_at_once() -> None:
    """Once the window since the last push has passed, a new row is sent as itself."""
    expected = PushPlan("send", None, "now", "single")
    assert plan(QUIET, NOON, "now", last_push_at=NOON - WINDOW) == expected
    assert plan(QUIET, NOON, "now", last_push_at=None) == expected


def test_plan_without_a_window_never_holds_back() -> None:
    """A zero or negative window disables the coalescing hold."""
    for window in (timedelta(0), timedelta(minutes=-5)):
        result = plan(QUIET, NOON, "now", last_push_at=NOON, window=window)
        assert (result.action, result.style) == ("send", "single")


QUIET_BOUNDS = st.tuples(st.integers(0, 23), st.integers(0, 59)).map(lambda hm: time(*hm))


@settings(max_examples=300, deadline=None)
@given(zone=st.sampled_from(ZONES), start=QUIET_BOUNDS, end=QUIET_BOUNDS, now=NOWS)
def test_quiet_hours_end_after_now_and_within_a_day(
    zone: str, start: time, end: time, now: datetime
) -> None:
    """When now is quiet, the quiet period ends after now and at most 25 hours later."""
    prefs = make_prefs(quiet_hours=(start, end), timezone=ZoneInfo(zone))
    until = quiet_until(prefs, now)
    if until is not None:
        assert now < until <= now + timedelta(hours=25)
        assert until.tzinfo is UTC
