"""``newsbot feeds import | export | preview``.

Preview runs exactly the code ingestion runs (parse → process_entries) and the renderer the
bot sends with, so what it prints is what readers would get.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlsplit

from bot.config import IngestionSettings, Settings
from bot.domain import ArticleCard, TopicTag
from bot.ingest.feed_parsing import FeedParseError, parse_feed
from bot.ingest.fetch import FeedFetcher, FetchError
from bot.ingest.opml import OpmlError, OpmlFeed, parse_opml, render_opml
from bot.ingest.processing import ProcessedEntry, process_entries
from bot.ingest.topic_matching import TopicMatcher
from bot.render import OutgoingMessage, render_article
from bot.services.polling import sync_catalogue
from storage import feeds as feeds_dao
from storage.db import create_engine, create_session_factory, upgrade_schema, write_session

EXIT_OK = 0
EXIT_FAILURE = 1


class PreviewError(Exception):
    """The source cannot be previewed (one line for the operator)."""


async def _read_source(source: str, ingestion: IngestionSettings) -> tuple[bytes, str, str | None]:
    """Return (body, base URL, content type) of a URL or a local file."""
    if urlsplit(source).scheme in ("http", "https"):
        async with FeedFetcher(ingestion) as fetcher:
            try:
                result = await fetcher.fetch_feed(source)
            except FetchError as exc:
                raise PreviewError(f"cannot fetch {source}: {exc}") from None
        return result.body, result.final_url, result.content_type
    path = Path(source)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise PreviewError(f"no such file: {source}") from None
    except IsADirectoryError:
        raise PreviewError(f"{source} is a directory") from None
    except OSError as exc:
        raise PreviewError(f"cannot read {source}: {exc.strerror}") from None
    if len(data) > ingestion.max_response_bytes:
        raise PreviewError(f"{source} is larger than {ingestion.max_response_bytes} bytes")
    return data, path.resolve().as_uri(), None


def _card(entry: ProcessedEntry, names: dict[str, str]) -> ArticleCard:
    return ArticleCard(
        title=entry.title,
        url=entry.url,
        summary=entry.summary,
        topics=tuple(TopicTag(slug, names.get(slug, slug)) for slug in entry.topics),
        tags=entry.tags,
        image_url=entry.image_url,
        published_at=entry.published_at,
    )


async def preview(
    source: str, settings: Settings | None, *, as_json: bool, out: TextIO,
    allow_private: bool = False,
) -> int:
    """Print each entry of ``source`` with its topics, summary and Telegram message(s)."""
    ingestion = settings.ingestion if settings else IngestionSettings()
    if allow_private:
        ingestion = ingestion.model_copy(update={"allow_private_networks": True})
    topics = settings.topics if settings else ()
    try:
        body, base_url, content_type = await _read_source(source, ingestion)
        parsed = parse_feed(body, base_url, content_type)
    except PreviewError as exc:
        print(f"error: {exc}", file=_stderr())
        return EXIT_FAILURE
    except FeedParseError as exc:
        print(f"error: {source} is not a usable feed: {exc}", file=_stderr())
        return EXIT_FAILURE
    names = {topic.slug: topic.name for topic in topics}
    try:
        entries = process_entries(parsed, TopicMatcher(topics), ingestion.summary_sentences)
        rendered = [(entry, render_article(_card(entry, names))) for entry in entries]
    except Exception as exc:  # last resort: the operator gets one line, not a traceback
        print(f"error: cannot preview {source}: {exc.__class__.__name__}: {exc}",
              file=_stderr())
        return EXIT_FAILURE
    if as_json:
        json.dump([_entry_json(entry, messages) for entry, messages in rendered], out,
                  ensure_ascii=False, indent=2)
        out.write("\n")
        return EXIT_OK
    noun = "entry" if len(entries) == 1 else "entries"
    out.write(f"{parsed.title or source}: {len(entries)} {noun}\n")
    for problem in parsed.problems:
        out.write(f"note: {problem}\n")
    for index, (entry, messages) in enumerate(rendered, 1):
        out.write(f"\n#{index} {entry.title}\n")
        out.write(f"   url:     {entry.url}\n   guid:    {entry.guid}\n")
        out.write(f"   topics:  {', '.join(entry.topics) or '—'}\n")
        if entry.tags:
            out.write(f"   tags:    {', '.join(entry.tags)}\n")
        out.write(f"   summary: {entry.summary}\n")
        for message in messages:
            field = "caption" if message.method == "sendPhoto" else "text"
            out.write(f"   → {message.method} ({field}, parse_mode HTML):\n")
            for line in (getattr(message, field) or "").splitlines():
                out.write(f"     | {line}\n")
    return EXIT_OK


def _entry_json(entry: ProcessedEntry, messages: list[OutgoingMessage]) -> dict[str, Any]:
    return {
        "title": entry.title,
        "url": entry.url,
        "guid": entry.guid,
        "topics": list(entry.topics),
        "summary": entry.summary,
        "messages": [message.preview_dict() for message in messages],
    }


def _stderr() -> TextIO:
    import sys

    return sys.stderr


async def import_opml(settings: Settings, path: Path, interval: int, out: TextIO) -> int:
    """Add the OPML file's feeds to the database (feeds already known are left alone)."""
    try:
        feeds = parse_opml(path.read_bytes())
    except FileNotFoundError:
        print(f"error: no such file: {path}", file=_stderr())
        return EXIT_FAILURE
    except (OSError, OpmlError) as exc:
        print(f"error: {path}: {exc}", file=_stderr())
        return EXIT_FAILURE
    if not 60 <= interval <= 7 * 86400:
        print("error: --interval must be between 60 and 604800 seconds", file=_stderr())
        return EXIT_FAILURE
    engine = create_engine(settings.database.url)
    try:
        await upgrade_schema(engine)
        sessions = create_session_factory(engine)
        added = 0
        async with write_session(sessions) as session:
            for feed in feeds:
                if await feeds_dao.add_feed(session, url=feed.url, name=feed.title,
                                            interval=interval, source="opml",
                                            site_url=feed.site_url):
                    added += 1
    finally:
        await engine.dispose()
    out.write(f"imported {added} feed(s) from {path} ({len(feeds) - added} already present)\n")
    return EXIT_OK


async def export_opml(settings: Settings, output: Path | None, out: TextIO) -> int:
    """Write every enabled feed (config and imported) as OPML."""
    engine = create_engine(settings.database.url)
    try:
        await upgrade_schema(engine)
        sessions = create_session_factory(engine)
        async with write_session(sessions) as session:
            await sync_catalogue(session, settings)
            rows = await feeds_dao.list_enabled_feeds(session)
            feeds = [OpmlFeed(url=f.url, title=f.name, site_url=f.site_url) for f in rows]
    finally:
        await engine.dispose()
    document = render_opml(feeds, f"{settings.publisher.name} feeds")
    if output is None:
        out.write(document.decode("utf-8"))
    else:
        output.write_bytes(document)
    return EXIT_OK
