"""The reader commands' texts in Ukrainian: picker labels and toasts, /topic's help, /search's
usage, the group notices, and the command menu and /help from the catalogue."""

from __future__ import annotations

import re

from bot.application import BOT_COMMANDS, command_menus
from bot.domain import TopicChoice, TopicTag
from bot.i18n import use_language
from bot.render import (
    admins_only_notice,
    follow_all_notice,
    render_help,
    render_search_results,
    render_search_usage,
    render_topic_choices,
    toggle_notice,
    topic_picker,
)

CYRILLIC = re.compile("[а-яіїєґА-ЯІЇЄҐ]")
ENERGY = TopicChoice("energy", "Energy", subscribed=True)


def test_picker_labels_and_toasts_in_ukrainian() -> None:
    """The picker's own buttons and its toasts are Ukrainian; topic names stay as set up,
    and the callback data is the same in every language."""
    with use_language("uk"):
        rows = topic_picker([ENERGY])
        toasts = (toggle_notice(ENERGY),
                  toggle_notice(TopicChoice("energy", "Energy", subscribed=False)),
                  toggle_notice(None), follow_all_notice())
    assert [[b.text for b in row] for row in rows] == [["✅ Energy"], ["Усі теми", "Готово"]]
    assert [[b.callback_data for b in row] for row in rows] == [
        [b.callback_data for b in row] for row in topic_picker([ENERGY])]
    assert toasts == ("Ви стежите за темою Energy", "Ви більше не стежите за темою Energy",
                      "Цієї теми вже немає.", "Ви стежите за всіма темами")


def test_topic_help_and_search_usage_in_ukrainian() -> None:
    """/topic's help names the unknown topic in bold and lists the slugs; /search's usage
    and its nothing-found reply are Ukrainian; HTML in the query stays text."""
    with use_language("uk"):
        [choices] = render_topic_choices("<b>зебра", [TopicTag("energy", "Energy")])
        usage = render_search_usage()
        [nothing] = render_search_results([], "<i>зебра")
    assert choices.text == ("Я не знаю теми <b>&lt;b&gt;зебра</b>. Може, ви мали на увазі "
                            "одну з цих?\n\nТеми:\n• <code>energy</code> (Energy)")
    assert usage.text is not None
    assert usage.text.startswith(
        "Пошук пояснень: <code>/search &lt;слова&gt;</code>")
    assert nothing.text is not None
    assert nothing.text.startswith(
        "Не знайшлося пояснень за запитом «&lt;i&gt;зебра».")


def test_admins_only_notice_in_ukrainian() -> None:
    """The admins-only toast names the group or the channel."""
    with use_language("uk"):
        assert admins_only_notice() == "Змінити це можуть лише адміністратори групи."
        assert admins_only_notice("channel") == "Змінити це можуть лише адміністратори каналу."


def test_command_menus_from_the_catalogue() -> None:
    """Four menus: default scope and all group chats, each in English (no language code) and
    Ukrainian; every Ukrainian description is translated; /help lists the same texts."""
    menus = command_menus()
    assert [(scope is None, language) for _, scope, language in menus] == [
        (True, None), (True, "uk"), (False, None), (False, "uk")]
    english, ukrainian = menus[0][0], menus[1][0]
    assert [c.description for c in english] == [d for _, d in BOT_COMMANDS]
    assert [c.command for c in ukrainian] == [c.command for c in english]
    assert all(CYRILLIC.search(c.description) for c in ukrainian)
    with use_language("uk"):
        help_text = render_help("newsbot", None, BOT_COMMANDS).text
    assert help_text is not None
    for command in ukrainian:
        assert f"/{command.command} — {command.description}" in help_text
