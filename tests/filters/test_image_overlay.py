"""ImageOverlayFilter: images drawn where asked; URIs confined like a player's."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from kurento.client import ImageOverlayFilter, KurentoClient, MediaPipeline
from kurento.engine.contract import MediaKind
from kurento.engine.gst.filter_overlay import ImageOverlayElement
from kurento.engine.gst.pipeline import GstPipelineEngine
from kurento.filters.overlay import Placement
from kurento.protocol.errors import KurentoError

from ..engine.helpers import wait_until
from .media import FilterRecorder, FrameSink, pattern_source

pytestmark = pytest.mark.gst


@pytest.fixture
def red_png(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("overlay") / "red.png"  # under /tmp: a media root
    subprocess.run(["gst-launch-1.0", "-q", "videotestsrc", "pattern=red", "num-buffers=1", "!",
                    "video/x-raw,width=20,height=10", "!", "pngenc", "!", "filesink",
                    f"location={path}"], check=True)
    yield path


async def test_image_drawn_in_its_box_then_removed(
    engine_pipeline: GstPipelineEngine, red_png: Path
) -> None:
    src = engine_pipeline.create_element_of(pattern_source("black", encode=True),
                                            FilterRecorder())
    element = engine_pipeline.create_element_of(ImageOverlayElement, FilterRecorder())
    sink = engine_pipeline.create_element_of(FrameSink, FilterRecorder())
    src.link(element, MediaKind.VIDEO)
    element.link(sink, MediaKind.VIDEO)
    await element.add_image("logo", str(red_png), Placement(0.5, 0.0, 0.5, 0.5, False, False))
    start = sink.frames()
    await wait_until(lambda: sink.frames() >= start + 8, timeout=8)
    frame = sink.frame().astype(np.int32)  # 160x120: the box is x 80..160, y 0..60
    inside, outside = frame[10:50, 90:150], frame[70:110, 10:70]
    assert inside[..., 0].mean() > 180 and inside[..., 1:].mean() < 60
    assert outside.mean() < 40
    element.remove_image("logo")
    start = sink.frames()
    await wait_until(lambda: sink.frames() >= start + 8, timeout=8)
    assert sink.frame().astype(np.int32)[10:50, 90:150].mean() < 40


async def test_uris_are_confined(client: KurentoClient, red_png: Path) -> None:
    pipeline = await MediaPipeline.create(client)
    overlay = await ImageOverlayFilter.create(pipeline)
    await overlay.add_image("a", red_png.as_uri(), 0.1, 0.1, 0.2, 0.2, True, True)
    for uri in ["file:///etc/hostname", "http://127.0.0.1/x.png",
                red_png.with_name("missing.png").as_uri()]:
        with pytest.raises(KurentoError) as refused:
            await overlay.add_image("b", uri, 0.1, 0.1, 0.2, 0.2, True, True)
        assert refused.value.code == 40600, uri
    await overlay.remove_image("a")
    await overlay.remove_image("never-added")
    await pipeline.release()
