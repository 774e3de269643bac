"""An aiortc peer for WebRtcEndpoint tests: synthetic VP8/H.264 + Opus, frame counting.

Loopback only: aioice skips 127.0.0.1 when gathering (notes §6.1), so
:func:`loopback_ice` makes it gather on 127.0.0.1 and nothing else.
"""

from __future__ import annotations

import asyncio
import contextlib
import fractions
import time
from collections.abc import Iterator

import aioice.ice
import av
from aiortc import (
    MediaStreamTrack,
    RTCConfiguration,
    RTCPeerConnection,
    RTCRtpSender,
    RTCSessionDescription,
)
from aiortc.mediastreams import AUDIO_PTIME, MediaStreamError
from aiortc.sdp import candidate_from_sdp

from kurento.client import (
    IceCandidate,
    IceCandidateFound,
    IceGatheringDone,
    OfferOptions,
    WebRtcEndpoint,
)

VIDEO_RATE = 90000


@contextlib.contextmanager
def loopback_ice() -> Iterator[None]:
    """aioice gathers on 127.0.0.1 only, for the duration of the block."""
    original = aioice.ice.get_host_addresses
    aioice.ice.get_host_addresses = lambda use_ipv4=True, use_ipv6=True: ["127.0.0.1"]
    try:
        yield
    finally:
        aioice.ice.get_host_addresses = original


class SyntheticVideo(MediaStreamTrack):
    """Small moving frames at 15 fps (cheap to encode)."""

    kind = "video"

    def __init__(self, width: int = 160, height: int = 120, fps: int = 15) -> None:
        super().__init__()
        self.width, self.height, self.fps = width, height, fps
        self._count = 0
        self._start: float | None = None

    async def recv(self) -> av.VideoFrame:
        if self.readyState != "live":
            raise MediaStreamError
        if self._start is None:
            self._start = time.monotonic()
        due = self._start + self._count / self.fps
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        frame = av.VideoFrame(width=self.width, height=self.height, format="yuv420p")
        shade = (self._count * 7) % 256
        for index, plane in enumerate(frame.planes):
            plane.update(bytes([shade if index == 0 else 128]) * plane.buffer_size)
        frame.pts = self._count * VIDEO_RATE // self.fps
        frame.time_base = fractions.Fraction(1, VIDEO_RATE)
        self._count += 1
        return frame


class SilentAudio(MediaStreamTrack):
    """20 ms of 48 kHz silence per frame (Opus)."""

    kind = "audio"

    def __init__(self) -> None:
        super().__init__()
        self._count = 0
        self._start: float | None = None

    async def recv(self) -> av.AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        if self._start is None:
            self._start = time.monotonic()
        due = self._start + self._count * AUDIO_PTIME
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        samples = int(AUDIO_PTIME * 48000)
        frame = av.AudioFrame(format="s16", layout="mono", samples=samples)
        for plane in frame.planes:
            plane.update(bytes(plane.buffer_size))
        frame.sample_rate = 48000
        frame.pts = self._count * samples
        frame.time_base = fractions.Fraction(1, 48000)
        self._count += 1
        return frame


class Peer:
    """One aiortc RTCPeerConnection that counts what it receives."""

    def __init__(self, *, send_video: bool = True, send_audio: bool = True) -> None:
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.received: dict[str, int] = {"video": 0, "audio": 0}
        self.first_frame: dict[str, float] = {}
        self.keyframe_requests = 0
        self._tasks: list[asyncio.Task[None]] = []
        self.senders: list[RTCRtpSender] = []
        if send_video:
            self.senders.append(self.pc.addTrack(SyntheticVideo()))
        if send_audio:
            self.senders.append(self.pc.addTrack(SilentAudio()))
        self.pc.on("track", self._on_track)

    def add_receiver(self, kind: str) -> None:
        self.pc.addTransceiver(kind, direction="recvonly")

    def prefer(self, kind: str, mime: str) -> None:
        """Offer only ``mime`` (e.g. ``video/H264``) for ``kind``."""
        codecs = [c for c in RTCRtpSender.getCapabilities(kind).codecs
                  if c.mimeType == mime or c.mimeType.endswith("/rtx")]
        for transceiver in self.pc.getTransceivers():
            if transceiver.kind == kind:
                transceiver.setCodecPreferences(codecs)

    def _on_track(self, track: MediaStreamTrack) -> None:
        self._tasks.append(asyncio.ensure_future(self._consume(track)))

    async def _consume(self, track: MediaStreamTrack) -> None:
        with contextlib.suppress(MediaStreamError, asyncio.CancelledError):
            while True:
                await track.recv()
                self.first_frame.setdefault(track.kind, time.monotonic())
                self.received[track.kind] += 1

    async def offer(self) -> tuple[str, list[tuple[str, str, int]]]:
        """Our offer without candidates, and the candidates (line, mid, mline)."""
        await self.pc.setLocalDescription(await self.pc.createOffer())
        return split_candidates(self.pc.localDescription.sdp)

    async def answer(self, offer: str) -> tuple[str, list[tuple[str, str, int]]]:
        await self.pc.setRemoteDescription(RTCSessionDescription(offer, "offer"))
        await self.pc.setLocalDescription(await self.pc.createAnswer())
        return split_candidates(self.pc.localDescription.sdp)

    async def accept(self, answer: str) -> None:
        await self.pc.setRemoteDescription(RTCSessionDescription(answer, "answer"))

    async def add_candidate(self, candidate: str, mid: str, mline: int) -> None:
        if not candidate:
            await self.pc.addIceCandidate(None)
            return
        ice = candidate_from_sdp(candidate.removeprefix("candidate:"))
        ice.sdpMid, ice.sdpMLineIndex = mid, mline
        await self.pc.addIceCandidate(ice)

    async def wait_frames(self, kind: str, count: int, timeout: float) -> int:
        deadline = time.monotonic() + timeout
        while self.received[kind] < count and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        return self.received[kind]

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await self.pc.close()


def split_candidates(text: str) -> tuple[str, list[tuple[str, str, int]]]:
    """Move ``a=candidate`` lines out of an SDP (so they go by trickle ICE)."""
    lines, candidates = [], []
    mline, mid = -1, ""
    for line in text.split("\r\n"):
        if line.startswith("m="):
            mline += 1
            mid = ""
        elif line.startswith("a=mid:"):
            mid = line[6:]
        if line.startswith("a=candidate:"):
            candidates.append((line[2:], mid, mline))
        elif not line.startswith("a=end-of-candidates"):
            lines.append(line)
    # A candidate seen before its a=mid line: fill the mid in afterwards.
    mids = [ln[6:] for ln in lines if ln.startswith("a=mid:")]
    fixed = [(c, m or (mids[i] if i < len(mids) else ""), i) for c, m, i in candidates]
    return "\r\n".join(lines), fixed


async def negotiate_as_answerer(endpoint: WebRtcEndpoint, peer: Peer) -> float:
    """The peer offers, the endpoint answers; trickle ICE both ways. Returns the start time."""
    await trickle_to(endpoint, peer)
    offer, candidates = await peer.offer()
    began = time.monotonic()
    answer = await endpoint.process_offer(offer)
    await peer.accept(answer)
    await trickle_from(endpoint, candidates)
    return began


async def negotiate_as_offerer(
    endpoint: WebRtcEndpoint, peer: Peer, options: OfferOptions | None = None
) -> str:
    """The endpoint offers, the peer answers; trickle ICE both ways. Returns the answer."""
    await trickle_to(endpoint, peer)
    offer = await endpoint.generate_offer(options)
    answer, candidates = await peer.answer(offer)
    await endpoint.process_answer(answer)
    await trickle_from(endpoint, candidates)
    return answer


async def trickle_to(endpoint: WebRtcEndpoint, peer: Peer) -> None:
    """Server candidates (IceCandidateFound, then IceGatheringDone) go to the peer."""

    async def found(event: IceCandidateFound) -> None:
        candidate = event.candidate
        await peer.add_candidate(candidate.candidate, candidate.sdp_mid,
                                 candidate.sdp_m_line_index)

    async def done(_event: IceGatheringDone) -> None:
        await peer.add_candidate("", "", 0)

    await endpoint.on(IceCandidateFound, found)
    await endpoint.on(IceGatheringDone, done)


async def trickle_from(endpoint: WebRtcEndpoint, candidates: list[tuple[str, str, int]]) -> None:
    """The peer's candidates go to the endpoint, then gathering starts on the server."""
    for line, mid, mline in candidates:
        await endpoint.add_ice_candidate(
            IceCandidate(candidate=line, sdp_mid=mid, sdp_m_line_index=mline))
    await endpoint.gather_candidates()
