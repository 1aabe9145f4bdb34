"""canonical_url: one spelling per page."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.ingest.urls import canonical_url, is_tracking_param


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("HTTPS://News.Example.COM/a/b", "https://news.example.com/a/b"),
        ("http://example.com:80/a", "http://example.com/a"),
        ("https://example.com:443/a", "https://example.com/a"),
        ("https://example.com:8443/a", "https://example.com:8443/a"),
        ("http://example.com:0080/a", "http://example.com/a"),
        ("https://example.com/a#comments", "https://example.com/a"),
        ("https://example.com/a/", "https://example.com/a"),
        ("https://example.com/", "https://example.com/"),
        ("https://example.com", "https://example.com/"),
        ("https://example.com/a/./b/../c", "https://example.com/a/c"),
        ("https://example.com/%7Euser/%e2%82%ac", "https://example.com/~user/%E2%82%AC"),
        ("https://example.com/a b", "https://example.com/a%20b"),
        ("https://user:secret@example.com/a", "https://example.com/a"),
        ("https://example.com./a", "https://example.com/a"),
        ("  https://example.com/a  ", "https://example.com/a"),
        ("https://[2001:DB8::1]:443/a", "https://[2001:db8::1]/a"),
    ],
)
def test_normalises_scheme_host_port_path_and_fragment(raw: str, expected: str) -> None:
    """Scheme/host lowercase, default ports, fragments, credentials, dots and slashes go."""
    assert canonical_url(raw) == expected


def test_strips_tracking_parameters_and_sorts_the_rest() -> None:
    """utm_*, fbclid, gclid, mc_*, yclid, igshid, ref and ref_src go; the rest is sorted."""
    raw = (
        "https://example.com/story?utm_source=tg&utm_MEDIUM=social&id=7&fbclid=abc&gclid=x"
        "&mc_cid=1&mc_eid=2&yclid=3&igshid=4&ref=home&ref_src=twsrc&b=2&a=1"
    )
    assert canonical_url(raw) == "https://example.com/story?a=1&b=2&id=7"


def test_only_tracking_parameters_leaves_no_query() -> None:
    """A query made only of tracking parameters disappears with its '?'."""
    assert canonical_url("https://example.com/s?utm_source=x&fbclid=y") == (
        "https://example.com/s"
    )


def test_repeated_parameters_keep_their_order() -> None:
    """Repeated keys stay in their original order (it can matter to the site)."""
    assert canonical_url("https://e.com/s?tag=b&tag=a&c=1") == "https://e.com/s?c=1&tag=b&tag=a"


def test_international_host_is_idna_encoded() -> None:
    """A Unicode host becomes its punycode (ASCII) form."""
    assert canonical_url("https://Пример.РФ/новости") == (
        "https://xn--e1afmkfd.xn--p1ai/%D0%BD%D0%BE%D0%B2%D0%BE%D1%81%D1%82%D0%B8"
    )


def test_same_page_spelt_differently_is_equal() -> None:
    """Two spellings of one explainer give the same canonical URL."""
    first = "https://News.example.com:443/explainers/pows/?utm_source=rss#top"
    second = "https://news.example.com/explainers/pows?utm_campaign=feed&fbclid=z"
    assert canonical_url(first) == canonical_url(second)


@pytest.mark.parametrize("raw", ["not a url", "/relative/path", "mailto:editor@example.com", ""])
def test_non_absolute_input_is_returned_stripped(raw: str) -> None:
    """Input without scheme and host is returned as is (stripped), never raising."""
    assert canonical_url(f" {raw} ") == raw


def test_is_tracking_param_is_case_insensitive() -> None:
    """Tracking parameter names match whatever their case; ordinary names do not."""
    assert is_tracking_param("UTM_Source")
    assert is_tracking_param("FBCLID")
    assert not is_tracking_param("page")
    assert not is_tracking_param("reference")


_hosts = st.sampled_from(
    ["example.com", "News.Example.COM", "пример.рф", "[::1]", "xn--e1afmkfd.xn--p1ai",
     "bad..host", "a-b.c", "ex.com."]
)
_path_text = st.text(
    alphabet=st.characters(codec="utf-8"), max_size=25
)
_query_pairs = st.lists(
    st.tuples(
        st.sampled_from(["utm_source", "a", "B", "ref", "id", "q", "fbclid", "x y", "é"]),
        st.text(max_size=8),
    ),
    max_size=5,
)


@st.composite
def url_like(draw: st.DrawFn) -> str:
    """URLs assembled from odd parts, plus arbitrary text."""
    if draw(st.booleans()):
        return draw(st.text(max_size=60))
    scheme = draw(st.sampled_from(["http", "HTTPS", "https", "ftp"]))
    port = draw(st.sampled_from(["", ":80", ":443", ":8080", ":x", ":"]))
    path = draw(_path_text)
    pairs = draw(_query_pairs)
    query = "&".join(f"{key}={value}" for key, value in pairs)
    fragment = draw(st.sampled_from(["", "#frag", "#"]))
    return f"{scheme}://{draw(_hosts)}{port}/{path}{'?' + query if query else ''}{fragment}"


@settings(max_examples=400, deadline=None)
@given(url_like())
def test_canonical_url_is_idempotent(url: str) -> None:
    """Canonicalising a canonical URL changes nothing."""
    once = canonical_url(url)
    assert canonical_url(once) == once


@settings(max_examples=200, deadline=None)
@given(url_like())
def test_canonical_url_has_no_fragment_or_tracking(url: str) -> None:
    """A canonical http(s) URL carries no fragment and no tracking parameter."""
    result = canonical_url(url)
    if result.startswith(("http://", "https://")):
        assert "#" not in result
        query = urlsplit(result).query
        keys = [key for key, _ in parse_qsl(query, keep_blank_values=True)]
        assert not any(is_tracking_param(key) for key in keys)
        assert keys == sorted(keys)
