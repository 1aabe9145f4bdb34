"""`newsbot demo` runs end to end offline and shows what it promises."""

from __future__ import annotations

import io

from bot.demo import run_demo


async def test_demo_runs_and_shows_every_step() -> None:
    """The demo exits 0 and its transcript shows the push, the forum topic, the digest and
    the spoiler-wrapped comment."""
    out = io.StringIO()
    assert await run_demo(out) == 0
    transcript = out.getvalue()
    assert "EXPLAINED: Why Russia Doesn't Want Its POWs Back" in transcript
    assert "in topic #" in transcript
    assert "not in General" in transcript
    assert "🗞 Ваша добірка" in transcript  # Mykola (Telegram in Ukrainian) reads Ukrainian
    assert "08:00" in transcript
    assert "▒" in transcript  # the relayed comment, behind a spoiler
