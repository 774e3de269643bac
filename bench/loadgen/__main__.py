"""The generator process: N sessions against one server, results as JSON lines.

``python -m loadgen --target kurento|janus --url URL --sessions N [--window S]
[--settle S]`` (with ``bench/`` and ``src/`` on ``PYTHONPATH``). It prints
``{"event": "sampling"}`` when the measurement window opens, ``{"event": "window-end"}``
when it closes (the parent reads the processes' CPU time at both) and ``{"event":
"done", ...}`` with the figures; ``{"event": "error"}`` on failure.

``--scenario recording --record-dir DIR``: N senders (``sendonly``, nothing comes
back), each recorded by the server into DIR; the recordings stop after the window
(before ``done``). ``--scenario filtered --filter SPEC``: N loopback sessions through a
filter (ours only): the video comes back re-encoded, so it is counted (fps, loss by
frame count), not matched by hash; the first ``MARKER_SESSIONS`` sessions decode it and
read the frame number drawn into each picture of the marked clip, for the video delay
through the filter (``loadgen.marker``). Audio passes the filter untouched and keeps its
frame-hash delay. SPEC: ``gst:COMMAND`` (GStreamerFilter), ``sepia`` (SepiaFilter) or
``face`` (FaceOverlayFilter with a hat; the sessions then send the face clip).

``--processes K`` (loopback and one-to-many): the sessions spread over K processes, this
one coordinating them and printing the same events (``split.py``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import sys
import time
from pathlib import Path
from typing import Any

from .clip import FPS, load_clip, uses_face_clip
from .figures import silent_peers, summarise, summarise_filtered, summarise_senders
from .peer import Session
from .source import Source
from .split import Part, coordinate, raw_part
from .targets import JanusTarget, KurentoTarget, Target

GRACE = 0.5  # seconds after the window for the last frames sent in it to come back
# filtered: sessions that decode their video to read the markers (a VGA VP8 decoder each,
# ~2 % of a core: enough for the delay's distribution, not a cost that grows with N)
MARKER_SESSIONS = 2
# filtered: every session's frames due at the same instants, as in the other scenarios
# (set KPY_BENCH_LOCKSTEP=1 to measure what that does to the filters' delay)
LOCKSTEP = os.environ.get("KPY_BENCH_LOCKSTEP") == "1"


def thread_cpu() -> dict[str, float]:
    """CPU seconds of this process's threads, summed by thread name."""
    ticks = os.sysconf("SC_CLK_TCK")
    result: dict[str, float] = {}
    for task in Path("/proc/self/task").iterdir():
        try:
            name = (task / "comm").read_text().strip()
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the thread ended meanwhile
        result[name] = result.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / ticks
    return result


def emit(event: str, **fields: Any) -> None:
    print(json.dumps({"event": event, **fields}), flush=True)


async def run(target: Target, sessions: int, window: float, settle: float,
              stack: str = "gst", scenario: str = "loopback", filter: str | None = None,
              record_dir: str | None = None, part: Part | None = None) -> None:
    """``part``: this process is one of several (``--processes``, see split.py)."""
    clip = load_clip(face=uses_face_clip(filter), marked=scenario == "filtered")
    marker_keys = [hash(frame.data) for frame in clip.video] if clip.marked else None
    source = Source(clip)
    own_sources: list[Source] = []  # filtered: a source per session (see below)
    senders: list[Source] = []  # loopback and filtered: what pushes to each of ``peers``
    loop = asyncio.get_running_loop()
    peers: list[Any] = []
    presenter: Any = None
    first = part.first_index if part is not None else 0
    # a viewer-only part of one-to-many: the presenter (and the clip) is another's
    presenter_ref = part.presenter if part is not None else None
    remote_presenter = presenter_ref is not None
    await target.open()
    try:
        own_phases = scenario == "filtered" and not LOCKSTEP
        if not remote_presenter and not own_phases:
            source.start()
        began = time.monotonic()
        if scenario == "one-to-many":
            # One presenter (sends, receives nothing), then N viewers (receive only).
            if presenter_ref is not None:
                await target.adopt(presenter_ref)
            else:
                presenter = Session(-1, source.sent_times, loop, clip.video_caps,
                                    clip.audio_caps, role="sendonly")
                presenter.create()
                source.sessions.append(presenter)
                await target.present(presenter)
                if part is not None:
                    emit("presenting", ref=target.presenter_ref())
            for index in range(first, first + sessions):
                viewer = Session(index, source.sent_times, loop, clip.video_caps,
                                 clip.audio_caps, role="recvonly",
                                 count_unmatched=remote_presenter)
                if remote_presenter:
                    viewer.keys = []  # matched to the presenter's pushes afterwards
                viewer.create()
                peers.append(viewer)
                await target.view(viewer)
        recording_started = time.monotonic()
        if scenario == "recording":
            if record_dir is None:
                raise RuntimeError("--scenario recording needs --record-dir")
            for index in range(sessions):
                sender = Session(index, source.sent_times, loop, clip.video_caps,
                                 clip.audio_caps, role="sendonly")
                sender.create()
                peers.append(sender)
                source.sessions.append(sender)
                await target.record(sender, record_dir, f"rec-{index}")
            recording_started = time.monotonic()
        looped = sessions if scenario in ("loopback", "filtered") else 0
        for index in range(first, first + looped):
            session: Any
            feeder = source
            if own_phases:
                # a clip of its own for each session, its frames due on its own phase of
                # the frame interval: decoding and encoding N sessions' frames all at
                # once would queue each behind the others' (the lockstep bursts of
                # bench/README.md), which unsynchronized real peers never do
                feeder = Source(clip, phase=index / looped / FPS)
                feeder.start()
                own_sources.append(feeder)
            if stack == "aiortc":
                from .aiortc_peer import AiortcSession

                session = AiortcSession(index, feeder.sent_times, loop)
            else:
                session = Session(index, feeder.sent_times, loop, clip.video_caps,
                                  clip.audio_caps, count_unmatched=filter is not None,
                                  marker_keys=marker_keys if index < MARKER_SESSIONS
                                  else None)
            session.create()
            peers.append(session)
            feeder.sessions.append(session)
            senders.append(feeder)
            if filter is None:
                await target.negotiate(session)
            else:
                await target.negotiate(session, filter)
        deadline = time.monotonic() + 20 + sessions * 0.5

        def ready(peer: Any) -> bool:  # a sender is ready when connected (nothing returns)
            return (peer.connected.is_set() if scenario == "recording"
                    else peer.first_video is not None)

        while time.monotonic() < deadline and not all(ready(p) for p in peers):
            await asyncio.sleep(0.05)
        missing = sum(1 for p in peers if not ready(p))
        setup = time.monotonic() - began
        if part is not None:
            await measure_part(peers, source, not remote_presenter, missing, setup)
            return
        await asyncio.sleep(settle)
        before = await asyncio.gather(*(p.stats() for p in peers))
        threads_before = thread_cpu()
        start = time.monotonic()
        emit("sampling", missing=missing, setup_s=setup)
        await asyncio.sleep(window)
        end = time.monotonic()
        emit("window-end")
        threads_after = thread_cpu()
        after = await asyncio.gather(*(p.stats() for p in peers))
        await asyncio.sleep(max(0.0, end + GRACE - time.monotonic()))
        busy = {name: 100 * (cpu - threads_before.get(name, 0.0)) / (end - start)
                for name, cpu in threads_after.items()}
        top = dict(sorted(((n, round(c, 1)) for n, c in busy.items() if c >= 0.5),
                          key=lambda item: -item[1])[:8])
        if scenario == "recording":
            stopping = time.monotonic()
            await target.stop_recording()
            figures = summarise_senders(peers, source, start, end, before, after)
            figures.update(
                recorded_s=stopping - recording_started,
                stop_s=time.monotonic() - stopping,
                sent_video_recording=source.sent_between(recording_started, stopping, "video"),
                # per sender: video frames sent from its ICE connection to the stop
                sent_video_connected=[
                    source.sent_between(p.connected_at or recording_started, stopping, "video")
                    for p in peers],
                connect_s=[round((p.connected_at or math.nan) - began, 3) for p in peers],
                stop_at_s=round(stopping - began, 3),
                transcoding=getattr(target, "transcoding", []))
        elif scenario == "filtered":
            figures = summarise_filtered(peers, senders, start, end, before, after)
            figures["lockstep"] = LOCKSTEP
        else:
            sent = (source.sent_between(start, end, "video"),
                    source.sent_between(start, end, "audio"))
            figures = summarise(peers, [sent] * len(peers), start, end, before, after)
            # A session without video or audio: what both ends say of it (three at most).
            silent = silent_peers(peers, start, end)
            figures["silent_detail"] = [
                {"session": p.index,
                 "generator": await p.describe() if hasattr(p, "describe") else {},
                 "server": await target.diagnose(p)} for p in silent]
        emit("done", **figures, threads=top)
    finally:
        for feeder in (source, *own_sources):
            await feeder.stop()
        for peer in peers:
            peer.close()
        if presenter is not None:
            presenter.close()
        await target.close()


async def measure_part(peers: list[Any], source: Source, pushing: bool, missing: int,
                       setup: float) -> None:
    """One of several processes: ready, then the window the coordinator names on stdin
    (monotonic start and end, the same clock in every process), then the raw part."""
    emit("ready", missing=missing, setup_s=setup)
    line = await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    if not line:
        raise RuntimeError("the coordinating generator went away")
    start_at, end_at = json.loads(line)["window"]
    before = await asyncio.gather(*(p.stats() for p in peers))
    await asyncio.sleep(max(0.0, start_at - time.monotonic()))
    threads_before = thread_cpu()
    start = time.monotonic()
    await asyncio.sleep(max(0.0, end_at - time.monotonic()))
    end = time.monotonic()
    threads_after = thread_cpu()
    after = await asyncio.gather(*(p.stats() for p in peers))
    await asyncio.sleep(max(0.0, end + GRACE - time.monotonic()))
    busy = {name: 100 * (cpu - threads_before.get(name, 0.0)) / (end - start)
            for name, cpu in threads_after.items()}
    emit("part", **raw_part(peers, source.pushes if pushing else None, start_at, before,
                            after, busy))


def main() -> None:
    parser = argparse.ArgumentParser(prog="loadgen", description=__doc__.split("\n")[0])
    parser.add_argument("--target", choices=("kurento", "janus"), required=True)
    parser.add_argument("--url", required=True)
    parser.add_argument("--sessions", type=int, default=1)
    parser.add_argument("--window", type=float, default=10.0)
    parser.add_argument("--settle", type=float, default=3.0)
    parser.add_argument("--stack", choices=("gst", "aiortc"), default="gst",
                        help="webrtcbin (default) or aiortc sessions")
    parser.add_argument("--scenario", default="loopback",
                        choices=("loopback", "one-to-many", "recording", "filtered"),
                        help="N echo sessions, 1 presenter and N viewers, N recorded "
                             "senders, or N echo sessions through a filter (gst stack only)")
    parser.add_argument("--filter", default="gst:videoflip method=horizontal-flip",
                        help="filtered: gst:COMMAND (GStreamerFilter), sepia (SepiaFilter), "
                             "sepia-process (the same in a process of its own, a plug-in) or "
                             "face (FaceOverlayFilter with a hat, over the face clip)")
    parser.add_argument("--record-dir", help="recording: where the server writes the files")
    parser.add_argument("--processes", type=int, default=1,
                        help="spread the sessions over this many processes (loopback and "
                             "one-to-many, gst stack): one process's streaming threads queue "
                             "for its GIL at every frame")
    # what a coordinating generator passes to the processes it starts (split.py)
    parser.add_argument("--part", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--first-index", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--presenter", type=json.loads, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.stack == "aiortc" and args.scenario != "loopback":
        parser.error("--stack aiortc runs the loopback scenario only")
    if args.processes > 1 and (args.stack != "gst"
                               or args.scenario not in ("loopback", "one-to-many")):
        parser.error("--processes runs the loopback and one-to-many scenarios, gst stack")
    target: Target = (KurentoTarget(args.url) if args.target == "kurento"
                      else JanusTarget(args.url))
    try:
        if args.processes > 1 and args.sessions > 1:
            asyncio.run(coordinate(args, min(args.processes, args.sessions), emit))
        elif args.stack == "aiortc":
            from .aiortc_peer import loopback_only

            with loopback_only():
                asyncio.run(run(target, args.sessions, args.window, args.settle, "aiortc"))
        else:
            asyncio.run(run(target, args.sessions, args.window, args.settle,
                            scenario=args.scenario,
                            filter=args.filter if args.scenario == "filtered" else None,
                            record_dir=args.record_dir,
                            part=Part(args.first_index, args.presenter) if args.part
                            else None))
    except Exception as error:
        emit("error", message=f"{type(error).__name__}: {error}")
        raise SystemExit(1) from error


if __name__ == "__main__":
    main()
