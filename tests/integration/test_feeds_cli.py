"""`newsbot feeds preview | import | export` as an operator runs them."""

from __future__ import annotations

import asyncio
import json
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from bot.emulator.html import parse_html, parsed_length
from tests.support.cli import run_cli
from tests.support.factories import make_config
from tests.support.feedserver import FeedServer

DEMO_FEED = Path(__file__).resolve().parents[2] / "bot" / "demo_data" / "explainers-after.xml"
SAMPLE_TEXT = Path(__file__).resolve().parents[1] / "fixtures" / "summaries" / "pow_explainer.txt"


def test_preview_json_on_sample_feed(tmp_path: Path) -> None:
    """--json prints one array; each message parses under Telegram's rules and fits."""
    config = make_config(tmp_path)
    result = run_cli("feeds", "preview", str(DEMO_FEED), "--json", "-c", str(config))
    assert result.returncode == 0, result.stderr
    entries = json.loads(result.stdout)
    assert len(entries) == 4
    pows = next(e for e in entries if "POWs" in e["title"])
    assert set(pows) == {"title", "url", "guid", "topics", "summary", "messages"}
    assert pows["guid"] == "kg-2023-11-pows"
    assert pows["topics"] == ["war-in-ukraine", "russia"]
    assert 0 < len(pows["summary"]) < 1000
    for entry in entries:
        assert entry["messages"]
        for message in entry["messages"]:
            assert message["method"] in ("sendMessage", "sendPhoto")
            assert message["parse_mode"] == "HTML"
            body = message.get("text") or message.get("caption")
            parse_html(body)  # raises if Telegram would reject it
            assert parsed_length(body) <= (4096 if message["method"] == "sendMessage" else 1024)


def test_preview_text_output_lists_topics_and_messages(tmp_path: Path) -> None:
    """Without --json the preview is readable: title, topics, summary, the HTML to send."""
    result = run_cli("feeds", "preview", str(DEMO_FEED), "-c", str(make_config(tmp_path)))
    assert result.returncode == 0, result.stderr
    assert "4 entries" in result.stdout
    assert "EXPLAINED: Why Russia Doesn&#x27;t" not in result.stdout
    assert "topics:  war-in-ukraine, russia" in result.stdout
    assert "→ sendMessage (text, parse_mode HTML)" in result.stdout


def test_preview_without_config_has_no_topics() -> None:
    """Without -c there is no catalogue: categories are kept as tags, topics empty."""
    result = run_cli("feeds", "preview", str(DEMO_FEED), "--json")
    assert result.returncode == 0, result.stderr
    pows = next(e for e in json.loads(result.stdout) if "POWs" in e["title"])
    assert pows["topics"] == []


@pytest.mark.parametrize("content", [
    b"<rss><channel><item><title>broken",  # truncated XML
    b"<html><head><title>Home</title></head><body><p>Welcome</p></body></html>",
    b"\x00\x01\x02 binary garbage",
])
def test_preview_malformed_file_exits_1(tmp_path: Path, content: bytes) -> None:
    """An unparseable file gives exit 1 and one line on stderr, no traceback."""
    path = tmp_path / "bad.xml"
    path.write_bytes(content)
    result = run_cli("feeds", "preview", str(path))
    assert result.returncode == 1, result.stdout
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert "Traceback" not in result.stderr


def test_preview_plain_text_sample_is_not_a_feed() -> None:
    """The sample explainer as plain text is reported as not a feed (exit 1)."""
    result = run_cli("feeds", "preview", str(SAMPLE_TEXT))
    assert result.returncode == 1
    assert "not a usable feed" in result.stderr


def test_preview_missing_file_and_unreachable_url() -> None:
    """A missing file or a refused connection is one line and exit 1."""
    for source in ("/nonexistent/feed.xml", "http://127.0.0.1:9/feed.xml"):
        result = run_cli("feeds", "preview", source, "--allow-private-networks")
        assert result.returncode == 1
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert "Traceback" not in result.stderr


async def test_preview_from_url(tmp_path: Path) -> None:
    """A URL source is fetched over HTTP like a feed poll."""
    async with FeedServer() as server:
        server.route("/feed.xml", DEMO_FEED.read_bytes(), content_type="application/rss+xml")
        import asyncio

        result = await asyncio.to_thread(
            run_cli, "feeds", "preview", server.url("/feed.xml"), "--json",
            "--allow-private-networks")
    assert result.returncode == 0, result.stderr
    assert len(json.loads(result.stdout)) == 4


async def test_preview_refuses_a_loopback_url_by_default() -> None:
    """Without the setting, a feed on a loopback address is refused with one clear line."""
    async with FeedServer() as server:
        server.route("/feed.xml", DEMO_FEED.read_bytes(), content_type="application/rss+xml")
        import asyncio

        result = await asyncio.to_thread(
            run_cli, "feeds", "preview", server.url("/feed.xml"), "--json")
    assert result.returncode == 1
    assert "127.0.0.1 is a non-public address" in result.stderr
    assert "allow_private_networks" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


OPML = """<?xml version="1.0"?>
<opml version="1.0"><head><title>Subscriptions</title></head><body>
  <outline text="News">
    <outline type="rss" text="Kyiv Explainers" title="Kyiv Explainers — English"
             xmlUrl="https://kyiv.example.org/explainers.rss" htmlUrl="https://kyiv.example.org/"/>
    <outline type="rss" text="Економіка" xmlUrl="https://econ.example.org/feed"/>
  </outline>
  <outline type="rss" text="Duplicate" xmlUrl="https://econ.example.org/feed"/>
  <outline type="link" text="Not a feed" url="https://example.org"/>
</body></opml>
"""


def test_opml_round_trip(tmp_path: Path) -> None:
    """Import adds feeds with their titles; export lists them (and config feeds) again."""
    config = make_config(tmp_path, extra={"feeds": [
        {"url": "https://config.example.org/rss", "name": "Config feed"}]})
    opml = tmp_path / "subs.opml"
    opml.write_text(OPML, encoding="utf-8")
    first = run_cli("feeds", "import", str(opml), "-c", str(config))
    assert first.returncode == 0, first.stderr
    assert "imported 2 feed(s)" in first.stdout
    again = run_cli("feeds", "import", str(opml), "-c", str(config))
    assert "imported 0 feed(s)" in again.stdout
    assert "2 already present" in again.stdout
    exported = run_cli("feeds", "export", "-c", str(config))
    assert exported.returncode == 0, exported.stderr
    root = ET.fromstring(exported.stdout)
    outlines = {o.get("xmlUrl"): o for o in root.iter("outline")}
    assert set(outlines) == {"https://kyiv.example.org/explainers.rss",
                             "https://econ.example.org/feed", "https://config.example.org/rss"}
    assert outlines["https://kyiv.example.org/explainers.rss"].get("title") == (
        "Kyiv Explainers — English")
    assert outlines["https://kyiv.example.org/explainers.rss"].get("htmlUrl") == (
        "https://kyiv.example.org/")
    assert outlines["https://econ.example.org/feed"].get("text") == "Економіка"
    # and the exported file imports cleanly elsewhere: same feeds, same titles
    other = tmp_path / "other"
    other.mkdir()
    out_file = tmp_path / "out.opml"
    out_file.write_text(exported.stdout, encoding="utf-8")
    reimport = run_cli("feeds", "import", str(out_file), "-c", str(make_config(other)))
    assert "imported 3 feed(s)" in reimport.stdout
    re_export = run_cli("feeds", "export", "-c", str(make_config(other)))
    titles = sorted(o.get("title") for o in ET.fromstring(re_export.stdout).iter("outline"))
    assert titles == sorted(o.get("title") for o in outlines.values())


def test_a_large_opml_import_adds_every_feed_in_batches(tmp_path: Path) -> None:
    """450 feeds import in batches (a progress bar on a terminal) and all arrive once."""
    config = make_config(tmp_path)
    outlines = "".join(
        f'<outline type="rss" text="Feed {n}" xmlUrl="https://feeds{n}.example.org/rss"/>'
        for n in range(450))
    opml = tmp_path / "many.opml"
    opml.write_text(f'<?xml version="1.0"?><opml version="2.0"><head><title>Many</title>'
                    f"</head><body>{outlines}</body></opml>", encoding="utf-8")
    result = run_cli("feeds", "import", str(opml), "-c", str(config))
    assert result.returncode == 0, result.stderr
    assert "imported 450 feed(s)" in result.stdout
    again = run_cli("feeds", "import", str(opml), "-c", str(config))
    assert "imported 0 feed(s)" in again.stdout


def test_opml_import_rejects_bad_file(tmp_path: Path) -> None:
    """A file that is not OPML is reported in one line and changes nothing."""
    config = make_config(tmp_path)
    bad = tmp_path / "bad.opml"
    bad.write_text("<html><body>nope</body></html>", encoding="utf-8")
    result = run_cli("feeds", "import", str(bad), "-c", str(config))
    assert result.returncode == 1
    assert "not <opml>" in result.stderr
    assert not (tmp_path / "newsbot.db").exists()


def test_preview_survives_absurd_dates(tmp_path: Path) -> None:
    """A JSON Feed item dated year 1 with an offset (datetime overflow) previews fine."""
    feed = tmp_path / "feed.json"
    feed.write_text(json.dumps({
        "version": "https://jsonfeed.org/version/1.1", "title": "T",
        "items": [{"id": "1", "url": "https://e.org/1", "title": "Old",
                   "content_text": "Text.", "date_published": "0001-01-01T00:00:00+01:00"}],
    }), encoding="utf-8")
    result = run_cli("feeds", "preview", str(feed), "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)[0]["title"] == "Old"


PAGE = Path(__file__).resolve().parents[1] / "fixtures" / "pages" / "explainer-pows.html"
TEASER = "Click to read."


def teaser_feed(page_url: str) -> bytes:
    """An RSS feed whose one item only teases the article at ``page_url``."""
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>Kador Post</title>'
        "<link>https://news.example.com/</link><item>"
        "<title>EXPLAINED: Why Russia Doesn&#39;t Want Its POWs Back</title>"
        f"<link>{page_url}?utm_source=rss&amp;utm_medium=rss#comments</link>"
        "<guid isPermaLink='false'>pows</guid><dc:creator>Olena Kovalenko</dc:creator>"
        f"<description>{TEASER}</description></item></channel></rss>"
    ).encode()


async def preview_teaser(tmp_path: Path, *args: str, full_text_in_config: bool = False
                         ) -> tuple[subprocess.CompletedProcess[str], str]:
    """Serve the teaser feed and its page; preview the feed with ``args`` (a config listing
    the feed, with ``full_text`` as asked); return the result and the page's URL."""
    async with FeedServer() as server:
        server.route("/feed.xml", teaser_feed(server.url("/explainer")))
        server.route("/explainer", PAGE.read_bytes(), content_type="text/html; charset=utf-8")
        config = make_config(tmp_path, extra={"feeds": [
            {"url": server.url("/feed.xml"), "name": "Kador", "full_text": full_text_in_config,
             "topics": ["russia"]}]})
        result = await asyncio.to_thread(
            run_cli, "feeds", "preview", server.url("/feed.xml"), "-c", str(config), *args)
        return result, server.url("/explainer")


async def test_preview_extracts_full_text_for_a_full_text_feed(tmp_path: Path) -> None:
    """A feed configured with full_text = true is previewed as the bot ingests it: the page
    is fetched and extracted, the summary comes from the article, not the teaser; the
    message links without tracking parameters and names the author."""
    result, page_url = await preview_teaser(tmp_path, "--json", full_text_in_config=True)
    assert result.returncode == 0, result.stderr
    [entry] = json.loads(result.stdout)
    assert TEASER not in entry["summary"]
    assert "prisoner swaps" in entry["summary"]
    assert "sunglasses" not in entry["summary"]  # the page's ads are not the article
    assert "russia" in entry["topics"]
    [message] = entry["messages"]
    body = message.get("text") or message.get("caption")
    parse_html(body)
    assert f'href="{page_url}"' in body
    assert "utm_" not in body
    assert "#comments" not in body
    assert "By Olena Kovalenko" in body


async def test_preview_full_text_flag_without_config_setting(tmp_path: Path) -> None:
    """--full-text does the same for a feed the config does not mark full_text; the text
    output says where each body came from."""
    result, _ = await preview_teaser(tmp_path, "--full-text")
    assert result.returncode == 0, result.stderr
    assert "1 entry (full text)" in result.stdout
    assert "body:    full text from the page" in result.stdout
    assert "author:  Olena Kovalenko" in result.stdout
    assert f"summary: {TEASER}" not in result.stdout


async def test_preview_without_full_text_shows_the_teaser(tmp_path: Path) -> None:
    """Without full_text (config or flag) the page is not fetched: the teaser is the summary."""
    result, _ = await preview_teaser(tmp_path, "--json")
    assert result.returncode == 0, result.stderr
    [entry] = json.loads(result.stdout)
    assert entry["summary"] == TEASER


async def test_preview_full_text_obeys_the_network_policy(tmp_path: Path) -> None:
    """The pages are fetched under the same policy as the bot: with private networks refused,
    the loopback page is not fetched, the teaser is used and a note says why."""
    feed = tmp_path / "feed.xml"
    feed.write_bytes(teaser_feed("http://127.0.0.1:9/explainer"))
    result = await asyncio.to_thread(run_cli, "feeds", "preview", str(feed), "--full-text")
    assert result.returncode == 0, result.stderr
    assert "note: full text unavailable for 1 of 1" in result.stdout
    assert "non-public address" in result.stdout
    assert f"summary: {TEASER}" in result.stdout
    assert "body:    the feed's content" in result.stdout
