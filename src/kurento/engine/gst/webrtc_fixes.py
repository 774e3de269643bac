"""webrtcbin 1.22 workarounds, one small function each (notes §5; tests in
``tests/engine/test_webrtc_fixes.py``).

* :func:`hold_ice_agent`: the ``ice-agent`` reference (§5.3);
* :func:`disable_upnp`: no SSDP multicast from libnice;
* :func:`pin_ice_addresses`: loopback / fixed-address ICE (§2, §5.2);
* :func:`transceiver_caps`: payload type from the offer and our SSRC in the
  caps (§5.4, §5.5);
* :func:`forward_keyframe_requests`: keyframe requests re-addressed to the
  peer's SSRC (§5.6);
* :func:`call_promise`: a promise awaited with a deadline, on a worker thread.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import logging
import threading
from typing import Any

import gi

from ._gst import Gst

gi.require_version("GstWebRTC", "1.0")
gi.require_version("GstSdp", "1.0")

from gi.repository import GstSdp, GstWebRTC  # noqa: E402

__all__ = [
    "GstSdp",
    "GstWebRTC",
    "call_promise",
    "disable_upnp",
    "forward_keyframe_requests",
    "hold_ice_agent",
    "keyframe_request",
    "pin_ice_addresses",
    "transceiver_caps",
]

log = logging.getLogger(__name__)

_FIXED = "kms-readdressed"  # marks a keyframe request we re-sent ourselves
PROMISE_TIMEOUT = 5.0


@functools.cache  # find_library runs `ldconfig -p`: once per process, not per endpoint
def _g_object_ref() -> Any:
    lib = ctypes.CDLL(ctypes.util.find_library("gobject-2.0") or "libgobject-2.0.so.0")
    lib.g_object_ref.argtypes = [ctypes.c_void_p]
    lib.g_object_ref.restype = ctypes.c_void_p
    capsule = ctypes.pythonapi.PyCapsule_GetPointer
    capsule.argtypes = [ctypes.py_object, ctypes.c_char_p]
    capsule.restype = ctypes.c_void_p
    return lib.g_object_ref, capsule


def hold_ice_agent(webrtcbin: Any) -> Any:
    """webrtcbin's ICE agent, safe to keep and to drop.

    In 1.22 webrtcbin keeps the agent floating; reading the property makes
    PyGObject sink it, so Python owns webrtcbin's only reference: dropping the
    wrapper frees the agent under webrtcbin (later SIGSEGV), keeping it makes
    webrtcbin's finalize unref it once too often. One extra reference for
    webrtcbin fixes both. Newer GStreamer returns a real second reference: then
    nothing is added.
    """
    agent = webrtcbin.get_property("ice-agent")
    if agent is not None and agent.__grefcount__ == 1:
        ref, pointer = _g_object_ref()
        ref(pointer(agent.__gpointer__, None))
    return agent


def disable_upnp(agent: Any) -> None:
    """Keep libnice from looking for a UPnP router (SSDP multicast to 239.255.255.250).

    libnice enables UPnP by default and, while gathering, sends SSDP discovery on
    every interface, whatever local addresses it was pinned to. A media server
    has no business mapping ports on a home router, and nothing may leave the
    machine in our tests.
    """
    nice_agent = agent.get_property("agent")
    if nice_agent is not None:
        nice_agent.set_property("upnp", False)


def pin_ice_addresses(agent: Any, addresses: tuple[str, ...], *, ice_tcp: bool) -> None:
    """Gather ICE candidates on ``addresses`` only.

    libnice skips loopback when it discovers interfaces itself; naming an
    address turns discovery off, so no other interface is ever used.
    """
    for address in addresses:
        if not agent.emit("add-local-ip-address", address):
            log.warning("ICE agent refused local address %s", address)
    agent.set_property("ice-tcp", ice_tcp)


def transceiver_caps(
    kind: str, codecs: list[tuple[str, int, str]], ssrc: int, *, nack: bool, offer: bool = False
) -> Any:
    """Caps for ``add-transceiver``: each (codec, payload type, fmtp) with our SSRC.

    The payload type must be the offer's so ``create-answer`` matches it (§5.4);
    the SSRC goes into the caps so the answer names it (§5.5: otherwise
    ``a=ssrc-group:FID 0 ...`` and browsers bind the track to SSRC 0).
    """
    parts = []
    for name, payload, fmtp in codecs:
        rate = 48000 if name == "OPUS" else 90000
        fields = [
            "application/x-rtp", f"media={kind}", f"encoding-name={name}",
            f"clock-rate={rate}", f"payload={payload}", f"ssrc=(uint){ssrc}",
        ]
        if name == "OPUS":
            fields.append("encoding-params=(string)2")
        if name == "H264":
            fields.append("packetization-mode=(string)1")
            level = _fmtp_value(fmtp, "profile-level-id")
            if level and offer:
                fields.append(f"profile-level-id=(string){level}")
        if nack and kind == "video":
            fields += ["rtcp-fb-nack=(boolean)true", "rtcp-fb-nack-pli=(boolean)true",
                       "rtcp-fb-ccm-fir=(boolean)true"]
        parts.append(",".join(fields))
    return Gst.Caps.from_string(";".join(parts))


def _fmtp_value(fmtp: str, key: str) -> str:
    for item in fmtp.replace(" ", "").split(";"):
        name, _, value = item.partition("=")
        if name == key and value.isalnum():
            return value
    return ""


def forward_keyframe_requests(src_pad: Any, remote_ssrc: int) -> int:
    """Re-address keyframe requests reaching webrtcbin's receive ``src`` pad (§5.6).

    A GstForceKeyUnit coming back from a sender carries *that* sender's SSRC
    (or ours, in loopback); rtpssrcdemux only fills in a missing SSRC, so the
    receive session would send no PLI/FIR. Re-send it with the peer's SSRC
    (``all-headers`` makes rtpsession send FIR where negotiated, else PLI).
    Returns the probe id.
    """
    return int(src_pad.add_probe(Gst.PadProbeType.EVENT_UPSTREAM, _readdress, remote_ssrc))


def keyframe_request(ssrc: int | None = None) -> Any:
    """A GstForceKeyUnit upstream event, addressed to ``ssrc`` when given.

    Addressed ones go into webrtcbin's rtpsession, where ``all-headers=true``
    would mean FIR: PLI is what every peer understands (aiortc ignores FIR,
    whose header names no media SSRC), so those say ``all-headers=false``.
    """
    if ssrc is None:
        text = "GstForceKeyUnit, all-headers=(boolean)true"
    else:
        text = (f"GstForceKeyUnit, all-headers=(boolean)false, ssrc=(uint){ssrc}, "
                f"{_FIXED}=(boolean)true")
    return Gst.Event.new_custom(Gst.EventType.CUSTOM_UPSTREAM, Gst.Structure.new_from_string(text))


def _readdress(pad: Any, info: Any, remote_ssrc: int) -> Any:
    event = info.get_event()
    structure = event.get_structure() if event is not None else None
    if (
        event.type == Gst.EventType.CUSTOM_UPSTREAM
        and structure is not None
        and structure.get_name() == "GstForceKeyUnit"
        and not structure.has_field(_FIXED)
    ):
        pad.send_event(keyframe_request(remote_ssrc))
        return Gst.PadProbeReturn.DROP
    return Gst.PadProbeReturn.OK


def call_promise(element: Any, signal: str, *args: Any, timeout: float = PROMISE_TIMEOUT) -> Any:
    """Worker thread: emit a promise-taking action signal and wait for its reply.

    Raises RuntimeError with webrtcbin's message on error, or when no reply came
    within ``timeout`` (the promise is interrupted, so webrtcbin drops it).
    """
    replied = threading.Event()
    promise = Gst.Promise.new_with_change_func(lambda _promise: replied.set())
    element.emit(signal, *args, promise)
    if not replied.wait(timeout):
        promise.interrupt()
        raise RuntimeError(f"{signal}: no reply in {timeout:.0f} s")
    if promise.wait() != Gst.PromiseResult.REPLIED:
        raise RuntimeError(f"{signal}: interrupted")
    reply = promise.get_reply()
    if reply is not None and reply.has_field("error"):
        error = reply.get_value("error")
        raise RuntimeError(f"{signal}: {getattr(error, 'message', None) or error}")
    # The reply belongs to the promise, which dies with this frame: keep a copy.
    return reply.copy() if reply is not None else None
