"""One media link source→sink for one kind: an explicit bridge between two pipelines.

Layout (each element owns its own ``GstPipeline``), queued::

    source pipeline:  tee (allow-not-linked) ─request pad→ proxysink
    sink pipeline:    proxysrc (internal queue, leaky) → identity "gate" → element input

There is no source-side ``queue``: proxysrc already holds one (its streaming
thread is the bridge's only thread), and proxysink always returns OK to the tee,
so a slow or stopped sink element never stalls or stops the source.

Direct, when the sink says its input can take it (``GstElement.direct_input``:
the WebRtcEndpoint, whose input only goes to the network)::

    source pipeline:  tee ─request pad→ errorignore ─(across pipelines)→
    sink pipeline:    identity "gate" → element input

The source's streaming thread then runs the sink's send path itself, as an SFU
relays a publisher's packets to its subscribers on the publisher's thread: one
thread hand-off less per buffer and per link (bench/README.md: the measured gain).
The queue's isolation is kept by other means: ``errorignore`` turns an error the
sink returns (not-negotiated, error, not-linked) into OK, so the tee goes on to the
other sinks; such a sink never blocks (it opens its input only once its transport
sends, and a transcoder in it runs behind its own queue, ``webrtc_media``); and it
never returns FLUSHING while linked, as every bridge is unlinked before its
pipeline stops (``GstElement._close``).

Why the gate: proxysink/proxysrc forward *every* query and upstream event as if
the two pipelines were one. In a ring a→b→c→a a caps query, a RECONFIGURE or a
latency query then travels round forever and the process dies of stack overflow
(measured: SIGSEGV when the third link of a 3-ring is made). Python cannot answer
a query itself (PyGObject holds extra references, so it is not writable), so the
gate only passes or drops, and native code answers:

* ACCEPT_CAPS stops at the gate ``identity``: basetransform answers it from its
  templates without asking downstream (the element input decides later);
* downstream queries leaving the gate (CAPS, ALLOCATION, ...) are dropped; a
  failed CAPS query reads as ANY, so each element negotiates on its own;
* upstream LATENCY queries and CUSTOM_UPSTREAM events (GstForceKeyUnit, i.e.
  keyframe requests) pass, unless the engine marked the bridge as part of a
  ring (:func:`mark_rings`), where they would come back to it;
* every other upstream event (RECONFIGURE, QOS, LATENCY, SEEK...) and query stops.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ..contract import MediaKind
from ._gst import Gst, make_element

if TYPE_CHECKING:
    from .element import GstElement

log = logging.getLogger(__name__)

_ids = itertools.count(1)
IDLE_WAIT = 2.0  # seconds to wait for the tee pad to go idle before unlinking anyway
_GATE_PROBE = (
    Gst.PadProbeType.QUERY_DOWNSTREAM
    | Gst.PadProbeType.QUERY_UPSTREAM
    | Gst.PadProbeType.EVENT_UPSTREAM
)


class Bridge:
    """A :class:`~kurento.engine.contract.Link` made of proxysink → proxysrc → gate."""

    def __init__(
        self,
        source: GstElement,
        sink: GstElement,
        kind: MediaKind,
        after: Iterable[Bridge] = (),
    ) -> None:
        self.source = source
        self.sink = sink
        self.kind = kind
        self.name = f"bridge{next(_ids)}"
        # Read by the gate probe on streaming threads; set on the loop by mark_rings.
        self.in_ring = False
        self._tee: Any = source.output_tee(kind)
        self._input: Any = sink.input_pad(kind)
        self._teepad: Any = None
        self._out: Any = None  # proxysink, or errorignore when direct: in the source pipeline
        self._proxysrc: Any = None  # None when direct
        self._gate: Any = None
        self._gate_probe = 0
        self._unlinking: asyncio.Task[None] | None = None
        # Bridges into the same input that must be gone before this one is built.
        self._after = [old.start_unlink() for old in after]
        source.runtime.rings.add(self)
        self._built = source.runtime.loop.create_task(self._build())

    def __repr__(self) -> str:
        return f"<Bridge {self.name} {self.source.name}→{self.sink.name} {self.kind.value}>"

    async def unlink(self) -> None:
        """Remove the bridge (idempotent); awaits its construction first."""
        await asyncio.shield(self.start_unlink())

    def start_unlink(self) -> asyncio.Task[None]:
        """Begin removing the bridge now, from synchronous code; idempotent."""
        if self._unlinking is None:
            self._unlinking = self.source.runtime.loop.create_task(self._unlink())
        return self._unlinking

    @property
    def unlinking(self) -> bool:
        return self._unlinking is not None

    def dot_endpoints(self) -> tuple[str, str]:
        """GStreamer object names of the two ends, to draw the edge between pipelines."""
        return f"{self.name}_out", f"{self.name}_gate" if self.direct else f"{self.name}_in"

    async def _build(self) -> None:
        for previous in self._after:
            await asyncio.shield(previous)
        await self.source.started()
        await self.sink.started()
        if self._unlinking is None:
            await self.source.runtime.worker.run(f"link {self!r}", self._build_sync)

    async def _unlink(self) -> None:
        try:
            await asyncio.shield(self._built)
            await self.source.runtime.worker.run(f"unlink {self!r}", self._teardown_sync)
        finally:
            self.source.forget_link(self)
            self.sink.forget_link(self)
            self.source.runtime.rings.discard(self)

    @property
    def direct(self) -> bool:
        """Built (or to be built) without a queue: see the module docstring."""
        # Never part of a ring: what enters such a sink goes nowhere onward. Not for
        # data channels, whose send path may wait on the peer's SCTP window.
        return (self.sink.direct_input and self.kind is not MediaKind.DATA
                and not list(self.sink.routes(self.kind)))

    def _build_sync(self) -> None:
        """Worker thread: sink side first, so the first buffer finds a PLAYING sink."""
        gate = Gst.ElementFactory.make("identity", f"{self.name}_gate")
        self._gate = gate
        gate_src = gate.get_static_pad("src")
        self._gate_probe = gate_src.add_probe(_GATE_PROBE, _gate, self)
        self.sink.pipeline.add(gate)
        if gate_src.link(self._input) != Gst.PadLinkReturn.OK:
            raise RuntimeError(f"{self!r}: sink input for {self.kind.value} already linked")
        gate.sync_state_with_parent()
        if self.direct:
            out = make_element("errorignore", f"{self.name}_out", ignore_error=True,
                               ignore_notnegotiated=True, ignore_notlinked=True,
                               convert_to=Gst.FlowReturn.OK)
            self._out = out
            self.source.pipeline.add(out)
            # Across pipelines: the hierarchy check would refuse it.
            linked = out.get_static_pad("src").link_full(gate.get_static_pad("sink"),
                                                         Gst.PadLinkCheck.NOTHING)
            if linked != Gst.PadLinkReturn.OK:
                raise RuntimeError(f"{self!r}: cannot link across the pipelines ({linked})")
        else:
            out = Gst.ElementFactory.make("proxysink", f"{self.name}_out")
            proxysrc = Gst.ElementFactory.make("proxysrc", f"{self.name}_in")
            proxysrc.set_property("proxysink", out)
            _make_leaky(proxysrc)
            self._out, self._proxysrc = out, proxysrc
            self.sink.pipeline.add(proxysrc)
            proxysrc.link(gate)
            proxysrc.sync_state_with_parent()
            self.source.pipeline.add(out)
        out.sync_state_with_parent()
        self._teepad = self._tee.request_pad_simple("src_%u")
        self._teepad.link(out.get_static_pad("sink"))

    def _teardown_sync(self) -> None:
        """Worker thread: stop the data at the tee first, then dismantle both halves."""
        if self._teepad is not None:
            _unlink_when_idle(self._teepad, repr(self))
            self._tee.release_request_pad(self._teepad)
            self._teepad = None
        if self._out is not None:
            _remove(self._out)  # out of its bin: unlinked from a direct gate too
            self._out = None
        if self._proxysrc is not None:
            _remove(self._proxysrc)  # NULL stops the bridge's queue thread
            self._proxysrc = None
        if self._gate is not None:
            gate_src = self._gate.get_static_pad("src")
            if self._gate_probe:
                gate_src.remove_probe(self._gate_probe)  # the probe holds a reference to us
                self._gate_probe = 0
            _remove(self._gate)
            if gate_src.get_peer() is not None:
                gate_src.unlink(self._input)
            self._gate = None


class RingWatch:
    """The bridges of one MediaPipeline, re-marked (:func:`mark_rings`) on every change.

    A bridge is added before it is built and removed after it is torn down, so
    a ring is known before it closes and until it is fully open again.
    """

    def __init__(self) -> None:
        self._bridges: set[Bridge] = set()

    def add(self, bridge: Bridge) -> None:
        self._bridges.add(bridge)
        mark_rings(self._bridges)

    def discard(self, bridge: Bridge) -> None:
        self._bridges.discard(bridge)
        mark_rings(self._bridges)


def mark_rings(bridges: Iterable[Bridge]) -> None:
    """Set ``in_ring`` on each bridge whose upstream items could travel back to it.

    Walks downstream from each bridge's sink input, through the elements' own
    routes (:meth:`GstElement.routes`) and the other bridges; a bridge that
    reaches itself is in a ring, and its gate drops what would circle.
    """
    all_bridges = list(bridges)
    by_source: dict[tuple[int, MediaKind], list[Bridge]] = {}
    for bridge in all_bridges:
        by_source.setdefault((id(bridge.source), bridge.kind), []).append(bridge)
    for bridge in all_bridges:
        bridge.in_ring = _reaches(bridge, by_source)


def _reaches(start: Bridge, by_source: dict[tuple[int, MediaKind], list[Bridge]]) -> bool:
    seen: set[tuple[int, MediaKind]] = set()
    stack = [(start.sink, start.kind)]
    while stack:
        element, kind = stack.pop()
        if (id(element), kind) in seen:
            continue
        seen.add((id(element), kind))
        for out_kind in element.routes(kind):
            for bridge in by_source.get((id(element), out_kind), []):
                if bridge is start:
                    return True
                stack.append((bridge.sink, out_kind))
    return False


def _remove(element: Any) -> None:
    element.set_state(Gst.State.NULL)
    parent = element.get_parent()
    if parent is not None:
        parent.remove(element)


def _make_leaky(proxysrc: Any) -> None:
    """Let the bridge drop old buffers rather than block the source's streaming thread."""
    for child in proxysrc.children:
        factory = child.get_factory()
        if factory is not None and factory.get_name() == "queue":
            child.set_property("leaky", 2)  # downstream: drop the oldest
            return
    log.warning("proxysrc has no internal queue; bridge is not leaky")


def _unlink_when_idle(teepad: Any, what: str) -> None:
    """Unlink ``teepad`` from its peer between two buffers (IDLE probe)."""
    done = threading.Event()

    def on_idle(pad: Any, _info: Any) -> Any:
        peer = pad.get_peer()
        if peer is not None:
            pad.unlink(peer)
        done.set()
        return Gst.PadProbeReturn.REMOVE

    teepad.add_probe(Gst.PadProbeType.IDLE, on_idle)
    if not done.wait(IDLE_WAIT):
        log.warning("%s: tee pad never went idle; unlinking anyway", what)
        peer = teepad.get_peer()
        if peer is not None:
            teepad.unlink(peer)


def _gate(_pad: Any, info: Any, bridge: Bridge) -> Any:
    """The gate probe (module docstring): only passes or drops, never edits."""
    if info.type & Gst.PadProbeType.EVENT_UPSTREAM:
        passes = info.get_event().type == Gst.EventType.CUSTOM_UPSTREAM
    elif info.type & Gst.PadProbeType.QUERY_UPSTREAM:
        passes = info.get_query().type == Gst.QueryType.LATENCY
    else:
        passes = False
    if passes and not bridge.in_ring:
        return Gst.PadProbeReturn.OK
    return Gst.PadProbeReturn.DROP
