"""Factories for test inputs: config files and settings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.config import Settings, load_settings

TEST_TOKEN = "123456:TEST-TOKEN"


def toml_value(value: Any) -> str:
    """Render a Python value as TOML."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        escaped = value.replace("\\", "\\\\").replace('"', '\\"')
        return f'"{escaped}"'
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):  # an inline table: names = { uk = "Війна в Україні" }
        return "{ " + ", ".join(f"{toml_value(str(k))} = {toml_value(v)}"
                                for k, v in value.items()) + " }"
    raise TypeError(value)


def write_config(path: Path, sections: dict[str, Any]) -> Path:
    """Write a TOML config: tables for dicts, arrays of tables for lists of dicts."""
    lines: list[str] = []
    for name, body in sections.items():
        if isinstance(body, list):
            for item in body:
                lines.append(f"[[{name}]]")
                lines.extend(f"{k} = {toml_value(v)}" for k, v in item.items())
                lines.append("")
        else:
            lines.append(f"[{name}]")
            lines.extend(f"{k} = {toml_value(v)}" for k, v in body.items())
            lines.append("")
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def make_config(
    tmp_path: Path,
    *,
    api_base_url: str = "https://api.telegram.org/bot",
    database_url: str | None = None,
    token: str = TEST_TOKEN,
    admins: tuple[int, ...] = (),
    extra: dict[str, Any] | None = None,
) -> Path:
    """A valid config file for tests, with optional extra sections."""
    telegram: dict[str, Any] = {
        "token": token,
        "api_base_url": api_base_url,
        "admins": list(admins),
        "poll_timeout": 1,
    }
    sections: dict[str, Any] = {
        "telegram": telegram,
        "server": {"port": 0},
        # Threads, not a worker process, unless a test asks (spawning costs a second or two);
        # the test feed servers listen on loopback, which production refuses.
        "ingestion": {"workers": 0, "allow_private_networks": True},
        "topics": [
            {"slug": "war-in-ukraine", "name": "War in Ukraine", "keywords": ["Ukraine"]},
            {"slug": "russia", "name": "Russia", "aliases": ["Kremlin"]},
        ],
    }
    if database_url:
        sections["database"] = {"url": database_url}
    for key, value in (extra or {}).items():
        if isinstance(value, dict) and isinstance(sections.get(key), dict):
            sections[key] = {**sections[key], **value}
        else:
            sections[key] = value
    return write_config(tmp_path / "config.toml", sections)


def make_settings(tmp_path: Path, **kwargs: Any) -> Settings:
    """Validated settings from :func:`make_config`."""
    return load_settings(make_config(tmp_path, **kwargs))
