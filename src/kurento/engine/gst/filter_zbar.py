"""Media part of ZBarFilter: the video passes through as it came; a side branch reads codes.

Layout (one element pipeline)::

    video_in → tee ─→ VIDEO_out tee                      (the input untouched: no re-encoding)
                   └→ valve → queue (leaky) → capsfilter → identity ⇢ [decoder]
                         → videorate → 10 fps → queue (leaky, 1) → videoconvert → zbar → fakesink
    AUDIO_in → AUDIO_out tee, DATA_in → DATA_out tee     (untouched)

``⇢`` is a :class:`~.filter_codec.Decoder` (chosen from the input's caps).
Threads: the bridge feeding the input carries the video to the output and
drops a copy into the first queue, which never blocks it (leaky, bounded).
That queue's thread decodes every frame (a decoder needs them all) and
``videorate`` thins them to :data:`SCAN_RATE`; the last queue keeps only the
newest frame, so the scanner's thread reads codes at most ten times a second
and a slow scan skips frames instead of growing a queue. With no consumer the
output tee drops natively, and the scan branch always ends in a sink: nothing
is buffered without bound.

The ``valve`` keeps the scanner's troubles away from the video it passes: a
tee returns a branch's flow error to its source, so video the scanner cannot
decode (VP9...) is dropped at the valve, natively, and never reaches a
decoder that would refuse it and stop the whole path (only its caps go on,
refused harmlessly). It opens again when a decodable source arrives.

``zbar`` posts a ``barcode`` element message per code read per frame. Only
those messages enter Python (the bus's ``sync-message::element`` signal, on
the scanner's thread); :class:`CodeDeduplicator` keeps the ones Kurento would
report, and only those are handed to the loop.

No ``MediaTranscodingStateChanged``: the event tells an application that an
element re-encodes the media it sends (a quality, latency and CPU cost its
consumers inherit). This element decodes a copy for its own analysis only;
what it sends is the input, byte for byte, so it stays ``NOT_TRANSCODING``
(every element's initial state, never announced). KMS's ZBarFilter, built on
its generic filter element, does decode and re-encode, and says so: here it
has nothing to say.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Iterable
from typing import Any

from ..contract import MediaKind
from ..filtering import CodeListener
from ._gst import Gst
from .element import GstElement
from .filter_codec import DECODERS, Decoder

log = logging.getLogger(__name__)

SCAN_RATE = 10  # frames scanned per second at most: codes stay on screen far longer
REPEAT_AFTER = Gst.SECOND  # Kurento reports a code again after this much stream time
_TIMESTAMPS = 1 << 64  # KMS compares guint64 timestamps: a step back wraps to "much later"


class CodeDeduplicator:
    """Which reads Kurento reports (kms-filters ``ZBarFilterImpl::barcodeDetected``).

    A read is news if its type or symbol differs from the last one reported,
    if nothing was reported yet, or if its timestamp is at least
    :data:`REPEAT_AFTER` past the last report's (compared as unsigned 64-bit
    numbers, as KMS does, so a timestamp going back also counts as news).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last: tuple[str, str, int] | None = None

    def is_new(self, code_type: str, symbol: str, timestamp: int) -> bool:
        with self._lock:
            last = self._last
            if (last is not None and last[:2] == (code_type, symbol)
                    and (timestamp - last[2]) % _TIMESTAMPS < REPEAT_AFTER):
                return False
            self._last = (code_type, symbol, timestamp)
            return True


class ZBarElement(GstElement):
    """Kurento ``ZBarFilter``: raises ``CodeFound`` through ``listener.on_code_found``."""

    factory = "ZBarFilter"
    listener: CodeListener

    def build(self) -> None:
        self._codes = CodeDeduplicator()
        for kind in (MediaKind.AUDIO, MediaKind.DATA):
            identity = self.make("identity", f"{kind.value.lower()}_in")
            self.add_input(kind, identity.get_static_pad("sink"))
            self.add_output(kind, identity.get_static_pad("src"))
        entry = self.make("identity", "video_in")
        split = self.make("tee", "video_split")
        entry.link(split)
        self.add_input(MediaKind.VIDEO, entry.get_static_pad("sink"))
        self.add_output(MediaKind.VIDEO, split.request_pad_simple("src_%u"))
        self._zbar = self._build_scanner(split)
        bus = self.pipeline.get_bus()
        bus.enable_sync_message_emission()
        self._bus_handler = bus.connect("sync-message::element", self._on_element_message)

    def _build_scanner(self, split: Any) -> Any:
        gate = self.make("valve", "scan_gate")
        # Sticky events (caps) go on even while closed: a valve that dropped them would
        # send the stale ones first when it opens, and the decoder would see them.
        Gst.util_set_object_arg(gate, "drop-mode", "forward-sticky-events")
        self._gate_pad = gate.get_static_pad("sink")
        self._gate_probe = self._gate_pad.add_probe(Gst.PadProbeType.EVENT_DOWNSTREAM,
                                                    self._on_scan_caps, gate)
        # Leaky, with the queue's default bounds (1 s, 200 buffers, 10 MB): a stalled
        # decoder loses old frames (and then asks for a keyframe), never grows memory.
        backlog = self.make("queue", "scan_backlog")
        Gst.util_set_object_arg(backlog, "leaky", "downstream")
        # The valve and the backlog pass ACCEPT_CAPS queries on, on the bridge's thread
        # (so would an identity: measured). A capsfilter answers them from its templates
        # (ANY): the Decoder (whose probes watch ``decode``) then rebuilds only on the
        # backlog's own thread, for the CAPS event, between two buffers, never while the
        # old decoder is still busy.
        answer = self.make("capsfilter", "scan_accept")
        decode = self.make("identity", "scan_decode")
        rate = self.make("videorate", max_duplication_time=Gst.SECOND)
        fps = self.make("capsfilter", caps=Gst.Caps.from_string(
            f"video/x-raw,framerate={SCAN_RATE}/1"))
        latest = self.make("queue", "scan_latest", max_size_buffers=1, max_size_bytes=0,
                           max_size_time=0)
        Gst.util_set_object_arg(latest, "leaky", "downstream")
        zbar = self.make("zbar", qos=False)  # as KMS: never skip frames for lateness
        chains = ([split, gate, backlog, answer, decode],
                  [rate, fps, latest, self.make("videoconvert"), zbar,
                   self.make("fakesink", sync=False, async_=False, enable_last_sample=False)])
        for chain in chains:
            for upstream, downstream in itertools.pairwise(chain):
                if not upstream.link(downstream):
                    raise RuntimeError(f"{self!r}: cannot link {upstream.get_name()} → "
                                       f"{downstream.get_name()}")
        self._decoder = Decoder(self.pipeline, decode, rate.get_static_pad("sink"))
        return zbar

    def routes(self, kind: MediaKind) -> Iterable[MediaKind]:
        return (kind,)

    def teardown(self) -> None:
        """Worker thread, pipeline at NULL: the probes' and handler's closures hold us."""
        self._decoder.close()
        if self._gate_probe:
            self._gate_pad.remove_probe(self._gate_probe)
            self._gate_probe = 0
        if self._bus_handler:
            bus = self.pipeline.get_bus()
            bus.disconnect(self._bus_handler)
            bus.disable_sync_message_emission()
            self._bus_handler = 0

    def _on_scan_caps(self, _pad: Any, info: Any, gate: Any) -> Any:
        """Bridge thread, once per caps: let through only video the scanner can decode."""
        event = info.get_event()
        if event.type == Gst.EventType.CAPS:
            media_type = event.parse_caps().get_structure(0).get_name()
            scannable = media_type.startswith("video/") and media_type in DECODERS
            if not scannable:
                log.warning("%r: cannot read codes in %s; passing it on unread", self, media_type)
            gate.set_property("drop", not scannable)
        return Gst.PadProbeReturn.OK

    def _on_element_message(self, _bus: Any, message: Any) -> None:
        """Scanner's streaming thread: keep the reads Kurento reports, hand them to the loop."""
        if message.src is not self._zbar:
            return
        try:
            read = _barcode(message.get_structure())
        except Exception:  # a malformed message must not reach GStreamer's C code
            log.exception("%r: unreadable zbar message", self)
            return
        if read is not None and self._codes.is_new(*read):
            code_type, symbol, _timestamp = read
            log.debug("%r: %s %r", self, code_type, symbol)
            self.runtime.call_soon(self.listener.on_code_found, code_type, symbol)


def _barcode(structure: Any) -> tuple[str, str, int] | None:
    """(type, symbol, timestamp) of a ``barcode`` message; None for any other message."""
    if structure is None or structure.get_name() != "barcode":
        return None
    code_type = structure.get_string("type")
    symbol = structure.get_string("symbol")
    has_timestamp, timestamp = structure.get_uint64("timestamp")
    if code_type is None or symbol is None or not has_timestamp:
        return None  # as KMS: a message missing a field is ignored
    return code_type, symbol, int(timestamp)
