"""Running the ``newsbot`` CLI as an operator does: a real subprocess."""

from __future__ import annotations

import os
import subprocess
import sys


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``python -m bot`` with a clean NEWSBOT_* environment."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("NEWSBOT_")}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], capture_output=True, text=True, timeout=60,
        env={**base, **(env or {})}, check=False,
    )
