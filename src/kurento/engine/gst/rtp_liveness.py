"""KMS ``mediaState`` for plain RTP peers: RTCP seen recently or not.

Like the WebRtcEndpoint's :class:`~.webrtc_ice.RtcpLiveness`, but with a timeout
that suits plain RTP senders: they report at RFC 3550's minimum interval, 5 s
randomised up to 7.5 s (gst rtpbin, ffmpeg), where browsers report every
second. A 5 s timeout made such a peer flap between CONNECTED and DISCONNECTED;
12 s tolerates one maximal interval plus scheduling slack (RFC 3550 §6.3.5
itself waits five intervals before timing a member out).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from .runtime import Runtime

RTCP_TIMEOUT = 12.0
RTCP_CHECK = 1.0

Notify = Callable[..., None]  # (listener method name, *args), called on the loop


class RtcpWatch:
    """Streaming threads only store a timestamp; a 1 Hz loop timer reports changes."""

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
