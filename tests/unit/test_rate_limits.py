"""The outbox's limiter: shares, pauses and per-chat limiters (no timing assertions)."""

from __future__ import annotations

from bot.services.rate_limits import HEADROOM, SendLimiter


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def overall_rate(limiter: SendLimiter) -> float:
    """The most sends any one-second window can see: the burst plus a second's leak."""
    bucket = limiter._overall
    return bucket.max_rate + bucket.max_rate / bucket.time_period


def test_processes_sharing_a_token_split_the_overall_rate() -> None:
    """Two processes each send at half the configured overall rate (with the headroom)."""
    limiter = SendLimiter(30.0)
    assert abs(overall_rate(limiter) - 30.0 * HEADROOM) < 1e-9
    limiter.share(2)
    assert abs(overall_rate(limiter) - 15.0 * HEADROOM) < 1e-9
    limiter.share(0)  # nonsense counts as one process
    assert abs(overall_rate(limiter) - 30.0 * HEADROOM) < 1e-9


def test_a_pause_holds_until_retry_after_and_only_grows() -> None:
    """A 429 pauses for retry_after; a shorter one later does not shorten it."""
    clock = FakeClock()
    limiter = SendLimiter(30.0, clock=clock)
    assert limiter.paused_for == 0.0
    limiter.pause(5.0)
    limiter.pause(1.0)
    assert limiter.paused_for == 5.0
    clock.now += 5.0
    assert limiter.paused_for == 0.0
    assert limiter.pauses == 2


def test_private_chats_and_groups_get_their_own_spacing() -> None:
    """A private chat is spaced by the private interval, a group or channel by the group one;
    an interval of 0 means no per-chat limiter at all."""
    limiter = SendLimiter(30.0, private_chat_interval=1.05, group_chat_interval=3.15)
    private, group = limiter._chat_limiter(42), limiter._chat_limiter(-100123)
    assert private is not None
    assert group is not None
    assert private.time_period == 1.05
    assert group.time_period == 3.15
    assert SendLimiter(30.0, private_chat_interval=0)._chat_limiter(42) is None
