"""The bitrate of the video encoders an element makes (Kurento's MediaElement knobs).

``encoderBitrate`` is the target of every video encoder the element creates
(filter output, transcoder at an endpoint's input, player, recorder and HTTP
endpoint transcoding); ``minEncoderBitrate`` / ``maxEncoderBitrate`` (0: unbounded) bound
the range it adapts in (reference: core.kmd.json MediaElement, BaseRtpEndpoint
"Bitrate management"). :class:`EncoderRate` holds the knobs of one element and
its live encoders:

* an encoder starts at the target, bounded; a new setting reaches the live
  encoders at once (on a worker thread: ``vp8enc`` takes its encoding lock to
  change a property, which may wait for the frame being encoded);
* REMB from WebRtcEndpoints fed by the element (the custom upstream event of
  :mod:`.webrtc_remb`, which bridges pass) stops at the encoder's src pad: the
  encoder follows ``min(every fresh downstream REMB)`` (fresh: heard in the last
  :data:`~.webrtc_remb.DOWNSTREAM_TTL` seconds, as the REMB relay does), bounded.
  The media the element decodes is another stream, so the estimate goes no
  further upstream (KMS's encoder bins stop it too). The property is set on the
  thread that carries the event (rtpsession's, at most a few times a second),
  only when the value moves by more than :data:`CHANGE` or :data:`SETTLE`
  seconds after the last change: encoders do not like a new rate per packet.
* a WebRtcEndpoint's own transcoder also stays within the endpoint's
  ``min/maxVideoSendBandwidth`` (default 100 to 500 kbps), what KMS's encoders
  honour too (:meth:`EncoderRate.set_send_range`).

Units: ``vp8enc target-bitrate`` is in bps, ``x264enc bitrate`` in kbps.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ._gst import Gst
from .webrtc_remb import DOWNSTREAM_TTL, read_remb_event

if TYPE_CHECKING:
    from .runtime import Runtime

log = logging.getLogger(__name__)

DEFAULT_TARGET = 300_000  # bps: Kurento's encoderBitrate default
CHANGE = 0.10  # a REMB-driven change smaller than this fraction waits for SETTLE
SETTLE = 1.0  # s between two small changes
# Encoder factory -> (bitrate property, bps per unit, largest value).
ENCODERS: dict[str, tuple[str, int, int]] = {
    "vp8enc": ("target-bitrate", 1, 2**31 - 1),
    "x264enc": ("bitrate", 1000, 2_048_000),
}


def bounded(value: int, minimum: int, maximum: int) -> int:
    """``value`` within [minimum, maximum] (0: no bound; the minimum wins a conflict)."""
    if maximum > 0:
        value = min(value, maximum)
    if minimum > 0:
        value = max(value, minimum)
    return max(value, 1)


def set_encoder_bitrate(encoder: Any, bps: int) -> bool:
    """Set a vp8enc/x264enc's bitrate in its own unit; False for another element."""
    factory = encoder.get_factory()
    spec = ENCODERS.get(factory.get_name() if factory is not None else "")
    if spec is None:
        return False
    name, unit, largest = spec
    encoder.set_property(name, min(max(bps // unit, 1), largest))
    return True


@dataclass
class _Encoder:
    element: Any
    pad: Any = None  # the src pad where REMB is heard (None: not listening)
    probe: int = 0


class EncoderRate:
    """One element's encoder bitrate knobs and live video encoders (module docstring)."""

    def __init__(self, runtime: Runtime, name: str) -> None:
        self._runtime = runtime
        self._name = name
        self._lock = threading.Lock()
        self._target = DEFAULT_TARGET
        self._minimum = 0
        self._maximum = 0
        self._send_range = (0, 0)  # an RTP endpoint's min/maxVideoSendBandwidth, bps
        self._encoders: list[_Encoder] = []
        self._downstream: dict[str, tuple[int, float]] = {}  # origin -> (bps, when)
        self._tasks: set[asyncio.Task[bool]] = set()
        self.current = DEFAULT_TARGET  # bps the encoders were last set to
        self._applied_at = 0.0

    def configure(self, target: int, minimum: int, maximum: int) -> None:
        """Loop thread: new knobs; live encoders take them on a worker thread."""
        with self._lock:
            self._target = max(int(target), 1)
            self._minimum = max(int(minimum), 0)
            self._maximum = max(int(maximum), 0)
        self._reconfigured()

    def set_send_range(self, minimum: int, maximum: int) -> None:
        """Loop thread: an endpoint's encoders also stay within what it may send to its
        peer (``min/maxVideoSendBandwidth``, bps, 0: unbounded)."""
        with self._lock:
            self._send_range = (max(int(minimum), 0), max(int(maximum), 0))
        self._reconfigured()

    def _reconfigured(self) -> None:
        with self._lock:
            if not self._encoders:
                self.current = self._wanted(time.monotonic())
                return
        task = self._runtime.loop.create_task(self._runtime.worker.run(
            f"encoder bitrate {self._name}", self._reapply))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def attach(self, encoder: Any, *, listen: bool = True) -> None:
        """Any thread, before ``encoder`` runs: set its bitrate and keep it up to date.

        ``listen``: take REMB events arriving at its src pad (they stop there).
        Elements that are not vp8enc/x264enc (Opus...) are left alone.
        """
        factory = encoder.get_factory()
        if factory is None or factory.get_name() not in ENCODERS:
            return
        entry = _Encoder(encoder)
        with self._lock:
            now = time.monotonic()
            wanted = self._wanted(now)  # REMB heard long ago no longer counts
            if wanted != self.current:
                self._apply(wanted, now)
            set_encoder_bitrate(encoder, wanted)
            if listen:
                entry.pad = encoder.get_static_pad("src")
                entry.probe = entry.pad.add_probe(Gst.PadProbeType.EVENT_UPSTREAM,
                                                  self._on_upstream_event)
            self._encoders.append(entry)

    def detach(self, inside: Any) -> None:
        """Any thread: forget the encoders that are ``inside`` (an encoder or a bin)."""
        with self._lock:
            gone = [e for e in self._encoders if e.element is inside
                    or e.element.has_as_ancestor(inside)]
            self._encoders = [e for e in self._encoders if e not in gone]
        for entry in gone:
            if entry.probe:
                entry.pad.remove_probe(entry.probe)

    def close(self) -> None:
        """Worker thread, pipeline at NULL: the probes' closures hold us."""
        with self._lock:
            gone, self._encoders = self._encoders, []
        for entry in gone:
            if entry.probe:
                entry.pad.remove_probe(entry.probe)

    def on_remb(self, origin: str, bitrate: int) -> None:
        """Any thread: a WebRtcEndpoint fed by our encoders heard ``bitrate`` from its peer."""
        now = time.monotonic()
        with self._lock:
            self._downstream[origin] = (bitrate, now)
            wanted = self._wanted(now)
            if wanted == self.current:
                return
            small = abs(wanted - self.current) <= self.current * CHANGE
            if small and now - self._applied_at < SETTLE:
                return
            self._apply(wanted, now)

    # -- internals (lock held where noted) ---------------------------------------------

    def _on_upstream_event(self, _pad: Any, info: Any) -> Any:
        """A streaming thread: an upstream event reached an encoder's src pad."""
        remb = read_remb_event(info.get_event())
        if remb is None:
            return Gst.PadProbeReturn.OK
        try:
            self.on_remb(remb[1], remb[0])
        except Exception:  # never let Python raise into a streaming thread
            log.exception("%s: REMB not applied to the encoder", self._name)
        return Gst.PadProbeReturn.DROP

    def _wanted(self, now: float) -> int:
        """Lock held: the lowest fresh downstream REMB, else the target; bounded."""
        for origin, (_bitrate, when) in list(self._downstream.items()):
            if now - when > DOWNSTREAM_TTL:
                del self._downstream[origin]
        limit = min((bitrate for bitrate, _ in self._downstream.values()), default=None)
        send_min, send_max = self._send_range
        maximum = min((m for m in (self._maximum, send_max) if m > 0), default=0)
        return bounded(self._target if limit is None else limit,
                       max(self._minimum, send_min), maximum)

    def _reapply(self) -> None:
        """Worker thread: after new knobs, every live encoder gets the value."""
        with self._lock:
            now = time.monotonic()
            self._apply(self._wanted(now), now)

    def _apply(self, bps: int, now: float) -> None:
        """Lock held."""
        log.debug("%s: video encoders at %d bps (was %d)", self._name, bps, self.current)
        for entry in self._encoders:
            set_encoder_bitrate(entry.element, bps)
        self.current = bps
        self._applied_at = now
