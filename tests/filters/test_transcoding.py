"""Automatic transcoding at a WebRtcEndpoint's input: VP8 sender → H.264-only receiver."""

from __future__ import annotations

import asyncio
import time

import pytest

from kurento.client import Error as ErrorEvent
from kurento.client import (
    GStreamerFilter,
    KurentoClient,
    MediaPipeline,
    MediaTranscodingStateChanged,
    MediaType,
    WebRtcEndpoint,
)
from kurento.server.app import MediaServer

from ..webrtc.peer import Peer, negotiate_as_answerer

pytestmark = pytest.mark.gst



def engine_transcodes(server: MediaServer, endpoint: WebRtcEndpoint, kind: str) -> bool:
    """What the engine itself says (independent of the control plane's events)."""
    obj = server.core.store.objects[endpoint.id]  # type: ignore[attr-defined]
    ports = obj.media._ports
    from kurento.engine.contract import MediaKind

    return bool(ports.is_transcoding(MediaKind(kind)))


async def h264_receiver(endpoint: WebRtcEndpoint, peers: list[Peer]) -> Peer:
    receiver = Peer(send_video=False, send_audio=False)
    receiver.add_receiver("video")
    receiver.add_receiver("audio")
    receiver.prefer("video", "video/H264")
    peers.append(receiver)
    await negotiate_as_answerer(endpoint, receiver)
    assert "H264" in await endpoint.get_local_session_descriptor()
    return receiver


async def test_vp8_sender_reaches_an_h264_only_peer(
    server: MediaServer, client: KurentoClient, peers: list[Peer]
) -> None:
    pipeline = await MediaPipeline.create(client)
    a = await WebRtcEndpoint.create(pipeline)
    b = await WebRtcEndpoint.create(pipeline, sendonly=True)
    errors: list[ErrorEvent] = []
    await b.on(ErrorEvent, errors.append)
    sender = Peer()
    peers.append(sender)
    await negotiate_as_answerer(a, sender)
    await a.connect(b)
    receiver = await h264_receiver(b, peers)
    assert await receiver.wait_frames("video", 20, timeout=10) >= 20
    assert await receiver.wait_frames("audio", 10, timeout=4) >= 10
    assert engine_transcodes(server, b, "VIDEO")
    assert not engine_transcodes(server, b, "AUDIO")  # Opus both sides: passed through
    assert not errors
    await pipeline.release()


async def test_filter_output_reaches_an_h264_only_peer(
    server: MediaServer, client: KurentoClient, peers: list[Peer]
) -> None:
    """The filter sends VP8; B negotiated H.264: B's input transcodes."""
    pipeline = await MediaPipeline.create(client)
    a = await WebRtcEndpoint.create(pipeline)
    flip = await GStreamerFilter.create(pipeline, command="videoflip method=vertical-flip")
    b = await WebRtcEndpoint.create(pipeline, sendonly=True)
    sender = Peer(send_audio=False)
    peers.append(sender)
    await negotiate_as_answerer(a, sender)
    await a.connect(flip)
    await flip.connect(b)
    receiver = await h264_receiver(b, peers)
    assert await receiver.wait_frames("video", 20, timeout=10) >= 20
    assert engine_transcodes(server, b, "VIDEO")
    await pipeline.release()


async def test_transcoding_events_and_state(client: KurentoClient, peers: list[Peer]) -> None:
    pipeline = await MediaPipeline.create(client)
    a = await WebRtcEndpoint.create(pipeline)
    b = await WebRtcEndpoint.create(pipeline, sendonly=True)
    events: list[MediaTranscodingStateChanged] = []
    await b.on(MediaTranscodingStateChanged, events.append)
    sender = Peer(send_audio=False)
    peers.append(sender)
    await negotiate_as_answerer(a, sender)
    await a.connect(b)
    receiver = await h264_receiver(b, peers)
    assert await receiver.wait_frames("video", 10, timeout=10) >= 10
    deadline = time.monotonic() + 3
    while not events and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert [(e.media_type, e.state.value) for e in events] == [(MediaType.VIDEO, "TRANSCODING")]
    assert events[0].bin_name
    assert await b.is_media_transcoding(MediaType.VIDEO)
    assert not await a.is_media_transcoding(MediaType.VIDEO)
    await pipeline.release()
