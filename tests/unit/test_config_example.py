"""config.example.toml is valid and documents every key."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import BaseModel

from bot.config import Settings, load_settings

EXAMPLE = Path(__file__).resolve().parents[2] / "config.example.toml"


def _keys(model: type[BaseModel], prefix: str = "") -> set[str]:
    keys: set[str] = set()
    for name, field in model.model_fields.items():
        annotation = field.annotation
        inner = getattr(annotation, "__args__", (annotation,))
        nested = [a for a in inner if isinstance(a, type) and issubclass(a, BaseModel)]
        if nested:
            keys |= _keys(nested[0], f"{prefix}{name}.")
        else:
            keys.add(f"{prefix}{name}")
    return keys


def test_example_config_is_valid() -> None:
    """The shipped example loads without errors."""
    settings = load_settings(EXAMPLE)
    assert settings.telegram.mode == "polling"
    assert settings.topics
    assert settings.feeds


def test_every_key_is_in_the_example_with_a_comment() -> None:
    """Each settings key appears in the example (set or commented out) under a comment."""
    lines = EXAMPLE.read_text(encoding="utf-8").splitlines()
    section = ""
    present: dict[str, int] = {}
    for number, line in enumerate(lines):
        header = re.match(r"^\[\[?([a-z_]+)\]\]?", line)
        if header:
            section = header.group(1)
            continue
        match = re.match(r"^#?\s?([a-z_]+)\s*=", line)
        if match:
            present.setdefault(f"{section}.{match.group(1)}", number)
    key_line = re.compile(r"^#?\s?[a-z_]+\s*=")
    for key in sorted(_keys(Settings)):
        assert key in present, f"{key} missing from config.example.toml"
        number = present[key] - 1
        while number >= 0 and key_line.match(lines[number]):
            number -= 1  # keys grouped under one comment share it
        assert number >= 0, key
        assert lines[number].startswith("#"), f"{key} has no comment above it"
