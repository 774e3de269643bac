"""WebRTC media benchmark: N WebRtcEndpoint sessions on loopback, server cost per session.

For each row a fresh server (real GStreamer engine, ``python -m kurento.server``) runs in
a child process on a free 127.0.0.1 port, and the aiortc peers run in *another* child
process (this script with ``--worker``), so the server's CPU is measured alone. Every
peer sends VP8 from a synthetic moving 640x480 source at 20 fps plus Opus (silence);
ICE is pinned to 127.0.0.1 on both sides. Two modes:

* ``loopback``: N peers, each with its own pipeline and a WebRtcEndpoint connected to
  itself (the echo of the prototype's passthrough mode);
* ``one-to-many``: one presenter peer into one WebRtcEndpoint, connected to N viewer
  WebRtcEndpoints (recvonly peers), all in one pipeline.

Sessions are negotiated one after another (processOffer, trickle ICE); once every
receiving peer has its first video frame, the script waits ``--settle`` seconds, then
samples for ``--window`` seconds (15 by default).

Columns:

* ``mode``, ``N``: as above (N = echo sessions, or viewers);
* ``CPU %``: server process utime+stime over the window, in % of one core
  (``/proc/PID/stat``);
* ``RSS MiB``: server VmRSS at the end of the window;
* ``CPU/sess``: CPU % divided by N;
* ``RSS/sess``: (RSS at the end of the window - RSS of the idle server just started)
  divided by N, in MiB (one-to-many includes the presenter's endpoint);
* ``fps min/mean``: video frames each receiving peer decoded during the window, per
  second: the worst session and the mean;
* ``1st frame ms p50/max``: per receiving peer, from just before its processOffer call
  to its first decoded video frame back;
* ``peers CPU %``: the aiortc process over the same window (% of one core). aiortc
  encodes and decodes every stream in Python's one process: when it nears 100 % (or the
  machine is busy) the peers, not the server, limit the fps.

The aiortc senders follow the server's REMB (rembOnConnect 300 kbps, then Kurento's
estimator), so the video bitrate is about 300 kbps per stream.

Usage: .venv/bin/python bench/webrtc.py [--sessions 1,2,4,8] [--modes loopback,one-to-many]
       [--window 15] [--settle 3]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import fractions
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from procstats import cpu_seconds, free_port, rss_mib

ROOT = Path(__file__).resolve().parents[1]
WIDTH, HEIGHT, FPS = 640, 480, 20


# -- the server side (parent process) -------------------------------------------------------


def stop(process: subprocess.Popen[str]) -> None:
    """SIGTERM, then SIGKILL after 5 s (notes §5.7: a stuck teardown ignores SIGTERM)."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def read_event(worker: subprocess.Popen[str], name: str) -> dict[str, Any]:
    assert worker.stdout is not None
    for line in worker.stdout:
        if line.startswith("{"):
            event: dict[str, Any] = json.loads(line)
            if event.get("event") == "error":
                raise RuntimeError(event.get("message"))
            if event.get("event") == name:
                return event
    raise RuntimeError(f"worker ended before {name!r} (exit {worker.wait()})")


def run_row(mode: str, sessions: int, window: float, settle: float) -> dict[str, Any]:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'src'}"}
    server = subprocess.Popen(
        [sys.executable, "-m", "kurento.server", "--host", "127.0.0.1", "--port", str(port),
         "--log-level", "ERROR"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    worker: subprocess.Popen[str] | None = None
    try:
        assert server.stdout is not None
        server.stdout.readline()  # "listening on ..."
        time.sleep(0.5)
        idle_rss = rss_mib(server.pid)
        worker = subprocess.Popen(
            [sys.executable, __file__, "--worker", "--url", f"ws://127.0.0.1:{port}/kurento",
             "--mode", mode, "--sessions", str(sessions), "--window", str(window),
             "--settle", str(settle)],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
        ready = read_event(worker, "sampling")
        cpu_before, wall_before = cpu_seconds(server.pid), time.monotonic()
        peers_before = cpu_seconds(worker.pid)
        done = read_event(worker, "done")
        cpu = cpu_seconds(server.pid) - cpu_before
        peers_cpu = cpu_seconds(worker.pid) - peers_before
        wall = time.monotonic() - wall_before
        rss = rss_mib(server.pid)
        worker.wait(30)
    finally:
        if worker is not None:
            stop(worker)
        stop(server)
    cpu_pct = 100 * cpu / wall
    fps = done["fps"]
    first = sorted(ready["first_ms"])
    return {
        "mode": mode, "n": sessions, "cpu": cpu_pct, "rss": rss, "cpu_per": cpu_pct / sessions,
        "rss_per": (rss - idle_rss) / sessions, "fps_min": min(fps), "fps_mean":
        statistics.fmean(fps), "first_p50": statistics.median(first) if first else float("nan"),
        "first_max": max(first) if first else float("nan"), "missing": ready["missing"],
        "peers_cpu": 100 * peers_cpu / wall,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", default="1,2,4,8")
    parser.add_argument("--modes", default="loopback,one-to-many")
    parser.add_argument("--window", type=float, default=15.0)
    parser.add_argument("--settle", type=float, default=3.0)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--mode", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        asyncio.run(worker_main(args.url, args.mode, int(args.sessions), args.window,
                                args.settle))
        return
    print(f"VP8 {WIDTH}x{HEIGHT} @ {FPS} fps + Opus per peer, loopback; window {args.window:.0f} s "
          f"on {os.cpu_count()} CPUs")
    print(f"{'mode':<12} {'N':>3} {'CPU %':>7} {'RSS MiB':>8} {'CPU/sess':>9} {'RSS/sess':>9} "
          f"{'fps min/mean':>13} {'1st frame ms p50/max':>21} {'peers CPU %':>11}",
          flush=True)
    for mode in args.modes.split(","):
        for sessions in (int(n) for n in args.sessions.split(",")):
            try:
                row = run_row(mode, sessions, args.window, args.settle)
            except Exception as error:  # one broken row must not hide the others
                print(f"{mode:<12} {sessions:>3} failed: {error}", flush=True)
                continue
            note = f"  ({row['missing']} without video)" if row["missing"] else ""
            print(f"{row['mode']:<12} {row['n']:>3} {row['cpu']:>7.1f} {row['rss']:>8.1f} "
                  f"{row['cpu_per']:>9.2f} {row['rss_per']:>9.2f} "
                  f"{row['fps_min']:>6.1f}/{row['fps_mean']:<6.1f} "
                  f"{row['first_p50']:>10.0f}/{row['first_max']:<10.0f} "
                  f"{row['peers_cpu']:>11.1f}{note}", flush=True)


# -- the peers (worker process) ----------------------------------------------------------------


def emit(event: str, **fields: Any) -> None:
    print(json.dumps({"event": event, **fields}), flush=True)


async def worker_main(url: str, mode: str, sessions: int, window: float, settle: float) -> None:
    import av
    from aiortc import MediaStreamTrack
    from aiortc.mediastreams import MediaStreamError
    from tests.webrtc.peer import Peer, SilentAudio, loopback_ice, negotiate_as_answerer

    from kurento.client import KurentoClient, MediaPipeline, WebRtcEndpoint

    class MovingVideo(MediaStreamTrack):
        """640x480 at 20 fps: a gradient with bars scrolling down (cheap, but not static)."""

        kind = "video"

        def __init__(self) -> None:
            super().__init__()
            rows = []
            for y in range(2 * HEIGHT):  # a tape twice the height: each frame is one slice
                bar = (y // 24) % 5 == 0
                rows.append(bytes([235] * WIDTH) if bar else
                            bytes((x * 200 // WIDTH + y) % 200 + 16 for x in range(WIDTH)))
            self._tape = b"".join(rows)
            self._chroma = bytes([128]) * (WIDTH * HEIGHT // 4)
            self._count = 0
            self._start: float | None = None

        async def recv(self) -> Any:
            if self.readyState != "live":
                raise MediaStreamError
            if self._start is None:
                self._start = time.monotonic()
            due = self._start + self._count / FPS
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            frame = av.VideoFrame(width=WIDTH, height=HEIGHT, format="yuv420p")
            offset = (self._count * 6) % HEIGHT * WIDTH
            frame.planes[0].update(self._tape[offset:offset + WIDTH * HEIGHT])
            frame.planes[1].update(self._chroma)
            frame.planes[2].update(self._chroma)
            frame.pts = self._count * 90000 // FPS
            frame.time_base = fractions.Fraction(1, 90000)
            self._count += 1
            return frame

    def sender() -> Peer:
        peer = Peer(send_video=False, send_audio=False)
        peer.senders.append(peer.pc.addTrack(MovingVideo()))
        peer.senders.append(peer.pc.addTrack(SilentAudio()))
        return peer

    def viewer() -> Peer:
        peer = Peer(send_video=False, send_audio=False)
        peer.add_receiver("video")
        peer.add_receiver("audio")
        return peer

    peers: list[Peer] = []
    receivers: list[tuple[Peer, float]] = []  # (peer, time before its processOffer)
    with loopback_ice():
        async with KurentoClient.connect(url) as client:
            try:
                if mode == "loopback":
                    for _ in range(sessions):
                        pipeline = await MediaPipeline.create(client)
                        endpoint = await WebRtcEndpoint.create(pipeline)
                        await endpoint.connect(endpoint)
                        peer = sender()
                        peers.append(peer)
                        receivers.append((peer, await negotiate_as_answerer(endpoint, peer)))
                else:
                    pipeline = await MediaPipeline.create(client)
                    presenter = await WebRtcEndpoint.create(pipeline)
                    peer = sender()
                    peers.append(peer)
                    await negotiate_as_answerer(presenter, peer)
                    for _ in range(sessions):
                        endpoint = await WebRtcEndpoint.create(pipeline)
                        await presenter.connect(endpoint)
                        peer = viewer()
                        peers.append(peer)
                        receivers.append((peer, await negotiate_as_answerer(endpoint, peer)))
                deadline = time.monotonic() + 20
                while (time.monotonic() < deadline
                       and not all("video" in p.first_frame for p, _ in receivers)):
                    await asyncio.sleep(0.05)
                first = [(p.first_frame["video"] - began) * 1000 for p, began in receivers
                         if "video" in p.first_frame]
                await asyncio.sleep(settle)
                before = [p.received["video"] for p, _ in receivers]
                emit("sampling", first_ms=first, missing=len(receivers) - len(first))
                began = time.monotonic()
                await asyncio.sleep(window)
                elapsed = time.monotonic() - began
                fps = [(p.received["video"] - b) / elapsed for (p, _), b in zip(receivers, before,
                                                                               strict=True)]
                emit("done", fps=fps)
            except Exception as error:
                emit("error", message=f"{type(error).__name__}: {error}")
            finally:
                for peer in peers:
                    with contextlib.suppress(Exception):
                        await asyncio.wait_for(peer.close(), 5)


if __name__ == "__main__":
    main()
