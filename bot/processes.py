"""Child processes (bot layer): start servers, wait until they answer, stop every one of them on exit."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

log = logging.getLogger(__name__)


class ServerStartError(RuntimeError):
    """A child server exited or did not answer in time; its log file says why."""


@dataclass(frozen=True)
class ServerSpec:
    """How to start one server and how to tell it is ready."""

    name: str
    command: list[str]
    health_url: str
    log_file: Path
    cwd: Path | None = None
    environment: dict[str, str] = field(default_factory=dict)
    ready_timeout: float = 180.0


def _stop(process: subprocess.Popen[bytes], name: str, grace: float = 10.0) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        log.warning("%s did not stop in %.0f s; killing it", name, grace)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def wait_ready(spec: ServerSpec, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + spec.ready_timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServerStartError(f"{spec.name} exited with code {process.returncode}; see {spec.log_file}")
        try:
            if httpx.get(spec.health_url, timeout=2.0).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise ServerStartError(f"{spec.name} did not answer within {spec.ready_timeout:.0f} s; see {spec.log_file}")


@contextmanager
def started_server(spec: ServerSpec) -> Iterator[subprocess.Popen[bytes]]:
    """Start `spec` in its own process group without waiting for it (see `wait_ready`); stop it afterwards."""
    spec.log_file.parent.mkdir(parents=True, exist_ok=True)
    with spec.log_file.open("ab") as log_stream:
        process = subprocess.Popen(
            spec.command,
            cwd=spec.cwd,
            env={**os.environ, **spec.environment},
            stdin=subprocess.DEVNULL,
            stdout=log_stream,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield process
    finally:
        _stop(process, spec.name)


@contextmanager
def running_server(spec: ServerSpec) -> Iterator[subprocess.Popen[bytes]]:
    """Start `spec` in its own process group, wait until its health URL answers, stop it afterwards."""
    with started_server(spec) as process:
        wait_ready(spec, process)
        log.info("%s is up (pid %d)", spec.name, process.pid)
        yield process


@contextmanager
def running_servers(specs: list[ServerSpec]) -> Iterator[None]:
    """Start servers in order; on exit, or if one fails, stop all already started, newest first."""
    with ExitStack() as stack:
        for spec in specs:
            print(f"==> Starting {spec.name} (log: {spec.log_file})", flush=True)
            stack.enter_context(running_server(spec))
        yield
