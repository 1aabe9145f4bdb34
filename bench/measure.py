"""Measuring helpers shared by the benchmarks: memory, CPU, child processes, JSON results.

Memory is read from ``/proc/self/status`` (Linux): ``VmRSS`` now and ``VmHWM``, the peak
resident set since the process started (the same figure as ``ru_maxrss``). A
:class:`PhaseMeter` samples ``VmRSS`` every 20 ms in a thread, so a phase's own peak and its
increase over the resident set before it are known even when an earlier phase set ``VmHWM``.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import json
import os
import resource
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
RESULT_PREFIX = "BENCH-RESULT "
_SAMPLE_SECONDS = 0.02


def _status_kib(field_name: str) -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
    return 0


def rss_mib() -> float:
    """Resident set size now, in MiB."""
    return _status_kib("VmRSS") / 1024


def hwm_mib() -> float:
    """Peak resident set size of this process so far (VmHWM), in MiB."""
    return _status_kib("VmHWM") / 1024


def maxrss_mib() -> float:
    """``getrusage(RUSAGE_SELF).ru_maxrss`` (KiB on Linux), in MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def process_cpu_seconds() -> float:
    """User plus system CPU time of this process (all threads)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@dataclass
class PhaseMeter:
    """Wall time, CPU time (all threads and the main thread) and memory of one phase."""

    wall: float = 0.0
    cpu: float = 0.0
    main_thread_cpu: float = 0.0
    rss_before: float = 0.0
    rss_peak: float = 0.0
    rss_after: float = 0.0
    hwm_after: float = 0.0
    maxrss_after: float = 0.0
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> PhaseMeter:
        self.rss_before = self.rss_peak = rss_mib()
        self._stop.clear()
        self._thread = threading.Thread(target=self._sample, name="rss-sampler", daemon=True)
        self._thread.start()
        self._cpu0 = process_cpu_seconds()
        self._main0 = time.thread_time()
        self._wall0 = time.perf_counter()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.wall = time.perf_counter() - self._wall0
        self.main_thread_cpu = time.thread_time() - self._main0
        self.cpu = process_cpu_seconds() - self._cpu0
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self.rss_after = rss_mib()
        self.rss_peak = max(self.rss_peak, self.rss_after)
        self.hwm_after = hwm_mib()
        self.maxrss_after = maxrss_mib()

    def _sample(self) -> None:
        while not self._stop.wait(_SAMPLE_SECONDS):
            self.rss_peak = max(self.rss_peak, rss_mib())

    def as_dict(self) -> dict[str, float]:
        """The figures, rounded, for a JSON result."""
        return {
            "wall_s": round(self.wall, 3),
            "cpu_s": round(self.cpu, 3),
            "main_thread_cpu_s": round(self.main_thread_cpu, 3),
            "rss_before_mib": round(self.rss_before, 1),
            "rss_peak_mib": round(self.rss_peak, 1),
            "rss_increase_mib": round(self.rss_peak - self.rss_before, 1),
            "rss_after_mib": round(self.rss_after, 1),
            "vmhwm_mib": round(self.hwm_after, 1),
            "ru_maxrss_mib": round(self.maxrss_after, 1),
        }


def emit_result(payload: dict[str, Any]) -> None:
    """Print one result line for the parent process to pick up."""
    print(RESULT_PREFIX + json.dumps(payload), flush=True)


class ChildFailed(RuntimeError):
    """A benchmark child process failed, timed out or printed no result."""


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        part for part in (str(REPO_ROOT), env.get("PYTHONPATH", "")) if part
    )
    return env


async def run_child(module: str, args: Sequence[str], *, timeout: float) -> list[dict[str, Any]]:
    """Run ``python -m module args`` and return its result lines; raise :class:`ChildFailed`
    on a non-zero exit, a timeout, or no result."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", module, *args,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO_ROOT, env=_child_env(),
    )
    try:
        stdout, stderr = await asyncio.wait_for(process.communicate(), timeout)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise ChildFailed(f"{module} {' '.join(args)}: no answer within {timeout:.0f}s") from None
    results = [json.loads(line[len(RESULT_PREFIX):])
               for line in stdout.decode().splitlines() if line.startswith(RESULT_PREFIX)]
    if process.returncode != 0 or not results:
        tail = "\n".join(stderr.decode(errors="replace").splitlines()[-15:])
        raise ChildFailed(f"{module} exited with {process.returncode}"
                          f"{'' if results else ' and no result'}:\n{tail}")
    return results


class Server:
    """A server child process that prints one JSON line when ready; stopped with SIGTERM."""

    def __init__(self, module: str, args: Sequence[str], *, ready_timeout: float = 60.0) -> None:
        self._module = module
        self._args = list(args)
        self._ready_timeout = ready_timeout
        self._process: asyncio.subprocess.Process | None = None
        self.ready_line = ""

    async def __aenter__(self) -> Server:
        self._process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", self._module, *self._args,
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=REPO_ROOT, env=_child_env(),
        )
        assert self._process.stdout is not None
        try:
            line = await asyncio.wait_for(self._process.stdout.readline(), self._ready_timeout)
        except TimeoutError:
            await self._stop()
            raise ChildFailed(
                f"{self._module} did not start in {self._ready_timeout:.0f}s") from None
        if not line:
            await self._stop()
            raise ChildFailed(f"{self._module} exited before it was ready")
        self.ready_line = line.decode().strip()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self._stop()

    async def _stop(self) -> None:
        process = self._process
        if process is None or process.returncode is not None:
            return
        process.terminate()
        try:
            await asyncio.wait_for(process.wait(), 10)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()


def module_from_git(commit: str, path: str, name: str) -> ModuleType:
    """Load ``path`` as it was at ``commit`` into a fresh module called ``name`` (a baseline
    for before/after comparisons in one run); :class:`ChildFailed` without git or the
    commit."""
    try:
        source = subprocess.run(
            ["git", "-C", str(REPO_ROOT), "show", f"{commit}:{path}"],
            check=True, capture_output=True, text=True, timeout=30,
        ).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        raise ChildFailed(f"cannot read the baseline {commit}:{path} from git: {exc}") from exc
    spec = importlib.util.spec_from_loader(name, loader=None)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up by name
    code = compile(source, f"{commit}:{path}", "exec")
    exec(code, module.__dict__)  # noqa: S102 - our own code, from our own history
    return module
