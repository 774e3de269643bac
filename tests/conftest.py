"""Fixtures shared by every test layer.

``kurento_server`` / ``server_url`` run the real server (``python -m
kurento.server``) in a subprocess on a free loopback port, one per test, so
that tests which need the whole binary (the official JS client, browsers,
clients) see a fresh server and cannot leak sessions or objects into each other.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

LOOPBACK = "127.0.0.1"
STARTUP_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
PORT_ATTEMPTS = 3


class ServerStartError(RuntimeError):
    """The server subprocess exited or never listened."""


@dataclass(frozen=True)
class ServerProcess:
    """A running ``kurento.server`` subprocess."""

    host: str
    port: int
    path: str
    pid: int
    log_path: Path

    @property
    def url(self) -> str:
        return f"ws://{self.host}:{self.port}/{self.path}"

    def log_tail(self, lines: int = 80) -> str:
        """The last lines the server wrote (stdout and stderr), for failure messages."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "<no server log>"
        return "\n".join(text.splitlines()[-lines:])


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def _accepts(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Stops the server by its PID: SIGTERM, then SIGKILL if it lingers."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=STOP_TIMEOUT)


def _wait_listening(proc: subprocess.Popen[bytes], host: str, port: int, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise ServerStartError(
                f"server exited with code {proc.returncode} before listening on "
                f"{host}:{port}; log:\n{log.read_text(errors='replace')[-4000:]}"
            )
        if _accepts(host, port):
            return
        time.sleep(0.05)
    raise ServerStartError(
        f"server did not listen on {host}:{port} within {STARTUP_TIMEOUT:.0f} s; "
        f"log:\n{log.read_text(errors='replace')[-4000:]}"
    )


@contextmanager
def run_server(
    log_dir: Path,
    *,
    host: str = LOOPBACK,
    path: str = "kurento",
    extra_args: Sequence[str] = (),
) -> Iterator[ServerProcess]:
    """Runs ``python -m kurento.server`` on a free port until the block ends.

    The port is picked by binding to port 0 and released before the server
    binds it, so another process may take it in between; a server that dies
    before listening is retried on a new port.
    """
    error: ServerStartError | None = None
    for attempt in range(1, PORT_ATTEMPTS + 1):
        port = _free_port(host)
        log_path = log_dir / f"kurento-server-{port}.log"
        cmd = [
            sys.executable,
            "-m",
            "kurento.server",
            "--host",
            host,
            "--port",
            str(port),
            "--path",
            path,
            *extra_args,
        ]
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(
                cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env
            )
        try:
            try:
                _wait_listening(proc, host, port, log_path)
            except ServerStartError as exc:
                error = exc
                lost_race = "address already in use" in str(exc).lower()
                if not lost_race or attempt == PORT_ATTEMPTS:
                    raise
                continue
            yield ServerProcess(host, port, path, proc.pid, log_path)
            return
        finally:
            _stop(proc)
    assert error is not None
    raise error


@pytest.fixture
def kurento_server(tmp_path: Path) -> Iterator[ServerProcess]:
    """A fresh server subprocess on a free loopback port, stopped after the test."""
    with run_server(tmp_path) as server:
        yield server


@pytest.fixture
def server_url(kurento_server: ServerProcess) -> str:
    """``ws://127.0.0.1:PORT/kurento`` of a fresh server subprocess."""
    return kurento_server.url
