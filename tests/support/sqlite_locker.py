"""Hold an SQLite database's write lock from another process, to see how the bot copes with
"database is locked".

    with SqliteLocker(path, seconds=20):     # returns once the child holds the lock
        ...                                  # writes elsewhere wait, then fail
    # left the block: the child rolled back and exited

The child (``sys.executable``) opens the file, runs ``BEGIN EXCLUSIVE``, prints ``locked``
and holds the transaction until `seconds` pass or `release` is called, then rolls back and
prints ``released``. In WAL mode an exclusive transaction blocks other writers but not
readers; in rollback-journal mode it blocks readers too. `start_async`/`release_async` and
``async with`` do the same without blocking the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import selectors
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

__all__ = ["SqliteLocker"]

_CHILD = r"""
import select, sqlite3, sys
path, seconds = sys.argv[1], float(sys.argv[2])
conn = sqlite3.connect(path, timeout=30, isolation_level=None)
conn.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
select.select([sys.stdin], [], [], seconds)
conn.execute("ROLLBACK")
conn.close()
print("released", flush=True)
"""


class SqliteLocker:
    """A child process holding ``BEGIN EXCLUSIVE`` on the SQLite file `path`."""

    def __init__(self, path: str | Path, *, seconds: float = 60.0) -> None:
        self.path = Path(path)
        self.seconds = seconds
        self._process: subprocess.Popen[str] | None = None

    @property
    def held(self) -> bool:
        """Whether the child is still running (and so holding the lock)."""
        return self._process is not None and self._process.poll() is None

    def start(self, timeout: float = 15.0) -> None:
        """Start the child and wait until it prints ``locked``."""
        if self._process is not None:
            raise RuntimeError("the locker was already started")
        process = subprocess.Popen(
            [sys.executable, "-c", _CHILD, str(self.path), str(self.seconds)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self._process = process
        assert process.stdout is not None
        line = _readline(process, timeout)
        if line.strip() != "locked":
            self._kill()
            stderr = process.stderr.read() if process.stderr else ""
            raise RuntimeError(f"the SQLite locker did not get the lock: {line!r} {stderr}")

    def release(self, timeout: float = 15.0) -> None:
        """Tell the child to roll back and wait for it to exit (no-op if it is gone)."""
        process = self._process
        if process is None:
            return
        if process.poll() is None and process.stdin is not None:
            try:
                process.stdin.write("\n")
                process.stdin.flush()
            except (BrokenPipeError, ValueError):
                pass
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            self._kill()
            raise
        finally:
            self._close_pipes()

    def wait(self, timeout: float | None = None) -> None:
        """Wait for the child to release the lock by itself (after `seconds`)."""
        if self._process is not None:
            self._process.wait(timeout)
            self._close_pipes()

    async def start_async(self, timeout: float = 15.0) -> None:
        """`start` in a thread, so the event loop keeps running."""
        await asyncio.to_thread(self.start, timeout)

    async def release_async(self, timeout: float = 15.0) -> None:
        """`release` in a thread, so the event loop keeps running."""
        await asyncio.to_thread(self.release, timeout)

    def __enter__(self) -> SqliteLocker:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()

    async def __aenter__(self) -> SqliteLocker:
        await self.start_async()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.release_async()

    def _kill(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait()
        self._close_pipes()

    def _close_pipes(self) -> None:
        if self._process is None:
            return
        for pipe in (self._process.stdin, self._process.stdout, self._process.stderr):
            if pipe is not None:
                with contextlib.suppress(OSError):
                    pipe.close()


def _readline(process: subprocess.Popen[str], timeout: float) -> str:
    """The child's first stdout line, or "" if it exits or `timeout` passes first."""
    assert process.stdout is not None
    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        while time.monotonic() < deadline:
            if selector.select(deadline - time.monotonic()):
                return process.stdout.readline()
            if process.poll() is not None:
                return ""
    return ""
