"""The fault tools of the test suite: a TCP proxy that cuts connections (in front of a real
PostgreSQL too) and a child process that holds an SQLite file's write lock."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from storage.db import create_engine
from tests.support.sqlite_locker import SqliteLocker
from tests.support.tcp_proxy import TcpProxy


@pytest.fixture
async def echo_port() -> AsyncIterator[int]:
    """A TCP echo server; yields its port."""

    async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(1024):
                writer.write(data)
                await writer.drain()
        except OSError:
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(echo, "127.0.0.1", 0)
    yield int(server.sockets[0].getsockname()[1])
    server.close()
    await server.wait_closed()


async def _roundtrip(port: int, payload: bytes = b"ping") -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(payload)
        await writer.drain()
        return await asyncio.wait_for(reader.read(1024), 2)
    finally:
        writer.close()


async def _closed(reader: asyncio.StreamReader) -> bool:
    """Whether the other side closed or reset the connection (within 2 s)."""
    try:
        return await asyncio.wait_for(reader.read(1024), 2) == b""
    except ConnectionResetError:
        return True


# -- TCP proxy -------------------------------------------------------------------------------


async def test_proxy_forwards_cuts_and_restores(echo_port: int) -> None:
    """Bytes flow through the proxy; cut resets the live connection and closes new ones at once;
    restore lets new connections through again."""
    async with TcpProxy("127.0.0.1", echo_port) as proxy:
        assert await _roundtrip(proxy.port) == b"ping"
        reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
        writer.write(b"live")
        assert await reader.read(1024) == b"live"
        assert proxy.open_connections == 1
        await proxy.cut()
        assert proxy.is_cut
        assert await _closed(reader)
        writer.close()
        reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
        assert await _closed(reader)  # accepted, then reset at once
        writer.close()
        await proxy.restore()
        assert await _roundtrip(proxy.port, b"again") == b"again"


async def test_proxy_blackhole_leaves_new_connections_hanging(echo_port: int) -> None:
    """cut(blackhole=True) accepts new connections but never answers; restore closes them."""
    async with TcpProxy("127.0.0.1", echo_port) as proxy:
        await proxy.cut(blackhole=True)
        reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
        writer.write(b"hello?")
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(reader.read(1024), 0.3)
        await proxy.restore()
        assert await _closed(reader)
        writer.close()
        assert await _roundtrip(proxy.port) == b"ping"


@pytest.mark.postgres
async def test_proxy_cuts_a_postgres_engine(postgres_url: str) -> None:
    """Through the proxy the app's engine queries PostgreSQL; cut → a running transaction fails
    with DBAPIError and new connections with OSError (TimeoutError at the connect timeout when
    black-holed); restore → a new connection works."""
    target = make_url(postgres_url)
    async with TcpProxy(target.host or "127.0.0.1", target.port or 5432) as proxy:
        url = target.set(host="127.0.0.1", port=proxy.port)
        engine = create_engine(url.render_as_string(hide_password=False), connect_timeout=1)
        try:
            async with engine.connect() as conn:
                assert (await conn.execute(text("SELECT 1"))).scalar() == 1
            assert proxy.open_connections == 1  # pooled
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
                await proxy.cut()  # mid-transaction: the statement sees the connection die
                with pytest.raises(DBAPIError, match="connection was closed"):
                    await conn.execute(text("SELECT 1"))
            with pytest.raises(ConnectionError):  # a new connection is reset while connecting
                async with engine.connect() as conn:
                    await conn.execute(text("SELECT 1"))
            await proxy.cut(blackhole=True)
            started = time.monotonic()
            with pytest.raises(TimeoutError):
                async with engine.connect() as conn:
                    await conn.execute(text("SELECT 1"))
            assert time.monotonic() - started >= 0.9  # it hung until the connect timeout
            await proxy.restore()
            async with engine.connect() as conn:
                assert (await conn.execute(text("SELECT 2"))).scalar() == 2
        finally:
            await engine.dispose()


# -- SQLite locker ---------------------------------------------------------------------------


def _make_db(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE t (x INTEGER)")
    conn.close()


def _insert(path: Path, busy_timeout: float = 0.1) -> None:
    conn = sqlite3.connect(path, timeout=busy_timeout)
    try:
        with conn:
            conn.execute("INSERT INTO t VALUES (1)")
    finally:
        conn.close()


def test_sqlite_locker_blocks_writes_until_released(tmp_path: Path) -> None:
    """While the locker holds BEGIN EXCLUSIVE, a write with a short busy timeout fails with
    "database is locked"; once released, it works."""
    path = tmp_path / "news.sqlite"
    _make_db(path)
    with SqliteLocker(path, seconds=60) as locker:
        assert locker.held
        started = time.monotonic()
        with pytest.raises(sqlite3.OperationalError, match="database is locked"):
            _insert(path)
        assert time.monotonic() - started < 5
    assert not locker.held
    _insert(path)


def test_sqlite_locker_lets_go_after_its_time(tmp_path: Path) -> None:
    """Given `seconds`, the locker releases the lock by itself."""
    path = tmp_path / "news.sqlite"
    _make_db(path)
    locker = SqliteLocker(path, seconds=0.5)
    locker.start()
    with pytest.raises(sqlite3.OperationalError, match="database is locked"):
        _insert(path)
    locker.wait(timeout=10)
    assert not locker.held
    _insert(path)


async def test_sqlite_locker_async_with(tmp_path: Path) -> None:
    """``async with`` takes and releases the lock without blocking the event loop."""
    path = tmp_path / "news.sqlite"
    _make_db(path)
    async with SqliteLocker(path) as locker:
        assert locker.held
        with pytest.raises(sqlite3.OperationalError, match="database is locked"):
            await asyncio.to_thread(_insert, path)
    await asyncio.to_thread(_insert, path)
