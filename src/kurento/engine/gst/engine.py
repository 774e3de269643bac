"""The GStreamer implementation of :class:`kurento.engine.contract.MediaEngine`."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from ._gst import ensure_init
from .pipeline import GstPipelineEngine
from .runtime import Worker

log = logging.getLogger(__name__)


class GstMediaEngine:
    """Factory of pipelines; owns the worker threads that do blocking GStreamer work.

    ``teardown_timeout`` is the watchdog for each awaited blocking call (state
    change, link, unlink, close): past it the call is logged and abandoned.
    """

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        *,
        teardown_timeout: float = 5.0,
        max_workers: int = 8,
    ) -> None:
        ensure_init()
        self._loop = loop
        self._worker = Worker(timeout=teardown_timeout, max_workers=max_workers)
        self._pipelines: set[GstPipelineEngine] = set()
        self._shut_down = False

    def create_pipeline(self, name: str) -> GstPipelineEngine:
        if self._shut_down:
            raise RuntimeError("media engine is shut down")
        pipeline = GstPipelineEngine(self._loop, self._worker, name, self._pipelines.discard)
        self._pipelines.add(pipeline)
        return pipeline

    def pipelines(self) -> list[GstPipelineEngine]:
        return list(self._pipelines)

    async def shutdown(self) -> None:
        """Close every pipeline, then let the worker threads go."""
        self._shut_down = True
        await asyncio.gather(*(p.close() for p in self.pipelines()))
        self._worker.shutdown()


if TYPE_CHECKING:
    # mypy checks here that the classes satisfy the control plane's protocols.
    from ..contract import ElementEngine, MediaEngine, PipelineEngine
    from .element import GstElement

    def _conforms(
        engine: GstMediaEngine, pipeline: GstPipelineEngine, element: GstElement
    ) -> tuple[MediaEngine, PipelineEngine, ElementEngine]:
        return engine, pipeline, element
