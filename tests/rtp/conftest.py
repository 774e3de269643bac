"""An in-process server with the real engine, a client, and real RTP peers (gst-launch, ffmpeg).

Peers are child processes started with :func:`Peers.start`; the fixture ends
each one by its PID (SIGTERM, then SIGKILL) whatever the test's outcome.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest

from kurento.client import KurentoClient, MediaPipeline
from kurento.server.app import MediaServer
from kurento.server.settings import Settings


@pytest.fixture
async def server() -> AsyncIterator[MediaServer]:
    media_server = MediaServer(Settings(port=0))
    await media_server.start()
    yield media_server
    await media_server.stop()


@pytest.fixture
async def client(server: MediaServer) -> AsyncIterator[KurentoClient]:
    async with KurentoClient.connect(server.url) as kurento:
        yield kurento


@pytest.fixture
async def pipeline(client: KurentoClient) -> AsyncIterator[MediaPipeline]:
    media_pipeline = await MediaPipeline.create(client)
    yield media_pipeline
    await media_pipeline.release()


class Peers:
    """External RTP peers of one test, each ended by PID at teardown."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._processes: list[subprocess.Popen[bytes]] = []

    def start(self, name: str, argv: list[str]) -> subprocess.Popen[bytes]:
        log = (self.directory / f"{name}.log").open("wb")
        process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log,
                                   stderr=subprocess.STDOUT, cwd=self.directory)
        self._processes.append(process)
        return process

    def gst(self, name: str, description: str) -> subprocess.Popen[bytes]:
        return self.start(name, ["gst-launch-1.0", "-q", *description.split()])

    def log(self, name: str) -> str:
        path = self.directory / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self, process: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
        if process.poll() is None:
            os.kill(process.pid, sig)
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.kill(process.pid, signal.SIGKILL)
                process.wait()

    def stop_all(self) -> None:
        for process in self._processes:
            self.stop(process)


@pytest.fixture
def peers(tmp_path: Path) -> Iterator[Peers]:
    made = Peers(tmp_path)
    yield made
    made.stop_all()


def free_port_pair(address: str = "127.0.0.1") -> int:
    """An even UDP port P on ``address`` with P + 1 also free (for a peer's RTP/RTCP)."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    for _ in range(50):
        with socket.socket(family, socket.SOCK_DGRAM) as probe:
            probe.bind((address, 0))
            port = int(probe.getsockname()[1]) & ~1
        with contextlib.ExitStack() as stack:
            try:
                for offset in (0, 1):
                    sock = stack.enter_context(socket.socket(family, socket.SOCK_DGRAM))
                    sock.bind((address, port + offset))
            except OSError:
                continue
            return port
    raise RuntimeError("no free UDP port pair")


def answer_port(sdp: str, media: str) -> int:
    """The port of the first ``m=<media>`` line of an SDP."""
    match = re.search(rf"^m={media} (\d+) ", sdp, re.MULTILINE)
    assert match is not None, f"no m={media} in:\n{sdp}"
    return int(match[1])


def count_frames(path: Path, stream: str = "v:0") -> int:
    """Frames ffprobe decodes in ``path`` (0 when there is no such stream / no file)."""
    if not path.exists() or path.stat().st_size == 0:
        return 0
    result = subprocess.run(
        ["ffprobe", "-v", "error", "-count_frames", "-select_streams", stream,
         "-show_entries", "stream=codec_name,nb_read_frames", "-of", "json", str(path)],
        capture_output=True, text=True, timeout=30, check=False)
    streams = json.loads(result.stdout or "{}").get("streams", [])
    return int(str(streams[0].get("nb_read_frames", 0))) if streams else 0


def probe_codec(path: Path, stream: str = "v:0") -> str:
    result = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", stream, "-show_entries",
         "stream=codec_name", "-of", "json", str(path)],
        capture_output=True, text=True, timeout=30, check=False)
    streams = json.loads(result.stdout or "{}").get("streams", [])
    return str(streams[0]["codec_name"]) if streams else ""


async def wait_for(condition: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.1)
    return True
