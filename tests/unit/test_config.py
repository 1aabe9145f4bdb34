"""Config loading: TOML + environment, validated into a frozen object."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.config import ConfigError, load_settings
from tests.support.factories import TEST_TOKEN, make_config, write_config


def test_valid_config_loads_with_defaults(tmp_path: Path) -> None:
    """A minimal file yields typed settings with documented defaults."""
    settings = load_settings(make_config(tmp_path, admins=(42,)))
    assert settings.telegram.token.get_secret_value() == TEST_TOKEN
    assert settings.telegram.api_base_url == "https://api.telegram.org/bot"
    assert settings.telegram.admins == (42,)
    assert settings.telegram.mode == "polling"
    assert settings.database.url == f"sqlite+aiosqlite:///{tmp_path.resolve() / 'newsbot.db'}"
    assert [t.slug for t in settings.topics] == ["war-in-ukraine", "russia"]


def test_settings_are_frozen(tmp_path: Path) -> None:
    """Settings cannot be changed after loading."""
    settings = load_settings(make_config(tmp_path))
    with pytest.raises(ValidationError):
        settings.telegram.mode = "webhook"  # type: ignore[misc]


def test_token_is_secret_in_repr(tmp_path: Path) -> None:
    """The token never shows in the settings' repr or str."""
    settings = load_settings(make_config(tmp_path))
    assert TEST_TOKEN not in repr(settings)
    assert TEST_TOKEN not in str(settings)


def test_environment_overrides_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """NEWSBOT_SECTION__KEY overrides the file, including the token."""
    monkeypatch.setenv("NEWSBOT_TELEGRAM__TOKEN", "999:FROM-ENV")
    monkeypatch.setenv("NEWSBOT_SERVER__PORT", "9100")
    settings = load_settings(make_config(tmp_path))
    assert settings.telegram.token.get_secret_value() == "999:FROM-ENV"
    assert settings.server.port == 9100


def test_token_from_environment_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file without a token is fine when the environment supplies it."""
    path = write_config(tmp_path / "c.toml", {"server": {"port": 1}})
    monkeypatch.setenv("NEWSBOT_TELEGRAM__TOKEN", "5:ENV")
    assert load_settings(path).telegram.token.get_secret_value() == "5:ENV"


@pytest.mark.parametrize(
    ("sections", "key", "fragment"),
    [
        ({"server": {"port": 1}}, "telegram.token", "required"),
        ({"telegram": {"token": "nonsense"}}, "telegram.token", "bot token"),
        ({"telegram": {"token": TEST_TOKEN, "colour": "red"}}, "telegram.colour", "unknown key"),
        ({"telegram": {"token": TEST_TOKEN}, "extra": {"a": 1}}, "extra", "unknown key"),
        ({"telegram": {"token": TEST_TOKEN, "admins": "me"}}, "telegram.admins", "tuple"),
        ({"telegram": {"token": TEST_TOKEN, "mode": "push"}}, "telegram.mode", "polling"),
        ({"telegram": {"token": TEST_TOKEN, "mode": "webhook"}}, "telegram.webhook_url",
         "required"),
        ({"telegram": {"token": TEST_TOKEN, "mode": "webhook",
                       "webhook_url": "https://bot.example.com/hook"}},
         "telegram.webhook_secret", "forged"),
        ({"telegram": {"token": TEST_TOKEN, "webhook_secret": "has spaces"}},
         "telegram.webhook_secret", "may only contain"),
        ({"telegram": {"token": TEST_TOKEN}, "database": {
            "url": "postgresql+asyncpg://u:pw@host:notaport/db"}}, "database.url", "valid"),
        ({"telegram": {"token": TEST_TOKEN}, "topics": [{"slug": "a" * 59, "name": "x"}]},
         "topics[0].slug", "1-58"),
        ({"telegram": {"token": TEST_TOKEN}, "topics": [{"slug": "a", "name": "x"},
                                                        {"slug": "a", "name": "y"}]},
         "topics[1].slug", "duplicate"),
        ({"telegram": {"token": TEST_TOKEN}, "feeds": [
            {"url": "https://e.com/f", "name": "x", "topics": ["nope"]}]},
         "feeds[0].topics", "unknown topic"),
        ({"telegram": {"token": TEST_TOKEN}, "database": {"url": "mysql://x"}},
         "database.url", "sqlite+aiosqlite"),
        ({"telegram": {"token": TEST_TOKEN}, "server": {"port": "eighty"}},
         "server.port", "integer"),
        ({"telegram": {"token": TEST_TOKEN}, "feeds": [{"url": "not a url", "name": "x"}]},
         "feeds[0].url", "URL"),
        ({"telegram": {"token": TEST_TOKEN}, "feeds": [{"url": "https://e.com/f", "name": "x",
                                                        "interval": 5}]},
         "feeds[0].interval", "greater than or equal to 60"),
        ({"telegram": {"token": TEST_TOKEN}, "topics": [{"slug": "Bad Slug", "name": "x"}]},
         "topics[0].slug", "lowercase"),
        ({"telegram": {"token": TEST_TOKEN}, "topics": [
            {"slug": "a", "name": "x"}, {"slug": "b", "name": "y", "names": {"de": "Z"}}]},
         "topics[1].names.de", "unknown interface language 'de'"),
        ({"telegram": {"token": TEST_TOKEN}, "topics": [
            {"slug": "a", "name": "x", "names": {"en": "X"}}]},
         "topics[0].names.en", "`name` is the 'en' one"),
        ({"telegram": {"token": TEST_TOKEN}, "topics": [
            {"slug": "a", "name": "x", "names": {"uk": " "}}]},
         "topics[0].names.uk", "1-100 characters"),
        ({"telegram": {"token": TEST_TOKEN}, "topics": [
            {"slug": "a", "name": "x", "names": {"uk": "я" * 101}}]},
         "topics[0].names.uk", "1-100 characters"),
    ],
)
def test_bad_config_names_the_key(
    tmp_path: Path, sections: dict[str, object], key: str, fragment: str
) -> None:
    """Each kind of mistake raises ConfigError naming the dotted key and the problem."""
    path = write_config(tmp_path / "bad.toml", sections)  # type: ignore[arg-type]
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    assert info.value.key == key
    assert fragment in info.value.problem
    assert "\n" not in info.value.one_line()


def test_token_value_never_echoed_in_error(tmp_path: Path) -> None:
    """A malformed token is reported without repeating its value."""
    path = write_config(tmp_path / "bad.toml", {"telegram": {"token": "secret-but-wrong"}})
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    assert "secret-but-wrong" not in info.value.one_line()


def test_secret_never_echoed_when_telegram_is_not_a_table(tmp_path: Path) -> None:
    """A token written as `telegram = "..."` is not repeated in the error."""
    path = tmp_path / "bad.toml"
    path.write_text('telegram = "123456:VERYSECRETVALUE"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    assert info.value.key == "telegram"
    assert "VERYSECRETVALUE" not in info.value.one_line()


def test_slug_of_58_characters_fits_callback_data(tmp_path: Path) -> None:
    """The longest allowed slug still makes a valid topic button."""
    from bot.domain import TopicChoice
    from bot.render import topic_picker

    slug = "a" * 58
    path = make_config(tmp_path, extra={"topics": [{"slug": slug, "name": "Long"}]})
    assert load_settings(path).topics[0].slug == slug
    [[button], _all_and_done] = topic_picker([TopicChoice(slug, "Long", False)])
    assert button.callback_data is not None
    assert len(button.callback_data.encode()) <= 64


def test_invalid_toml_is_a_config_error(tmp_path: Path) -> None:
    """Broken TOML syntax is reported as a config error, not a traceback."""
    path = tmp_path / "broken.toml"
    path.write_text("[telegram\ntoken = 1", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(path)


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    """A config path that does not exist is reported clearly."""
    with pytest.raises(ConfigError, match="file not found"):
        load_settings(tmp_path / "nope.toml")


def test_feed_naming_unknown_topic_rejected(tmp_path: Path) -> None:
    """A feed's default topic must be one of the configured topics."""
    path = make_config(tmp_path, extra={"feeds": [
        {"url": "https://example.com/rss", "name": "Main", "topics": ["sports"]}]})
    with pytest.raises(ConfigError, match="unknown topic 'sports'"):
        load_settings(path)


def test_topic_names_in_other_languages_load(tmp_path: Path) -> None:
    """A topic's `names` table gives its name per interface language; without it, none."""
    path = make_config(tmp_path, extra={"topics": [
        {"slug": "war-in-ukraine", "name": "War in Ukraine",
         "names": {"uk": "Війна в Україні"}},
        {"slug": "russia", "name": "Russia"}]})
    war, russia = load_settings(path).topics
    assert war.names == {"uk": "Війна в Україні"}
    assert russia.names == {}
