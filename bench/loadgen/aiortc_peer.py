"""The same generator session on aiortc instead of webrtcbin, to compare their cost.

Sends the clip's encoded frames as ``av.Packet`` (aiortc packs them, no encoder) and
replaces aiortc's decoder thread by one that hashes each depayloaded frame (no
decoder). Same interface as :class:`loadgen.peer.Session` for the targets and the
source. ICE: aioice gathers on 127.0.0.1 only (:func:`loopback_only`).
"""

from __future__ import annotations

import asyncio
import contextlib
import fractions
import queue
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, cast

import aioice.ice
import aiortc.jitterbuffer
import aiortc.rtcrtpreceiver
import av
from aiortc import (
    MediaStreamTrack,
    RTCConfiguration,
    RTCPeerConnection,
    RTCSessionDescription,
)
from aiortc.mediastreams import MediaStreamError
from aiortc.sdp import candidate_from_sdp

from .peer import Arrival, RtpCounters, loopback_candidate

# output queue of a receiver's decoder thread → (session, kind)
_RECEIVERS: dict[int, tuple[AiortcSession, str]] = {}


def _counting_worker(loop: asyncio.AbstractEventLoop, input_q: queue.Queue[Any],
                     output_q: asyncio.Queue[Any], _error: threading.Event) -> None:
    """Takes aiortc's decoder thread's place: hash the frame, look its send time up."""
    while True:
        task = input_q.get()
        if task is None:
            asyncio.run_coroutine_threadsafe(output_q.put(None), loop)
            return
        _codec, encoded = task
        # when the frame's last packet came in (aiortc's jitterbuffers hand a video frame
        # out when the next one starts, and keep 4 audio packets in hand)
        now = getattr(encoded, "kpy_arrival", None) or time.monotonic()
        owner = _RECEIVERS.get(id(output_q))
        if owner is None:
            continue
        session, kind = owner
        sent = session.sent_times.get(hash(bytes(encoded.data)))
        if sent is None:
            session.unmatched += 1
        else:
            session.arrivals.append(Arrival(kind, sent, now))
            if kind == "video" and session.first_video is None:
                session.first_video = now


_jitterbuffer_add = aiortc.jitterbuffer.JitterBuffer.add


def _stamping_add(self: Any, packet: Any) -> Any:
    """JitterBuffer.add that notes each RTP timestamp's last arrival on the frame."""
    arrivals: dict[int, float] = self.__dict__.setdefault("kpy_arrivals", {})
    arrivals[packet.timestamp] = time.monotonic()
    pli, frame = _jitterbuffer_add(self, packet)
    if frame is not None:
        frame = cast(Any, frame)
        frame.kpy_arrival = arrivals.pop(frame.timestamp, None)
        if len(arrivals) > 256:
            for stale in sorted(arrivals)[:128]:
                del arrivals[stale]
    return pli, frame


def _loopback_hosts(use_ipv4: bool = True, use_ipv6: bool = True) -> list[str]:
    return ["127.0.0.1"]


@contextlib.contextmanager
def loopback_only() -> Iterator[None]:
    """aioice gathers on 127.0.0.1 only; aiortc's decoders are replaced by counters."""
    original_hosts = aioice.ice.get_host_addresses
    original_worker = aiortc.rtcrtpreceiver.decoder_worker
    aioice.ice.get_host_addresses = _loopback_hosts
    aiortc.rtcrtpreceiver.decoder_worker = _counting_worker  # type: ignore[assignment]
    aiortc.jitterbuffer.JitterBuffer.add = _stamping_add  # type: ignore[method-assign]
    try:
        yield
    finally:
        aioice.ice.get_host_addresses = original_hosts
        aiortc.rtcrtpreceiver.decoder_worker = original_worker
        aiortc.jitterbuffer.JitterBuffer.add = _jitterbuffer_add  # type: ignore[method-assign]


class PacketTrack(MediaStreamTrack):
    """Hands out the encoded frames the source pushes, stamped with the push time."""

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind
        self.rate = 90000 if kind == "video" else 48000
        self.queue: asyncio.Queue[bytes] = asyncio.Queue(maxsize=100)
        self.start = time.monotonic()

    async def recv(self) -> Any:
        if self.readyState != "live":
            raise MediaStreamError
        data = await self.queue.get()
        packet = av.Packet(data)
        packet.pts = int((time.monotonic() - self.start) * self.rate)
        packet.time_base = fractions.Fraction(1, self.rate)
        return packet


@dataclass
class AiortcSession:
    index: int
    sent_times: dict[int, float]
    loop: asyncio.AbstractEventLoop
    video_caps: str = ""
    audio_caps: str = ""
    arrivals: list[Arrival] = field(default_factory=list)
    unmatched: int = 0
    video_started: bool = False
    candidates: asyncio.Queue[tuple[int, str]] = field(default_factory=asyncio.Queue)
    first_video: float | None = None
    dropped_candidates: int = 0
    pc: Any = None
    tracks: dict[str, PacketTrack] = field(default_factory=dict)

    def create(self) -> None:
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        for kind in ("video", "audio"):
            track = PacketTrack(kind)
            self.tracks[kind] = track
            self.pc.addTransceiver(track, direction="sendrecv")
        self.pc.on("track", self._on_track)

    def _on_track(self, track: Any) -> None:
        # the receiver's decoder thread feeds track._queue: count for this session
        _RECEIVERS[id(track._queue)] = (self, track.kind)

    async def offer(self) -> str:
        await self.pc.setLocalDescription(await self.pc.createOffer())
        lines, mline = [], -1
        for line in self.pc.localDescription.sdp.split("\r\n"):
            if line.startswith("m="):
                mline += 1
            if line.startswith("a=candidate:"):
                self.candidates.put_nowait((mline, line[2:]))
            elif not line.startswith("a=end-of-candidates"):
                lines.append(line)
        return "\r\n".join(lines)

    async def accept(self, sdp: str) -> None:
        lines = sdp.splitlines()
        kept = [line for line in lines
                if not line.startswith("a=candidate:") or loopback_candidate(line)]
        self.dropped_candidates += len(lines) - len(kept)
        await self.pc.setRemoteDescription(
            RTCSessionDescription("\r\n".join(kept) + "\r\n", "answer"))
        for transceiver in self.pc.getTransceivers():  # receivers may exist before "track"
            receiver = transceiver.receiver
            _RECEIVERS[id(receiver.track._queue)] = (self, receiver.track.kind)

    def add_candidate(self, mline: int, candidate: str) -> None:
        if not loopback_candidate(candidate):
            self.dropped_candidates += 1
            return
        ice = candidate_from_sdp(candidate.removeprefix("a=").removeprefix("candidate:"))
        transceivers = self.pc.getTransceivers()
        ice.sdpMid = transceivers[min(mline, len(transceivers) - 1)].mid
        ice.sdpMLineIndex = mline
        self.loop.create_task(self.pc.addIceCandidate(ice))

    def push(self, kind: str, data: Any, keyframe: bool) -> None:
        if kind == "video" and not self.video_started:
            if not keyframe:
                return
            self.video_started = True
        with contextlib.suppress(asyncio.QueueFull):
            self.tracks[kind].queue.put_nowait(data.get_data())

    async def stats(self) -> RtpCounters:
        counters = RtpCounters()
        report = await self.pc.getStats()
        for stat in report.values():
            if stat.type == "inbound-rtp":
                counters.packets_received += stat.packetsReceived
                counters.packets_lost += max(0, stat.packetsLost)
            elif stat.type == "outbound-rtp":
                counters.packets_sent += stat.packetsSent
        return counters

    def close(self) -> None:
        self.loop.create_task(self.pc.close())
