"""The generator process: N sessions against one server, results as JSON lines.

``python -m loadgen --target kurento|janus --url URL --sessions N [--window S]
[--settle S]`` (with ``bench/`` and ``src/`` on ``PYTHONPATH``). It prints
``{"event": "sampling"}`` when the measurement window opens, ``{"event": "window-end"}``
when it closes (the parent reads the processes' CPU time at both) and ``{"event":
"done", ...}`` with the figures; ``{"event": "error"}`` on failure.

``--scenario recording --record-dir DIR``: N senders (``sendonly``, nothing comes
back), each recorded by the server into DIR; the recordings stop after the window
(before ``done``). ``--scenario filtered --filter SPEC``: N loopback sessions through a
filter (ours only): the video comes back re-encoded, so it is counted, not matched
(fps, loss by frame count); audio passes the filter untouched and keeps its
frame-hash delay. SPEC: ``gst:COMMAND`` (GStreamerFilter), ``sepia`` (SepiaFilter) or
``face`` (FaceOverlayFilter with a hat; the sessions then send the face clip).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import statistics
import time
from pathlib import Path
from typing import Any

from .clip import FPS, load_clip, uses_face_clip
from .peer import Arrival, RtpCounters, Session
from .source import Source
from .targets import JanusTarget, KurentoTarget, Target

GRACE = 0.5  # seconds after the window for the last frames sent in it to come back


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


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def total(counters: list[RtpCounters], name: str) -> int:
    return sum(getattr(c, name) for c in counters)


async def run(target: Target, sessions: int, window: float, settle: float,
              stack: str = "gst", scenario: str = "loopback", filter: str | None = None,
              record_dir: str | None = None) -> None:
    clip = load_clip(face=uses_face_clip(filter))
    source = Source(clip)
    loop = asyncio.get_running_loop()
    peers: list[Any] = []
    presenter: Any = None
    await target.open()
    try:
        source.start()
        began = time.monotonic()
        if scenario == "one-to-many":
            # One presenter (sends, receives nothing), then N viewers (receive only).
            presenter = Session(-1, source.sent_times, loop, clip.video_caps,
                                clip.audio_caps, role="sendonly")
            presenter.create()
            source.sessions.append(presenter)
            await target.present(presenter)
            for index in range(sessions):
                viewer = Session(index, source.sent_times, loop, clip.video_caps,
                                 clip.audio_caps, role="recvonly")
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
        for index in range(looped):
            session: Any
            if stack == "aiortc":
                from .aiortc_peer import AiortcSession

                session = AiortcSession(index, source.sent_times, loop)
            else:
                session = Session(index, source.sent_times, loop, clip.video_caps,
                                  clip.audio_caps, count_unmatched=filter is not None)
            session.create()
            peers.append(session)
            source.sessions.append(session)
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
            figures = summarise_filtered(peers, source, start, end, before, after)
        else:
            figures = summarise(peers, source, start, end, before, after)
            # A session without video or audio: what both ends say of it (three at most).
            silent = [p for p in peers if {"video", "audio"} - {
                a.kind for a in p.arrivals if start <= a.sent < end}][:3]
            figures["silent_detail"] = [
                {"session": p.index,
                 "generator": await p.describe() if hasattr(p, "describe") else {},
                 "server": await target.diagnose(p)} for p in silent]
        emit("done", **figures, threads=top)
    finally:
        await source.stop()
        for peer in peers:
            peer.close()
        if presenter is not None:
            presenter.close()
        await target.close()


def summarise(peers: list[Any], source: Source, start: float, end: float,
              before: list[RtpCounters], after: list[RtpCounters]) -> dict[str, Any]:
    seconds = end - start
    sent_video = source.sent_between(start, end, "video")
    sent_audio = source.sent_between(start, end, "audio")
    delays: list[float] = []
    by_kind: dict[str, list[float]] = {"video": [], "audio": []}
    fps: list[float] = []
    losses: list[float] = []
    silent = {"video": 0, "audio": 0}
    for peer in peers:
        arrivals: list[Arrival] = list(peer.arrivals)
        in_window = [a for a in arrivals if start <= a.sent < end]
        for kind in silent:
            if not any(a.kind == kind for a in in_window):
                silent[kind] += 1
        delays += [1000 * (a.received - a.sent) for a in in_window]
        for a in in_window:
            by_kind[a.kind].append(1000 * (a.received - a.sent))
        fps.append(sum(1 for a in arrivals if a.kind == "video" and start <= a.received < end)
                   / seconds)
        expected = sent_video + sent_audio
        losses.append(100 * max(0, expected - len(in_window)) / expected if expected else 0.0)

    def delta(name: str) -> int:
        return total(after, name) - total(before, name)

    return {
        "seconds": seconds,
        "sender_fps": sent_video / seconds if seconds else float(FPS),
        "fps_min": min(fps), "fps_mean": statistics.fmean(fps),
        "loss_max": max(losses), "loss_mean": statistics.fmean(losses),
        "delay_p50": percentile(delays, 0.5), "delay_p99": percentile(delays, 0.99),
        "frames": len(delays),
        "video_p50": percentile(by_kind["video"], 0.5),
        "video_p99": percentile(by_kind["video"], 0.99),
        "audio_p50": percentile(by_kind["audio"], 0.5),
        "audio_p99": percentile(by_kind["audio"], 0.99),
        "packets_received": delta("packets_received"), "packets_sent": delta("packets_sent"),
        "rtp_lost": delta("packets_lost"), "pli": delta("pli"), "fir": delta("fir"),
        "nack": delta("nack"), "unmatched": sum(p.unmatched for p in peers),
        "without_video": silent["video"], "without_audio": silent["audio"],
        "dropped_candidates": sum(p.dropped_candidates for p in peers),
    }


def summarise_senders(peers: list[Any], source: Source, start: float, end: float,
                      before: list[RtpCounters], after: list[RtpCounters]) -> dict[str, Any]:
    """Recording: what the senders sent and what the server reported lost (RTCP RR)."""
    seconds = end - start
    losses = []
    for first, last in zip(before, after, strict=True):
        sent = last.packets_sent - first.packets_sent
        lost = last.remote_lost - first.remote_lost
        losses.append(100 * lost / sent if sent > 0 else 100.0)
    return {
        "seconds": seconds,
        "sender_fps": source.sent_between(start, end, "video") / seconds,
        "packets_sent": total(after, "packets_sent") - total(before, "packets_sent"),
        "rtcp_loss_max": max(losses), "rtcp_loss_mean": statistics.fmean(losses),
        # senders without any RTCP receiver report from the server at the window's end
        "without_rr": sum(1 for counters in after if not counters.remote_reports),
        "pli": total(after, "pli") - total(before, "pli"),
        "fir": total(after, "fir") - total(before, "fir"),
        "nack": total(after, "nack") - total(before, "nack"),
    }


def summarise_filtered(peers: list[Any], source: Source, start: float, end: float,
                       before: list[RtpCounters], after: list[RtpCounters]) -> dict[str, Any]:
    """Filtered loopback: the video comes back re-encoded (no hash matches it), so it is
    counted: frames received in the window against frames sent in it. Audio is not
    filtered: its delay is still matched by hash."""
    seconds = end - start
    sent_video = source.sent_between(start, end, "video")
    sent_audio = source.sent_between(start, end, "audio")
    fps, video_losses, audio_losses, audio_delays = [], [], [], []
    matched_video = 0  # video frames that came back unchanged: the filter did nothing
    for peer in peers:
        matched_video += sum(1 for a in list(peer.arrivals)
                             if a.kind == "video" and start <= a.received < end)
        received = list(peer.received)
        video = sum(1 for kind, t in received if kind == "video" and start <= t < end)
        fps.append(video / seconds)
        video_losses.append(100 * max(0, sent_video - video) / sent_video if sent_video
                            else 0.0)
        audio = [a for a in list(peer.arrivals) if a.kind == "audio" and start <= a.sent < end]
        audio_losses.append(100 * max(0, sent_audio - len(audio)) / sent_audio if sent_audio
                            else 0.0)
        audio_delays += [1000 * (a.received - a.sent) for a in audio]

    def delta(name: str) -> int:
        return total(after, name) - total(before, name)

    return {
        "seconds": seconds,
        "sender_fps": sent_video / seconds if seconds else float(FPS),
        "fps_min": min(fps), "fps_mean": statistics.fmean(fps),
        "loss_max": max(max(video_losses), max(audio_losses)),
        "video_loss_max": max(video_losses), "audio_loss_max": max(audio_losses),
        "matched_video": matched_video,
        "audio_p50": percentile(audio_delays, 0.5), "audio_p99": percentile(audio_delays, 0.99),
        "delay_p99": percentile(audio_delays, 0.99),
        "packets_received": delta("packets_received"), "packets_sent": delta("packets_sent"),
        "rtp_lost": delta("packets_lost"), "pli": delta("pli"), "fir": delta("fir"),
        "nack": delta("nack"),
    }


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
                        help="filtered: gst:COMMAND (GStreamerFilter), sepia (SepiaFilter) or "
                             "face (FaceOverlayFilter with a hat, over the face clip)")
    parser.add_argument("--record-dir", help="recording: where the server writes the files")
    args = parser.parse_args()
    if args.stack == "aiortc" and args.scenario != "loopback":
        parser.error("--stack aiortc runs the loopback scenario only")
    target: Target = (KurentoTarget(args.url) if args.target == "kurento"
                      else JanusTarget(args.url))
    try:
        if args.stack == "aiortc":
            from .aiortc_peer import loopback_only

            with loopback_only():
                asyncio.run(run(target, args.sessions, args.window, args.settle, "aiortc"))
        else:
            asyncio.run(run(target, args.sessions, args.window, args.settle,
                            scenario=args.scenario,
                            filter=args.filter if args.scenario == "filtered" else None,
                            record_dir=args.record_dir))
    except Exception as error:
        emit("error", message=f"{type(error).__name__}: {error}")
        raise SystemExit(1) from error


if __name__ == "__main__":
    main()
