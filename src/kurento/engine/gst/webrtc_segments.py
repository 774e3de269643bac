"""Shared sticky events for the streams webrtcbin bundles into one RTP session.

With BUNDLE, webrtcbin sends audio and video through one ``rtpfunnel``, which pushes
the SEGMENT and the custom sticky events of the input it forwards each time that input
changes: with audio and video interleaved, about every other packet. Each push walks
the whole send chain (rtpbin's session, the RTX and FEC senders, the SRTP encoder,
nicesink) through a dozen pads and their event handlers: a fifth of our server's CPU in
the one-to-many benchmark (``perf``, bench/README.md).

A pad does not push a sticky event again when the one it already delivered is the same
object. So when the funnel's inputs hold equivalent events we give them one event
object (``gst_pad_store_sticky_event``), and the funnel's pushes on each switch become
no-ops. Equivalent means:

* SEGMENT: the same fields apart from ``position`` and ``duration`` (which running
  time does not use), so each stream's running times stay what they were;
* webrtcbin's ``GstWebRtcBinUpdateTos`` (it names the transceiver whose sender's
  priority sets the socket's DSCP): any two, while every sender keeps the default
  priority (DSCP 0 whatever the transceiver; nothing in this server changes it).

Python runs only for the events reaching the funnel (a few per stream), never per
packet. The probe sees an event before its own pad stores it, so it is the other inputs
that take the new object; a lock orders the probes, so an input's own newer event
always lands after (and over) whatever another input's probe stored on it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from ._gst import Gst

_EVENTS = Gst.PadProbeType.EVENT_DOWNSTREAM | Gst.PadProbeType.EVENT_FLUSH
TOS_EVENT = "GstWebRtcBinUpdateTos"


def segment_key(segment: Any) -> tuple[Any, ...]:
    """What running time depends on: two segments with the same key are equivalent."""
    return (int(segment.flags), segment.rate, segment.applied_rate, int(segment.format),
            segment.base, segment.offset, segment.start, segment.stop, segment.time)


@dataclass(eq=False)
class _Input:
    """One funnel input: its pad, our probe on it, and what it holds, by kind of event."""

    pad: Any
    probe: int
    held: dict[str, tuple[Any, Any]] = field(default_factory=dict)  # kind → (key, event)


class SharedSegments:
    """Watches one ``rtpfunnel``'s inputs (see the module docstring)."""

    def __init__(self) -> None:
        # Until a sender's priority changes (watch_sender): read on streaming threads,
        # which must not call webrtcbin (its signals take the lock its own thread
        # holds while it sends these events).
        self._default_priority = True
        self._lock = threading.Lock()
        self._inputs: dict[str, _Input] = {}  # by pad name
        self._signals: list[tuple[Any, int]] = []

    def attach(self, funnel: Any) -> None:
        """Any thread: ``funnel`` was just made; its inputs are requested later."""
        self._signals.append((funnel, funnel.connect("pad-added", self._on_pad_added)))
        self._signals.append((funnel, funnel.connect("pad-removed", self._on_pad_removed)))
        for pad in funnel.sinkpads:
            self._on_pad_added(funnel, pad)

    def watch_sender(self, sender: Any) -> None:
        """A transceiver's sender: its priority sets DSCP (see the module docstring)."""
        self._signals.append((sender, sender.connect("notify::priority",
                                                     self._on_priority)))

    def _on_priority(self, *_args: Any) -> None:
        self._default_priority = False

    def detach(self) -> None:
        """Pipeline stopped: the probes' and handlers' closures hold us."""
        for obj, handler in self._signals:
            obj.disconnect(handler)
        self._signals.clear()
        with self._lock:
            inputs, self._inputs = self._inputs, {}
        for entry in inputs.values():
            entry.pad.remove_probe(entry.probe)

    def _on_pad_added(self, _funnel: Any, pad: Any) -> None:
        if pad.get_direction() != Gst.PadDirection.SINK:
            return
        probe = pad.add_probe(_EVENTS, self._on_event)
        with self._lock:
            self._inputs[pad.get_name()] = _Input(pad, probe)

    def _on_pad_removed(self, _funnel: Any, pad: Any) -> None:
        with self._lock:
            self._inputs.pop(pad.get_name(), None)

    def _on_event(self, pad: Any, info: Any) -> Any:
        """Streaming thread, before ``pad`` stores the event."""
        event = info.get_event()
        if event.type == Gst.EventType.FLUSH_STOP:  # the pad drops its segment
            with self._lock:
                if (entry := self._inputs.get(pad.get_name())) is not None:
                    entry.held.pop("segment", None)
            return Gst.PadProbeReturn.OK
        kind, key = self._classify(event)
        if kind:
            self._share(pad.get_name(), kind, key, event)
        return Gst.PadProbeReturn.OK

    def _classify(self, event: Any) -> tuple[str, Any]:
        if event.type == Gst.EventType.SEGMENT:
            return "segment", segment_key(event.parse_segment())
        if event.type == Gst.EventType.CUSTOM_DOWNSTREAM_STICKY and event.has_name(TOS_EVENT):
            # Any two are equivalent while the priorities are the default; otherwise
            # each is its own (its transceiver's name keeps them apart).
            structure = event.get_structure()
            return "tos", None if self._default_priority else structure.get_string("mid")
        return "", None

    def _share(self, name: str, kind: str, key: Any, event: Any) -> None:
        with self._lock:
            if (entry := self._inputs.get(name)) is None:
                return
            entry.held[kind] = (key, event)
            for other_name, other in self._inputs.items():
                if other_name != name and kind in other.held and other.held[kind][0] == key:
                    other.pad.store_sticky_event(event)
                    other.held[kind] = (key, event)
