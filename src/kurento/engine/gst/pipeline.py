"""One MediaPipeline: a clock domain shared by its elements' own pipelines."""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Callable
from typing import TypeVar

from ..contract import ElementListener
from . import dot
from ._gst import Gst
from .bridge import RingWatch
from .element import GstElement
from .elements import FACTORIES
from .runtime import Runtime, Worker

log = logging.getLogger(__name__)

E = TypeVar("E", bound=GstElement)


class GstPipelineEngine:
    """Creates elements that share one clock and base time, and tears them down."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        worker: Worker,
        name: str,
        on_closed: Callable[[GstPipelineEngine], None] | None = None,
    ) -> None:
        clock = Gst.SystemClock.obtain()
        # Every element pipeline gets this base time: running times agree across
        # bridges, whenever an element is created.
        self.runtime = Runtime(loop, worker, clock, int(clock.get_time()), RingWatch())
        self.name = name
        self._elements: dict[str, GstElement] = {}
        self._ids = itertools.count(1)
        self._on_closed = on_closed
        self._close_task: asyncio.Task[None] | None = None
        self.latency_stats = False

    def __repr__(self) -> str:
        return f"<GstPipelineEngine {self.name}>"

    def create_element(self, factory: str, listener: ElementListener) -> GstElement:
        try:
            cls = FACTORIES[factory]
        except KeyError:
            raise ValueError(f"unknown media element type: {factory!r}") from None
        return self.create_element_of(cls, listener)

    def create_element_of(self, cls: type[E], listener: ElementListener) -> E:
        """Create an element of any :class:`GstElement` subclass (tests, internal sources)."""
        if self._close_task is not None:
            raise RuntimeError(f"{self!r} is closed")
        name = f"{self.name}-{cls.factory or cls.__name__}{next(self._ids)}"
        element = cls(self.runtime, name, listener)
        element.on_closed(self._forget)
        self._elements[name] = element
        return element

    def elements(self) -> list[GstElement]:
        return list(self._elements.values())

    def gstreamer_dot(self, details: str) -> str:
        elements = self.elements()
        parts = [(e.name, e.gstreamer_dot(details)) for e in elements]
        bridges = {b for e in elements for b in e.links()}
        return dot.combine(self.name, parts, [b.dot_endpoints() for b in bridges])

    def set_latency_stats(self, enabled: bool) -> None:
        # Recorded only: no latency probes are installed yet.
        self.latency_stats = enabled

    async def close(self) -> None:
        if self._close_task is None:
            self._close_task = self.runtime.loop.create_task(self._close())
        await asyncio.shield(self._close_task)

    async def _close(self) -> None:
        elements = self.elements()
        # All bridges first: no element pipeline goes to NULL while another still feeds it.
        await asyncio.gather(*(b.unlink() for e in elements for b in e.links()))
        await asyncio.gather(*(e.close() for e in elements))
        if self._on_closed is not None:
            self._on_closed(self)

    def _forget(self, element: GstElement) -> None:
        self._elements.pop(element.name, None)
