"""`newsbot demo` runs end to end offline and shows what it promises."""

from __future__ import annotations

import io

from bot.demo import run_demo


async def test_demo_runs_and_shows_every_step() -> None:
    """The demo exits 0 and its transcript shows a Ukrainian reader's session, the push, the
    forum topic, the digest, the connected channel, the spoiler-wrapped comment, and a comment
    with a link held, approved by the admin and relayed to the discussion group and to a
    follower."""
    out = io.StringIO()
    assert await run_demo(out) == 0
    transcript = out.getvalue()
    assert "EXPLAINED: Why Russia Doesn't Want Its POWs Back" in transcript
    assert "in topic #" in transcript
    assert "not in General" in transcript
    assert "🗞 Ваша добірка" in transcript  # Mykola (Telegram in Ukrainian) reads Ukrainian
    assert "08:00" in transcript
    assert "▒[There is a logic to stopping POWs" in transcript  # behind a spoiler
    assert "Вітаємо, *Olena*!" in transcript  # Olena's Telegram is in Ukrainian
    assert "[ Читати ]  [ 💬 Коментарі ]" in transcript
    assert "*Kador Explainers* is connected." in transcript  # Sam's channel, by /connect
    assert "The channel @kador_explainers got it too (message 1)" in transcript
    assert "[ 🔔 Follow comments ]" in transcript  # on Taras's comments view
    assert "It contains a link." in transcript  # held: comments.hold_links = true
    assert "✅ Editor approved the comment by *Olena*." in transcript
    relayed = transcript.split("13. Published comments go to the discussion group")[1]
    group_part, follower_part = relayed.split("newsbot ▸ Taras")
    assert group_part.count("newsbot ▸ Kador readers' discussion") == 2
    assert "▒[The full Geneva Convention text is at https://www.icrc.org/en/war-and-" \
        in group_part  # behind a spoiler in the discussion group
    assert "▒[The full Geneva Convention" in follower_part
    assert "[ 🔕 Unfollow comments ]" in follower_part
