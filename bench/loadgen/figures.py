"""The figures of a measurement window, from what the generator's sessions saw."""

from __future__ import annotations

import statistics
from typing import Any

from .clip import FPS
from .peer import Arrival, RtpCounters
from .source import Source


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def total(counters: list[RtpCounters], name: str) -> int:
    return sum(getattr(c, name) for c in counters)


def silent_peers(peers: list[Any], start: float, end: float, most: int = 3) -> list[Any]:
    """The first ``most`` sessions that got no video or no audio sent in the window."""
    return [p for p in peers if {"video", "audio"} - {
        a.kind for a in p.arrivals if start <= a.sent < end}][:most]


def summarise(peers: list[Any], sent: list[tuple[int, int]], start: float, end: float,
              before: list[RtpCounters], after: list[RtpCounters]) -> dict[str, Any]:
    """Echo sessions or viewers. ``sent``: (video, audio) frames sent during the window
    that each peer should get back, in the order of ``peers``."""
    seconds = end - start
    delays: list[float] = []
    by_kind: dict[str, list[float]] = {"video": [], "audio": []}
    fps: list[float] = []
    losses: list[float] = []
    silent = {"video": 0, "audio": 0}
    for peer, (sent_video, sent_audio) in zip(peers, sent, strict=True):
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
        "sender_fps": sent[0][0] / seconds if seconds and sent else float(FPS),
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


def summarise_filtered(peers: list[Any], sources: list[Source], start: float, end: float,
                       before: list[RtpCounters], after: list[RtpCounters]) -> dict[str, Any]:
    """Filtered loopback: the video comes back re-encoded (no hash matches it), so it is
    counted: frames received in the window against frames sent in it; its delay is that
    of the frames the marker-reading sessions identified (``Session.marked``). Audio is
    not filtered: its delay is still matched by hash. ``sources``: what pushed to each
    peer, in the order of ``peers``."""
    seconds = end - start
    fps, video_losses, audio_losses, audio_delays, video_delays = [], [], [], [], []
    readers = [p for p in peers if getattr(p, "marker_keys", None) is not None]
    matched_video = 0  # video frames that came back unchanged: the filter did nothing
    for peer, source in zip(peers, sources, strict=True):
        sent_video = source.sent_between(start, end, "video")
        sent_audio = source.sent_between(start, end, "audio")
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
        video_delays += [1000 * (a.received - a.sent) for a in list(getattr(peer, "marked", []))
                         if start <= a.sent < end]

    def delta(name: str) -> int:
        return total(after, name) - total(before, name)

    return {
        "seconds": seconds,
        "sender_fps": sources[0].sent_between(start, end, "video") / seconds if seconds
        else float(FPS),
        "fps_min": min(fps), "fps_mean": statistics.fmean(fps),
        "loss_max": max(max(video_losses), max(audio_losses)),
        "video_loss_max": max(video_losses), "audio_loss_max": max(audio_losses),
        "matched_video": matched_video,
        "audio_p50": percentile(audio_delays, 0.5), "audio_p99": percentile(audio_delays, 0.99),
        # through the filter: pictures identified by their marker, in the reading sessions
        "marker_sessions": len(readers), "marked_video": len(video_delays),
        "unreadable_markers": sum(p.unreadable for p in readers),
        "video_p50": percentile(video_delays, 0.5), "video_p99": percentile(video_delays, 0.99),
        # the worse kind; audio alone when no marker was read (the filter hid the block)
        "delay_p99": max(percentile(audio_delays, 0.99), percentile(video_delays, 0.99))
        if video_delays else percentile(audio_delays, 0.99),
        "packets_received": delta("packets_received"), "packets_sent": delta("packets_sent"),
        "rtp_lost": delta("packets_lost"), "pli": delta("pli"), "fir": delta("fir"),
        "nack": delta("nack"),
    }


