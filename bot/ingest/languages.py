"""Languages of articles: what a feed declares, what the text looks like, and which URLs are
language versions of one story.

* :func:`primary_language` — a language tag ("uk-UA", "en_US", "EN") as the lower-case ISO
  639-1 code newsbot stores and compares ("uk", "en"), or ``None``;
* :func:`detect_language` — the language of a text by py3langid's bundled model (offline),
  or ``None`` when the text is too short or the model is unsure;
* :func:`story_key` — a canonical URL without its language prefix
  (``https://site/uk/explainers/x`` → ``https://site/explainers/x``), the same for every
  language version of a page that a publisher files under ``/<lang>/``.

Pure functions; the model is loaded once per process, on first use (about 0.4 s).
"""

from __future__ import annotations

import re
import threading
from typing import Any
from urllib.parse import urlsplit, urlunsplit

__all__ = ["detect_language", "primary_language", "story_key"]

#: Texts shorter than this (in characters) are not worth guessing from.
MIN_DETECTION_CHARS = 40
#: py3langid's normalised probability a detection needs to be believed.
MIN_DETECTION_CONFIDENCE = 0.9
#: Characters of a text the detector reads: the beginning says enough.
DETECTION_SAMPLE_CHARS = 600

_PRIMARY_SUBTAG = re.compile(r"^([A-Za-z]{2})(?:$|[-_])")
# A first path segment that names a language: "uk", "en", "pt-br", "zh_hans".
_LANGUAGE_SEGMENT = re.compile(r"^/([a-z]{2}(?:[-_][a-z]{2,4})?)(/.+)$", re.IGNORECASE)


def primary_language(tag: str | None) -> str | None:
    """The two-letter primary subtag of ``tag``, lower-cased; None for anything else."""
    if not tag:
        return None
    match = _PRIMARY_SUBTAG.match(tag.strip())
    return match.group(1).lower() if match else None


_LOAD_LOCK = threading.Lock()
_loaded: tuple[Any, threading.Lock] | None = None


def _identifier() -> tuple[Any, threading.Lock]:
    """The process's one identifier and the lock its calls share, loaded on first use.

    Loading takes a lock: threads that detect at once would otherwise each load a model
    (about 120 MB apiece while loading)."""
    global _loaded
    with _LOAD_LOCK:
        if _loaded is None:
            # Imported here: the model costs memory and time only where detection runs.
            from py3langid.langid import MODEL_FILE, LanguageIdentifier

            _loaded = (LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True),
                       threading.Lock())
        return _loaded


def detect_language(text: str) -> str | None:
    """The ISO 639-1 code of the language ``text`` is written in, or None if unsure."""
    sample = " ".join(text[:DETECTION_SAMPLE_CHARS].split())
    if len(sample) < MIN_DETECTION_CHARS:
        return None
    identifier, lock = _identifier()
    with lock:  # the identifier keeps no state per call, but guard it like the segmenters
        code, probability = identifier.classify(sample)
    if float(probability) < MIN_DETECTION_CONFIDENCE:
        return None
    return primary_language(str(code))


def story_key(canonical: str) -> str:
    """``canonical`` without a leading language segment in its path (query kept)."""
    try:
        parts = urlsplit(canonical)
    except ValueError:
        return canonical
    match = _LANGUAGE_SEGMENT.match(parts.path)
    if match is None:
        return canonical
    return str(urlunsplit((parts.scheme, parts.netloc, match.group(2), parts.query, "")))
