"""The base of every element's media part: one ``GstPipeline`` per element.

Giving each Kurento element its own pipeline is what makes GStreamer-level
cycles impossible (notes §5.7): pads are only ever linked inside one element,
and elements meet only through :class:`~kurento.engine.gst.bridge.Bridge`.

A subclass fills :meth:`GstElement.build` with its own GStreamer content and
declares, per media kind, the pad where incoming media enters
(:meth:`~GstElement.add_input`) and the pad whose media it sends out
(:meth:`~GstElement.add_output`, which puts the output ``tee`` behind it)::

    bridge proxysrc → [input pad] your content [output pad] → tee → bridges

Content must not preroll (sinks ``async=false``): inputs come and go while the
pipeline is PLAYING.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from typing import Any, ClassVar

from ..contract import ElementEngine, ElementListener, Link, MediaKind
from . import dot
from ._gst import Gst, make_element
from .bridge import Bridge
from .bus import BusWatch
from .flow import FlowMonitor
from .runtime import Runtime

log = logging.getLogger(__name__)


class NullLink:
    """A link that carries nothing: a kind one side does not have (e.g. DATA on a sink)."""

    async def unlink(self) -> None:
        return None


class GstElement:
    """One element's own pipeline, its inputs and output tees, flow events and errors."""

    factory: ClassVar[str] = ""  # Kurento type name, e.g. "PassThrough"
    # True: a source may link straight into our inputs, its streaming thread running
    # our input path (bridge.py, "direct"). Only for inputs that never block and go
    # nowhere onward; every other element gets a queued bridge.
    direct_input: ClassVar[bool] = False

    def __init__(self, runtime: Runtime, name: str, listener: ElementListener) -> None:
        self.runtime = runtime
        self.name = name
        self.listener = listener
        self.pipeline: Any = Gst.Pipeline.new(name)
        runtime.share_clock(self.pipeline)
        self._inputs: dict[MediaKind, Any] = {}
        self._outputs: dict[MediaKind, Any] = {}
        self._links: set[Bridge] = set()
        self._on_closed: Callable[[GstElement], None] | None = None
        self._close_task: asyncio.Task[None] | None = None
        self.build()
        self._flow = FlowMonitor(runtime, self._on_flow)
        # No MediaFlowIn/Out for DATA: KMS reports flow for audio and video only.
        for kind, pad in self._inputs.items():
            if kind is not MediaKind.DATA:
                self._flow.watch(kind, pad, inbound=True)
        for kind, tee in self._outputs.items():
            if kind is not MediaKind.DATA:
                self._flow.watch(kind, tee.get_static_pad("sink"), inbound=False)
        self._bus = BusWatch(runtime, self.pipeline, self._on_error, self._on_latency)
        self._flow.start()
        self._start_task = runtime.loop.create_task(self._start())

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"

    # -- for subclasses -------------------------------------------------------

    def build(self) -> None:
        """Create the element's content; call :meth:`add_input` / :meth:`add_output`."""
        raise NotImplementedError

    def make(self, factory: str, name: str | None = None, **props: object) -> Any:
        """Create a GStreamer element, set ``props``, add it to our pipeline.

        Property names use ``_`` for ``-``; a trailing ``_`` escapes a keyword (``async_``).
        """
        element = make_element(factory, name, **props)
        self.pipeline.add(element)
        return element

    def add_input(self, kind: MediaKind, pad: Any) -> None:
        """Declare ``pad`` (an unlinked sink pad) as where ``kind`` media enters."""
        self._inputs[kind] = pad

    def add_output(self, kind: MediaKind, pad: Any) -> None:
        """Declare ``pad`` (a src pad) as ``kind`` output; a tee behind it feeds the links."""
        tee = self.make("tee", f"{kind.value.lower()}_out", allow_not_linked=True)
        if pad.link(tee.get_static_pad("sink")) != Gst.PadLinkReturn.OK:
            raise RuntimeError(f"{self!r}: cannot link {kind.value} output to its tee")
        self._outputs[kind] = tee

    def routes(self, kind: MediaKind) -> Iterable[MediaKind]:
        """Output kinds that media entering on input ``kind`` can reach inside this element.

        The engine uses it to find rings of links (see ``bridge.mark_rings``). The
        default assumes every input reaches every output, which is safe; an element
        whose input goes elsewhere (e.g. to the network) should say so.
        """
        return tuple(self._outputs) if kind in self._inputs else ()

    def teardown(self) -> None:
        """Worker thread, after the pipeline reached NULL: release what ``build`` took."""

    # -- used by the engine ---------------------------------------------------

    def input_pad(self, kind: MediaKind) -> Any:
        return self._inputs[kind]

    def output_tee(self, kind: MediaKind) -> Any:
        return self._outputs[kind]

    def links(self) -> list[Bridge]:
        return list(self._links)

    def on_closed(self, callback: Callable[[GstElement], None]) -> None:
        self._on_closed = callback

    async def started(self) -> None:
        await asyncio.shield(self._start_task)

    def forget_link(self, bridge: Bridge) -> None:
        self._links.discard(bridge)

    # -- ElementEngine --------------------------------------------------------

    def link(self, sink: ElementEngine, kind: MediaKind) -> Link:
        if not isinstance(sink, GstElement):
            raise TypeError(f"not an element of this engine: {sink!r}")
        if sink.runtime is not self.runtime:
            raise ValueError(f"{self!r} and {sink!r} are in different pipelines")
        if self._close_task is not None or sink._close_task is not None:
            raise RuntimeError(f"cannot link {self!r} to {sink!r}: closed")
        if kind not in self._outputs or kind not in sink._inputs:
            return NullLink()
        previous = [b for b in sink.links() if b.sink is sink and b.kind is kind]
        for old in previous:
            if not old.unlinking:
                # Kurento semantics: a new source replaces the sink's old one.
                log.warning("%r: %r replaces %r", sink, self, old)
        bridge = Bridge(self, sink, kind, after=previous)
        self._links.add(bridge)
        sink._links.add(bridge)
        return bridge

    def gstreamer_dot(self, details: str) -> str:
        return dot.pipeline_dot(self.pipeline, details)

    async def close(self) -> None:
        if self._close_task is None:
            self._close_task = self.runtime.loop.create_task(self._close())
        await asyncio.shield(self._close_task)

    # -- internals --------------------------------------------------------------

    async def _start(self) -> None:
        await self.runtime.worker.run(f"start {self!r}", self._play)

    def _play(self) -> None:
        if self.pipeline.set_state(Gst.State.PLAYING) == Gst.StateChangeReturn.FAILURE:
            raise RuntimeError(f"{self!r} failed to start")

    async def _close(self) -> None:
        await asyncio.gather(*(bridge.unlink() for bridge in self.links()))
        self._flow.stop()
        self._bus.stop()
        await asyncio.shield(self._start_task)
        await self.runtime.worker.run(f"close {self!r}", self._teardown_sync)
        if self._on_closed is not None:
            self._on_closed(self)

    def _teardown_sync(self) -> None:
        self.pipeline.set_state(Gst.State.NULL)
        # The bus handlers are Python closures held by C: disconnect them to free us.
        self._bus.close()
        self.teardown()

    def _on_flow(self, inbound: bool, kind: MediaKind, flowing: bool) -> None:
        """Loop thread; a listener that raises must not stop the flow timer."""
        try:
            if inbound:
                self.listener.on_media_flow_in(kind, "default", flowing)
            else:
                self.listener.on_media_flow_out(kind, "default", flowing)
        except Exception:
            log.exception("%r: flow listener failed", self)

    def _on_error(self, message: Any) -> None:
        """Posting thread: hand the error over to the listener on the loop."""
        error, debug = message.parse_error()
        source = message.src.get_name() if message.src is not None else "?"
        log.error("%r: %s (%s) [%s]", self, error.message, source, debug)
        description = (
            f"Error code {error.code}: {error.message}, source: {source}, element: {self.name}"
        )
        self.runtime.call_soon(self.listener.on_error, _error_type(error), error.code, description)

    def _on_latency(self) -> None:
        self.runtime.call_soon(self._recalculate_latency)

    def _recalculate_latency(self) -> None:
        if self._close_task is None:
            self.runtime.loop.create_task(
                self.runtime.worker.run(f"latency {self!r}", self.pipeline.recalculate_latency)
            )


def _error_type(error: Any) -> str:
    """Kurento's ``Error.type`` for a GStreamer GError (domain, code)."""
    if error.domain == "gst-resource-error-quark":
        return _RESOURCE_ERRORS.get(error.code, _UNEXPECTED)
    if error.domain == "gst-stream-error-quark":
        return _STREAM_ERRORS.get(error.code, _UNEXPECTED)
    return _UNEXPECTED


_UNEXPECTED = "UNEXPECTED_ELEMENT_ERROR"
_RESOURCE_ERRORS = {
    int(Gst.ResourceError.OPEN_READ): "RESOURCE_ERROR_OPEN",
    int(Gst.ResourceError.OPEN_WRITE): "RESOURCE_ERROR_OPEN",
    int(Gst.ResourceError.OPEN_READ_WRITE): "RESOURCE_ERROR_OPEN",
    int(Gst.ResourceError.WRITE): "RESOURCE_ERROR_WRITE",
    int(Gst.ResourceError.NO_SPACE_LEFT): "RESOURCE_ERROR_NO_SPACE_LEFT",
}
_STREAM_ERRORS = {
    int(Gst.StreamError.DECODE): "STREAM_ERROR_DECODE",
    int(Gst.StreamError.FAILED): "STREAM_ERROR_FAILED",
}
