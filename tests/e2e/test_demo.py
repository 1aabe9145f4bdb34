"""`newsbot demo` runs end to end offline and shows what it promises."""

from __future__ import annotations

import io

from bot.demo import run_demo


async def test_demo_runs_and_shows_every_step() -> None:
    """The demo exits 0 and its transcript shows a Ukrainian reader's session, the push, the
    forum topic, the digest, the connected channel and the spoiler-wrapped comment."""
    out = io.StringIO()
    assert await run_demo(out) == 0
    transcript = out.getvalue()
    assert "EXPLAINED: Why Russia Doesn't Want Its POWs Back" in transcript
    assert "in topic #" in transcript
    assert "not in General" in transcript
    assert "🗞 Ваша добірка" in transcript  # Mykola (Telegram in Ukrainian) reads Ukrainian
    assert "08:00" in transcript
    assert "▒" in transcript  # the relayed comment, behind a spoiler
    assert "Вітаємо, *Olena*!" in transcript  # Olena's Telegram is in Ukrainian
    assert "[ Читати ]  [ 💬 Коментарі ]" in transcript
    assert "*Kador Explainers* is connected." in transcript  # Sam's channel, by /connect
    assert "The channel @kador_explainers got it too (message 1)" in transcript
