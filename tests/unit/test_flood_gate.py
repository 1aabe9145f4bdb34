"""The per-user command limit (bot.updates.FloodGate): warn once, then drop, per window."""

from __future__ import annotations

from bot.updates import FloodGate


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_limit_then_one_warning_then_silence_until_the_window_ends() -> None:
    clock = Clock()
    gate = FloodGate(3, 60.0, clock=clock)
    assert [gate.check(1) for _ in range(6)] == ["ok", "ok", "ok", "warn", "drop", "drop"]
    assert gate.check(2) == "ok"  # other users are counted apart
    clock.now = 59.9
    assert gate.check(1) == "drop"
    clock.now = 60.0
    assert [gate.check(1) for _ in range(5)] == ["ok", "ok", "ok", "warn", "drop"]


def test_memory_is_bounded() -> None:
    clock = Clock()
    gate = FloodGate(1, 60.0, max_users=100, clock=clock)
    for user in range(1000):
        gate.check(user)
    assert len(gate) == 100
    assert gate.check(999) == "warn"  # the newest users are the ones kept
