"""Automatic transcoding seen from Chromium (loopback-only namespace): in the one-to-many
demo the presenter sends VP8 while a viewer's browser offers to receive H.264 only; the
viewer decodes H.264, and the viewer's WebRtcEndpoint says it transcodes (the other
viewer, which takes VP8, gets the presenter's stream untouched)."""

from __future__ import annotations

import json
import sys

import pytest

from tests.browser.conftest import MEDIA_URL, DemoStack, Pages, assert_receiving

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]

# Before the page's scripts: every offer this page makes keeps only H.264 (and the RTX
# that repairs it) in its video sections, as a browser without VP8 would offer.
H264_ONLY = """(() => {
  const keepH264 = (sdp) => {
    const lines = sdp.split('\\r\\n');
    const rtpmap = {};
    for (const line of lines) {
      const m = /^a=rtpmap:(\\d+) ([^/]+)/.exec(line);
      if (m) rtpmap[m[1]] = m[2].toUpperCase();
    }
    const keep = new Set(Object.keys(rtpmap).filter((pt) => rtpmap[pt] === 'H264'));
    for (const line of lines) {
      const m = /^a=fmtp:(\\d+) apt=(\\d+)/.exec(line);
      if (m && keep.has(m[2])) keep.add(m[1]);
    }
    let video = false;
    const out = [];
    for (const line of lines) {
      if (line.startsWith('m=')) video = line.startsWith('m=video');
      if (video && line.startsWith('m=video')) {
        const parts = line.split(' ');
        out.push(parts.slice(0, 3).concat(parts.slice(3).filter((pt) => keep.has(pt))).join(' '));
        continue;
      }
      const m = /^a=(?:rtpmap|fmtp|rtcp-fb):(\\d+)/.exec(line);
      if (video && m && !keep.has(m[1])) continue;
      out.push(line);
    }
    return out.join('\\r\\n');
  };
  const createOffer = RTCPeerConnection.prototype.createOffer;
  RTCPeerConnection.prototype.createOffer = async function (...args) {
    const offer = await createOffer.apply(this, args);
    return { type: offer.type, sdp: keepH264(offer.sdp) };
  };
})();"""

RECEIVED_CODEC = """async () => {
  const pc = window.demo.peer.peerConnection;
  const stats = await pc.getStats();
  let codec = null;
  stats.forEach((s) => {
    if (s.type === 'inbound-rtp' && s.kind === 'video' && s.codecId) {
      codec = stats.get(s.codecId).mimeType;
    }
  });
  return codec;
}"""

# Run inside the namespace: per WebRtcEndpoint of every pipeline, whether it transcodes
# video, as JSON {id: bool}.
TRANSCODING = """
import asyncio, json, sys
from kurento.client import KurentoClient, MediaType, WebRtcEndpoint
async def main():
    async with KurentoClient.connect(sys.argv[1], reconnect=False) as client:
        manager = await client.get_server_manager()
        found = {}
        for pipeline in await manager.get_pipelines():
            for child in await pipeline.get_children():
                if isinstance(child, WebRtcEndpoint):
                    found[child.id] = await child.is_media_transcoding(MediaType.VIDEO)
        print(json.dumps(found))
asyncio.run(main())
"""


def transcoding_endpoints(stack: DemoStack) -> dict[str, bool]:
    probe = stack.netns.run(sys.executable, "-c", TRANSCODING, MEDIA_URL, timeout=30)
    assert probe.returncode == 0, probe.stderr
    result: dict[str, bool] = json.loads(probe.stdout)
    return result


def test_h264_only_viewer_of_a_vp8_presenter(webrtc: DemoStack, pages: Pages) -> None:
    presenter = pages.open("/one_to_many/")
    presenter.click("#presenter")
    presenter.wait_for_function("window.demo.state === 'presenting'", polling=100)
    vp8_viewer = pages.open("/one_to_many/")
    h264_viewer = pages.open("/one_to_many/", init_script=H264_ONLY)
    for viewer in (vp8_viewer, h264_viewer):
        viewer.click("#viewer")
        viewer.wait_for_function("window.demo.state === 'viewing'", polling=100)
        assert_receiving(viewer, "video", pages)

    assert h264_viewer.evaluate(RECEIVED_CODEC) == "video/H264"
    assert vp8_viewer.evaluate(RECEIVED_CODEC) == "video/VP8"
    # Three endpoints: exactly one (the H.264 viewer's) decodes and re-encodes video.
    states = transcoding_endpoints(webrtc)
    assert sorted(states.values()) == [False, False, True], states

    presenter.click("#stop")
    for viewer in (vp8_viewer, h264_viewer):
        viewer.wait_for_function("window.demo.state === 'ended'", polling=100)
    webrtc.assert_released()
