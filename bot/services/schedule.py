"""When a chat's pending explainers go out: delivery preferences, digest slots, quiet hours and
the push plan for one destination.

Pure time arithmetic (no I/O, no ``telegram``): every instant in and out is timezone-aware
UTC, and wall-clock rules (a digest at 08:00, quiet from 23:00 to 07:00) are applied in the
chat's own time zone with :mod:`zoneinfo`, so they follow daylight-saving changes. A wall time
that a clock change skips is taken as the moment the clock resumes; a wall time that happens
twice is taken at its first occurrence.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

__all__ = [
    "DEFAULT_DIGEST_TIMES",
    "DeliveryPrefs",
    "PushPlan",
    "next_digest_at",
    "plan_push",
    "quiet_until",
    "thread_settings",
]

#: The key of ``chats.settings`` holding forum threads' own delivery settings:
#: ``{"threads": {"<thread id>": {key: value, …}}}`` (a None value: "not here", e.g. no quiet
#: hours in this thread although the chat has some).
THREADS_KEY = "threads"
#: The settings a forum thread may have of its own; time zone and languages are chat-wide.
THREAD_KEYS = frozenset({"delivery", "digest_times", "quiet_hours", "mute_words",
                         "only_words", "previews", "images"})


def thread_settings(settings: Mapping[str, Any] | None, thread_id: int | None
                    ) -> dict[str, Any]:
    """The settings that apply in forum thread ``thread_id`` of a chat: the chat's own, with
    the thread's overrides on top (``0``/None: the chat itself, no overrides). Pure; anything
    malformed is ignored."""
    base = dict(settings) if isinstance(settings, Mapping) else {}
    threads = base.pop(THREADS_KEY, None)
    if not thread_id or not isinstance(threads, Mapping):
        return base
    own = threads.get(str(thread_id))
    if not isinstance(own, Mapping):
        return base
    for key, value in own.items():
        if key not in THREAD_KEYS:
            continue
        if value is None:
            base.pop(key, None)
        else:
            base[key] = value
    return base

log = logging.getLogger(__name__)

DeliveryMode = Literal["instant", "digest"]

DEFAULT_DIGEST_TIMES: tuple[time, ...] = (time(8, 0), time(19, 0))
"""Digest slots for a chat in digest mode that has not chosen its own."""

_UTC_ZONE = ZoneInfo("UTC")
_HH_MM = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")


@dataclass(frozen=True, slots=True)
class DeliveryPrefs:
    """How a chat wants explainers: one by one as they come (``instant``, held back during
    `quiet_hours`) or gathered into a digest at each of `digest_times` (local wall times).
    `quiet_hours` is (start, end) and may wrap midnight; start == end means no quiet hours."""

    mode: DeliveryMode = "instant"
    digest_times: tuple[time, ...] = DEFAULT_DIGEST_TIMES
    quiet_hours: tuple[time, time] | None = None
    timezone: ZoneInfo = _UTC_ZONE

    @classmethod
    def from_chat(
        cls, timezone: str | None, settings: Mapping[str, Any] | None
    ) -> DeliveryPrefs:
        """Preferences from a chat's stored time zone and settings (keys ``delivery``,
        ``digest_times``, ``quiet_hours``). A missing or malformed value falls back to the
        default for that key; this never raises."""
        if not isinstance(settings, Mapping):
            if settings is not None:
                log.debug("chat settings are not a mapping: %r", settings)
            settings = {}
        return cls(
            mode=_mode(settings.get("delivery")),
            digest_times=_digest_times(settings.get("digest_times")),
            quiet_hours=_quiet_hours(settings.get("quiet_hours")),
            timezone=_zone(timezone),
        )


@dataclass(frozen=True, slots=True)
class PushPlan:
    """What to do now with one destination's due deliveries.

    ``send``: send them now in `style` (``single``: the full article card when there is one
    row, a coalesced list when there are more; ``coalesced``: always a list; ``digest``: the
    digest), with ``disable_notification`` when `silent`. ``defer``: hold them until `at`,
    marking them with `schedule` (and as silent when `silent`: rows held for quiet hours go
    out without a sound). For a send, `schedule` names what released the rows."""

    action: Literal["send", "defer"]
    at: datetime | None
    schedule: str
    style: Literal["single", "coalesced", "digest"]
    silent: bool = False


def next_digest_at(prefs: DeliveryPrefs, now: datetime) -> datetime:
    """The first digest slot strictly after `now`, as an aware UTC datetime."""
    _require_aware(now, "now")
    slots = _slots(prefs.digest_times)
    today = now.astimezone(prefs.timezone).date()
    # Yesterday's slots matter only when a clock jump moves one to after midnight; three
    # days ahead covers any zone's longest skipped stretch (a whole day, Samoa 2011).
    candidates = (
        _local_instant(today + timedelta(days=offset), slot, prefs.timezone)
        for offset in range(-1, 4)
        for slot in slots
    )
    return min(at for at in candidates if at > now)


def quiet_until(prefs: DeliveryPrefs, now: datetime) -> datetime | None:
    """When `now` falls in the chat's quiet hours, the UTC instant they end; else None."""
    _require_aware(now, "now")
    if prefs.quiet_hours is None:
        return None
    start, end = (_wall(moment) for moment in prefs.quiet_hours)
    if start == end:
        return None
    local = now.astimezone(prefs.timezone)
    wall = local.time().replace(tzinfo=None, fold=0)
    today = local.date()
    if start < end:
        if not start <= wall < end:
            return None
        end_day = today
    elif wall >= start:
        end_day = today + timedelta(days=1)
    elif wall < end:
        end_day = today
    else:
        return None
    # The end is a wall time that may occur twice (a clock going back): the first one
    # still ahead of `now` ends the quiet period.
    ends = (_local_instant(end_day, end, prefs.timezone, fold=fold) for fold in (0, 1))
    return min((at for at in ends if at > now), default=None)


def plan_push(
    prefs: DeliveryPrefs,
    now: datetime,
    *,
    schedules: Collection[str],
    last_push_at: datetime | None,
    window: timedelta,
) -> PushPlan:
    """What to do now with one destination's due deliveries, given the `schedules` they were
    held under ('now', 'window', 'quiet', 'digest'), when the destination last got a push,
    and the coalescing `window` (zero or less: no holding back between pushes)."""
    _require_aware(now, "now")
    if prefs.mode == "digest":
        if "digest" in schedules:
            return PushPlan("send", None, "digest", "digest", silent=False)
        return PushPlan("defer", next_digest_at(prefs, now), "digest", "digest")
    if "quiet" in schedules:
        return PushPlan("send", None, "quiet", "coalesced", silent=True)
    quiet_end = quiet_until(prefs, now)
    if quiet_end is not None:
        return PushPlan("defer", quiet_end, "quiet", "coalesced", silent=True)
    if "window" in schedules:
        return PushPlan("send", None, "window", "coalesced")
    if last_push_at is not None and window > timedelta(0):
        _require_aware(last_push_at, "last_push_at")
        window_end = last_push_at + window
        if now < window_end:
            return PushPlan("defer", window_end.astimezone(UTC), "window", "coalesced")
    return PushPlan("send", None, "now", "single")


# --- local time ------------------------------------------------------------------------------


def _require_aware(moment: datetime, name: str) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")


def _wall(moment: time) -> time:
    """A wall-clock time without zone or fold, so comparisons are plain."""
    return moment.replace(tzinfo=None, fold=0)


def _slots(times: tuple[time, ...]) -> tuple[time, ...]:
    return tuple(sorted({_wall(moment) for moment in times})) or DEFAULT_DIGEST_TIMES


def _local_instant(day: date, at: time, zone: ZoneInfo, *, fold: int = 0) -> datetime:
    """The UTC instant the wall clock in `zone` shows `at` on `day` (`fold` picks which of
    two occurrences); a wall time the clock skips gives the instant the clock resumes."""
    naive = datetime.combine(day, _wall(at))
    local = naive.replace(tzinfo=zone, fold=fold)
    instant = local.astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) == naive:
        return instant
    # In a gap, fold=1 reads the wall time with the offset after the jump (an instant
    # before it) and fold=0 with the offset before (an instant after): the jump lies
    # between the two. Find the first second that has the later offset.
    low = naive.replace(tzinfo=zone, fold=1).astimezone(UTC)
    high = naive.replace(tzinfo=zone, fold=0).astimezone(UTC)
    after = high.astimezone(zone).utcoffset()
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) // 2
        if middle.astimezone(zone).utcoffset() == after:
            high = middle
        else:
            low = middle
    return high.replace(microsecond=0)


# --- settings --------------------------------------------------------------------------------


def _zone(name: object) -> ZoneInfo:
    if name is None or name == "":
        return _UTC_ZONE
    if not isinstance(name, str):
        log.debug("chat time zone is not a string: %r", name)
        return _UTC_ZONE
    try:
        return ZoneInfo(name)
    except (LookupError, ValueError, OSError) as exc:  # unknown, malformed, a directory
        log.debug("unknown chat time zone %r (%s); using UTC", name, type(exc).__name__)
        return _UTC_ZONE


def _mode(value: object) -> DeliveryMode:
    if value == "digest":
        return "digest"
    if value is None or value == "instant":
        return "instant"
    log.debug("unknown delivery mode %r; using instant", value)
    return "instant"


def _clock(value: object) -> time | None:
    """A "HH:MM" string as a time, else None."""
    if not isinstance(value, str):
        return None
    match = _HH_MM.fullmatch(value.strip())
    return time(int(match.group(1)), int(match.group(2))) if match else None


def _digest_times(value: object) -> tuple[time, ...]:
    if value is None:
        return DEFAULT_DIGEST_TIMES
    if isinstance(value, list | tuple) and value:
        times = [_clock(item) for item in value]
        if all(moment is not None for moment in times):
            return tuple(sorted({moment for moment in times if moment is not None}))
    log.debug("malformed digest_times %r; using the defaults", value)
    return DEFAULT_DIGEST_TIMES


def _quiet_hours(value: object) -> tuple[time, time] | None:
    if value is None:
        return None
    if isinstance(value, list | tuple) and len(value) == 2:
        start, end = _clock(value[0]), _clock(value[1])
        if start is not None and end is not None:
            return None if start == end else (start, end)
    log.debug("malformed quiet_hours %r; no quiet hours", value)
    return None
