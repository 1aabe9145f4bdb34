"""The deployment files: the image's command lines run without Docker, the examples parse.

The Dockerfile's ENTRYPOINT, CMD, ENV and HEALTHCHECK are read from the file itself and run
with this venv (paths and the port swapped for temporary ones), so a change to any of them is
exercised here even where no Docker daemon runs. ``docker build`` itself runs only when
``docker info`` succeeds.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from bot.cli import build_parser
from bot.emulator import BotAPIEmulator
from tests.support.factories import TEST_TOKEN, make_config

REPO = Path(__file__).resolve().parents[2]
DOCKERFILE = REPO / "Dockerfile"
COMPOSE = REPO / "docker-compose.yml"
UNIT = REPO / "deploy" / "newsbot.service"
IMAGE_CONFIG = "/config/config.toml"
IMAGE_DATA = "/data/"
IMAGE_PORT = "8080"
START_TIMEOUT = 15.0
STOP_TIMEOUT = 15.0


# --- reading the Dockerfile ---------------------------------------------------------------


@dataclass(frozen=True)
class Image:
    """The instructions of the Dockerfile's final stage that decide how a container runs."""

    base: str
    entrypoint: list[str]
    cmd: list[str]
    healthcheck: list[str]
    env: dict[str, str]
    user: str
    exposed: list[str]
    volumes: list[str]
    copied: list[tuple[str, str]]  # (source, destination) from the build context


def _instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined and comments dropped."""
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\n", " ", "\n".join(lines))
    pairs = []
    for line in joined.splitlines():
        if line.strip():
            keyword, _, rest = line.strip().partition(" ")
            pairs.append((keyword.upper(), rest.strip()))
    return pairs


def _exec_form(arguments: str) -> list[str]:
    """The JSON exec form of CMD/ENTRYPOINT/HEALTHCHECK CMD (a shell form fails the test)."""
    value = json.loads(arguments)
    assert isinstance(value, list), arguments
    assert all(isinstance(item, str) for item in value), arguments
    return value


def read_image() -> Image:
    """Parse the Dockerfile's final stage."""
    stages: list[list[tuple[str, str]]] = []
    args: dict[str, str] = {}
    for keyword, rest in _instructions(DOCKERFILE.read_text(encoding="utf-8")):
        if keyword == "FROM":
            stages.append([])
        if not stages:
            if keyword == "ARG":
                name, _, default = rest.partition("=")
                args[name] = default
            continue
        stages[-1].append((keyword, rest))
    final = stages[-1]
    base = final[0][1].split()[0]
    base = re.sub(r"\$\{(\w+)\}", lambda m: args[m.group(1)], base)
    image = Image(base=base, entrypoint=[], cmd=[], healthcheck=[], env={}, user="root",
                  exposed=[], volumes=[], copied=[])
    for keyword, rest in final:
        if keyword == "ENTRYPOINT":
            image.entrypoint[:] = _exec_form(rest)
        elif keyword == "CMD":
            image.cmd[:] = _exec_form(rest)
        elif keyword == "HEALTHCHECK":
            _options, _, command = rest.partition("CMD ")
            image.healthcheck[:] = _exec_form(command)
        elif keyword == "ENV":
            for item in shlex.split(rest):
                name, _, value = item.partition("=")
                image.env[name] = value
        elif keyword == "USER":
            object.__setattr__(image, "user", rest)
        elif keyword == "EXPOSE":
            image.exposed.extend(rest.split())
        elif keyword == "VOLUME":
            image.volumes.extend(_exec_form(rest))
        elif keyword == "COPY" and "--from" not in rest:
            *sources, destination = rest.split()
            image.copied.extend((source, destination) for source in sources)
    return image


# --- running the image's command lines with this venv --------------------------------------


def free_port() -> int:
    """A port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def clean_environ() -> dict[str, str]:
    """This process's environment without NEWSBOT_* (the image's ENV is added explicitly)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("NEWSBOT_")}


def local_command(argv: Sequence[str]) -> list[str]:
    """An image command line as this venv runs it: `newsbot`/`python` → this interpreter.

    `python -m bot` is what the `newsbot` console script runs (bot.cli:main), and runs the
    code of this checkout."""
    head, *rest = argv
    if head == "newsbot":
        return [sys.executable, "-m", "bot", *rest]
    if head == "python":
        return [sys.executable, *rest]
    raise AssertionError(f"unexpected program {head!r} in {argv}")


def image_env(image: Image, *, port: int, data_dir: Path) -> dict[str, str]:
    """The image's NEWSBOT_* variables, with the port, /data and the bind address local."""
    env = {}
    for name, value in image.env.items():
        if not name.startswith("NEWSBOT_"):
            continue
        value = value.replace(IMAGE_DATA, f"{data_dir}/")
        if name == "NEWSBOT_SERVER__PORT":
            value = str(port)
        if name == "NEWSBOT_SERVER__HOST":
            value = "127.0.0.1"  # the container's own interface is this machine's loopback
        env[name] = value
    return env


def health_command(image: Image, url: str) -> list[str]:
    """The image's HEALTHCHECK command line pointed at ``url``."""
    original = [item for item in image.healthcheck if item.startswith("http")]
    assert len(original) == 1, image.healthcheck
    return local_command([url if item == original[0] else item for item in image.healthcheck])


async def run_command(argv: Sequence[str], env: dict[str, str] | None = None) -> tuple[int, str]:
    """Run a command to completion without blocking the event loop; (exit code, output)."""
    process = await asyncio.create_subprocess_exec(
        *argv, cwd=REPO, env=env or clean_environ(),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode is not None
    return process.returncode, output.decode(errors="replace")


def log_text(log: Path) -> str:
    """A log file's text."""
    return log.read_text(errors="replace")


def tail(log: Path) -> str:
    """The end of a log file, for a failure message."""
    return log_text(log)[-3000:]


async def wait_until_serving(base: str, process: asyncio.subprocess.Process, log: Path) -> None:
    """Poll /healthz until it answers 200; fail if the bot exits or the time runs out."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + START_TIMEOUT
    async with aiohttp.ClientSession() as session:
        while loop.time() < deadline:
            if process.returncode is not None:
                pytest.fail(f"newsbot exited {process.returncode}:\n{tail(log)}")
            try:
                async with session.get(f"{base}/healthz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    pytest.fail(f"newsbot did not serve /healthz within {START_TIMEOUT}s:\n{tail(log)}")


async def route_exists(url: str) -> bool:
    """Whether the bot has this route at all (anything but 404)."""
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status != 404


@asynccontextmanager
async def answering(status: int) -> AsyncIterator[str]:
    """A local HTTP server answering every GET with ``status``; yields its base URL."""

    async def handle(_request: web.Request) -> web.Response:
        return web.Response(status=status, text="not ready")

    app = web.Application()
    app.router.add_get("/{tail:.*}", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


# --- the image ---------------------------------------------------------------------------


def test_dockerfile_declares_a_slim_non_root_image_with_data_volume_and_health_check() -> None:
    """The final stage: slim Python 3.11, non-root, /data volume, port, exec-form commands."""
    image = read_image()
    assert re.fullmatch(r"python:3\.11[\w.-]*-slim[\w.-]*", image.base), image.base
    assert image.user not in ("", "root", "0"), image.user
    assert image.volumes == ["/data"]
    assert image.exposed == [image.env["NEWSBOT_SERVER__PORT"]] == [IMAGE_PORT]
    assert image.env["NEWSBOT_DATABASE__URL"] == f"sqlite+aiosqlite:///{IMAGE_DATA}newsbot.db"
    assert image.entrypoint == ["newsbot"]
    assert image.cmd == ["run", "-c", IMAGE_CONFIG]
    assert image.healthcheck[:3] == ["python", "-m", "bot.healthcheck"]
    assert f"http://127.0.0.1:{IMAGE_PORT}/readyz" in image.healthcheck
    assert ("deploy/config.container.toml", IMAGE_CONFIG) in image.copied


def test_dockerignore_lets_in_what_the_dockerfile_copies() -> None:
    """.dockerignore excludes everything but the sources the build stages COPY."""
    patterns = [line.strip() for line in (REPO / ".dockerignore").read_text().splitlines()
                if line.strip() and not line.startswith("#")]
    assert patterns[0] == "*"
    allowed = {p[1:].rstrip("/") for p in patterns if p.startswith("!")}
    sources = set()
    for keyword, rest in _instructions(DOCKERFILE.read_text(encoding="utf-8")):
        if keyword == "COPY" and "--from" not in rest:
            sources.update(s.rstrip("/") for s in rest.split()[:-1])
    assert sources, "the Dockerfile copies nothing from the build context"
    assert sources <= allowed, sources - allowed
    for source in sources:
        assert (REPO / source).exists(), source


async def test_image_command_runs_the_bot_health_check_passes_and_sigterm_exits_0(
    tmp_path: Path,
) -> None:
    """ENTRYPOINT + CMD + ENV start the bot on the image's SQLite path; HEALTHCHECK exits 0
    against it; SIGTERM stops it with exit code 0."""
    image = read_image()
    port = free_port()
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    log = tmp_path / "newsbot.log"
    async with BotAPIEmulator(tokens=(TEST_TOKEN,)) as emulator:
        config = make_config(tmp_path, api_base_url=emulator.base_url)
        argv = local_command(
            [str(config) if item == IMAGE_CONFIG else item for item in image.entrypoint + image.cmd]
        )
        env = {**clean_environ(), **image_env(image, port=port, data_dir=data_dir)}
        with log.open("wb") as log_file:
            process = await asyncio.create_subprocess_exec(
                *argv, cwd=REPO, env=env, stdout=log_file, stderr=subprocess.STDOUT
            )
        try:
            base = f"http://127.0.0.1:{port}"
            await wait_until_serving(base, process, log)
            assert (data_dir / "newsbot.db").exists(), "the database is not in the data volume"

            readyz = f"{base}/readyz"
            # /readyz comes with the readiness work; until it is merged, /healthz stands in.
            url = readyz if await route_exists(readyz) else f"{base}/healthz"
            code, output = await run_command(health_command(image, url))
            assert code == 0, output
        finally:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
            try:
                exit_code = await asyncio.wait_for(process.wait(), timeout=STOP_TIMEOUT)
            except TimeoutError:
                process.kill()
                await process.wait()
                pytest.fail(f"newsbot ignored SIGTERM for {STOP_TIMEOUT}s")
    text = log_text(log)
    assert exit_code == 0, text[-3000:]
    assert "Traceback" not in text, text[-3000:]
    assert "newsbot stopped" in text


@pytest.mark.parametrize("status", [503, 404, 500])
async def test_health_check_fails_on_an_error_status(status: int) -> None:
    """The image's health-check command exits 1 when the URL answers an error status."""
    async with answering(status) as base:
        code, output = await run_command(health_command(read_image(), f"{base}/readyz"))
    assert code == 1, output
    assert f"HTTP {status}" in output


async def test_health_check_passes_on_200_and_fails_when_nothing_listens() -> None:
    """Exit 0 on a 200 answer; exit 1, with one line, when the port is closed."""
    async with answering(200) as base:
        code, output = await run_command(health_command(read_image(), f"{base}/readyz"))
    assert code == 0, output
    code, output = await run_command(
        health_command(read_image(), f"http://127.0.0.1:{free_port()}/readyz")
    )
    assert code == 1, output
    assert "no answer" in output
    assert "Traceback" not in output


@pytest.mark.parametrize(
    "args",
    [[], ["not-a-url"], ["ftp://127.0.0.1/x"], ["http://127.0.0.1:abc/readyz"],
     ["--timeout", "0", "http://127.0.0.1:9/x"], ["--timeout", "nan", "http://127.0.0.1:9/x"]],
    ids=["no url", "not a url", "ftp", "port not a number", "timeout 0", "timeout nan"],
)
def test_health_check_bad_arguments_exit_1_with_one_error_line(args: list[str]) -> None:
    """Bad arguments are unhealthy (exit 1, never Docker's reserved 2), with no traceback."""
    result = subprocess.run([sys.executable, "-m", "bot.healthcheck", *args],
                            capture_output=True, text=True, timeout=30, check=False)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.strip()


async def test_image_default_config_works_from_the_environment_alone(tmp_path: Path) -> None:
    """The image's built-in config file plus NEWSBOT_* variables is a valid configuration."""
    env = {
        **clean_environ(),
        **image_env(read_image(), port=free_port(), data_dir=tmp_path),
        "NEWSBOT_TELEGRAM__TOKEN": TEST_TOKEN,
        "NEWSBOT_TOPICS": '[{"slug": "russia", "name": "Russia"}]',
    }
    code, output = await run_command(
        local_command(["newsbot", "check-config", "-c", "deploy/config.container.toml"]), env
    )
    assert code == 0, output
    assert "1 topic(s)" in output


@pytest.mark.skipif(shutil.which("docker") is None, reason="docker is not installed")
def test_docker_build() -> None:
    """`docker build` succeeds (only where a Docker daemon answers)."""
    info = subprocess.run(["docker", "info"], capture_output=True, text=True, timeout=30,
                          check=False)
    if info.returncode != 0:
        reason = ((info.stderr or info.stdout).strip().splitlines() or ["no output"])[-1]
        pytest.skip(f"docker info failed, so no image can be built here: {reason}")
    build = subprocess.run(["docker", "build", "-t", "newsbot:test", str(REPO)],
                           capture_output=True, text=True, timeout=900, check=False)
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]


# --- the compose file and the systemd unit -------------------------------------------------


def assert_valid_newsbot_command(args: Sequence[str]) -> None:
    """``args`` (after `newsbot`) parse, and `newsbot <sub-command> --help` exits 0."""
    build_parser().parse_args(list(args))  # exits 2 (SystemExit) on anything invalid
    subcommand = [arg for arg in args if not arg.startswith("-")][:1]
    if args and args[0] == "feeds":
        subcommand = list(args[:2])
    result = subprocess.run(
        local_command(["newsbot", *subcommand, "--help"]), cwd=REPO, env=clean_environ(),
        capture_output=True, text=True, timeout=30, check=False,
    )
    assert result.returncode == 0, result.stderr


def test_compose_runs_newsbot_after_a_healthy_postgres() -> None:
    """The compose example: PostgreSQL with a named volume and a health check, newsbot
    waiting for it, config read-only, the token from an env file, a valid command."""
    text = COMPOSE.read_text(encoding="utf-8")
    assert "\t" not in text, "YAML forbids tabs for indentation"
    body = [line for line in text.splitlines() if line.strip() and not line.lstrip()
            .startswith("#")]
    top_level = [line.rstrip(":") for line in body if not line.startswith(" ")]
    assert top_level == ["services", "volumes"], top_level
    services = [line.strip().rstrip(":") for line in body if re.match(r"^  \w[\w-]*:$", line)]
    assert "postgres" in services
    assert "newsbot" in services
    assert re.search(r"^ {6}- postgres-data:/var/lib/postgresql/data$", text, re.M)
    assert re.search(r"^volumes:\n  postgres-data:", text, re.M)
    assert re.search(r"^ {4}healthcheck:\n {6}test: .*pg_isready", text, re.M)
    assert re.search(r"depends_on:\n {6}postgres:\n(?: *#.*\n)* {8}condition: service_healthy",
                     text)
    assert re.search(r"^ {6}- \./config\.toml:/config/config\.toml:ro$", text, re.M)
    assert re.search(r"^ {4}env_file: newsbot\.env$", text, re.M)
    assert "NEWSBOT_DATABASE__URL=postgresql+asyncpg://" in text
    commands = re.findall(r"^ {4}command: (\[.*\])$", text, re.M)
    assert len(commands) == 1
    args = json.loads(commands[0])  # a YAML flow sequence of double-quoted strings is JSON
    assert args == read_image().cmd
    assert_valid_newsbot_command(args)


def read_unit(path: Path) -> dict[str, dict[str, list[str]]]:
    """A systemd unit as section → key → values (keys may repeat)."""
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] | None = None
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if header := re.fullmatch(r"\[(\w+)\]", line):
            current = sections.setdefault(header.group(1), {})
            continue
        match = re.fullmatch(r"([A-Z][A-Za-z]+)=(.*)", line)
        assert match, f"{path.name}:{number}: not a section or Key=value: {raw!r}"
        assert current is not None, f"{path.name}:{number}: a key before any [Section]"
        current.setdefault(match.group(1), []).append(match.group(2))
    return sections


def test_systemd_unit_migrates_then_runs_hardened_as_its_own_user() -> None:
    """The unit parses, runs `newsbot migrate` then `newsbot run` on one config as a
    dedicated user, restarts on failure, stops with SIGTERM and is hardened."""
    unit = read_unit(UNIT)
    assert set(unit) == {"Unit", "Service", "Install"}
    service = {key: values[-1] for key, values in unit["Service"].items()}
    assert service["User"] not in ("root", "0")
    assert service["WorkingDirectory"].startswith("/")
    assert service["EnvironmentFile"].startswith("/")
    assert service["Restart"] == "on-failure"
    assert service["KillSignal"] == "SIGTERM"
    assert service["TimeoutStopSec"]
    for key in ("NoNewPrivileges", "PrivateTmp", "ProtectHome"):
        assert service[key] == "yes", key
    assert service["ProtectSystem"] in ("strict", "full")
    pre = shlex.split(service["ExecStartPre"])
    start = shlex.split(service["ExecStart"])
    for line in (pre, start):
        assert Path(line[0]).is_absolute()
        assert Path(line[0]).name == "newsbot"
        assert_valid_newsbot_command(line[1:])
    assert pre[1] == "migrate"
    assert start[1] == "run"
    assert pre[pre.index("-c") + 1] == start[start.index("-c") + 1]
    assert unit["Install"]["WantedBy"] == ["multi-user.target"]
