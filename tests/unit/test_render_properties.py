"""Property tests for the renderer (bot.render) against the emulator's strict HTML parser.

Inputs come from two grammars: well-formed feed HTML whose visible text is known in advance
(so the sanitiser can be checked against an independent oracle), and chaotic HTML-ish strings
mixing valid markup with broken tags, stray ``<``/``&``, bad entities, control characters,
lone surrogates and astral emoji.
"""

from __future__ import annotations

import html
from bisect import bisect_left
from collections.abc import Callable

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.emulator.html import (
    ALLOWED_TAGS,
    EntityParseError,
    ParsedText,
    parse_html,
    parsed_length,
)
from bot.render import html_to_text, link, sanitize_html, split_html, truncate_html

PROPERTY = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
BASE_URL = "https://news.example/explainers/today"

# --- helpers ---------------------------------------------------------------------------------


def valid(markup: str) -> ParsedText:
    """Parse Telegram HTML, failing with the parser's reason when it is invalid."""
    try:
        return parse_html(markup)
    except EntityParseError as exc:  # pragma: no cover - only on failure
        raise AssertionError(f"invalid Telegram HTML ({exc.description}): {markup!r}") from exc


def compact(text: str) -> str:
    """`text` with all whitespace removed (where whitespace falls is layout, not content)."""
    return "".join(text.split())


def normalized(text: str) -> str:
    """`text` with whitespace runs collapsed to one space and the ends trimmed."""
    return " ".join(text.split())


def styled(parsed: ParsedText) -> list[tuple[str, frozenset[tuple[str, str]]]]:
    """Each visible non-space character with the formatting that covers it."""
    text = parsed.text
    starts: list[int] = []
    unit = 0
    for char in text:
        starts.append(unit)
        unit += 2 if ord(char) > 0xFFFF else 1
    cover: list[set[tuple[str, str]]] = [set() for _ in text]
    for entity in parsed.entities:
        detail = str(entity.get("url", entity.get("language", "")))
        first = bisect_left(starts, entity["offset"])
        last = bisect_left(starts, entity["offset"] + entity["length"])
        for index in range(first, last):
            cover[index].add((entity["type"], detail))
    return [
        (char, frozenset(kinds))
        for char, kinds in zip(text, cover, strict=True)
        if not char.isspace()
    ]


def assert_telegram_shape(parsed: ParsedText) -> None:
    """Links use safe schemes, and code/pre never sit inside another non-blockquote entity."""
    for entity in parsed.entities:
        if entity["type"] == "text_link":
            assert entity["url"].startswith(("https://", "http://", "tg://", "mailto:"))
    verbatim = [e for e in parsed.entities if e["type"] in ("code", "pre")]
    for inner in verbatim:
        start, end = inner["offset"], inner["offset"] + inner["length"]
        for other in parsed.entities:
            if other is inner or other["type"] in ("blockquote", "expandable_blockquote"):
                continue
            other_end = other["offset"] + other["length"]
            assert other_end <= start or other["offset"] >= end, (inner, other)


# --- grammar: well-formed feed HTML with its expected text ----------------------------------

Node = tuple[str, str]  # (html, the text a reader should see)

ATOMS = [*"abcxyzABC0189 .,!?;:'\"()-–>", "\n", "\t", "  ", "Dr.", "U.S.", "…"]
ASTRAL = ["😀", "👍🏽", "🇺🇦", "👩‍👩‍👧", "𝔘", "e\u0301", "ß", "中文", "ї", "\xa0"]
SOLID = st.lists(st.sampled_from([*"abcXYZ019", *ASTRAL[:5]]), min_size=1, max_size=6).map("".join)
WORDS = st.lists(st.sampled_from(ATOMS + ASTRAL), max_size=14).map("".join)
LETTERS = st.text(alphabet="abcdefghij ", max_size=12)
ENTITIES: list[Node] = [
    ("&nbsp;", "\xa0"),
    ("&mdash;", "—"),
    ("&rsquo;", "’"),
    ("&#128512;", "😀"),
    ("&#x1F1FA;&#x1F1E6;", "🇺🇦"),
    ("&#0;", "\ufffd"),
    ("&bogus;", "&bogus;"),
    (" &amp; ", "&"),
    (" & ", "&"),
    (" < ", "<"),
    ("&lt;b&gt;", "<b>"),
    ("&#39;", "'"),
    ("&quot;", '"'),
]
VOIDS: list[Node] = [
    ("<br>", ""),
    ("<br/>", ""),
    ("<hr>", ""),
    ('<img src="chart.png" alt="A chart">', ""),
    ("<wbr>", ""),
    ("<input value='v'>", ""),
    ("<b/>", ""),
]
ATTRIBUTES = st.lists(
    st.sampled_from(
        [
            ' onclick="steal(document.cookie)"',
            " style='color:red'",
            ' title="a > b"',
            " class=x",
            " data-n=1",
            " hidden",
            ' id="i"',
        ]
    ),
    max_size=2,
).map("".join)
HREFS = [
    "https://e.com/a?b=1&amp;c=2",
    "http://e.com/",
    "/relative/path",
    "page#frag",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "data:text/html,x",
    "mailto:desk@e.com",
    "tg://resolve?domain=news",
    "",
]
# Inline tags: Telegram's own (less the link and the blocks, which have their own kinds below)
# and some that only the web uses.
INLINE = [*sorted(ALLOWED_TAGS - {"a", "pre", "blockquote"}), "font", "sup", "small", "q"]
BLOCKS = ["p", "div", "h1", "h2", "h3", "blockquote", "pre", "section", "article", "figure"]
RAWTEXT = ["script", "style", "iframe", "noscript", "title"]
CONTAINERS = ["template", "object", "svg", "video", "head"]

LEAF: st.SearchStrategy[Node] = st.one_of(
    WORDS.map(lambda words: (html.escape(words, quote=False), words)),
    st.sampled_from(ENTITIES),
    st.sampled_from(VOIDS),
    LETTERS.map(lambda words: (f"<!-- {words} -->", "")),
)


def joined(nodes: list[Node]) -> Node:
    return "".join(n[0] for n in nodes), "".join(n[1] for n in nodes)


@st.composite
def element(draw: st.DrawFn, inner: st.SearchStrategy[Node]) -> Node:
    """One element around generated children, with the text it should leave behind."""
    kids = st.lists(inner, max_size=4).map(joined)
    kind = draw(
        st.sampled_from(["inline", "spoiler", "link", "block", "list", "table", "dropped", "raw"])
    )
    attrs = draw(ATTRIBUTES)
    if kind == "inline":
        tag = draw(st.sampled_from(INLINE))
        body, text = draw(kids)
        return f"<{tag}{attrs}>{body}</{tag}>", text
    if kind == "spoiler":
        body, text = draw(kids)
        return f'<span class="tg-spoiler"{attrs}>{body}</span>', text
    if kind == "link":
        href = draw(st.sampled_from(HREFS))
        body, text = draw(kids)
        return f'<a href="{href}"{attrs}>{body}</a>', text
    if kind == "block":
        tag = draw(st.sampled_from(BLOCKS))
        body, text = draw(kids)
        if tag == "pre" and draw(st.booleans()):
            return f'<pre><code class="language-python">{body}</code></pre>', text
        return f"<{tag}{attrs}>{body}</{tag}>", text
    if kind == "list":
        ordered = draw(st.booleans())
        items = draw(st.lists(st.tuples(SOLID, kids), min_size=1, max_size=4))
        body = "".join(f"<li>{html.escape(first)}{rest[0]}</li>" for first, rest in items)
        text = "".join(
            f"{f'{n}.' if ordered else '•'}{first}{rest[1]}"
            for n, (first, rest) in enumerate(items, start=1)
        )
        tag = "ol" if ordered else "ul"
        return f"<{tag}{attrs}>{body}</{tag}>", text
    if kind == "table":
        cells = draw(st.lists(kids, min_size=1, max_size=3))
        row = "".join(f"<td>{cell[0]}</td>" for cell in cells)
        return f"<table><tr>{row}</tr></table>", "".join(cell[1] for cell in cells)
    if kind == "raw":
        tag = draw(st.sampled_from(RAWTEXT))
        return f"<{tag}{attrs}>{draw(WORDS)}</{tag}>", ""
    tag = draw(st.sampled_from(CONTAINERS))
    return f"<{tag}{attrs}>{draw(kids)[0]}</{tag}>", ""


TREE: st.SearchStrategy[Node] = st.lists(
    st.recursive(LEAF, lambda inner: element(inner), max_leaves=15), max_size=3
).map(joined)

# --- grammar: chaotic HTML-ish strings -------------------------------------------------------

BROKEN = [
    "<",
    "</",
    "<b",
    "<a href='",
    "'>",
    '">',
    "&",
    "&#",
    "&#x",
    "&#12",
    "&amp",
    "&copy",
    "&nbsp",
    "&#xD800;",
    "&#99999999;",
    "</b>",
    "</i>",
    "</a>",
    "</p>",
    "</blockquote>",
    "</pre>",
    "<pre>",
    "<code>",
    "<li>",
    "</ul>",
    "<ol>",
    "<br/>",
    "<script>",
    "</script>",
    "<style>",
    "<x y='>'>",
    "<!--",
    "-->",
    "<!DOCTYPE html>",
    "<![CDATA[",
    "]]>",
    "<?php",
    "?>",
    "\x00",
    "\x07",
    "\x85",
    "\r\n",
    "\r",
    "\ud83d",
    "<tg-emoji emoji-id='5368324170671202286'>",
    "</tg-emoji>",
    "<span class='tg-spoiler'>",
    "</span>",
    "<blockquote expandable>",
    "<h2>",
    "<table><tr><td>",
    "<a href=javascript:x>",
    "<a href=/rel>",
    "<a href='https://e.com/?a=1&b=2'>",
    "<body>",
    "<head>",
]
CHAOS = st.lists(
    st.one_of(
        st.sampled_from(BROKEN),
        TREE.map(lambda node: node[0]),
        WORDS,
        st.text(max_size=8),
    ),
    max_size=20,
).map("".join)
ANY_HTML = st.one_of(TREE.map(lambda node: node[0]), CHAOS)


@st.composite
def telegram_html(draw: st.DrawFn) -> str:
    """Telegram HTML as the bot would hold it: sanitised feed HTML, often several blocks
    (repeated to reach lengths that need splitting without costly generation)."""
    pieces = draw(st.lists(ANY_HTML, min_size=1, max_size=4))
    blocks = [sanitize_html(piece, base_url=BASE_URL) for piece in pieces]
    repeat = draw(st.integers(1, 10))
    return "\n\n".join(block for block in blocks * repeat if block)


LIMITS = st.one_of(st.integers(50, 150), st.integers(50, 4096), st.sampled_from([1024, 4096]))
SUFFIXES = st.sampled_from(
    ["…", "… " + link("Read more", "https://news.example/a?x=1&y=2"), "<i>(more)</i>"]
)

# --- sanitize_html ---------------------------------------------------------------------------


@PROPERTY
@given(TREE)
def test_sanitize_keeps_exactly_the_visible_text(node: Node) -> None:
    """Well-formed feed HTML keeps all readable text, list markers included, and nothing of
    scripts, comments, images or attributes (compared with whitespace removed)."""
    source, expected = node
    out = sanitize_html(source, base_url=BASE_URL)
    parsed = valid(out) if out else ParsedText("")
    assert compact(parsed.text) == compact(expected)
    assert compact(html_to_text(source)) == compact(expected)
    assert_telegram_shape(parsed)


@PROPERTY
@given(ANY_HTML)
def test_sanitize_output_always_parses_and_matches_html_to_text(source: str) -> None:
    """Any HTML-ish input gives valid Telegram HTML whose visible text is html_to_text(input),
    with no lone surrogates, no edge whitespace and no runs of blank lines outside pre."""
    out = sanitize_html(source, base_url=BASE_URL)
    out.encode("utf-8")  # raises on a lone surrogate
    parsed = valid(out) if out else ParsedText("")
    assert parsed.text == html_to_text(source)
    assert normalized(parsed.text) == normalized(html_to_text(source))
    assert parsed.text == parsed.text.strip()
    if not any(e["type"] == "pre" for e in parsed.entities):
        assert "\n\n\n" not in parsed.text
    assert_telegram_shape(parsed)


@PROPERTY
@given(telegram_html())
def test_telegram_html_round_trips_unchanged(markup: str) -> None:
    """The renderer's own output is a fixed point: re-reading it changes nothing."""
    assert truncate_html(markup, 10**9) == markup


# --- split_html ------------------------------------------------------------------------------


@PROPERTY
@given(telegram_html(), LIMITS)
def test_split_parts_fit_parse_and_keep_text_and_formatting(markup: str, limit: int) -> None:
    """Every part parses and fits the limit, none is empty, and the parts together show the
    same characters with the same formatting as the original."""
    original = valid(markup) if markup else ParsedText("")
    parts = split_html(markup, limit)
    rebuilt: list[tuple[str, frozenset[tuple[str, str]]]] = []
    for part in parts:
        part.encode("utf-8")  # raises on a split surrogate pair
        parsed = valid(part)
        assert parsed.text.strip()
        assert parsed_length(part) <= limit
        rebuilt.extend(styled(parsed))
    assert rebuilt == styled(original)
    assert compact("".join(valid(p).text for p in parts)) == compact(original.text)
    if parsed_length(markup) <= limit and original.text.strip():
        assert parts == [markup]


# --- truncate_html ---------------------------------------------------------------------------


def check_truncation(markup: str, limit: int, suffix: str, cut: Callable[[], str]) -> None:
    original = valid(markup) if markup else ParsedText("")
    out = cut()
    out.encode("utf-8")  # raises on a split surrogate pair
    parsed = valid(out) if out else ParsedText("")
    assert parsed_length(out) <= limit
    if parsed_length(markup) <= limit:
        assert out == markup
        return
    suffix_parsed = valid(suffix)
    assert parsed.text.endswith(suffix_parsed.text)
    kept = parsed.text[: len(parsed.text) - len(suffix_parsed.text)]
    assert normalized(original.text).startswith(normalized(kept))
    assert normalized(kept)  # something of the text survives
    shown = styled(parsed)
    head = shown[: len(shown) - len(styled(suffix_parsed))]
    assert head == styled(original)[: len(head)]


@PROPERTY
@given(telegram_html(), LIMITS)
def test_truncate_fits_and_keeps_a_prefix(markup: str, limit: int) -> None:
    """The result parses and fits; before the "…" it shows a prefix of the original text with
    the original formatting."""
    check_truncation(markup, limit, "…", lambda: truncate_html(markup, limit))


@PROPERTY
@given(telegram_html(), LIMITS, SUFFIXES)
def test_truncate_with_html_suffixes(markup: str, limit: int, suffix: str) -> None:
    """With any HTML suffix (a link, italics) the result still fits and keeps a prefix."""
    check_truncation(
        markup, limit, suffix, lambda: truncate_html(markup, limit, suffix_html=suffix)
    )


def regional_indicators(text: str) -> int:
    return sum("\U0001f1e6" <= char <= "\U0001f1ff" for char in text)


@PROPERTY
@given(
    st.lists(st.sampled_from([*ASTRAL, "a", "b."]), min_size=1, max_size=80),
    st.integers(1, 40),
    st.integers(50, 300),
)
def test_emoji_text_is_never_cut_inside_a_character(
    atoms: list[str], repeat: int, limit: int
) -> None:
    """Text dense with astral emoji, flags, ZWJ sequences and combining marks (mostly without
    spaces, forcing hard cuts) splits and truncates within the UTF-16 limit, never inside a
    surrogate pair, a flag, a ZWJ sequence or before a combining mark or skin tone."""
    text = "".join(atoms) * repeat
    markup = html.escape(text, quote=False)
    parts = split_html(markup, limit)
    shown = [valid(part).text for part in parts]
    assert compact("".join(shown)) == compact(text)
    for part, part_text in zip(parts, shown, strict=True):
        part.encode("utf-8")  # raises on a split surrogate pair
        assert parsed_length(part) <= limit
        assert regional_indicators(part_text) % 2 == 0
        assert not part_text.startswith(("\u0301", "\u200d", "\U0001f3fd"))
        assert not part_text.endswith("\u200d")
    short = truncate_html(markup, limit)
    short.encode("utf-8")
    assert parsed_length(short) <= limit
    kept = valid(short).text.removesuffix("…")
    assert regional_indicators(kept) % 2 == 0
    assert not kept.endswith("\u200d")


def test_truncate_keeps_a_link_ending_in_a_no_break_space() -> None:
    """Found by hypothesis: a link whose href ends in U+00A0 that already fits comes back
    unchanged (the reader used to strip the no-break space off the href)."""
    markup = '<a href="https://news.example/explainers/&lt;b&gt;\xa0">&lt;</a>'
    assert truncate_html(markup, 50) == markup
