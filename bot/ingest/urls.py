"""Canonical article URLs: one spelling per page, so the same explainer is stored once.

``canonical_url`` lowercases the scheme and host (IDNA-encoding international hosts), drops
default ports, credentials and the fragment, removes tracking parameters, sorts the rest of
the query, normalises percent-escapes and dot segments, and strips a trailing slash except
at the root. It is idempotent: ``canonical_url(canonical_url(u)) == canonical_url(u)``.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

DEFAULT_PORTS = {"http": 80, "https": 443}

# Parameters that identify a campaign or a click, never the page itself.
TRACKING_PARAMS = frozenset(
    {
        "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "igshid",
        "mc_cid", "mc_eid", "ref", "ref_src", "ref_url", "referrer", "_hsenc", "_hsmi",
        "mkt_tok", "vero_id", "vero_conv", "oly_anon_id", "oly_enc_id", "rb_clickid",
        "s_cid", "cmpid", "__twitter_impression", "twclid", "ttclid", "li_fat_id",
        "_ga", "_gl", "spm", "scid", "sr_share", "ncid", "cid_source", "wt_mc", "wt.mc_id",
    }
)
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "at_", "hsa_")

_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
# Characters left as they are in a path: RFC 3986 pchar minus unreserved, plus '/' and '%'.
_PATH_SAFE = "/:@!$&'()*+,;=%"


def is_tracking_param(name: str) -> bool:
    """Return True if the query parameter ``name`` only tracks clicks or campaigns."""
    lowered = name.lower()
    return lowered in TRACKING_PARAMS or lowered.startswith(TRACKING_PREFIXES)


def canonical_url(url: str) -> str:
    """Return the canonical spelling of ``url`` (input that is not an absolute URL: stripped)."""
    text = url.strip()
    try:
        parts = urlsplit(text)
    except ValueError:  # e.g. an unbalanced '[' in the host
        return text
    if not parts.scheme or not parts.netloc:
        return text
    scheme = parts.scheme.lower()
    netloc = _canonical_netloc(parts.netloc, scheme)
    path = _canonical_path(parts.path)
    query = _canonical_query(parts.query)
    return urlunsplit((scheme, netloc, path, query, ""))


def _canonical_netloc(netloc: str, scheme: str) -> str:
    hostport = netloc.rpartition("@")[2]  # credentials never belong in a stored URL
    if hostport.startswith("[") and "]" in hostport:
        end = hostport.index("]")
        host, rest = hostport[: end + 1].lower(), hostport[end + 1 :]
        port = rest[1:] if rest.startswith(":") else ""
        if rest and not rest.startswith(":"):
            host, port = hostport.lower(), ""
    else:
        host, sep, port = hostport.rpartition(":")
        if not sep:
            host, port = hostport, ""
        host = _canonical_host(host)
    if not port:
        return host
    if not (port.isascii() and port.isdigit()):
        return f"{host}:{port}"  # not a number: keep it, the URL is broken anyway
    number = int(port)
    if DEFAULT_PORTS.get(scheme) == number:
        return host
    return f"{host}:{number}"


def _canonical_host(host: str) -> str:
    host = host.lower().rstrip(".")
    if host.isascii():
        return host
    try:
        return host.encode("idna").decode("ascii").lower()
    except UnicodeError:  # not a valid international name: keep it readable
        return host


def _normalise_escapes(text: str) -> str:
    def fix(match: re.Match[str]) -> str:
        char = chr(int(match.group(1), 16))
        return char if char in _UNRESERVED else "%" + match.group(1).upper()

    return _ESCAPE.sub(fix, text)


def _remove_dot_segments(path: str) -> str:
    if "." not in path:
        return path
    output: list[str] = []
    segments = path.split("/")
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if segment == ".":
            if last:
                output.append("")
        elif segment == "..":
            if len(output) > 1:
                output.pop()
            if last:
                output.append("")
        else:
            output.append(segment)
    result = "/".join(output)
    if path.startswith("/") and not result.startswith("/"):
        result = "/" + result
    return result


def _canonical_path(path: str) -> str:
    path = _normalise_escapes(quote(path, safe=_PATH_SAFE))
    path = _remove_dot_segments(path)
    if not path.startswith("/"):
        path = "/" + path
    stripped = path.rstrip("/")
    return stripped or "/"


def _canonical_query(query: str) -> str:
    if not query:
        return ""
    pairs = parse_qsl(query, keep_blank_values=True, errors="replace")
    kept = [(key, value) for key, value in pairs if key and not is_tracking_param(key)]
    kept.sort(key=lambda pair: pair[0])  # stable: repeated keys keep their order
    return urlencode(kept)
