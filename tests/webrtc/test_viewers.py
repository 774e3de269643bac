"""One presenter, several viewers: what one viewer does costs the others nothing.

Links into a WebRtcEndpoint are direct (bridge.py): the presenter's streaming
thread sends to every viewer itself. webrtcbin holds what a viewer's endpoint is
given until its DTLS has keys, so a viewer that never connects would hold the
presenter's thread, and every other viewer with it, if its input opened earlier.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from kurento.client import MediaPipeline, WebRtcEndpoint
from kurento.engine.gst._gst import Gst
from kurento.engine.gst.webrtc import JITTERBUFFER_BOUND_AFTER
from kurento.server.app import MediaServer

from .peer import Peer, negotiate_as_answerer, trickle_from, trickle_to
from .test_rtx import engine_element

pytestmark = pytest.mark.gst


def viewer() -> Peer:
    peer = Peer(send_video=False, send_audio=False)
    peer.add_receiver("video")
    peer.add_receiver("audio")
    return peer


async def one_viewer(pipeline: MediaPipeline,
                     peers: list[Peer]) -> tuple[WebRtcEndpoint, WebRtcEndpoint, Peer]:
    """A presenter's endpoint connected to a viewer's, both negotiated: (presenter's
    endpoint, viewer's endpoint, the viewing peer)."""
    presenter_endpoint = await WebRtcEndpoint.create(pipeline)
    viewer_endpoint = await WebRtcEndpoint.create(pipeline)
    await presenter_endpoint.connect(viewer_endpoint)
    presenter, watcher = Peer(), viewer()
    peers += [presenter, watcher]
    await negotiate_as_answerer(presenter_endpoint, presenter)
    await negotiate_as_answerer(viewer_endpoint, watcher)
    return presenter_endpoint, viewer_endpoint, watcher


async def test_a_viewer_that_never_connects_holds_no_other_viewer(
    pipeline: MediaPipeline, peers: list[Peer]
) -> None:
    presenter_endpoint = await WebRtcEndpoint.create(pipeline)
    endpoints = [await WebRtcEndpoint.create(pipeline) for _ in range(3)]
    for endpoint in endpoints:
        await presenter_endpoint.connect(endpoint)
    presenter, first, stalled, last = Peer(), viewer(), viewer(), viewer()
    peers += [presenter, first, stalled, last]
    await negotiate_as_answerer(presenter_endpoint, presenter)
    await negotiate_as_answerer(endpoints[0], first)
    assert await first.wait_frames("video", 5, timeout=8) >= 5

    # SDP only: no candidates either way, so ICE and DTLS never start for it.
    offer, candidates = await stalled.offer()
    await stalled.accept(await endpoints[1].process_offer(offer))
    await negotiate_as_answerer(endpoints[2], last)
    assert await last.wait_frames("video", 5, timeout=8) >= 5
    for peer in (first, last):
        before = peer.received["video"], peer.received["audio"]
        await asyncio.sleep(2)
        # The synthetic camera makes 15 frames a second; audio 50 frames.
        assert peer.received["video"] - before[0] >= 15, "a viewer stopped getting video"
        assert peer.received["audio"] - before[1] >= 50, "a viewer stopped getting audio"
    assert stalled.received == {"video": 0, "audio": 0}

    # Once it connects after all, it gets media at once (a keyframe was asked for).
    await trickle_to(endpoints[1], stalled)
    await trickle_from(endpoints[1], candidates)
    assert await stalled.wait_frames("video", 5, timeout=8) >= 5
    assert await stalled.wait_frames("audio", 5, timeout=8) >= 5


async def test_a_viewer_endpoint_sends_audio_and_video_without_a_segment_per_switch(
    server: MediaServer, pipeline: MediaPipeline, peers: list[Peer]
) -> None:
    """BUNDLE's rtpfunnel would push a segment each time audio and video alternate:
    through the whole send chain, a fifth of the server's CPU (webrtc_segments)."""
    _, viewer_endpoint, watcher = await one_viewer(pipeline, peers)
    assert await watcher.wait_frames("video", 5, timeout=8) >= 5
    assert await watcher.wait_frames("audio", 5, timeout=8) >= 5

    webrtcbin = engine_element(server, viewer_endpoint).webrtc
    funnel = next(e for e in webrtcbin.iterate_elements()
                  if e.get_factory().get_name() == "rtpfunnel")
    seen = {"segments": 0, "switches": 0}
    last_ssrc: list[int] = []

    def count(_pad: Any, info: Any) -> Any:
        if info.type & Gst.PadProbeType.EVENT_DOWNSTREAM:
            if info.get_event().type == Gst.EventType.SEGMENT:
                seen["segments"] += 1
        else:
            ssrc = int.from_bytes(info.get_buffer().extract_dup(8, 4), "big")
            if last_ssrc and last_ssrc[-1] != ssrc:
                seen["switches"] += 1
            last_ssrc[:] = [ssrc]
        return Gst.PadProbeReturn.OK

    src = funnel.get_static_pad("src")
    probe = src.add_probe(Gst.PadProbeType.EVENT_DOWNSTREAM | Gst.PadProbeType.BUFFER, count)
    try:
        await asyncio.sleep(2)
    finally:
        src.remove_probe(probe)
    assert seen["switches"] >= 30, seen  # audio and video did alternate
    assert seen["segments"] <= 1, seen


async def test_a_presenter_too_slow_to_forward_falls_no_further_behind_than_its_latency(
    server: MediaServer, pipeline: MediaPipeline, peers: list[Peer]
) -> None:
    """An overloaded server (its presenter's streaming thread, which sends to every
    viewer, slower than the media comes in) must drop, not queue: a jitterbuffer that
    keeps everything falls seconds behind live, for good (measured: 7 s at one-to-many
    N = 128 on two cores, where Janus stayed at 0.2 s)."""
    presenter_endpoint, _, watcher = await one_viewer(pipeline, peers)
    assert await watcher.wait_frames("audio", 5, timeout=8) >= 5
    await asyncio.sleep(JITTERBUFFER_BOUND_AFTER)  # the start's burst passes whole

    webrtcbin = engine_element(server, presenter_endpoint).webrtc
    audio = next(p for p in webrtcbin.iterate_src_pads()
                 if (p.get_current_caps() or Gst.Caps.new_any()).to_string().find(
                     "media=(string)audio") >= 0)
    behind: list[float] = []  # how far behind live each packet leaves the jitterbuffer

    def slow(_pad: Any, info: Any) -> Any:
        # 30 ms per packet: 33 packets a second where 50 come in (20 ms Opus frames)
        running = webrtcbin.get_clock().get_time() - webrtcbin.get_base_time()
        behind.append((running - info.get_buffer().pts) / Gst.SECOND)
        time.sleep(0.03)
        return Gst.PadProbeReturn.OK

    probe = audio.add_probe(Gst.PadProbeType.BUFFER, slow)
    try:
        await asyncio.sleep(4)
    finally:
        audio.remove_probe(probe)
    assert len(behind) >= 100, behind  # it did forward all along, slowly
    # Without dropping: 17 packets a second more than it forwards, 1.3 s behind after 4 s.
    assert max(behind[-20:]) < 0.3, behind[-20:]
