"""An asyncio TCP proxy that a test can cut and restore, to break a live connection (say, a
bot's PostgreSQL connection) in the middle of its work.

    proxy = TcpProxy("127.0.0.1", 5432)
    port = await proxy.start()          # point the client at 127.0.0.1:port
    await proxy.cut()                   # current connections reset, new ones closed at once
    await proxy.cut(blackhole=True)     # … or new ones accepted and left hanging (a partition)
    await proxy.restore()               # new connections reach the target again
    await proxy.stop()

`cut` aborts every proxied connection (both sides see a reset). While cut, new connections are
accepted and closed at once, or with ``blackhole=True`` held silent until `restore` or `stop`
closes them — clients then wait for their own connect timeout, as behind a dead network.
"""

from __future__ import annotations

import asyncio
import contextlib

__all__ = ["TcpProxy"]

_CHUNK = 64 * 1024


class TcpProxy:
    """A TCP proxy from ``listen_host:port`` to ``target_host:target_port``."""

    def __init__(
        self, target_host: str, target_port: int, *, listen_host: str = "127.0.0.1"
    ) -> None:
        self.target_host = target_host
        self.target_port = target_port
        self.listen_host = listen_host
        self._server: asyncio.Server | None = None
        self._port: int | None = None
        self._cut = False
        self._blackhole = False
        self._links: set[tuple[asyncio.StreamWriter, asyncio.StreamWriter]] = set()
        self._held: set[asyncio.StreamWriter] = set()
        self._handlers: set[asyncio.Task[object]] = set()
        self.accepted = 0  # connections accepted, cut or not

    @property
    def port(self) -> int:
        """The listening port (after `start`)."""
        if self._port is None:
            raise RuntimeError("the proxy is not running; await proxy.start() first")
        return self._port

    @property
    def is_cut(self) -> bool:
        """Whether the proxy is cut."""
        return self._cut

    @property
    def open_connections(self) -> int:
        """Connections currently proxied to the target."""
        return len(self._links)

    async def start(self) -> int:
        """Listen on a free port and return it."""
        if self._server is not None:
            raise RuntimeError("the proxy is already running")
        self._server = await asyncio.start_server(self._accept, self.listen_host, 0)
        self._port = int(self._server.sockets[0].getsockname()[1])
        return self._port

    async def cut(self, *, blackhole: bool = False) -> None:
        """Reset every current connection; refuse new ones (or, with `blackhole`, hold them
        without an answer) until `restore`."""
        self._cut = True
        self._blackhole = blackhole
        for client, upstream in list(self._links):
            _abort(client)
            _abort(upstream)
        self._links.clear()
        await asyncio.sleep(0)

    async def restore(self) -> None:
        """Let new connections through again; connections held by a blackhole are closed."""
        self._cut = False
        self._blackhole = False
        for writer in list(self._held):
            _abort(writer)
        self._held.clear()
        await asyncio.sleep(0)

    async def stop(self) -> None:
        """Stop listening and close every connection."""
        await self.cut()
        await self.restore()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        if self._handlers:
            await asyncio.wait(self._handlers, timeout=5)

    async def __aenter__(self) -> TcpProxy:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        task = asyncio.current_task()
        if task is not None:
            self._handlers.add(task)
            task.add_done_callback(self._handlers.discard)
        if self._cut:
            if self._blackhole:
                self._held.add(writer)
            else:
                _abort(writer)
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(self.target_host, self.target_port)
        except OSError:
            _abort(writer)
            return
        if self._cut:  # cut while connecting
            _abort(writer)
            _abort(up_writer)
            return
        link = (writer, up_writer)
        self._links.add(link)
        try:
            await asyncio.gather(_pump(reader, up_writer), _pump(up_reader, writer))
        finally:
            self._links.discard(link)
            for side in link:
                side.close()


async def _pump(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    """Copy `source` to `sink` until end of stream, then pass the end on (half-close)."""
    try:
        while data := await source.read(_CHUNK):
            sink.write(data)
            await sink.drain()
        if sink.can_write_eof() and not sink.is_closing():
            sink.write_eof()
    except (OSError, RuntimeError):
        _abort(sink)


def _abort(writer: asyncio.StreamWriter) -> None:
    """Reset the connection (RST, no goodbye)."""
    with contextlib.suppress(OSError, RuntimeError):
        writer.transport.abort()
