"""(c) Peer 1 → WebRtcEndpoint A → WebRtcEndpoint B → peer 2, keyframe requests included."""

from __future__ import annotations

import asyncio
import time

import pytest

from kurento.client import MediaPipeline, WebRtcEndpoint
from kurento.protocol.errors import MediaObjectOperationNotSupported

from .peer import Peer, negotiate_as_answerer

pytestmark = pytest.mark.gst


def count_keyframe_requests(peer: Peer) -> None:
    """Count PLI/FIR reaching peer's video sender (aiortc calls ``_send_keyframe``)."""
    sender = next(s for s in peer.senders if s.kind == "video")
    original = sender._send_keyframe

    def counted() -> None:
        peer.keyframe_requests += 1
        original()

    sender._send_keyframe = counted  # type: ignore[method-assign]


async def test_a_to_b_with_keyframe_forwarding(
    pipeline: MediaPipeline, peers: list[Peer]
) -> None:
    a = await WebRtcEndpoint.create(pipeline)
    b = await WebRtcEndpoint.create(pipeline, sendonly=True)
    with pytest.raises(MediaObjectOperationNotSupported):
        await b.request_keyframe()  # nothing feeds B yet
    sender, receiver = Peer(), Peer(send_video=False, send_audio=False)
    receiver.add_receiver("video")
    receiver.add_receiver("audio")
    peers += [sender, receiver]
    count_keyframe_requests(sender)

    await negotiate_as_answerer(a, sender)
    await a.connect(b)
    await negotiate_as_answerer(b, receiver)
    assert await receiver.wait_frames("video", 20, timeout=8) >= 20
    assert await receiver.wait_frames("audio", 10, timeout=4) >= 10
    assert "a=sendonly" in await b.get_local_session_descriptor()

    # A new sink on A and B's receiver each asked peer 1 for a keyframe.
    deadline = time.monotonic() + 3
    while sender.keyframe_requests == 0 and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert sender.keyframe_requests > 0

    before_requests, before_frames = sender.keyframe_requests, receiver.received["video"]
    await b.request_keyframe()  # B (a subscriber) → A → PLI/FIR to peer 1's sender
    deadline = time.monotonic() + 3
    while sender.keyframe_requests == before_requests and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert sender.keyframe_requests > before_requests
    assert await receiver.wait_frames("video", before_frames + 10, timeout=5) > before_frames
