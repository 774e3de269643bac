"""encoderBitrate, min/maxEncoderBitrate and REMB on the encoders an element makes
(engine.gst.encoder_rate), measured on the encoded video leaving a GStreamerFilter."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from kurento.engine.contract import EncoderBitrateControl, MediaKind
from kurento.engine.gst import GstMediaEngine
from kurento.engine.gst._gst import Gst
from kurento.engine.gst.element import GstElement
from kurento.engine.gst.encoder_rate import EncoderRate, bounded
from kurento.engine.gst.filter import GStreamerFilterElement
from kurento.engine.gst.pipeline import GstPipelineEngine
from kurento.engine.gst.webrtc_remb import remb_event
from kurento.engine.recording import PROFILES

from ..filters.media import FilterRecorder
from .helpers import wait_until
from .test_recorder import make_recorder

pytestmark = pytest.mark.gst

WINDOW = 2.5  # s of encoded video measured


class MovingSource(GstElement):
    """A moving zone plate, 320x240 at 15 fps: vp8enc meets targets from 150 kbps to 1
    Mbps on it (measured); notes the REMB events reaching its output (none should)."""

    factory = "MovingSource"
    __test__ = False

    def build(self) -> None:
        self.seen: list[int] = []
        source = self.make("videotestsrc", is_live=True, kx2=20, ky2=20, kt=3)
        Gst.util_set_object_arg(source, "pattern", "zone-plate")
        caps = self.make("capsfilter", caps=Gst.Caps.from_string(
            "video/x-raw,format=I420,width=320,height=240,framerate=15/1"))
        source.link(caps)
        caps.get_static_pad("src").add_probe(Gst.PadProbeType.EVENT_UPSTREAM, self._on_event)
        self.add_output(MediaKind.VIDEO, caps.get_static_pad("src"))

    def _on_event(self, _pad: Any, info: Any) -> Any:
        structure = info.get_event().get_structure()
        if structure is not None and structure.get_name() == "kurento-remb":
            self.seen.append(structure.get_value("bitrate"))
        return Gst.PadProbeReturn.OK


class ByteSink(GstElement):
    """Counts the bytes of the encoded video reaching its input; heard upstream events."""

    factory = "ByteSink"
    __test__ = False

    def build(self) -> None:
        self._lock = threading.Lock()
        self._bytes = 0
        self.upstream: list[str] = []
        entry = self.make("identity", "video_in")
        sink = self.make("fakesink", sync=False, async_=False)
        entry.link(sink)
        self.pad = entry.get_static_pad("sink")
        self.pad.add_probe(Gst.PadProbeType.BUFFER, self._on_buffer)
        self.add_input(MediaKind.VIDEO, self.pad)

    def _on_buffer(self, _pad: Any, info: Any) -> Any:
        with self._lock:
            self._bytes += info.get_buffer().get_size()
        return Gst.PadProbeReturn.OK

    def total(self) -> int:
        with self._lock:
            return self._bytes

    async def bitrate(self, seconds: float = WINDOW) -> int:
        """bps received over the next ``seconds``."""
        first, start = self.total(), time.monotonic()
        await asyncio.sleep(seconds)
        return int((self.total() - first) * 8 / (time.monotonic() - start))

    def remb(self, bitrate: int, origin: str = "viewer") -> None:
        """What a WebRtcEndpoint's RembRelay does with its peer's REMB."""
        self.pad.push_event(remb_event(bitrate, origin))


@pytest.fixture
async def pipeline(engine: GstMediaEngine) -> GstPipelineEngine:
    return engine.create_pipeline("bitrates")


def flip(pipeline: GstPipelineEngine, source: GstElement, *bitrates: int) -> tuple[
        GStreamerFilterElement, ByteSink]:
    """source → GStreamerFilter videoflip (with ``bitrates`` set first) → ByteSink."""
    element = pipeline.create_element_of(GStreamerFilterElement, FilterRecorder())
    assert isinstance(element, EncoderBitrateControl)
    element.configure_command("videoflip method=horizontal-flip", "VIDEO")
    if bitrates:
        element.set_encoder_bitrates(*bitrates)
    sink = pipeline.create_element_of(ByteSink, FilterRecorder())
    source.link(element, MediaKind.VIDEO)
    element.link(sink, MediaKind.VIDEO)
    return element, sink


def encoder_target(element: GStreamerFilterElement) -> int:
    [encoder] = [e for e in element.pipeline.iterate_elements()
                 if e.get_factory().get_name() == "vp8enc"]
    return int(encoder.get_property("target-bitrate"))


def test_bounds() -> None:
    assert bounded(300_000, 0, 0) == 300_000
    assert bounded(300_000, 0, 200_000) == 200_000
    assert bounded(50_000, 100_000, 0) == 100_000
    assert bounded(50_000, 100_000, 80_000) == 100_000  # the floor wins a conflict


async def test_encoder_bitrate_sets_what_the_filter_sends(pipeline: GstPipelineEngine) -> None:
    source = pipeline.create_element_of(MovingSource, FilterRecorder())
    low, low_sink = flip(pipeline, source, 150_000, 0, 0)
    high, high_sink = flip(pipeline, source, 1_000_000, 0, 0)
    plain, plain_sink = flip(pipeline, source)  # Kurento's default: 300 kbps
    await wait_until(lambda: min(s.total() for s in (low_sink, high_sink, plain_sink)) > 0,
                     timeout=8)
    await asyncio.sleep(1.0)  # past the first keyframes
    rates = await asyncio.gather(*(s.bitrate() for s in (low_sink, high_sink, plain_sink)))
    print("encoded video bps at 150k / 1M / default:", rates)
    assert (encoder_target(low), encoder_target(high), encoder_target(plain)) == (
        150_000, 1_000_000, 300_000)
    low_rate, high_rate, plain_rate = rates
    # CBR from the first keyframes on: within a window the mean is a little under target.
    assert 50_000 < low_rate < 225_000
    assert 600_000 < high_rate < 1_400_000
    assert 150_000 < plain_rate < 450_000
    assert high_rate > 3.5 * low_rate and low_rate < plain_rate < high_rate


async def test_live_change_and_bounds(pipeline: GstPipelineEngine) -> None:
    source = pipeline.create_element_of(MovingSource, FilterRecorder())
    element, sink = flip(pipeline, source, 1_000_000, 0, 400_000)  # capped at once
    await wait_until(lambda: sink.total() > 0, timeout=8)
    assert encoder_target(element) == 400_000
    element.set_encoder_bitrates(1_000_000, 600_000, 0)  # live: a floor above the target
    await wait_until(lambda: encoder_target(element) == 1_000_000)
    element.set_encoder_bitrates(100_000, 200_000, 0)
    await wait_until(lambda: encoder_target(element) == 200_000)


async def test_remb_from_downstream_moves_the_encoder(pipeline: GstPipelineEngine) -> None:
    """Two consumers: the encoder follows the lower REMB, within the bounds, and the
    estimate goes no further upstream (the source's stream is decoded here)."""
    source = pipeline.create_element_of(MovingSource, FilterRecorder())
    element, sink = flip(pipeline, source, 800_000, 120_000, 600_000)
    other = pipeline.create_element_of(ByteSink, FilterRecorder())
    element.link(other, MediaKind.VIDEO)
    await wait_until(lambda: sink.total() > 0 and other.total() > 0, timeout=8)
    await asyncio.sleep(1.0)
    assert encoder_target(element) == 600_000  # the ceiling
    before = await sink.bitrate(2.0)
    sink.remb(150_000, "a")
    other.remb(2_000_000, "b")
    assert encoder_target(element) == 150_000  # at once: set on the event's thread
    sink.remb(140_000, "a")  # within 10 % and 1 s: not worth a change yet
    assert encoder_target(element) == 150_000
    after = await sink.bitrate()
    print(f"encoded video bps before / after a 150 kbps REMB: {before} / {after}")
    assert after < before * 0.45
    assert after < 230_000
    sink.remb(50_000, "a")  # under the floor
    assert encoder_target(element) == 120_000
    sink.remb(5_000_000, "a")  # above the ceiling (and the other consumer's estimate)
    assert encoder_target(element) == 600_000
    assert source.seen == []  # the REMB stopped at the filter's encoder


def test_rate_without_encoders_follows_knobs() -> None:
    rate = EncoderRate(None, "no encoders")  # type: ignore[arg-type]
    rate.configure(500_000, 0, 200_000)
    assert rate.current == 200_000
    rate.on_remb("x", 100_000)
    assert rate.current == 100_000
    # An endpoint's send knobs narrow the range further (the tighter bound wins).
    rate.set_send_range(150_000, 180_000)
    assert rate.current == 150_000
    rate.on_remb("x", 5_000_000)
    assert rate.current == 180_000
    rate.configure(500_000, 0, 0)
    assert rate.current == 180_000
    rate.set_send_range(0, 0)
    assert rate.current == 5_000_000  # the viewer's estimate, unbounded


@pytest.mark.parametrize(("profile", "encoder"), [("WEBM_VIDEO_ONLY", "vp8enc"),
                                                  ("MP4_VIDEO_ONLY", "x264enc")])
async def test_recorder_transcodes_at_the_encoder_bitrate(
    pipeline: GstPipelineEngine, tmp_path: Path, profile: str, encoder: str
) -> None:
    """Raw video into two recorders: the file at 1 Mbps is far bigger than at 150 kbps."""
    source = pipeline.create_element_of(MovingSource, FilterRecorder())
    sizes = []
    recorders = []
    for bitrate in (150_000, 1_000_000):
        path = tmp_path / f"{bitrate}.{PROFILES[profile].container}"
        recorder, events = make_recorder(pipeline, path, profile)
        recorder.set_encoder_bitrates(bitrate, 0, 0)
        source.link(recorder, MediaKind.VIDEO)
        recorders.append((recorder, events, path))
    for recorder, _events, _path in recorders:
        recorder.record()
    await wait_until(lambda: all(events.recording for _, events, _ in recorders), timeout=8)
    await asyncio.sleep(2.5)
    for (recorder, _events, path), bitrate in zip(recorders, (150_000, 1_000_000), strict=True):
        [made] = [e for e in recorder.pipeline.iterate_recurse()
                  if e.get_factory().get_name() == encoder]
        unit, name = (1, "target-bitrate") if encoder == "vp8enc" else (1000, "bitrate")
        assert made.get_property(name) == bitrate // unit
        await recorder.stop()
        sizes.append(path.stat().st_size)
    print(f"{profile} bytes at 150k / 1M: {sizes}")
    assert sizes[1] > 2.5 * sizes[0]  # vp8enc's VBR undershoots the higher target
    assert sizes[0] * 8 / 2.5 < 300_000  # about 150 kbps (headers and the start included)
