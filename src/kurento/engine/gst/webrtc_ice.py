"""What a WebRtcEndpoint reports about ICE, DTLS and the connection (reference §2.6).

:class:`IceReports` turns webrtcbin's notifications (any thread) into the
listener calls of :class:`~kurento.engine.contract.WebRtcListener` on the loop.
Local candidates are held back until ``gather_candidates``, as KMS does:
webrtcbin starts gathering as soon as the local description is set.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from .runtime import Runtime

# webrtcbin's GstWebRTCICEConnectionState / DTLS transport state → Kurento wire strings.
ICE_STATES = {"new": "DISCONNECTED", "checking": "CONNECTING", "connected": "CONNECTED",
              "completed": "READY", "failed": "FAILED", "disconnected": "DISCONNECTED",
              "closed": "DISCONNECTED"}
DTLS_STATES = {"new": "NEW", "closed": "CLOSED", "failed": "FAILED",
               "connecting": "CONNECTING", "connected": "CONNECTED"}
# webrtcbin bundles everything into one ICE stream with one component (rtcp-mux).
STREAM, COMPONENT = 1, 1
# KMS's mediaState: CONNECTED while RTCP arrives, DISCONNECTED after this long without.
RTCP_TIMEOUT = 5.0
RTCP_CHECK = 1.0

Notify = Callable[..., None]  # (listener method name, *args), called on the loop


def nick(value: Any) -> str:
    return str(getattr(value, "value_nick", value))


class IceReports:
    """Local candidates, gathering, ICE/DTLS/connection states → listener, on the loop."""

    def __init__(self, runtime: Runtime, notify: Notify, mid_of: Callable[[int], str],
                 on_connected: Callable[[], None]) -> None:
        self._runtime = runtime
        self._notify = notify
        self._mid_of = mid_of
        self._on_connected = on_connected
        self._gathering = False
        self._held: list[tuple[int, str] | None] = []  # None: gathering done
        self._ice_state = ""  # last IceComponentState sent (webrtcbin's threads)

    # -- loop ---------------------------------------------------------------------

    def gather(self) -> None:
        """Report what was found so far, then the rest as it comes."""
        self._gathering = True
        for item in self._held:
            self._report(item)
        self._held.clear()

    def _found(self, item: tuple[int, str] | None) -> None:
        if self._gathering:
            self._report(item)
        else:
            self._held.append(item)

    def _report(self, item: tuple[int, str] | None) -> None:
        if item is None:
            self._notify("on_ice_gathering_done")
        else:
            self._notify("on_ice_candidate", item[1], self._mid_of(item[0]), item[0])

    # -- webrtcbin's threads ---------------------------------------------------------

    def on_candidate(self, _webrtc: Any, mline: int, candidate: str) -> None:
        self._runtime.call_soon(self._found, (mline, candidate))

    def on_state(self, webrtc: Any, spec: Any) -> None:
        """``notify::`` of ice-gathering-state, ice-connection-state, connection-state."""
        state = nick(webrtc.get_property(spec.name))
        if spec.name == "ice-gathering-state":
            if state == "gathering":
                self._component("GATHERING")
            elif state == "complete":
                self._runtime.call_soon(self._found, None)
        elif spec.name == "ice-connection-state":
            kurento = ICE_STATES.get(state, "DISCONNECTED")
            if kurento == "READY" and self._ice_state != "CONNECTED":
                # The notification reads the current value: "connected" may be gone already.
                self._component("CONNECTED")
            self._component(kurento)
        else:
            self._runtime.call_soon(self._notify, "on_connection_state", state == "connected")
            if state == "connected":
                self._runtime.call_soon(self._on_connected)

    def on_dtls_state(self, dtls: Any, _spec: Any) -> None:
        state = DTLS_STATES.get(nick(dtls.get_property("state")), "NEW")
        stream = str(STREAM)
        self._runtime.call_soon(self._notify, "on_dtls_state", stream, str(COMPONENT), stream,
                                state)

    def _component(self, state: str) -> None:
        self._ice_state = state
        self._runtime.call_soon(self._notify, "on_ice_component_state", STREAM, COMPONENT, state)


class RtcpLiveness:
    """KMS ``mediaState``: RTCP seen recently or not (reference §2.3 BaseRtpEndpoint).

    The streaming thread only stores a timestamp (no hand-over per RTCP packet);
    a 1 Hz timer on the loop, started at the first connection, reports changes.
    ``timeout``: browsers report every second; plain RTP peers need longer (rtp.py).
    """

    def __init__(self, runtime: Runtime, notify: Notify, closed: Callable[[], bool],
                 timeout: float = RTCP_TIMEOUT) -> None:
        self._runtime = runtime
        self._notify = notify
        self._closed = closed
        self._timeout = timeout
        self._last = 0.0  # time.monotonic() of the last RTCP (written by streaming threads)
        self._connected = False
        self._started = False

    def on_rtcp(self, *_args: Any) -> None:
        """rtpbin ``on-ssrc-active`` (RTCP from a peer source), streaming thread."""
        self._last = time.monotonic()

    def start(self) -> None:
        """Loop: begin checking (idempotent)."""
        if not self._started:
            self._started = True
            self._tick()

    def _tick(self) -> None:
        if self._closed():
            return  # no reschedule: the element is going
        connected = self._last > 0 and time.monotonic() - self._last < self._timeout
        if connected != self._connected:
            self._connected = connected
            self._notify("on_media_state", connected)
        self._runtime.loop.call_later(RTCP_CHECK, self._tick)
