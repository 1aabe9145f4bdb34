"""The renderer (bot.render): sanitising feed HTML, cutting Telegram HTML, rendering messages.

Every HTML output is checked with the emulator's strict Telegram HTML parser.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.domain import ArticleCard, TopicTag
from bot.emulator.html import EntityParseError, ParsedText, parse_html, parsed_length
from bot.render import (
    Button,
    OutgoingMessage,
    blockquote,
    bold,
    code,
    escape,
    hashtag,
    html_to_text,
    italic,
    join_lines,
    link,
    pre,
    render_article,
    render_article_list,
    render_comment,
    render_topic_summary,
    sanitize_html,
    split_html,
    spoiler,
    truncate_html,
)
from tests.support.samples import POW_EXPLAINER_PARAGRAPHS, POW_EXPLAINER_TITLE

# The article part of a real explainer page (Kyiv Post, 2023), as a reader would see it.
ARTICLE_PARAGRAPHS = POW_EXPLAINER_PARAGRAPHS
ARTICLE_TITLE = POW_EXPLAINER_TITLE
ARTICLE_URL = "https://www.kyivpost.com/post/25135"
ARTICLE_TEXT = "\n\n".join(ARTICLE_PARAGRAPHS)
# The same article as a feed would deliver it: markup, scripts, widgets, relative links.
ARTICLE_HTML = (
    '<div class="post"><script>window.ads = [];</script>'
    '<ul class="tags"><li><a href="/tag/russian-armed-forces">Russian Armed Forces</a></li>'
    '<li><a href="/tag/kremlin">Kremlin</a></li></ul>'
    "<h1>"
    + ARTICLE_TITLE.replace("'", "&#39;")
    + "</h1>"
    + "".join(
        f'<p onclick="track(\'p\')" style="margin:0">{p.replace("’", "&rsquo;")}</p>'
        for p in ARTICLE_PARAGRAPHS[:-1]
    )
    + '<iframe src="https://www.youtube.com/embed/x">video</iframe>'
    + '<p>Read the full report <a href="/post/25000">here</a>.</p>'
    + "<style>.post{color:red}</style></div>"
)
# One of the reader comments under the article.
COMMENT_TEXT = (
    "It is said that Ukraine has substituted prisoners name on agreed swap lists with others of "
    "a lower rank or value. I do not know if that is true, part true of just propaganda. There "
    "is a logic to stopping POWs from returning with experiences far better than are portrayed "
    "by the authorities that sent them into battle and the failure to get the release of "
    "Ukrainian POWs can also be used ad a tactic to increase discontent in Ukraine and undermine "
    "Ukrainian resistance to the invasion. There should perhaps be more attention paid to "
    "rebutting the Ukrainian 'manipulation' or 'abuse' of POW exchanges. This could be a "
    "constructive countermeasure."
)
WAR = TopicTag("war-in-ukraine", "War in Ukraine")


def make_card(**overrides: Any) -> ArticleCard:
    """An explainer card built from the sample article; keyword arguments override fields."""
    fields: dict[str, Any] = {
        "title": ARTICLE_TITLE,
        "url": ARTICLE_URL,
        "summary": " ".join(ARTICLE_PARAGRAPHS[:3]),
        "topics": (WAR, TopicTag("kremlin", "Kremlin")),
    }
    fields.update(overrides)
    return ArticleCard(**fields)


def valid(html: str) -> ParsedText:
    """Parse `html` as Telegram would, failing the test with the parser's reason if invalid."""
    try:
        return parse_html(html)
    except EntityParseError as exc:  # pragma: no cover - only on failure
        pytest.fail(f"invalid Telegram HTML ({exc.description}): {html!r}")


def kinds(parsed: ParsedText) -> set[str]:
    """The entity types present in a parsed message."""
    return {entity["type"] for entity in parsed.entities}


def entity_text(parsed: ParsedText, kind: str) -> list[str]:
    """The text covered by each entity of `kind` (offsets converted from UTF-16)."""
    encoded = parsed.text.encode("utf-16-le")
    return [
        encoded[2 * e["offset"] : 2 * (e["offset"] + e["length"])].decode("utf-16-le")
        for e in parsed.entities
        if e["type"] == kind
    ]


# --- escaping and helpers ------------------------------------------------------------------


def test_escape_makes_markup_characters_literal() -> None:
    """escape() turns &, < and > into entities so Telegram shows them as typed."""
    raw = "a < b && c > d <b>not bold</b>"
    assert escape(raw) == "a &lt; b &amp;&amp; c &gt; d &lt;b&gt;not bold&lt;/b&gt;"
    assert valid(escape(raw)).text == raw


def test_escape_quotes_only_when_asked() -> None:
    """Double quotes are escaped for attribute values only."""
    assert escape('say "hi"') == 'say "hi"'
    assert escape('say "hi"', quote=True) == "say &quot;hi&quot;"


@pytest.mark.parametrize(
    ("helper", "kind"),
    [
        (bold, "bold"),
        (italic, "italic"),
        (spoiler, "spoiler"),
        (code, "code"),
        (pre, "pre"),
        (blockquote, "blockquote"),
    ],
)
def test_format_helpers_escape_their_text(helper: Any, kind: str) -> None:
    """Each formatting helper wraps escaped text in exactly one entity of its kind."""
    raw = "<script>x & y</script>"
    parsed = valid(helper(raw))
    assert parsed.text == raw
    assert [e["type"] for e in parsed.entities] == [kind]
    assert helper("") == ""


def test_pre_helper_tags_a_language() -> None:
    """pre(text, language) yields a pre entity carrying the language."""
    parsed = valid(pre("print(1 < 2)", "python"))
    assert parsed.entities == [{"type": "pre", "offset": 0, "length": 12, "language": "python"}]


def test_link_helper_keeps_safe_urls_and_escapes_them() -> None:
    """link() makes a text link with an escaped href for http(s)/tg/mailto URLs."""
    parsed = valid(link("Q&A <1>", 'https://example.com/?a=1&b="2"'))
    assert parsed.text == "Q&A <1>"
    assert parsed.entities[0]["url"] == 'https://example.com/?a=1&b="2"'
    assert kinds(valid(link("me", "mailto:desk@example.com"))) == {"text_link"}


@pytest.mark.parametrize(
    "url",
    ["javascript:alert(1)", " JavaScript:alert(1)", "data:text/html,x", "/relative", "", None],
)
def test_link_helper_drops_unsafe_or_relative_urls(url: str | None) -> None:
    """A link to a dangerous, relative or missing URL is rendered as plain text."""
    assert link("click", url) == "click"


def test_join_lines_puts_each_line_on_its_own_row() -> None:
    """join_lines() separates lines with newlines, an empty string making a blank line."""
    assert join_lines(bold("a"), "", italic("b")) == "<b>a</b>\n\n<i>b</i>"


def test_hashtag_from_slug_name_and_any_script() -> None:
    """Hashtags keep letters, digits and underscores of any script, lower-cased."""
    assert hashtag("war-in-ukraine") == "#war_in_ukraine"
    assert hashtag("War in Ukraine!") == "#war_in_ukraine"
    assert hashtag("Війна в Україні") == "#війна_в_україні"
    assert hashtag("हिन्दी समाचार") == "#हिन्दी_समाचार"
    assert hashtag("2024") is None
    assert hashtag("--") is None


# --- sanitize_html ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "element",
    [
        "<script>alert('x')</script>",
        "<script type='text/javascript'>if (a < b) { document.write('<b>x</b>') }</script>",
        "<style>p { color: red }</style>",
        "<iframe src='https://evil.example'>fallback</iframe>",
        "<noscript>enable JS</noscript>",
        "<template><b>hidden</b></template>",
        "<object data='x.swf'>flash</object>",
        "<svg><title>icon</title><text>svg text</text></svg>",
        "<head><title>Page title</title><meta charset='utf-8'></head>",
        "<video src='v.mp4'>Your browser does not support video.</video>",
    ],
)
def test_sanitize_drops_non_content_elements_entirely(element: str) -> None:
    """Scripts, styles, frames, templates, SVG, head and media fallbacks vanish with their text."""
    out = sanitize_html(f"<p>before</p>{element}<p>after</p>")
    assert out == "before\n\nafter"
    valid(out)


def test_sanitize_drops_event_handlers_and_every_other_attribute() -> None:
    """Only href survives; onclick, style, class, id and friends are dropped."""
    out = sanitize_html(
        '<b onclick="steal()" class="x" style="color:red" id="y">bold</b>'
        ' <a href="https://e.com/" onmouseover="x()" target="_blank" title="t">link</a>'
    )
    assert out == '<b>bold</b> <a href="https://e.com/">link</a>'


def test_sanitize_turns_blocks_into_line_breaks() -> None:
    """Paragraphs become blank-line separated, br and div line breaks, extra blank lines go."""
    out = sanitize_html(
        "<p>One</p><p>Two<br>still two</p><div>Three</div><div>Four</div>"
        "<br><br><br><br><br>Five<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table>"
    )
    assert out == "One\n\nTwo\nstill two\n\nThree\nFour\n\nFive\n\na b\nc"
    valid(out)


def test_sanitize_turns_lists_into_bullet_and_numbered_lines() -> None:
    """ul items become "• item", ol items "1. item" (honouring start), nested lists indent."""
    out = sanitize_html(
        "<p>Intro</p><ul><li>alpha</li><li>beta<ul><li>inner</li></ul></li></ul>"
        "<ol start='3'><li>third</li><li><b>fourth</b></li></ol><p>Outro</p>"
    )
    assert out == "Intro\n\n• alpha\n• beta\n  • inner\n\n3. third\n4. <b>fourth</b>\n\nOutro"


def test_sanitize_turns_headings_into_bold_lines() -> None:
    """A heading becomes a bold line set off by blank lines."""
    out = sanitize_html("<h2>What happened</h2><p>Details.</p><h3>Why <i>now</i>?</h3>")
    assert out == "<b>What happened</b>\n\nDetails.\n\n<b>Why <i>now</i>?</b>"
    assert entity_text(valid(out), "bold") == ["What happened", "Why now?"]


def test_sanitize_normalises_to_canonical_short_tags() -> None:
    """strong/em/ins/strike/del and span.tg-spoiler become b/i/u/s/tg-spoiler."""
    out = sanitize_html(
        "<strong>a</strong> <em>b</em> <ins>c</ins> <strike>d</strike> <del>e</del> "
        '<span class="tg-spoiler">f</span> <tg-spoiler>g</tg-spoiler>'
    )
    assert out == "<b>a</b> <i>b</i> <u>c</u> <s>d e</s> <tg-spoiler>f g</tg-spoiler>"


def test_sanitize_keeps_span_spoiler_and_unwraps_other_spans() -> None:
    """A span with class tg-spoiler is a spoiler; any other span just yields its text."""
    parsed = valid(
        sanitize_html('<span class="note">Plot: <span class="tg-spoiler">he lives</span></span>')
    )
    assert parsed.text == "Plot: he lives"
    assert entity_text(parsed, "spoiler") == ["he lives"]


def test_sanitize_decodes_entities_and_escapes_again() -> None:
    """HTML entities are decoded (nbsp, mdash, numeric) and only &, <, > re-escaped."""
    out = sanitize_html("AT&amp;T &lt;tag&gt; 5&nbsp;km &mdash; &#128512; &#x1F1FA;&#x1F1E6; &copy")
    assert out == "AT&amp;T &lt;tag&gt; 5\xa0km — 😀 🇺🇦 ©"
    assert valid(out).text == "AT&T <tag> 5\xa0km — 😀 🇺🇦 ©"


def test_sanitize_keeps_broken_entities_as_text() -> None:
    """Unknown or broken entities are shown literally, never passed through raw."""
    out = sanitize_html("&bogus; &#; &#0; & done &")
    assert valid(out).text == "&bogus; &#; \ufffd & done &"


def test_sanitize_collapses_whitespace_except_in_pre() -> None:
    """Runs of spaces and newlines collapse to one space; pre keeps its layout."""
    out = sanitize_html("  Hello \n\t  <b> big </b>\n world  <pre>\n  x = 1\n    y  = 2\n</pre>")
    assert out == "Hello <b>big</b> world\n<pre>  x = 1\n    y  = 2</pre>"


def test_sanitize_keeps_pre_code_language() -> None:
    """<pre><code class="language-x"> keeps the language on the pre entity."""
    parsed = valid(sanitize_html('<pre><code class="hl language-python">a &lt; b</code></pre>'))
    assert parsed.entities == [{"type": "pre", "offset": 0, "length": 5, "language": "python"}]


@pytest.mark.parametrize(
    "href",
    [
        "javascript:alert(1)",
        "JAVASCRIPT:alert(1)",
        " javascript:alert(1)",
        "java\tscript:alert(1)",
        "&#106;avascript:alert(1)",
        "vbscript:msgbox",
        "data:text/html;base64,PHNjcmlwdD4=",
        "file:///etc/passwd",
    ],
)
def test_sanitize_drops_links_with_unsafe_schemes(href: str) -> None:
    """javascript:, data:, file: and similar links keep their text and lose the link."""
    out = sanitize_html(f'<a href="{href}">click me</a>')
    assert out == "click me"


def test_sanitize_resolves_relative_links_against_the_base() -> None:
    """Relative hrefs are made absolute with base_url."""
    out = sanitize_html(
        '<a href="/post/1">one</a> <a href="two?x=1&amp;y=2">two</a> <a href="//cdn.e.com/3">3</a>',
        base_url="https://www.kyivpost.com/post/25135",
    )
    assert out == (
        '<a href="https://www.kyivpost.com/post/1">one</a> '
        '<a href="https://www.kyivpost.com/post/two?x=1&amp;y=2">two</a> '
        '<a href="https://cdn.e.com/3">3</a>'
    )


def test_sanitize_drops_relative_links_without_a_base() -> None:
    """Without base_url a relative link cannot be resolved, so only its text remains."""
    assert sanitize_html('<a href="/post/1">one</a>') == "one"
    assert sanitize_html('<a href="/post/1">one</a>', base_url="javascript:x") == "one"


def test_sanitize_keeps_safe_absolute_links() -> None:
    """http, https, tg and mailto links are kept as they are."""
    out = sanitize_html(
        '<a href="https://e.com/a">a</a> <a href="http://e.com/b">b</a> '
        '<a href="tg://resolve?domain=x">c</a> <a href="mailto:x@e.com">d</a>'
    )
    assert [e["url"] for e in valid(out).entities] == [
        "https://e.com/a",
        "http://e.com/b",
        "tg://resolve?domain=x",
        "mailto:x@e.com",
    ]


def test_sanitize_drops_images_with_their_alt_text() -> None:
    """Images disappear, alt text included; a link around only an image disappears too."""
    out = sanitize_html('Look<img src="x.png" alt="A chart">here <a href="https://e.com"><img></a>')
    assert out == "Lookhere"


@pytest.mark.parametrize(
    ("markup", "expected"),
    [
        ("<code>a <b>b</b> <a href='https://e.com'>c</a></code>", "<code>a b c</code>"),
        ("<pre>x <i>y</i> <code>z</code></pre>", "<pre>x y z</pre>"),
        (
            "<blockquote>a<blockquote>b</blockquote>c</blockquote>",
            "<blockquote>a\n\nb\n\nc</blockquote>",
        ),
        (
            "<a href='https://a.com'>x <a href='https://b.com'>y</a></a>",
            '<a href="https://a.com">x y</a>',
        ),
        ("<b>a <b>b</b> c</b>", "<b>a b c</b>"),
    ],
)
def test_sanitize_flattens_nesting_telegram_forbids(markup: str, expected: str) -> None:
    """Tags inside code/pre, blockquote in blockquote and link in link are flattened."""
    out = sanitize_html(markup)
    assert out == expected
    valid(out)


def test_sanitize_never_puts_code_inside_bold_or_links() -> None:
    """Bold around code and code inside a link lose the inner code mark, keeping the text."""
    out = sanitize_html("<b>run <code>ls</code></b> <a href='https://e.com'>see <code>x</code></a>")
    parsed = valid(out)
    assert parsed.text == "run ls see x"
    assert "code" not in kinds(parsed)


def test_sanitize_puts_blockquote_outside_inline_formatting() -> None:
    """A blockquote opened inside bold is moved outside it, the bold staying on the text."""
    out = sanitize_html("<b>lead <blockquote>quoted</blockquote> tail</b>")
    assert out == "<b>lead</b>\n\n<blockquote><b>quoted</b></blockquote>\n\n<b>tail</b>"


def test_sanitize_repairs_misnested_and_unclosed_tags() -> None:
    """Overlapping and unclosed tags come out balanced, formatting ending where the source did."""
    out = sanitize_html("<b>bold <i>both</b> italic</i> <u>open to the end")
    assert out == "<b>bold <i>both</i></b> <i>italic</i> <u>open to the end</u>"


@pytest.mark.parametrize(
    "markup",
    [
        "",
        "<",
        "</",
        "<<>>",
        "a < b > c",
        "x <b",
        "<b>x</i></b></b>",
        "</p></div>text",
        "<!-- unclosed comment",
        "<!DOCTYPE html><html><body>x</body></html>",
        "<![CDATA[ cdata ]]>text",
        "<?xml version='1.0'?>text",
        "<a href='unterminated>text",
        "<div <b>x</b>",
        "<b/>after<p/>",
        "<script>never closed",
        "text\x00with\x07controls\x1b",
        "lone \ud800 surrogate",
        "&#xD800; &#99999999; &#x110000;",
        "<span class='tg-spoiler'><span>nested</span> spans</span>",
        "<li>stray item</li></ul></ol>",
        "<pre>unclosed pre <b>",
        "<h1>unclosed heading",
        "<b>" * 1000 + "deep" + "</b>" * 10,
    ],
)
def test_sanitize_survives_malformed_input(markup: str) -> None:
    """Malformed HTML never raises and always yields valid Telegram HTML."""
    out = sanitize_html(markup)
    if out:
        valid(out)
    out.encode("utf-8")  # raises on a lone surrogate
    assert html_to_text(markup) == (valid(out).text if out else "")


def test_sanitize_finishes_on_pathological_input() -> None:
    """Inputs that make a quadratic HTML parser hang (50k comment/tag openers) give valid
    output (no timing assertion: a quadratic parser would simply never get here)."""
    for chunk in ("<!--", "<a ", "</", "<b>", "&#", "<a href='"):
        out = sanitize_html(chunk * 50_000 + "<b>end</b>")
        assert out == "" or valid(out).text


def test_sanitize_sample_article() -> None:
    """The sample explainer becomes clean paragraphs with tags, heading, and absolute links."""
    out = sanitize_html(ARTICLE_HTML, base_url=ARTICLE_URL)
    parsed = valid(out)
    assert parsed.text == "\n\n".join(
        ("• Russian Armed Forces\n• Kremlin", ARTICLE_TITLE, *ARTICLE_PARAGRAPHS)
    )
    assert entity_text(parsed, "bold") == [ARTICLE_TITLE]
    assert [e["url"] for e in parsed.entities if e["type"] == "text_link"] == [
        "https://www.kyivpost.com/tag/russian-armed-forces",
        "https://www.kyivpost.com/tag/kremlin",
        "https://www.kyivpost.com/post/25000",
    ]
    assert "window.ads" not in out
    assert "onclick" not in out
    assert "color" not in out


def test_html_to_text_is_the_visible_text_of_sanitize_html() -> None:
    """html_to_text() gives the same text sanitize_html shows, with no markup or entities."""
    text = html_to_text(ARTICLE_HTML)
    assert text == valid(sanitize_html(ARTICLE_HTML)).text
    assert "<" not in text
    assert "&rsquo;" not in text
    assert "’" in text


# --- truncate_html ---------------------------------------------------------------------------


def test_truncate_leaves_short_html_alone() -> None:
    """HTML that already fits is returned unchanged."""
    html = '<b>Short</b> text with a <a href="https://e.com">link</a>.'
    assert truncate_html(html, 100) == html


def test_truncate_cuts_at_a_sentence_end_in_the_last_part() -> None:
    """With a sentence end in the last 40% of the room, the cut falls there, then " …"."""
    html = escape(ARTICLE_TEXT)
    out = truncate_html(html, 400)
    parsed = valid(out)
    assert parsed.text == f"{ARTICLE_PARAGRAPHS[0]}\n\n{ARTICLE_PARAGRAPHS[1]} …"
    assert parsed_length(out) <= 400


def test_truncate_falls_back_to_a_word_boundary() -> None:
    """Without a late sentence end the cut falls between words, dangling commas removed."""
    html = "alpha beta, gamma delta epsilon zeta eta theta iota kappa lambda mu"
    out = truncate_html(html, 13)
    assert valid(out).text == "alpha beta…"


def test_truncate_cuts_a_single_long_word_without_splitting_characters() -> None:
    """A text with no spaces is cut hard, never between the halves of a surrogate pair."""
    out = truncate_html("😀" * 100, 11)
    text = valid(out).text
    assert text == "😀" * 5 + "…"
    assert parsed_length(out) == 11


def test_truncate_closes_open_tags_and_keeps_formatting() -> None:
    """Tags open at the cut are closed; the suffix sits outside them."""
    html = "<blockquote><b>" + "word " * 50 + "</b></blockquote>"
    out = truncate_html(html, 30)
    assert out == "<blockquote><b>" + ("word " * 6).strip() + "</b></blockquote>…"
    valid(out)


def test_truncate_appends_an_html_suffix() -> None:
    """suffix_html (e.g. an ellipsis and a link) is appended and counted in the limit."""
    suffix = "… " + link("Read more", ARTICLE_URL)
    out = truncate_html(escape(ARTICLE_TEXT), 400, suffix_html=suffix)
    parsed = valid(out)
    assert parsed.text == f"{ARTICLE_PARAGRAPHS[0]}\n\n{ARTICLE_PARAGRAPHS[1]} … Read more"
    assert parsed.entities[-1]["url"] == ARTICLE_URL
    assert parsed_length(out) <= 400
    out = truncate_html(escape(ARTICLE_TEXT), 300, suffix_html=suffix)
    assert valid(out).text.endswith(" on August… Read more")  # no late sentence end: a word
    assert parsed_length(out) <= 300


def test_truncate_separates_a_word_from_a_suffix_starting_with_a_letter() -> None:
    """A suffix that begins with a letter never glues onto the last word."""
    out = truncate_html("one two three four five six seven", 20, suffix_html="<i>more</i>")
    assert valid(out).text == "one two three more"


def test_truncate_never_cuts_inside_an_entity_or_tag() -> None:
    """Escaped characters and tags count as what they show, so cuts never break them."""
    html = "&lt;&amp;&gt;" * 20 + '<a href="https://e.com/' + "x" * 100 + '">y</a>'
    for limit in range(5, 40):
        out = truncate_html(html, limit)
        assert parsed_length(out) <= limit
        assert set(valid(out).text[:-1]) <= {"<", "&", ">"}


def test_truncate_rejects_a_limit_smaller_than_the_suffix() -> None:
    """A limit that cannot hold any text besides the suffix is an error."""
    with pytest.raises(ValueError, match="no room"):
        truncate_html("some long text here", 2, suffix_html="……")


# --- split_html ------------------------------------------------------------------------------


def test_split_returns_short_html_as_one_part() -> None:
    """HTML within the limit is one part; whitespace-only HTML gives no parts."""
    assert split_html("<b>hi</b>") == ["<b>hi</b>"]
    assert split_html("  \n <b> </b> ") == []


def test_split_prefers_blank_lines_between_blocks() -> None:
    """Parts break at paragraph boundaries when one is available."""
    html = escape(ARTICLE_TEXT)
    parts = split_html(html, 500)
    texts = [valid(part).text for part in parts]
    assert all(parsed_length(part) <= 500 for part in parts)
    assert "\n\n".join(texts) == ARTICLE_TEXT
    assert all(text.split("\n\n")[0] in ARTICLE_PARAGRAPHS for text in texts)


def test_split_breaks_at_lines_then_sentences_then_words() -> None:
    """Without blank lines a line break is used, then a sentence end, then a space."""
    lines = "\n".join(f"Line {n} is here." for n in range(10))
    assert next(valid(p).text for p in split_html(lines, 40)) == "Line 0 is here.\nLine 1 is here."
    sentences = " ".join(f"Sentence {n} ends." for n in range(10))
    assert valid(split_html(sentences, 40)[0]).text == "Sentence 0 ends. Sentence 1 ends."
    words = " ".join(f"word{n}" for n in range(20))
    assert valid(split_html(words, 20)[0]).text == "word0 word1 word2"


def test_split_reopens_formatting_across_parts() -> None:
    """Formatting open at a break is closed in one part and reopened in the next."""
    html = (
        '<blockquote expandable><b>Bold <a href="https://e.com/x">linked '
        + "words " * 30
        + "</a></b></blockquote>"
    )
    parts = split_html(html, 60)
    assert len(parts) > 2
    for part in parts:
        parsed = valid(part)
        assert kinds(parsed) == {"expandable_blockquote", "bold", "text_link"}
        assert all(e["url"] == "https://e.com/x" for e in parsed.entities if "url" in e)


def test_split_reopens_pre_with_its_language() -> None:
    """A long code block split across parts stays a pre block with its language."""
    html = pre("\n".join(f"print({n})" for n in range(40)), "python")
    parts = split_html(html, 100)
    assert len(parts) > 1
    for part in parts:
        assert [e.get("language") for e in valid(part).entities] == ["python"]


def test_split_counts_utf16_units_and_keeps_surrogate_pairs_whole() -> None:
    """Astral characters count as two units and are never split."""
    parts = split_html("😀" * 300, 101)
    assert [parsed_length(p) for p in parts] == [100, 100, 100, 100, 100, 100]
    assert all(set(valid(p).text) == {"😀"} for p in parts)


def test_split_keeps_flags_and_emoji_sequences_whole() -> None:
    """Hard cuts avoid splitting flags (regional indicator pairs) and ZWJ sequences."""
    for unit in ("🇺🇦", "👩‍👩‍👧", "👍🏽"):
        parts = split_html(unit * 50, 41)
        assert all(valid(p).text.replace(unit, "") == "" for p in parts), unit
        assert all(parsed_length(p) <= 41 for p in parts)


def test_split_and_truncate_tolerate_sloppy_telegram_html() -> None:
    """Unknown tags are unwrapped, <br> becomes a newline, unknown entities and stray < stay
    text, span spoilers become tg-spoiler: the output is always valid."""
    sloppy = 'a<br>b <p>c</p> &nbsp; 1 < 2 <span class="tg-spoiler">s</span> <b>open'
    expected = "a\nb c &amp;nbsp; 1 &lt; 2 <tg-spoiler>s</tg-spoiler> <b>open</b>"
    assert truncate_html(sloppy, 1000) == expected
    assert split_html(sloppy) == [expected]
    assert valid(expected).text == "a\nb c &nbsp; 1 < 2 s open"


def test_split_rejects_a_limit_too_small_for_a_character() -> None:
    """A limit under two units could not hold an astral character."""
    with pytest.raises(ValueError, match="at least 2"):
        split_html("text", 1)


# --- messages --------------------------------------------------------------------------------


def test_button_needs_exactly_one_action() -> None:
    """A button is a URL button or a callback button, with callback data within 64 bytes."""
    with pytest.raises(ValueError, match="exactly one"):
        Button("x")
    with pytest.raises(ValueError, match="exactly one"):
        Button("x", url="https://e.com", callback_data="y")
    with pytest.raises(ValueError, match="1-64"):
        Button("x", callback_data="é" * 33)


def test_api_params_for_a_text_message() -> None:
    """sendMessage parameters carry text, parse mode, keyboard and link preview options."""
    message = OutgoingMessage(
        "sendMessage",
        text="<b>x</b>",
        buttons=((Button("Read", url="https://e.com"), Button("More", callback_data="more:1")),),
        disable_preview=True,
    )
    assert message.api_params() == {
        "text": "<b>x</b>",
        "parse_mode": "HTML",
        "link_preview_options": {"is_disabled": True},
        "reply_markup": {
            "inline_keyboard": [
                [
                    {"text": "Read", "url": "https://e.com"},
                    {"text": "More", "callback_data": "more:1"},
                ]
            ]
        },
    }
    assert message.preview_dict() == {
        "method": "sendMessage",
        "text": "<b>x</b>",
        "parse_mode": "HTML",
    }


def test_api_params_for_a_photo() -> None:
    """sendPhoto parameters carry photo and caption; the preview names the photo."""
    message = OutgoingMessage("sendPhoto", caption="<i>c</i>", photo="https://e.com/p.jpg")
    assert message.api_params() == {
        "photo": "https://e.com/p.jpg",
        "caption": "<i>c</i>",
        "parse_mode": "HTML",
    }
    assert message.preview_dict() == {
        "method": "sendPhoto",
        "caption": "<i>c</i>",
        "photo": "https://e.com/p.jpg",
        "parse_mode": "HTML",
    }


def test_outgoing_message_requires_its_content() -> None:
    """A text message without text or a photo message without a photo is refused."""
    with pytest.raises(ValueError, match="text"):
        OutgoingMessage("sendMessage")
    with pytest.raises(ValueError, match="photo"):
        OutgoingMessage("sendPhoto", caption="x")


# --- render_article --------------------------------------------------------------------------


def test_render_article_without_image_is_one_text_message() -> None:
    """Title as a bold link, the summary, topic hashtags and a Read button in one message."""
    [message] = render_article(make_card())
    assert message.method == "sendMessage"
    assert message.text is not None
    assert message.text.startswith(f'<b><a href="{ARTICLE_URL}">EXPLAINED: Why Russia Doesn\'t')
    parsed = valid(message.text)
    assert parsed.text == (
        f"{ARTICLE_TITLE}\n\n{' '.join(ARTICLE_PARAGRAPHS[:3])}\n\n#war_in_ukraine #kremlin"
    )
    assert entity_text(parsed, "bold") == [ARTICLE_TITLE]
    assert message.buttons == ((Button("Read", url=ARTICLE_URL),),)
    assert message.fallback is None


def test_render_article_with_image_is_a_photo_with_a_text_fallback() -> None:
    """An image makes a sendPhoto with a caption ≤ 1024 and the equivalent sendMessage fallback."""
    card = make_card(summary=ARTICLE_TEXT, image_url="https://cdn.kyivpost.com/pow.jpg")
    [message] = render_article(card)
    assert message.method == "sendPhoto"
    assert message.photo == "https://cdn.kyivpost.com/pow.jpg"
    assert message.caption is not None
    caption = valid(message.caption)
    assert parsed_length(message.caption) <= 1024
    assert caption.text.startswith(ARTICLE_TITLE)
    assert re.search(r"[.?!] …\n\n#war_in_ukraine #kremlin$", caption.text)
    assert message.buttons == ((Button("Read", url=ARTICLE_URL),),)
    fallback = message.fallback
    assert fallback is not None
    assert fallback.method == "sendMessage"
    assert fallback.buttons == message.buttons
    assert fallback.text is not None
    assert (
        valid(fallback.text).text
        == f"{ARTICLE_TITLE}\n\n{ARTICLE_TEXT}\n\n#war_in_ukraine #kremlin"
    )


def test_render_article_cuts_a_long_summary_at_a_sentence_with_a_link() -> None:
    """A summary too long for one message ends at a sentence with "…" and a Read more link."""
    summary = " ".join([ARTICLE_TEXT] * 5)
    [message] = render_article(make_card(summary=summary))
    assert message.text is not None
    parsed = valid(message.text)
    assert parsed_length(message.text) <= 4096
    body = parsed.text.split("\n\n#war_in_ukraine")[0]
    assert body.endswith(". … Read more")
    assert entity_text(parsed, "text_link")[-1] == "Read more"
    assert [e["url"] for e in parsed.entities if e["type"] == "text_link"] == [ARTICLE_URL] * 2


def test_render_article_marks_updates_and_shows_source_and_date() -> None:
    """An updated card says so, next to the source and the publication date."""
    card = make_card(updated=True, source="Kyiv Post", published_at=datetime(2023, 11, 29, 14))
    [message] = render_article(card)
    assert message.text is not None
    parsed = valid(message.text)
    assert parsed.text.split("\n")[1] == "Updated · Kyiv Post · 29 Nov 2023"
    assert "Updated · Kyiv Post · 29 Nov 2023" in entity_text(parsed, "italic")


def test_render_article_shows_the_author_after_the_source() -> None:
    """A known author reads "By …" in the meta line, between the source and the date."""
    card = make_card(source="Kyiv Post", author="Olena Kovalenko",
                     published_at=datetime(2023, 11, 29, 14))
    [message] = render_article(card)
    assert message.text is not None
    parsed = valid(message.text)
    assert parsed.text.split("\n")[1] == "Kyiv Post · By Olena Kovalenko · 29 Nov 2023"
    assert "Kyiv Post · By Olena Kovalenko · 29 Nov 2023" in entity_text(parsed, "italic")


def test_render_article_escapes_the_author() -> None:
    """An author with markup characters is shown literally, never as HTML."""
    card = make_card(author='<b>Tom & "Jerry"</b>\n<a href="x">', source=None)
    [message] = render_article(card)
    assert message.text is not None
    assert "By &lt;b&gt;Tom &amp; \"Jerry\"&lt;/b&gt; &lt;a href=\"x\"&gt;" in message.text
    assert valid(message.text).text.split("\n")[1] == (
        'By <b>Tom & "Jerry"</b> <a href="x">')


@pytest.mark.parametrize(("author", "source"), [
    (None, "Kyiv Post"), ("", "Kyiv Post"), ("  \n ", None), ("kyiv post", "Kyiv Post"),
])
def test_render_article_without_a_useful_author_has_no_byline(
    author: str | None, source: str | None
) -> None:
    """No author, a blank one, or one that only repeats the source: no "By" line."""
    [message] = render_article(make_card(author=author, source=source))
    assert message.text is not None
    assert "By " not in valid(message.text).text


def test_render_article_shortens_a_runaway_author() -> None:
    """A dc:creator holding a paragraph is cut to a byline's length."""
    [message] = render_article(make_card(author="Staff " * 100))
    assert message.text is not None
    byline = valid(message.text).text.split("\n")[1]
    assert byline.startswith("By Staff Staff")
    assert byline.endswith("…")
    assert len(byline) <= len("By ") + 120


def test_latest_digest_leaves_authors_out() -> None:
    """The /latest digest stays compact: titles and first sentences, no bylines."""
    [message] = render_article_list([make_card(author="Olena Kovalenko")], "Latest")
    assert message.text is not None
    assert "Olena Kovalenko" not in message.text


@pytest.mark.parametrize("when", [
    datetime(1, 1, 1), datetime(1, 1, 1, tzinfo=UTC), datetime(1400, 1, 1, 1, tzinfo=UTC),
    datetime(1970, 1, 1, tzinfo=UTC), datetime(1989, 12, 31, 23, 59),
])
def test_render_article_hides_impossible_dates(when: datetime) -> None:
    """A stored date before the web (year 1, 1400, the epoch) is not shown at all."""
    [message] = render_article(make_card(source="Kyiv Post", published_at=when))
    assert message.text is not None
    assert valid(message.text).text.split("\n")[1] == "Kyiv Post"


def test_render_article_without_date_or_meta_has_no_meta_line() -> None:
    """No source, author or date: the title is followed directly by the summary."""
    [message] = render_article(make_card(published_at=None))
    assert message.text is not None
    assert valid(message.text).text.split("\n")[1] == ""


def test_render_article_links_to_the_card_url_as_given() -> None:
    """The title link, "Read more" and the Read button all use the card's (clean) URL."""
    clean = "https://news.example.com/explainers/pows?id=123"
    [message] = render_article(make_card(url=clean, summary=ARTICLE_TEXT * 3))
    assert message.text is not None
    parsed = valid(message.text)
    assert {e["url"] for e in parsed.entities if e["type"] == "text_link"} == {clean}
    assert message.buttons[0][0].url == clean


def test_render_article_without_title_uses_the_url() -> None:
    """A missing title is replaced by the URL's host and path."""
    [message] = render_article(make_card(title="  "))
    assert message.text is not None
    assert valid(message.text).text.startswith("kyivpost.com/post/25135\n\n")


@pytest.mark.parametrize("url", ["", "javascript:alert(1)", "mailto:desk@e.com", "/post/1"])
def test_render_article_without_usable_url_has_no_link_or_button(url: str) -> None:
    """Without a safe URL there is no link, no button, and a missing title reads Untitled."""
    [message] = render_article(make_card(url=url, title=""))
    assert message.buttons == ()
    assert message.text is not None
    parsed = valid(message.text)
    assert parsed.text.startswith("Untitled\n\n")
    assert "text_link" not in kinds(parsed)


def test_render_article_hashtags_from_topics_and_tags() -> None:
    """Topics and tags become de-duplicated hashtags (slug first, name when no slug)."""
    card = make_card(
        topics=(WAR, TopicTag("", "Russian Armed Forces"), TopicTag("кремль", "Кремль")),
        tags=("War in Ukraine", "POWs", "2023"),
    )
    [message] = render_article(card)
    assert message.text is not None
    last_line = valid(message.text).text.split("\n")[-1]
    assert last_line == "#war_in_ukraine #russian_armed_forces #кремль #pows"


def test_render_article_escapes_title_and_summary() -> None:
    """Markup in the title or summary is shown as text, never interpreted."""
    [message] = render_article(make_card(title="<b>x</b> & y", summary="<script>z</script>"))
    assert message.text is not None
    parsed = valid(message.text)
    assert parsed.text.startswith("<b>x</b> & y\n\n<script>z</script>")


def test_render_article_fits_a_huge_title_in_a_caption() -> None:
    """Even an absurdly long title leaves a caption within 1024 units."""
    card = make_card(title="Very long title " * 200, image_url="https://e.com/p.jpg")
    [message] = render_article(card)
    assert message.caption is not None
    assert parsed_length(message.caption) <= 1024
    assert message.fallback is not None
    assert message.fallback.text is not None
    assert parsed_length(message.fallback.text) <= 4096


def test_render_article_ignores_non_http_images() -> None:
    """An image URL that is not http(s) is ignored and a text message is sent."""
    [message] = render_article(make_card(image_url="javascript:x"))
    assert message.method == "sendMessage"


# --- render_article_list ---------------------------------------------------------------------


def test_render_article_list_shows_titles_and_first_sentences() -> None:
    """The digest has a bold heading, then per article a bold linked title and one sentence."""
    cards = [
        make_card(summary=ARTICLE_TEXT),
        make_card(title="Second", url="https://e.com/2", summary="Dr. Who returns. Then more."),
    ]
    [message] = render_article_list(cards, "Latest explainers")
    assert message.method == "sendMessage"
    assert message.disable_preview
    assert message.text is not None
    parsed = valid(message.text)
    assert parsed.text == (
        f"Latest explainers\n\n{ARTICLE_TITLE}\n{ARTICLE_PARAGRAPHS[0]}\n\nSecond\nDr. Who returns."
    )
    assert entity_text(parsed, "bold") == ["Latest explainers", ARTICLE_TITLE, "Second"]
    assert entity_text(parsed, "text_link") == [ARTICLE_TITLE, "Second"]


def test_render_article_list_splits_between_articles() -> None:
    """A long digest is split into messages ≤ 4096, each article kept whole."""
    cards = [make_card(title=f"Article {n}", summary=ARTICLE_TEXT) for n in range(60)]
    messages = render_article_list(cards, "Latest")
    assert len(messages) > 1
    seen: list[str] = []
    for message in messages:
        assert message.text is not None
        parsed = valid(message.text)
        assert parsed_length(message.text) <= 4096
        for block in parsed.text.split("\n\n"):
            assert block == "Latest" or block.split("\n")[1] == ARTICLE_PARAGRAPHS[0]
        seen.extend(t for t in entity_text(parsed, "text_link"))
    assert seen == [f"Article {n}" for n in range(60)]


def test_render_article_list_when_empty() -> None:
    """With no articles the heading is followed by a short note."""
    [message] = render_article_list([], "Latest")
    assert message.text is not None
    assert valid(message.text).text == "Latest\n\nNothing new yet."


# --- render_topic_summary --------------------------------------------------------------------


def test_render_topic_summary_bullets_with_citations() -> None:
    """Key points are bullets, each ending with a link to the explainer it came from."""
    points = [
        ("Russia has not swapped POWs for nearly four months.", ARTICLE_TITLE, ARTICLE_URL),
        ("Desertion requests <doubled> this autumn.", "Idite Lesom report", "javascript:x"),
    ]
    [message] = render_topic_summary(WAR, points, more_url="https://www.kyivpost.com/t/war")
    assert message.text is not None
    parsed = valid(message.text)
    assert parsed.text == (
        "Key points: War in Ukraine\n\n"
        f"• Russia has not swapped POWs for nearly four months. — {ARTICLE_TITLE}\n"
        "• Desertion requests <doubled> this autumn. — Idite Lesom report\n\n"
        "More on War in Ukraine"
    )
    assert entity_text(parsed, "bold") == ["Key points: War in Ukraine"]
    assert entity_text(parsed, "text_link") == [ARTICLE_TITLE, "More on War in Ukraine"]
    assert entity_text(parsed, "italic") == ["Idite Lesom report"]


def test_render_topic_summary_splits_many_points() -> None:
    """Many points are spread over messages ≤ 4096 without cutting a point in two."""
    points = [
        (paragraph, f"Source {n}", f"https://e.com/{n}")
        for n, paragraph in enumerate(ARTICLE_PARAGRAPHS * 8)
    ]
    messages = render_topic_summary(WAR, points)
    assert len(messages) > 1
    lines: list[str] = []
    for message in messages:
        assert message.text is not None
        assert parsed_length(message.text) <= 4096
        lines.extend(valid(message.text).text.split("\n"))
    bullets = [line for line in lines if line.startswith("• ")]
    assert len(bullets) == len(points)
    assert all(line.endswith(f"— Source {n}") for n, line in enumerate(bullets))


# --- render_comment --------------------------------------------------------------------------


def test_render_comment_hides_the_text_behind_a_spoiler() -> None:
    """The comment body is one spoiler; the author (bold), the linked article and a visible
    "may contain spoilers" line stay outside it."""
    html = render_comment(
        "K E Lidington", COMMENT_TEXT, article_title=ARTICLE_TITLE, article_url=ARTICLE_URL
    )
    parsed = valid(html)
    assert parsed.text == (f"K E Lidington on {ARTICLE_TITLE}\n"
                           f"This comment may contain spoilers — tap to reveal\n{COMMENT_TEXT}")
    assert entity_text(parsed, "spoiler") == [COMMENT_TEXT]
    assert entity_text(parsed, "bold") == ["K E Lidington"]
    assert entity_text(parsed, "text_link") == [ARTICLE_TITLE]


def test_render_comment_escapes_user_markup() -> None:
    """Markup typed by a reader, including <script> and fake tags, is shown as text."""
    html = render_comment("<b>Mallory</b>", "<script>alert(1)</script> </tg-spoiler> &amp;")
    assert "<script>" not in html
    parsed = valid(html)
    assert parsed.text == ("<b>Mallory</b>\nThis comment may contain spoilers — tap to reveal\n"
                           "<script>alert(1)</script> </tg-spoiler> &amp;")
    assert entity_text(parsed, "spoiler") == ["<script>alert(1)</script> </tg-spoiler> &amp;"]


def test_render_comment_without_spoiler() -> None:
    """spoiler=False shows the comment openly."""
    parsed = valid(render_comment("fletcher long", "Fair point.", spoiler=False))
    assert parsed.text == "fletcher long\nFair point."
    assert "spoiler" not in kinds(parsed)


def test_render_comment_truncates_long_comments_to_one_message() -> None:
    """A very long comment is cut so the whole message fits 4096 units, spoiler intact."""
    html = render_comment("Anon", COMMENT_TEXT * 20, article_title="T", article_url=ARTICLE_URL)
    parsed = valid(html)
    assert parsed_length(html) <= 4096
    [hidden] = entity_text(parsed, "spoiler")
    assert parsed.text.endswith(hidden)
    assert hidden.endswith(" …")
    assert COMMENT_TEXT.startswith(hidden[: len(COMMENT_TEXT) // 2])


def test_render_comment_anonymous_and_blank() -> None:
    """A blank author reads Reader; a blank comment leaves just the header."""
    assert valid(render_comment(" ", "  ")).text == "Reader"


def test_picker_keyboard_is_recognised_and_an_explainers_is_not() -> None:
    """Only picker messages get their keyboard edited by picker presses."""
    from bot.domain import TopicChoice
    from bot.render import is_picker_keyboard, topic_picker

    picker = [b.callback_data for row in topic_picker([TopicChoice("russia", "Russia", False)])
              for b in row]
    assert is_picker_keyboard(picker)
    assert is_picker_keyboard(["topic:russia", "topic:economy"])  # a picker from before "Done"
    assert not is_picker_keyboard([None, "comments:7"])  # Read (a link) and Comments
    assert not is_picker_keyboard([])
