"""``newsbot feeds import | export | preview``.

Preview runs exactly the code ingestion runs (parse → prepare → full text for ``full_text``
feeds → summarise and tag) and the renderer the bot sends with, so what it prints is what
readers would get.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlsplit

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from bot.config import FeedSettings, IngestionSettings, Settings
from bot.domain import ArticleCard, TopicTag
from bot.ingest.feed_parsing import FeedParseError, ParsedFeed, parse_feed
from bot.ingest.fetch import FeedFetcher, FetchError
from bot.ingest.opml import OpmlError, OpmlFeed, parse_opml, render_opml
from bot.ingest.processing import (
    ExtractedArticle,
    ProcessedEntry,
    finish_batch,
    prepare_entries,
)
from bot.ingest.topic_matching import TopicMatcher
from bot.ingest.urls import canonical_url
from bot.render import OutgoingMessage, render_article
from bot.services.article_pages import fetch_full_texts
from bot.services.polling import sync_catalogue
from storage import feeds as feeds_dao
from storage.db import create_engine, create_session_factory, upgrade_schema, write_session

EXIT_OK = 0
EXIT_FAILURE = 1

_IMPORT_BATCH = 200  # feeds per transaction in an OPML import


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


def _card(entry: ProcessedEntry, names: dict[str, str], source: str | None) -> ArticleCard:
    """The card the bot would build from the stored article (see ``bot.services.news``)."""
    return ArticleCard(
        title=entry.title,
        url=entry.canonical_url,
        summary=entry.summary,
        topics=tuple(TopicTag(slug, names.get(slug, slug)) for slug in entry.topics),
        tags=entry.tags,
        image_url=entry.image_url,
        published_at=entry.published_at,
        source=source,
        author=entry.author,
    )


def _configured_feed(settings: Settings | None, source: str) -> FeedSettings | None:
    """The configured feed at ``source``'s URL (compared canonically), if any."""
    if settings is None:
        return None
    wanted = canonical_url(source)
    return next((feed for feed in settings.feeds if canonical_url(str(feed.url)) == wanted),
                None)


async def _process(
    parsed: ParsedFeed, settings: Settings | None, ingestion: IngestionSettings,
    feed: FeedSettings | None, full_text: bool,
) -> tuple[list[ProcessedEntry], list[ExtractedArticle | None], list[str]]:
    """What polling's ``_process`` does for a feed's new entries: full text for a
    ``full_text`` feed (same fetcher, same network policy), then summaries and topics.
    Returns the entries, what was extracted for each, and the poll's health notes."""
    prepared = prepare_entries(parsed)
    extracted: list[ExtractedArticle | None] = [None] * len(prepared)
    notes: list[str] = []
    if full_text and prepared:
        async with FeedFetcher(ingestion) as fetcher:
            extracted, notes = await fetch_full_texts(
                fetcher, [item.entry.url for item in prepared])
    matcher = TopicMatcher(settings.topics if settings else ())
    entries = finish_batch(prepared, matcher, ingestion.summary_sentences,
                           feed.topics if feed else (), extracted, datetime.now(UTC))
    return entries, extracted, notes


async def preview(
    source: str, settings: Settings | None, *, as_json: bool, out: TextIO,
    allow_private: bool = False, full_text: bool = False,
) -> int:
    """Print each entry of ``source`` with its topics, summary and Telegram message(s).

    Full text is fetched and extracted, as the bot does, when ``full_text`` is set or the
    config has ``source`` as a feed with ``full_text = true``."""
    ingestion = settings.ingestion if settings else IngestionSettings()
    if allow_private:
        ingestion = ingestion.model_copy(update={"allow_private_networks": True})
    feed = _configured_feed(settings, source)
    full_text = full_text or (feed is not None and feed.full_text)
    try:
        body, base_url, content_type = await _read_source(source, ingestion)
        parsed = parse_feed(body, base_url, content_type)
    except PreviewError as exc:
        print(f"error: {exc}", file=_stderr())
        return EXIT_FAILURE
    except FeedParseError as exc:
        print(f"error: {source} is not a usable feed: {exc}", file=_stderr())
        return EXIT_FAILURE
    names = {topic.slug: topic.name for topic in (settings.topics if settings else ())}
    source_name = parsed.title or (feed.name if feed else None)  # the bot: title or name
    try:
        entries, extracted, notes = await _process(parsed, settings, ingestion, feed,
                                                   full_text)
        rendered = [(entry, render_article(_card(entry, names, source_name)))
                    for entry in entries]
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
    out.write(f"{parsed.title or source}: {len(entries)} {noun}"
              f"{' (full text)' if full_text else ''}\n")
    for problem in (*parsed.problems, *notes):
        out.write(f"note: {problem}\n")
    for index, ((entry, messages), article) in enumerate(zip(rendered, extracted,
                                                             strict=True), 1):
        out.write(f"\n#{index} {entry.title}\n")
        out.write(f"   url:     {entry.url}\n")
        if entry.canonical_url != entry.url:
            out.write(f"   link:    {entry.canonical_url}\n")
        out.write(f"   guid:    {entry.guid}\n")
        if entry.author:
            out.write(f"   author:  {entry.author}\n")
        out.write(f"   topics:  {', '.join(entry.topics) or '—'}\n")
        if entry.tags:
            out.write(f"   tags:    {', '.join(entry.tags)}\n")
        if full_text:
            out.write(f"   body:    {_body_origin(article)}\n")
        out.write(f"   summary: {entry.summary}\n")
        for message in messages:
            field = "caption" if message.method == "sendPhoto" else "text"
            out.write(f"   → {message.method} ({field}, parse_mode HTML):\n")
            for line in (getattr(message, field) or "").splitlines():
                out.write(f"     | {line}\n")
    return EXIT_OK


def _body_origin(article: ExtractedArticle | None) -> str:
    if article is None:
        return "the feed's content (no full text from the page)"
    return f"full text from the page ({len(article.body_text)} characters)"


def _entry_json(entry: ProcessedEntry, messages: Sequence[OutgoingMessage]) -> dict[str, Any]:
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
        # A progress bar for big imports (thousands of feeds), in batches of 200 per
        # transaction so the running bot's writers are not held off for long.
        console = Console(file=out, force_terminal=False, width=100)
        with Progress(TextColumn("importing"), BarColumn(), MofNCompleteColumn(),
                      TextColumn("added {task.fields[added]}"), TimeRemainingColumn(),
                      console=console, transient=True) as bar:
            task = bar.add_task("opml", total=len(feeds), added=0)
            for start in range(0, len(feeds), _IMPORT_BATCH):
                async with write_session(sessions) as session:
                    for feed in feeds[start : start + _IMPORT_BATCH]:
                        if await feeds_dao.add_feed(session, url=feed.url, name=feed.title,
                                                    interval=interval, source="opml",
                                                    site_url=feed.site_url):
                            added += 1
                bar.update(task, advance=len(feeds[start : start + _IMPORT_BATCH]),
                           added=added)
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
