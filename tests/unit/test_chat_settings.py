"""Pure parts of /settings and /subscribe: argument parsing, presets, topic names and near
misses, and the settings keyboard."""

from __future__ import annotations

import pytest

from bot.callback_data import CALLBACK_DATA_LIMIT, SettingsChoice
from bot.domain import TopicTag
from bot.render import render_settings
from bot.services.news import TopicIndex
from bot.services.schedule import DeliveryPrefs, thread_settings
from bot.services.settings import (
    SettingsError,
    interface_choice,
    parse_settings_args,
    preset_values,
    split_thread_values,
    split_topic_names,
    valid_timezone,
    view_of,
)

WAR = TopicTag("war-in-ukraine", "War in Ukraine")
RUSSIA = TopicTag("russia", "Russia")
ECONOMY = TopicTag("economy", "Economy")
INDEX = TopicIndex((ECONOMY, RUSSIA, WAR),
                   {"russia": ("kremlin", "росія"), "economy": ("економіка",)})


@pytest.mark.parametrize(("args", "values", "zone"), [
    ("timezone Europe/Kyiv", {}, "Europe/Kyiv"),
    ("timezone europe/kyiv", {}, "Europe/Kyiv"),
    ("digest 19:00 8:00", {"delivery": "digest", "digest_times": ["08:00", "19:00"]}, None),
    ("digest", {"delivery": "digest"}, None),
    ("instant", {"delivery": "instant"}, None),
    ("quiet 23:00 07:00", {"quiet_hours": ["23:00", "07:00"]}, None),
    ("quiet OFF", {"quiet_hours": None}, None),
    ("mute A, b c, a", {"mute_words": ["a", "b c"]}, None),
    ("only x y", {"only_words": ["x", "y"]}, None),
    ("only off", {"only_words": None}, None),
    ("previews off", {"previews": False}, None),
    ("images on", {"images": True}, None),
    ("content UK", {"content_language": "uk"}, None),
])
def test_settings_text_forms_parse(args: str, values: dict[str, object], zone: str | None
                                   ) -> None:
    """Each text form becomes the settings it stores (and the timezone it sets)."""
    assert parse_settings_args(args.split()) == (values, zone)


@pytest.mark.parametrize(("args", "reason"), [
    ("timezone Mars/Base", "unknown_timezone"),
    ("timezone ../../etc/passwd", "unknown_timezone"),
    ("timezone", "timezone_usage"),
    ("digest 24:00", "bad_times"),
    ("quiet 07:00 07:00", "bad_quiet"),
    ("quiet 07:00", "bad_quiet"),
    ("mute ,,", "no_words"),
    ("previews yes", "bad_switch"),
    ("content fr", "bad_language"),
    ("language uk", "usage"),  # the interface language is not a stored setting: see below
    ("instant now", "usage"),
    ("🔥", "usage"),
    ("mute " + "x" * 400, "too_long"),
])
def test_bad_settings_raise_with_a_reason(args: str, reason: str) -> None:
    """A bad argument raises SettingsError naming what is wrong."""
    with pytest.raises(SettingsError) as error:
        parse_settings_args(args.split())
    assert error.value.reason == reason


def test_presets_are_only_what_the_buttons_offer() -> None:
    """Button values outside the presets are refused (a forged press)."""
    assert preset_values("digest", "0800-1900") == {
        "delivery": "digest", "digest_times": ["08:00", "19:00"]}
    assert preset_values("quiet", "off") == {"quiet_hours": None}
    assert preset_values("quiet", "0000-2359") is None
    assert preset_values("delivery", "nuclear") is None
    assert preset_values("timezone", "UTC") is None


def test_keyboard_buttons_fit_and_round_trip() -> None:
    """Every /settings button's data fits 64 bytes and names an accepted preset."""
    message = render_settings(view_of({}, "UTC"))
    for row in message.buttons:
        for b in row:
            assert b.callback_data is not None
            assert len(b.callback_data.encode()) <= CALLBACK_DATA_LIMIT
            pressed = SettingsChoice.parse(b.callback_data)
            assert pressed is not None
            if pressed.key == "lang":  # the interface language: the language service's
                assert pressed.value in ("en", "uk")
                continue
            assert preset_values(pressed.key, pressed.value) is not None


def test_stored_settings_are_what_the_delivery_engine_reads() -> None:
    """What /settings stores is read back by DeliveryPrefs.from_chat."""
    values, _ = parse_settings_args(["digest", "07:30", "18:00"])
    quiet, _ = parse_settings_args(["quiet", "22:00", "06:00"])
    prefs = DeliveryPrefs.from_chat("Europe/Kyiv", {**values, **quiet})
    assert prefs.mode == "digest"
    assert [t.strftime("%H:%M") for t in prefs.digest_times] == ["07:30", "18:00"]
    assert prefs.quiet_hours is not None
    assert valid_timezone("Europe/Kyiv") == "Europe/Kyiv"


@pytest.mark.parametrize(("text", "found", "unknown"), [
    ("war in ukraine", [WAR], []),
    ("War in Ukraine russia", [WAR, RUSSIA], []),
    ("kremlin, ЕКОНОМІКА", [RUSSIA, ECONOMY], []),
    ("russia ecnomy", [RUSSIA], ["ecnomy"]),
    ("🔥 שלום", [], ["🔥", "שלום"]),
])
def test_topic_names_split(text: str, found: list[TopicTag], unknown: list[str]) -> None:
    """Several topics by commas or the longest run of words naming one; the rest unknown."""
    assert split_topic_names(text, INDEX) == (found, unknown)


def test_near_misses_are_suggested() -> None:
    """A misspelt name or alias suggests its topic; nonsense suggests nothing."""
    assert INDEX.suggest("ecnomy") == (ECONOMY,)
    assert INDEX.suggest("kremln") == (RUSSIA,)
    assert INDEX.suggest("zzzzqqq") == ()


def test_interface_language_is_read_apart_from_the_settings() -> None:
    """``/settings language en|uk`` names the bot's language; anything else is not it."""
    assert interface_choice(["language", "UK"]) == "uk"
    assert interface_choice(["lang", "en"]) == "en"
    assert interface_choice(["content", "uk"]) is None
    assert interface_choice([]) is None
    with pytest.raises(SettingsError) as caught:
        interface_choice(["language", "all"])
    assert caught.value.reason == "bad_interface_language"


def test_thread_settings_merge_over_the_chat() -> None:
    """A forum thread's own settings override the chat's; a None override removes the key;
    time zone and languages are never the thread's; other threads and General see the
    chat's."""
    chat = {"delivery": "instant", "quiet_hours": ["22:00", "07:00"], "previews": False,
            "content_language": "uk",
            "threads": {"5": {"delivery": "digest", "digest_times": ["19:00"],
                              "quiet_hours": None, "content_language": "en"},
                        "6": "malformed"}}
    five = thread_settings(chat, 5)
    assert five == {"delivery": "digest", "digest_times": ["19:00"], "previews": False,
                    "content_language": "uk"}
    assert thread_settings(chat, 0) == thread_settings(chat, 6) == thread_settings(chat, 7)
    assert "threads" not in thread_settings(chat, 0)
    assert thread_settings(chat, None)["delivery"] == "instant"
    assert thread_settings(None, 5) == {}
    assert DeliveryPrefs.from_chat("UTC", five).mode == "digest"
    assert split_thread_values({"delivery": "digest", "content_language": "uk"}, 5) == (
        {"content_language": "uk"}, {"delivery": "digest"})
    assert split_thread_values({"delivery": "digest"}, 0) == ({"delivery": "digest"}, {})
