"""PlayerEndpoint benchmark: N players at once, server CPU per playing session.

For each row a fresh server (real GStreamer engine, ``python -m kurento.server``) runs in
a child process on a free 127.0.0.1 port, and the client with its aiortc peers runs in
*another* child process (this script with ``--worker``), so the server's CPU is measured
alone. Clips are generated first (320x240 at 30 fps, a keyframe every 0.5 s, 48 kHz
mono audio; long enough for the whole row). Modes:

* ``webm-peer``: N players of a VP8 + Opus WebM, each into its own WebRtcEndpoint with
  an aiortc receiver (VP8): passthrough, nothing decoded or encoded on the server;
* ``webm-nosink``: the same players connected to nothing: the cost of reading,
  demuxing and pacing alone;
* ``mp4-peer``: N players of an H.264 + AAC MP4 to receivers that take H.264: video
  passes through, AAC is decoded and encoded to Opus on the server;
* ``mkv-peer``: N players of a Motion-JPEG + Vorbis Matroska to VP8 receivers: both
  streams decoded and re-encoded (VP8 at 300 kbps, Opus) on the server.

Once every receiving peer has its first video frame (or, without peers, once the
players report MediaFlowOut), the script waits ``--settle`` seconds, then samples for
``--window`` seconds.

Columns: ``CPU %`` server utime+stime over the window in % of one core;
``CPU/sess`` that divided by N; ``RSS MiB`` the server's VmRSS at the end;
``fps min/mean`` video frames decoded per second by each receiving peer (the clip
is 30 fps); ``peers CPU %`` the aiortc process (it decodes every stream in Python's one
process: near 100 % the peers, not the server, limit the fps).

Usage: .venv/bin/python bench/playing.py [--sessions 1,4] [--modes webm-peer,mp4-peer]
       [--window 10] [--settle 2]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from procstats import cpu_seconds, free_port, rss_mib

ROOT = Path(__file__).resolve().parents[1]
MODES = ("webm-peer", "webm-nosink", "mp4-peer", "mkv-peer")
WIDTH, HEIGHT = 320, 240


def stop(process: subprocess.Popen[str]) -> None:
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


def run_row(mode: str, sessions: int, clip: Path, window: float,
            settle: float) -> dict[str, Any]:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'src'}",
           "KURENTO_MEDIA_ROOTS": str(clip.parent)}
    server = subprocess.Popen(
        [sys.executable, "-m", "kurento.server", "--host", "127.0.0.1", "--port", str(port),
         "--log-level", "ERROR"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    worker: subprocess.Popen[str] | None = None
    try:
        assert server.stdout is not None
        server.stdout.readline()  # "listening on ..."
        worker = subprocess.Popen(
            [sys.executable, __file__, "--worker", "--url", f"ws://127.0.0.1:{port}/kurento",
             "--mode", mode, "--sessions", str(sessions), "--clip", str(clip),
             "--window", str(window), "--settle", str(settle)],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
        read_event(worker, "sampling")
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
    fps = done["fps"]
    return {"cpu": 100 * cpu / wall, "rss": rss,
            "fps": f"{min(fps):>6.1f}/{statistics.fmean(fps):<6.1f}" if fps else f"{'-':>13}",
            "peers_cpu": 100 * peers_cpu / wall}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", default="1,4")
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument("--window", type=float, default=10.0)
    parser.add_argument("--settle", type=float, default=2.0)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--mode", help=argparse.SUPPRESS)
    parser.add_argument("--clip", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        asyncio.run(worker_main(args.url, args.mode, int(args.sessions), args.clip,
                                args.window, args.settle))
        return
    sys.path.insert(0, str(ROOT))
    from tests.media_files import make_mkv, make_mp4, make_webm

    counts = [int(n) for n in args.sessions.split(",")]
    seconds = args.settle + args.window + 5 + 2 * max(counts)  # negotiation included
    with tempfile.TemporaryDirectory(prefix="bench-playing-") as directory:
        clips = {kind: Path(directory) / f"clip.{kind}" for kind in ("webm", "mp4", "mkv")}
        make_webm(clips["webm"], seconds, WIDTH, HEIGHT)
        make_mp4(clips["mp4"], seconds, WIDTH, HEIGHT)
        make_mkv(clips["mkv"], seconds, WIDTH, HEIGHT)
        print(f"{WIDTH}x{HEIGHT} @ 30 fps clips of {seconds:.0f} s; window {args.window:.0f} s "
              f"on {os.cpu_count()} CPUs")
        print(f"{'mode':<12} {'N':>3} {'CPU %':>7} {'CPU/sess':>9} {'RSS MiB':>8} "
              f"{'fps min/mean':>13} {'peers CPU %':>11}", flush=True)
        for mode in args.modes.split(","):
            for sessions in counts:
                clip = clips[mode.split("-")[0]]
                try:
                    row = run_row(mode, sessions, clip, args.window, args.settle)
                except Exception as error:  # one broken row must not hide the others
                    print(f"{mode:<12} {sessions:>3} failed: {error}", flush=True)
                    continue
                print(f"{mode:<12} {sessions:>3} {row['cpu']:>7.1f} "
                      f"{row['cpu'] / sessions:>9.2f} {row['rss']:>8.1f} "
                      f"{row['fps']} "
                      f"{row['peers_cpu']:>11.1f}", flush=True)


def emit(event: str, **fields: Any) -> None:
    print(json.dumps({"event": event, **fields}), flush=True)


async def worker_main(url: str, mode: str, sessions: int, clip: str, window: float,
                      settle: float) -> None:
    from tests.webrtc.peer import Peer, loopback_ice, negotiate_as_answerer

    from kurento.client import (
        KurentoClient,
        MediaFlowOutStateChanged,
        MediaPipeline,
        PlayerEndpoint,
        WebRtcEndpoint,
    )

    uri = Path(clip).as_uri()
    peers: list[Peer] = []
    flowing: set[str] = set()
    with loopback_ice():
        async with KurentoClient.connect(url) as client:
            try:
                players = []
                for _ in range(sessions):
                    pipeline = await MediaPipeline.create(client)
                    player = await PlayerEndpoint.create(pipeline, uri)
                    await player.on(MediaFlowOutStateChanged,
                                    lambda event: flowing.add(event.source.id))
                    players.append(player)
                    if mode.endswith("-peer"):
                        endpoint = await WebRtcEndpoint.create(pipeline)
                        peer = Peer(send_video=False, send_audio=False)
                        peer.add_receiver("video")
                        peer.add_receiver("audio")
                        peer.prefer("video", "video/H264" if mode.startswith("mp4")
                                    else "video/VP8")
                        peers.append(peer)
                        await negotiate_as_answerer(endpoint, peer)
                        await player.connect(endpoint)
                for player in players:
                    await player.play()
                deadline = time.monotonic() + 20
                while time.monotonic() < deadline and not (
                        all("video" in p.first_frame for p in peers)
                        and len(flowing) == sessions):
                    await asyncio.sleep(0.05)
                await asyncio.sleep(settle)
                before = [p.received["video"] for p in peers]
                emit("sampling")
                began = time.monotonic()
                await asyncio.sleep(window)
                elapsed = time.monotonic() - began
                emit("done", fps=[(p.received["video"] - b) / elapsed
                                  for p, b in zip(peers, before, strict=True)])
            except Exception as error:
                emit("error", message=f"{type(error).__name__}: {error}")
            finally:
                for peer in peers:
                    with contextlib.suppress(Exception):
                        await asyncio.wait_for(peer.close(), 5)


if __name__ == "__main__":
    main()
