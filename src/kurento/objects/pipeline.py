"""MediaPipeline: one media engine pipeline (a clock domain) holding elements and hubs."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kurento.engine.contract import PipelineEngine
from kurento.objects.base import MediaObject

if TYPE_CHECKING:
    from kurento.objects.element import ElementLink


class MediaPipeline(MediaObject):
    TYPE = "MediaPipeline"

    engine_pipeline: PipelineEngine

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.latency_stats = False
        # Every live media link between elements of this pipeline.
        self.links: list[ElementLink] = []
        self.lock = asyncio.Lock()

    async def start(self) -> None:
        self.engine_pipeline = self.context.engine.create_pipeline(self.id)

    async def release_media(self) -> None:
        await self.engine_pipeline.close()

    def get_latency_stats(self) -> bool:
        return self.latency_stats

    def set_latency_stats(self, latency_stats: bool) -> None:
        self.latency_stats = latency_stats
        self.engine_pipeline.set_latency_stats(latency_stats)

    def get_gstreamer_dot(self, details: str | None = None) -> str:
        return self.engine_pipeline.gstreamer_dot(details or "SHOW_ALL")

    def dump_gstreamer_dot(self, details: str | None = None) -> None:
        write_dot_file(self.id, self.get_gstreamer_dot(details))


def write_dot_file(object_id: str, dot: str) -> None:
    """KMS writes into $GST_DEBUG_DUMP_DOT_DIR, named after the object; nothing if unset."""
    directory = os.environ.get("GST_DEBUG_DUMP_DOT_DIR")
    if directory:
        safe = object_id.replace("/", "_")
        Path(directory, f"{safe}.dot").write_text(dot, encoding="utf-8")
