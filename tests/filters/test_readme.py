"""The README of kurento.filters works as written."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from kurento.filters.examples import Sepia
from kurento.server.app import MediaServer

README = Path(__file__).resolve().parents[2] / "src" / "kurento" / "filters" / "README.md"


def blocks() -> list[str]:
    """The README's Python blocks, top-level or indented in a list item."""
    found = re.findall(r"^( *)```python\n(.*?)^\1```", README.read_text(), re.S | re.M)
    return [textwrap.dedent(code) for _indent, code in found]


def test_the_filter_example_is_the_shipped_sepia() -> None:
    namespace: dict[str, Any] = {}
    exec(blocks()[0], namespace)
    readme_sepia = namespace["Sepia"]
    frame = np.random.default_rng(1).integers(0, 256, (24, 32, 3), dtype=np.uint8)
    ours = readme_sepia().process(frame.copy(), 0)
    shipped = Sepia().process(frame.copy(), 0)
    assert ours.shape == frame.shape and ours.dtype == np.uint8
    assert np.abs(ours.astype(int) - shipped.astype(int)).max() <= 1
    assert readme_sepia.name == Sepia.name


@pytest.mark.gst
async def test_the_client_example_runs(server: MediaServer) -> None:
    namespace: dict[str, Any] = {}
    exec(blocks()[-1], namespace)
    await namespace["mirror"](server.url)


def test_the_audio_example_doubles_and_saturates() -> None:
    namespace: dict[str, Any] = {}
    exec(next(block for block in blocks() if "AudioFilter" in block), namespace)
    samples = np.array([[1000, -1000], [20000, -20000]], dtype=np.int16)
    louder = namespace["Louder"]()
    out = np.clip(louder.process(samples.copy(), 0), -32768, 32767).astype(np.int16)
    assert out.tolist() == [[2000, -2000], [32767, -32768]]
