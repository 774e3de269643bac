"""REMB goes upstream (webrtc_remb.RembRelay): a presenter is asked for no more than
its viewers take, as KMS does.

presenter (aiortc) → A ─→ B → viewer (aiortc). aiortc sends no REMB of its own here
(it needs abs-send-time, which webrtcbin 1.22 does not send), so the viewer's REMB is
made by the test and sent with aiortc's RTCP path.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator

import pytest
from aiortc.rtp import RtcpPsfbPacket, pack_remb_fci

from kurento.client import MediaPipeline, PassThrough, WebRtcEndpoint
from kurento.engine.gst._gst import ensure_init
from kurento.engine.gst.webrtc_remb import (
    DOWNSTREAM_TTL,
    RembSender,
    parse_remb,
    read_remb_event,
    remb_event,
    remb_packet,
)
from kurento.engine.gst.webrtc_sdp import parse

from .peer import Peer, negotiate_as_answerer
from .test_remb import RembWatch, negotiate_watched_peer

pytestmark = pytest.mark.gst


def test_event_round_trip() -> None:
    ensure_init()
    assert read_remb_event(remb_event(123_456, "B")) == (123_456, "B")
    assert read_remb_event(remb_event(10**12, "x")) == (2**31 - 1, "x")
    assert parse_remb(remb_packet(7, 100_000, [1])) is not None


def test_downstream_limits_expire() -> None:
    sender = RembSender(lambda: [])
    sender.downstream("b", 90_000)
    sender.downstream("c", 200_000)
    with sender._lock:
        assert sender._downstream_limit(time.monotonic()) == 90_000
        assert sender._downstream_limit(time.monotonic() + DOWNSTREAM_TTL + 1) is None


async def send_remb(viewer: Peer, bitrate: int, media_ssrc: int) -> None:
    """One REMB from the viewer's video receiver (about ``media_ssrc``)."""
    transceiver = next(t for t in viewer.pc.getTransceivers() if t.kind == "video")
    packet = RtcpPsfbPacket(fmt=15, ssrc=transceiver.sender._ssrc, media_ssrc=0,
                            fci=pack_remb_fci(bitrate, [media_ssrc]))
    await transceiver.receiver._send_rtcp(packet)


async def video_ssrc(endpoint: WebRtcEndpoint) -> int:
    """The SSRC ``endpoint`` announced for the video it sends."""
    video = next(s for s in parse(await endpoint.get_local_session_descriptor()).sections
                 if s.media == "video")
    [ssrc] = video.media_ssrcs
    return ssrc


@contextlib.asynccontextmanager
async def remb_repeated(peer: Peer, bitrate: int, media_ssrc: int) -> AsyncIterator[None]:
    """``peer`` sends REMB ``bitrate`` about ``media_ssrc`` every 0.3 s meanwhile."""

    async def keep_sending() -> None:
        while True:
            await send_remb(peer, bitrate, media_ssrc)
            await asyncio.sleep(0.3)

    sending = asyncio.ensure_future(keep_sending())
    try:
        yield
    finally:
        sending.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sending


@pytest.mark.parametrize("through_passthrough", [False, True])
async def test_viewer_remb_reaches_the_presenter(
    pipeline: MediaPipeline, peers: list[Peer], through_passthrough: bool
) -> None:
    a = await WebRtcEndpoint.create(pipeline)
    b = await WebRtcEndpoint.create(pipeline)
    if through_passthrough:
        middle = await PassThrough.create(pipeline)
        await a.connect(middle)
        await middle.connect(b)
    else:
        await a.connect(b)
    presenter = Peer()
    viewer = Peer(send_video=False, send_audio=False)
    viewer.add_receiver("video")
    viewer.add_receiver("audio")
    peers += [presenter, viewer]
    watch = RembWatch(presenter)
    await negotiate_as_answerer(a, presenter)
    await negotiate_as_answerer(b, viewer)
    assert await viewer.wait_frames("video", 5, timeout=8) >= 5
    b_ssrc = await video_ssrc(b)
    assert await watch.wait(lambda: len(watch.seen) >= 2, timeout=5)
    assert watch.seen[-1][1] >= 250_000  # A's own estimate (300 kbps to start)

    async with remb_repeated(viewer, 100_000, b_ssrc):
        since = len(watch.seen)
        assert await watch.wait(lambda: any(bitrate == 100_000 for _, bitrate, _
                                            in watch.seen[since:]), timeout=4), watch.seen[-4:]
        settled = len(watch.seen)
        assert await watch.wait(lambda: len(watch.seen) >= settled + 3, timeout=4)
        assert all(bitrate == 100_000 for _, bitrate, _ in watch.seen[settled:])

    # A viewer asking for more than A's estimate changes nothing; a silent one, after
    # DOWNSTREAM_TTL, no longer limits.
    await send_remb(viewer, 5_000_000, b_ssrc)
    since = len(watch.seen)
    assert await watch.wait(lambda: any(bitrate >= 250_000 for _, bitrate, _
                                        in watch.seen[since:]), timeout=DOWNSTREAM_TTL + 3)
    assert all(bitrate < 5_000_000 for _, bitrate, _ in watch.seen[since:])


async def test_an_echo_does_not_relay_the_peer_remb_back_to_it(
    pipeline: MediaPipeline, peers: list[Peer]
) -> None:
    # hello-world: one endpoint connected to itself. The peer's REMB about the echo
    # is its own estimate of its own video over the same path: passed back to it, the
    # two estimates ratchet each other down (webrtc.py, _on_upstream_event).
    endpoint = await WebRtcEndpoint.create(pipeline)
    await endpoint.connect(endpoint)
    peer, watch = await negotiate_watched_peer(endpoint, peers)
    assert await peer.wait_frames("video", 5, timeout=8) >= 5
    echo_ssrc = await video_ssrc(endpoint)
    assert await watch.wait(lambda: len(watch.seen) >= 2, timeout=5)

    async with remb_repeated(peer, 100_000, echo_ssrc):
        # A relayed REMB shows within a second (the other test): three sent after that.
        started = time.monotonic()

        def later() -> list[int]:
            return [bitrate for when, bitrate, _ in watch.seen if when >= started + 1.0]

        assert await watch.wait(lambda: len(later()) >= 3, timeout=15), watch.seen[-4:]
        assert all(bitrate >= 250_000 for bitrate in later()), later()
