"""Configuration: a TOML file plus ``NEWSBOT_*`` environment overrides, validated once.

``load_settings(path)`` returns a frozen :class:`Settings`; any problem raises
:class:`ConfigError` naming the offending key, which the CLI turns into one line and exit
code 2. Nothing here runs at import time.
"""

from __future__ import annotations

import ipaddress
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    HttpUrl,
    SecretStr,
    ValidationError,
    field_validator,
)
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot.i18n import DEFAULT_LANGUAGE, LANGUAGES
from bot.log import mask_secrets

OFFICIAL_API_BASE_URL = "https://api.telegram.org/bot"
TOKEN_PATTERN = re.compile(r"^\d{1,20}:[A-Za-z0-9_-]{1,100}$")
# bot.callback_data.ToggleTopic packs "topic:<slug>" into Telegram's 64-byte callback_data.
SLUG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,57}$")
SUPPORTED_DATABASE_SCHEMES = ("sqlite+aiosqlite", "postgresql+asyncpg")


class ConfigError(Exception):
    """A configuration problem, tied to the dotted key it concerns."""

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(f"{key}: {problem}")
        self.key = key
        self.problem = problem

    def one_line(self) -> str:
        """Return the message shown to the operator."""
        return f"config error: {self.key}: {self.problem}"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TelegramSettings(_Section):
    """How the bot talks to Telegram (or to a Bot API server / the emulator)."""

    token: SecretStr
    api_base_url: str = OFFICIAL_API_BASE_URL
    admins: tuple[int, ...] = ()
    mode: Literal["polling", "webhook"] = "polling"
    webhook_url: str | None = None
    webhook_path: str = "/telegram/webhook"
    webhook_secret: SecretStr | None = None
    connect_timeout: Annotated[float, Field(gt=0, le=300)] = 5.0
    read_timeout: Annotated[float, Field(gt=0, le=300)] = 10.0
    write_timeout: Annotated[float, Field(gt=0, le=300)] = 10.0
    pool_timeout: Annotated[float, Field(gt=0, le=300)] = 5.0
    pool_size: Annotated[int, Field(ge=1, le=1024)] = 64
    poll_timeout: Annotated[int, Field(ge=0, le=50)] = 30
    update_dedupe_minutes: Annotated[int, Field(ge=1, le=7 * 1440)] = 10
    drop_pending_updates: bool = False
    commands_per_minute: Annotated[int, Field(ge=1, le=10_000)] = 20

    @field_validator("token")
    @classmethod
    def _token_shape(cls, value: SecretStr) -> SecretStr:
        raw = value.get_secret_value().strip()
        if not raw:
            raise ValueError("is empty; get a token from @BotFather")
        if not TOKEN_PATTERN.match(raw):
            raise ValueError("does not look like a bot token (expected digits:characters)")
        return SecretStr(raw)

    @field_validator("api_base_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        if not re.match(r"^https?://[^\s/]+", value):
            raise ValueError("must be an http(s) URL such as https://api.telegram.org/bot")
        return value.rstrip("/")

    @field_validator("webhook_path")
    @classmethod
    def _webhook_path(cls, value: str) -> str:
        if not value.startswith("/"):
            raise ValueError("must start with '/'")
        return value

    @field_validator("webhook_url")
    @classmethod
    def _webhook_url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://[^\s/]+", value):
            raise ValueError("must be the public https:// URL Telegram posts updates to")
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _webhook_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not re.fullmatch(
            r"[A-Za-z0-9_-]{1,256}", value.get_secret_value()
        ):
            raise ValueError("may only contain A-Z, a-z, 0-9, _ and - (1 to 256 characters)")
        return value


class DatabaseSettings(_Section):
    """Where newsbot keeps its data."""

    url: str = ""
    echo: bool = False
    pool_size: Annotated[int, Field(ge=1, le=200)] = 10
    connect_timeout: Annotated[float, Field(gt=0, le=120)] = 10.0

    @field_validator("url")
    @classmethod
    def _url_scheme(cls, value: str) -> str:
        if value == "":
            return value
        scheme = value.split("://", 1)[0] if "://" in value else ""
        if scheme not in SUPPORTED_DATABASE_SCHEMES:
            raise ValueError(
                "must start with sqlite+aiosqlite:/// or postgresql+asyncpg://"
                f" (got {scheme or 'no scheme'!r})"
            )
        try:
            make_url(value)
        except (ArgumentError, ValueError) as exc:
            raise ValueError(f"is not a valid database URL ({exc})") from None
        return value


class PublisherSettings(_Section):
    """Who is speaking: shown in greetings and help."""

    name: str = Field(default="newsbot", min_length=1, max_length=100)
    website: HttpUrl | None = None


class ServerSettings(_Section):
    """The HTTP server for health, metrics and (in webhook mode) Telegram's updates."""

    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=0, le=65535)] = 8080
    ready_telegram_minutes: Annotated[float, Field(gt=0, le=1440)] = 10.0
    ready_outbox_stuck_minutes: Annotated[float, Field(gt=0, le=7 * 1440)] = 15.0
    # Where readers reach this server from outside; set, the "Read" buttons of pushed
    # explainers go through <public_url>/r/<id> so clicks are counted (None: no tracking).
    public_url: str | None = None

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", value):
            raise ValueError("must be an http:// or https:// URL (no query), e.g. "
                             "https://news.example.com/bot")
        return value.rstrip("/")


class DeliverySettings(_Section):
    """How the outbox pushes explainers: Telegram's limits, concurrency, coalescing, shutdown."""

    rate_per_second: Annotated[float, Field(gt=0, le=1000)] = 30.0
    paid_broadcast: bool = False
    paid_rate_per_second: Annotated[float, Field(gt=0, le=1000)] = 1000.0
    private_chat_interval: Annotated[float, Field(ge=0, le=3600)] = 1.05
    group_chat_interval: Annotated[float, Field(ge=0, le=3600)] = 3.15
    concurrency: Annotated[int, Field(ge=1, le=1024)] = 32
    batch_size: Annotated[int, Field(ge=1, le=10_000)] = 500
    coalesce_seconds: Annotated[float, Field(ge=0, le=86_400)] = 120.0
    max_items_per_push: Annotated[int, Field(ge=1, le=100)] = 10
    max_attempts: Annotated[int, Field(ge=1, le=100)] = 8
    retry_base_seconds: Annotated[float, Field(gt=0, le=3600)] = 2.0
    retry_max_seconds: Annotated[float, Field(gt=0, le=86_400)] = 300.0
    lease_seconds: Annotated[float, Field(ge=10, le=3600)] = 120.0
    shutdown_grace_seconds: Annotated[float, Field(ge=0, le=300)] = 5.0
    corrections: Literal["edit", "push", "off"] = "edit"
    leader_check_seconds: Annotated[float, Field(ge=0.1, le=300)] = 5.0


class LoggingSettings(_Section):
    """Log output."""

    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    format: Literal["text", "json"] = "text"

    @field_validator("level", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @field_validator("format", mode="before")
    @classmethod
    def _lower(cls, value: Any) -> Any:
        return value.lower() if isinstance(value, str) else value


class IngestionSettings(_Section):
    """How feeds are fetched, parsed and summarised."""

    user_agent: str = "newsbot/0.1 (+https://github.com/newsbot)"
    max_response_bytes: Annotated[int, Field(ge=1024, le=512 * 1024 * 1024)] = 5 * 1024 * 1024
    connect_timeout: Annotated[float, Field(gt=0, le=120)] = 10.0
    read_timeout: Annotated[float, Field(gt=0, le=600)] = 30.0
    per_host_concurrency: Annotated[int, Field(ge=1, le=100)] = 4
    total_concurrency: Annotated[int, Field(ge=1, le=1000)] = 64
    max_redirects: Annotated[int, Field(ge=0, le=20)] = 5
    allow_private_networks: bool = False
    allowed_networks: tuple[str, ...] = ()

    @field_validator("allowed_networks")
    @classmethod
    def _networks(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for network in value:
            try:
                ipaddress.ip_network(network, strict=False)
            except ValueError:
                raise ValueError(
                    f"{network!r} is not a network in CIDR form, e.g. '10.20.0.0/16'"
                ) from None
        return value
    jitter: Annotated[float, Field(ge=0, le=3600)] = 30.0
    failure_alert_threshold: Annotated[int, Field(ge=1, le=1000)] = 5
    max_backoff: Annotated[int, Field(ge=60, le=7 * 86400)] = 86400
    summary_sentences: Annotated[int, Field(ge=1, le=10)] = 3
    baseline_summaries: Literal["lead", "full"] = "lead"
    topic_summary_points: Annotated[int, Field(ge=1, le=20)] = 5
    topic_summary_articles: Annotated[int, Field(ge=1, le=100)] = 10
    workers: Annotated[int, Field(ge=0, le=64)] = 0


class FeedSettings(_Section):
    """One publisher feed."""

    url: HttpUrl
    name: str = Field(min_length=1, max_length=200)
    interval: Annotated[int, Field(ge=60, le=7 * 86400)] = 900
    full_text: bool = False
    topics: tuple[str, ...] = ()


class TopicSettings(_Section):
    """One topic of the publisher's catalogue."""

    slug: str
    name: str = Field(min_length=1, max_length=100)
    keywords: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    #: The name in other interface languages ({"uk": "Війна в Україні"}); readers of a
    #: language not listed see ``name``.
    names: dict[str, str] = Field(default_factory=dict)

    @field_validator("slug")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not SLUG_PATTERN.match(value):
            raise ValueError(
                "must be 1-58 lowercase letters, digits and '-', e.g. 'war-in-ukraine'"
            )
        return value


class CommentSettings(_Section):
    """Reader comments: moderation, where they are relayed, names, spoilers and limits."""

    moderation: Literal["auto", "pre"] = "auto"
    discussion_chat_id: int | None = None
    anonymous: bool = False
    spoiler: bool = True
    rate_limit: Annotated[int, Field(ge=1, le=1000)] = 5
    rate_window_minutes: Annotated[int, Field(ge=1, le=1440)] = 10
    max_length: Annotated[int, Field(ge=1, le=3500)] = 2000
    hold_links: bool = False
    hold_new_commenters: bool = False
    notify_admins: bool = True
    site_comments: bool = True
    site_poll_minutes: Annotated[int, Field(ge=1, le=1440)] = 10
    site_window_days: Annotated[int, Field(ge=1, le=365)] = 7
    site_max_per_run: Annotated[int, Field(ge=1, le=1000)] = 20

    @field_validator("discussion_chat_id")
    @classmethod
    def _chat_id(cls, value: int | None) -> int | None:
        if value is not None and (value == 0 or abs(value) >= 2**63):
            raise ValueError("must be a Telegram chat id such as -1001234567890")
        return value


class Settings(BaseSettings):
    """The whole validated configuration. Frozen: read once at start and passed down."""

    model_config = SettingsConfigDict(
        env_prefix="NEWSBOT_",
        env_nested_delimiter="__",
        extra="forbid",
        frozen=True,
        case_sensitive=False,
    )

    telegram: TelegramSettings
    publisher: PublisherSettings = PublisherSettings()
    database: DatabaseSettings = DatabaseSettings()
    server: ServerSettings = ServerSettings()
    logging: LoggingSettings = LoggingSettings()
    delivery: DeliverySettings = DeliverySettings()
    ingestion: IngestionSettings = IngestionSettings()
    comments: CommentSettings = CommentSettings()
    feeds: tuple[FeedSettings, ...] = ()
    topics: tuple[TopicSettings, ...] = ()


    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The file's values arrive as init kwargs; the environment overrides them.
        return (env_settings, init_settings)


def _key_of(loc: tuple[int | str, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        elif item.startswith(("function-after", "function-before")):
            continue
        else:
            parts.append(("." if parts else "") + item)
    return "".join(parts) or "config"


def _describe(error: Mapping[str, Any]) -> tuple[str, str]:
    loc = tuple(error.get("loc", ()))
    key = _key_of(loc)
    kind = error.get("type", "")
    message = str(error.get("msg", "invalid value"))
    if kind == "missing" and key == "telegram":
        key = "telegram.token"  # the only required key of the section
    if kind == "missing":
        problem = "is required"
        if key == "telegram.token":
            problem += " (get one from @BotFather)"
    elif kind == "extra_forbidden":
        problem = "unknown key (see config.example.toml for the valid keys)"
    else:
        problem = message.removeprefix("Value error, ")
        if "input" in error and kind not in ("value_error",) and not isinstance(
            error["input"], dict | list
        ):
            hidden = key == "telegram" or key.startswith("telegram.")
            shown = "<hidden>" if hidden else mask_secrets(repr(error["input"])[:60])
            problem = f"{problem} (got {shown})"
    return key, problem


def default_database_url(config_path: Path | None) -> str:
    """Return the embedded SQLite database beside the config file (or in the cwd)."""
    directory = config_path.resolve().parent if config_path else Path.cwd()
    return f"sqlite+aiosqlite:///{directory / 'newsbot.db'}"


def load_settings(path: Path | str | None, *, overrides: dict[str, Any] | None = None) -> Settings:
    """Read ``path`` (TOML) plus the environment and return validated, frozen settings.

    Raises :class:`ConfigError` naming the first problem.
    """
    data: dict[str, Any] = {}
    config_path = Path(path) if path is not None else None
    if config_path is not None:
        try:
            raw = config_path.read_bytes()
        except FileNotFoundError:
            raise ConfigError("config", f"file not found: {config_path}") from None
        except OSError as exc:
            raise ConfigError("config", f"cannot read {config_path}: {exc.strerror}") from None
        try:
            data = tomllib.loads(raw.decode("utf-8"))
        except UnicodeDecodeError:
            raise ConfigError("config", f"{config_path} is not UTF-8 text") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError("config", f"{config_path} is not valid TOML: {exc}") from None
    if overrides:
        data = _merge(data, overrides)
    try:
        settings = Settings(**data)
    except ValidationError as exc:
        key, problem = _describe(exc.errors()[0])
        raise ConfigError(key, problem) from None
    _cross_check(settings)
    if not settings.database.url:
        database = settings.database.model_copy(
            update={"url": default_database_url(config_path)}
        )
        settings = settings.model_copy(update={"database": database})
    return settings


def _cross_check(settings: Settings) -> None:
    """Checks that span several keys, reported against the precise key."""
    tg = settings.telegram
    if tg.mode == "webhook":
        if not tg.webhook_url:
            raise ConfigError("telegram.webhook_url", "is required when mode = 'webhook'")
        if tg.webhook_secret is None:
            raise ConfigError(
                "telegram.webhook_secret",
                "is required when mode = 'webhook' (without it anyone who learns the URL "
                "could post forged updates)",
            )
    if settings.comments.moderation == "pre" and not tg.admins:
        raise ConfigError(
            "comments.moderation",
            "'pre' needs at least one user id in telegram.admins to approve comments",
        )
    seen_slugs: set[str] = set()
    for index, topic in enumerate(settings.topics):
        if topic.slug in seen_slugs:
            raise ConfigError(f"topics[{index}].slug", f"duplicate slug {topic.slug!r}")
        seen_slugs.add(topic.slug)
        for language, name in topic.names.items():
            key = f"topics[{index}].names.{language}"
            if language not in LANGUAGES or language == DEFAULT_LANGUAGE:
                others = ", ".join(code for code in LANGUAGES if code != DEFAULT_LANGUAGE)
                raise ConfigError(key, f"unknown interface language {language!r} (one of: "
                                       f"{others}; `name` is the {DEFAULT_LANGUAGE!r} one)")
            if not 1 <= len(name.strip()) <= 100 or len(name) > 100:
                raise ConfigError(key, "must be 1-100 characters")
    seen_urls: set[str] = set()
    for index, feed in enumerate(settings.feeds):
        if str(feed.url) in seen_urls:
            raise ConfigError(f"feeds[{index}].url", f"duplicate feed {str(feed.url)!r}")
        seen_urls.add(str(feed.url))
        for slug in feed.topics:
            if slug not in seen_slugs:
                raise ConfigError(f"feeds[{index}].topics", f"unknown topic {slug!r}")


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged
