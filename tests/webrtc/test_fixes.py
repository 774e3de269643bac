"""Regression tests of the webrtcbin 1.22 workarounds (webrtc_fixes) and DTLS certificates."""

from __future__ import annotations

import asyncio
import gc
import re
import threading
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes

from kurento.engine.gst import GstMediaEngine
from kurento.engine.gst._gst import Gst, ensure_init
from kurento.engine.gst.testing import NullListener
from kurento.engine.gst.webrtc import WebRtcElement
from kurento.engine.gst.webrtc_cert import certificate_pem, fingerprint, with_fingerprint
from kurento.engine.gst.webrtc_fixes import (
    GstWebRTC,
    call_promise,
    disable_upnp,
    forward_keyframe_requests,
    hold_ice_agent,
    keyframe_request,
    pin_ice_addresses,
    transceiver_caps,
)

pytestmark = pytest.mark.gst


@pytest.fixture(autouse=True)
def _gst() -> None:
    ensure_init()


def test_ice_agent_reference_outlives_neither_side() -> None:
    """§5.3: keeping or dropping the agent wrapper must not crash; the agent is freed."""
    freed = threading.Event()
    webrtc = Gst.ElementFactory.make("webrtcbin")
    agent = hold_ice_agent(webrtc)
    assert agent.__grefcount__ >= 2  # ours and webrtcbin's
    agent.weak_ref(freed.set)
    del agent
    gc.collect()
    assert not freed.is_set()  # webrtcbin still holds it
    del webrtc
    gc.collect()
    assert freed.is_set()


def test_ice_agent_never_looks_for_a_upnp_router() -> None:
    """libnice multicasts SSDP discovery on every interface unless UPnP is off."""
    webrtc = Gst.ElementFactory.make("webrtcbin")
    agent = hold_ice_agent(webrtc)
    assert agent.get_property("agent").get_property("upnp") is True  # libnice's default
    disable_upnp(agent)
    assert agent.get_property("agent").get_property("upnp") is False


async def test_webrtc_endpoints_are_built_without_upnp() -> None:
    engine = GstMediaEngine(asyncio.get_running_loop())
    try:
        element = engine.create_pipeline("upnp").create_element("WebRtcEndpoint", NullListener())
        assert isinstance(element, WebRtcElement)
        assert element._ice.get_property("agent").get_property("upnp") is False
    finally:
        await engine.shutdown()


def _gather(addresses: tuple[str, ...]) -> list[str]:
    pipeline = Gst.Pipeline.new()
    webrtc = Gst.ElementFactory.make("webrtcbin")
    pipeline.add(webrtc)
    agent = hold_ice_agent(webrtc)
    pin_ice_addresses(agent, addresses, ice_tcp=False)
    found: list[str] = []
    done = threading.Event()
    webrtc.connect("on-ice-candidate", lambda _w, _m, c: found.append(c))
    webrtc.connect("notify::ice-gathering-state", lambda w, _p: done.set() if int(
        w.get_property("ice-gathering-state")) == int(
            GstWebRTC.WebRTCICEGatheringState.COMPLETE) else None)
    pipeline.set_state(Gst.State.PLAYING)
    try:
        webrtc.emit("add-transceiver", GstWebRTC.WebRTCRTPTransceiverDirection.SENDRECV,
                    transceiver_caps("video", [("VP8", 96, "")], 1234, nack=True))
        reply = call_promise(webrtc, "create-offer", None)  # owns the offer: keep it
        call_promise(webrtc, "set-local-description", reply.get_value("offer"))
        assert done.wait(5)
    finally:
        webrtc.set_state(Gst.State.NULL)
        pipeline.set_state(Gst.State.NULL)
    return found


def test_ice_gathers_on_the_pinned_address_only() -> None:
    """§2/§5.2: libnice skips loopback unless named; naming it stops discovery."""
    candidates = _gather(("127.0.0.1",))
    assert candidates
    assert all(" 127.0.0.1 " in c for c in candidates), candidates


def test_transceiver_caps_carry_payload_type_and_ssrc() -> None:
    """§5.4/§5.5: the offer's payload type and our SSRC (never 0) go into the caps."""
    caps = transceiver_caps("video", [("VP8", 120, ""), ("H264", 121, "profile-level-id=42e01f")],
                            777, nack=True)
    vp8, h264 = caps.get_structure(0), caps.get_structure(1)
    assert vp8.get_int("payload") == (True, 120) and vp8.get_uint("ssrc") == (True, 777)
    assert vp8.get_boolean("rtcp-fb-nack-pli") == (True, True)
    assert h264.get_string("packetization-mode") == "1"
    assert not h264.has_field("profile-level-id")  # answers take the offer's, not ours
    offer = transceiver_caps("video", [("H264", 121, "profile-level-id=42e01f")], 1, nack=False,
                             offer=True)
    assert offer.get_structure(0).get_string("profile-level-id") == "42e01f"
    opus = transceiver_caps("audio", [("OPUS", 111, "")], 5, nack=True).get_structure(0)
    assert opus.get_int("clock-rate") == (True, 48000) and not opus.has_field("rtcp-fb-nack")


def test_keyframe_requests_are_readdressed_to_the_peer() -> None:
    """§5.6: a GstForceKeyUnit reaching webrtcbin's src pad goes on with the peer's SSRC."""
    pipeline = Gst.Pipeline.new()
    source = Gst.ElementFactory.make("identity")  # stands for webrtcbin's receive side
    sink = Gst.ElementFactory.make("fakesink")
    sink.set_property("async", False)
    pipeline.add(source)
    pipeline.add(sink)
    source.link(sink)
    seen: list[Any] = []

    def upstream(_pad: Any, info: Any) -> Any:
        if info.get_event().has_name("GstForceKeyUnit"):
            seen.append(info.get_event().get_structure().copy())
        return Gst.PadProbeReturn.OK

    source.get_static_pad("sink").add_probe(Gst.PadProbeType.EVENT_UPSTREAM, upstream)
    probe = forward_keyframe_requests(source.get_static_pad("src"), 4242)
    pipeline.set_state(Gst.State.PLAYING)  # flushing pads drop events
    sink.get_static_pad("sink").push_event(keyframe_request())
    pipeline.set_state(Gst.State.NULL)
    assert len(seen) == 1
    assert seen[0].get_uint("ssrc") == (True, 4242)
    assert seen[0].get_boolean("all-headers") == (True, False)  # PLI, which every peer knows
    source.get_static_pad("src").remove_probe(probe)


class _SilentElement:
    """Takes a promise and never answers it."""

    def emit(self, _signal: str, *args: Any) -> None:
        self.promise = args[-1]


def test_promise_without_reply_times_out() -> None:
    element = _SilentElement()
    with pytest.raises(RuntimeError, match="no reply"):
        call_promise(element, "create-offer", None, timeout=0.1)
    assert element.promise.wait() == Gst.PromiseResult.INTERRUPTED


def test_ecdsa_certificate_and_fingerprint() -> None:
    assert certificate_pem("RSA") == ""  # webrtcbin's own
    pem = certificate_pem("ECDSA")
    assert "BEGIN CERTIFICATE" in pem and "PRIVATE KEY" in pem
    assert certificate_pem("ECDSA") is pem  # one per process
    cert = x509.load_pem_x509_certificate(pem.encode())
    expected = cert.fingerprint(hashes.SHA256()).hex(":").upper()
    assert fingerprint(pem) == "sha-256 " + expected
    sdp = "v=0\r\na=fingerprint:sha-256 AA:BB\r\nm=video 9 x 96\r\na=fingerprint:sha-1 CC\r\n"
    fixed = with_fingerprint(sdp, pem)
    assert re.findall(r"a=fingerprint:(.*)\r", fixed) == ["sha-256 " + expected] * 2
