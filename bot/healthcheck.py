"""Container health check: ``python -m bot.healthcheck http://127.0.0.1:8080/readyz``.

Exits 0 when the URL answers 2xx within the timeout, 1 otherwise (an error status, no
answer, a refused connection), with one line saying which. Standard library only and no
imports from the rest of newsbot, so it starts fast and works in a slim image without curl.
Proxy variables are ignored: the check is meant for the bot's own port.
"""

from __future__ import annotations

import argparse
import http.client
import math
import sys
import urllib.error
import urllib.request
from collections.abc import Sequence

EXIT_HEALTHY = 0
EXIT_UNHEALTHY = 1


def check(url: str, timeout: float) -> tuple[bool, str]:
    """GET ``url``; return whether it answered 2xx and a one-line description."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=timeout) as response:
            status = int(response.status)
    except urllib.error.HTTPError as exc:  # a 4xx/5xx answer
        return False, f"{url}: HTTP {exc.code}"
    except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return False, f"{url}: no answer ({reason})"
    return 200 <= status < 300, f"{url}: HTTP {status}"


class _Parser(argparse.ArgumentParser):
    """argparse that exits 1 on a usage error: Docker reserves a health check's exit 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_UNHEALTHY)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m bot.healthcheck``."""
    parser = _Parser(
        prog="python -m bot.healthcheck",
        description="Exit 0 if URL answers 2xx, 1 otherwise (for Docker's HEALTHCHECK).",
    )
    parser.add_argument("url", help="e.g. http://127.0.0.1:8080/readyz")
    parser.add_argument("--timeout", type=float, default=3.0,
                        help="seconds to wait for the answer (default 3)")
    args = parser.parse_args(argv)
    if not args.url.startswith(("http://", "https://")):
        parser.error("url must start with http:// or https://")
    if not (math.isfinite(args.timeout) and args.timeout > 0):
        parser.error("--timeout must be a positive number of seconds")
    healthy, line = check(args.url, args.timeout)
    print(line, file=sys.stdout if healthy else sys.stderr)
    return EXIT_HEALTHY if healthy else EXIT_UNHEALTHY


if __name__ == "__main__":
    raise SystemExit(main())
