"""ZBarFilter: codes read from a real VP8 clip, reported as KMS does, video passed through as is."""

from __future__ import annotations

import asyncio
import gc
import itertools
import threading
import time
import weakref
from typing import Any

import pytest

from kurento.client import (
    CodeFound,
    EndOfStream,
    KurentoClient,
    MediaPipeline,
    MediaProfileSpecType,
    MediaTranscodingStateChanged,
    MediaType,
    PlayerEndpoint,
    RecorderEndpoint,
    ZBarFilter,
)
from kurento.engine.contract import MediaKind
from kurento.engine.gst._gst import Gst
from kurento.engine.gst.element import GstElement
from kurento.engine.gst.filter_zbar import REPEAT_AFTER, CodeDeduplicator, ZBarElement
from kurento.engine.gst.pipeline import GstPipelineEngine
from kurento.engine.gst.player import PlayerElement
from kurento.engine.playing import PlayerConfig

from ..engine.helpers import Recorder, wait_until
from .qr_media import (
    FIRST_TEXT,
    SECOND_TEXT,
    QrClip,
    frame_digest,
    is_subsequence,
    qr_clip,
    vp8_frame_digests,
)

pytestmark = pytest.mark.gst

SECOND = int(Gst.SECOND)


@pytest.fixture(scope="module")
def clip() -> QrClip:
    return qr_clip()


# --- the reporting rule (no GStreamer) ----------------------------------------------------


def test_a_code_is_reported_when_new_or_a_second_later() -> None:
    codes = CodeDeduplicator()
    assert codes.is_new("QR-Code", "a", 5 * SECOND)
    assert not codes.is_new("QR-Code", "a", 5 * SECOND + 100_000_000)
    assert not codes.is_new("QR-Code", "a", 5 * SECOND + REPEAT_AFTER - 1)
    assert codes.is_new("QR-Code", "a", 5 * SECOND + REPEAT_AFTER)
    # Another symbol, or the same symbol in another symbology, is news at once...
    assert codes.is_new("QR-Code", "b", 6 * SECOND + 1)
    assert codes.is_new("EAN-13", "b", 6 * SECOND + 2)
    # ...and "the last one" is the last reported: back to "a" is news too.
    assert codes.is_new("EAN-13", "a", 6 * SECOND + 3)
    # A timestamp going back is "much later" in KMS's unsigned arithmetic.
    assert codes.is_new("EAN-13", "a", 1 * SECOND)


# --- engine: player → ZBarElement → sink -------------------------------------------------


class Codes(Recorder):
    """A CodeListener that keeps the codes, with the loop time they arrived."""

    def __init__(self) -> None:
        super().__init__()
        self.codes: list[tuple[str, str, float]] = []

    def on_code_found(self, code_type: str, value: str) -> None:
        self.codes.append((code_type, value, time.monotonic()))


class PlayerEvents(Recorder):
    def __init__(self) -> None:
        super().__init__()
        self.ends = 0
        self.transcoding: list[MediaKind] = []

    def on_end_of_stream(self) -> None:
        self.ends += 1

    def on_transcoding(self, kind: MediaKind, transcoding: bool) -> None:
        self.transcoding.append(kind)


class EncodedSink(GstElement):
    """A video input that keeps the caps and a digest of each frame (Python per buffer: tests)."""

    factory = "EncodedSink"
    __test__ = False

    def build(self) -> None:
        self._lock = threading.Lock()
        self._digests: list[str] = []
        self.sink = self.make("fakesink", sync=False, async_=False)
        pad = self.sink.get_static_pad("sink")
        pad.add_probe(Gst.PadProbeType.BUFFER, self._keep)
        self.add_input(MediaKind.VIDEO, pad)

    def _keep(self, _pad: Any, info: Any) -> Any:
        digest = frame_digest(info.get_buffer())
        with self._lock:
            self._digests.append(digest)
        return Gst.PadProbeReturn.OK

    def digests(self) -> list[str]:
        with self._lock:
            return list(self._digests)

    def caps(self) -> str:
        caps = self.sink.get_static_pad("sink").get_current_caps()
        return caps.to_string() if caps is not None else ""


def start_player(pipeline: GstPipelineEngine, clip: QrClip,
                 events: PlayerEvents | None = None) -> PlayerElement:
    player = pipeline.create_element("PlayerEndpoint", events or PlayerEvents())
    assert isinstance(player, PlayerElement)
    player.configure(PlayerConfig(uri=clip.uri))
    return player


def check_reports(codes: list[tuple[str, str, float]], clip: QrClip) -> None:
    """Both codes, in order, each reported again once a second (no more) while on screen."""
    values = [value for _type, value, _at in codes]
    assert {code_type for code_type, _value, _at in codes} == {"QR-Code"}, codes
    assert values[0] == FIRST_TEXT and values[-1] == SECOND_TEXT, values
    switch = values.index(SECOND_TEXT)
    assert set(values[:switch]) == {FIRST_TEXT} and set(values[switch:]) == {SECOND_TEXT}
    # On screen 2.5 s each, scanned ten times a second: at most 3 reports each (0, 1, 2 s).
    most = int(clip.seconds_each) + 1
    assert all(2 <= values.count(text) <= most for text in clip.texts), values
    for (_, before, at_before), (_, after, at_after) in itertools.pairwise(codes):
        if before == after:
            assert at_after - at_before >= 0.8, codes  # stream seconds, played in real time


async def test_engine_reads_both_codes_and_passes_the_vp8_through(
    engine_pipeline: GstPipelineEngine, clip: QrClip
) -> None:
    events = PlayerEvents()
    player = start_player(engine_pipeline, clip, events)
    codes = Codes()
    zbar = engine_pipeline.create_element_of(ZBarElement, codes)
    sink = engine_pipeline.create_element_of(EncodedSink, Recorder())
    player.link(zbar, MediaKind.VIDEO)
    zbar.link(sink, MediaKind.VIDEO)
    await player.play()
    await wait_until(lambda: events.ends == 1, timeout=len(clip.texts) * clip.seconds_each + 5)
    await asyncio.sleep(0.3)  # the scanner's last frames

    check_reports(codes.codes, clip)
    assert sink.caps().startswith("video/x-vp8")
    received, original = sink.digests(), vp8_frame_digests(clip.path)
    # The frames that left the filter are the file's frames, byte for byte, in order.
    assert len(received) >= len(original) * 0.9, (len(received), len(original))
    assert is_subsequence(received, original)
    assert events.transcoding == []  # so the clip's frames reach the filter as they are
    assert not events.errors and not codes.errors
    assert codes.states("out", MediaKind.VIDEO)[:1] == [True]


async def test_a_new_source_with_another_codec_is_read_too(
    engine_pipeline: GstPipelineEngine, clip: QrClip
) -> None:
    """H.264 source, then a VP8 one replaces it: the scanner swaps decoders, keeps reading."""
    codes = Codes()
    zbar = engine_pipeline.create_element_of(ZBarElement, codes)
    sink = engine_pipeline.create_element_of(EncodedSink, Recorder())
    zbar.link(sink, MediaKind.VIDEO)
    h264 = start_player(engine_pipeline, qr_clip("h264"))
    h264.link(zbar, MediaKind.VIDEO)
    await h264.play()
    await wait_until(lambda: [v for _t, v, _a in codes.codes] == [FIRST_TEXT], timeout=5)
    assert sink.caps().startswith("video/x-h264")
    vp8 = start_player(engine_pipeline, clip)
    vp8.link(zbar, MediaKind.VIDEO)  # replaces the H.264 source (Kurento semantics)
    await vp8.play()
    # The VP8 clip's second code, 2.5 s in (the H.264 clip never got that far).
    await wait_until(lambda: codes.codes[-1][1] == SECOND_TEXT, timeout=6)
    assert sink.caps().startswith("video/x-vp8")
    assert not codes.errors


class Vp9Source(GstElement):
    """Live VP9, which the scanner has no decoder for."""

    factory = "Vp9Source"
    __test__ = False

    def build(self) -> None:
        source = self.make("videotestsrc", is_live=True)
        caps = self.make("capsfilter", caps=Gst.Caps.from_string(
            "video/x-raw,format=I420,width=160,height=120,framerate=15/1"))
        encoder = self.make("vp9enc", deadline=1, cpu_used=8)
        source.link(caps)
        caps.link(encoder)
        self.add_output(MediaKind.VIDEO, encoder.get_static_pad("src"))


async def test_video_it_cannot_read_still_passes_and_reading_resumes(
    engine_pipeline: GstPipelineEngine, clip: QrClip
) -> None:
    """VP8, then VP9 (no decoder: passed on unread, no error, no stall), then VP8 again."""
    codes = Codes()
    zbar = engine_pipeline.create_element_of(ZBarElement, codes)
    sink = engine_pipeline.create_element_of(EncodedSink, Recorder())
    zbar.link(sink, MediaKind.VIDEO)
    first = start_player(engine_pipeline, clip)
    first.link(zbar, MediaKind.VIDEO)
    await first.play()
    await wait_until(lambda: len(codes.codes) == 1, timeout=5)
    vp9 = engine_pipeline.create_element_of(Vp9Source, Recorder())
    vp9.link(zbar, MediaKind.VIDEO)
    await wait_until(lambda: sink.caps().startswith("video/x-vp9"), timeout=5)
    passed = len(sink.digests())
    await wait_until(lambda: len(sink.digests()) >= passed + 15, timeout=5)
    assert len(codes.codes) == 1
    again = start_player(engine_pipeline, clip)
    again.link(zbar, MediaKind.VIDEO)
    await again.play()
    await wait_until(lambda: len(codes.codes) == 2, timeout=5)
    assert [code[:2] for code in codes.codes] == [("QR-Code", FIRST_TEXT)] * 2
    assert not codes.errors


async def test_without_a_consumer_it_still_reads_and_is_freed_when_closed(
    engine_pipeline: GstPipelineEngine, clip: QrClip
) -> None:
    player = start_player(engine_pipeline, clip)
    codes = Codes()
    zbar = engine_pipeline.create_element_of(ZBarElement, codes)
    player.link(zbar, MediaKind.VIDEO)
    await player.play()
    await wait_until(lambda: any(value == FIRST_TEXT for _t, value, _a in codes.codes), timeout=5)
    # Nothing builds up: the scan branch's queues are bounded and the output tee drops.
    for name in ("scan_backlog", "scan_latest"):
        queue = zbar.pipeline.get_by_name(name)
        assert queue.get_property("current-level-time") <= SECOND, name
    await player.stop()
    # Its probes and bus handler are closures held by C: closing must let it go.
    gone = weakref.ref(zbar)
    del zbar, queue
    await engine_pipeline.close()
    await wait_until(lambda: gc.collect() >= 0 and gone() is None, timeout=2.0)


# --- server and client ---------------------------------------------------------------------


async def test_client_gets_code_found_and_a_recording_of_the_untouched_video(
    client: KurentoClient, clip: QrClip, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Player (QR clip) → ZBarFilter → Recorder: CodeFound events, and the file has the
    clip's own VP8 frames (nothing was re-encoded)."""
    recording = tmp_path_factory.mktemp("zbar") / "passed.webm"  # under /tmp: a media root
    pipeline = await MediaPipeline.create(client)
    player = await PlayerEndpoint.create(pipeline, clip.uri)
    zbar = await ZBarFilter.create(pipeline)
    recorder = await RecorderEndpoint.create(pipeline, recording.as_uri(),
                                             media_profile=MediaProfileSpecType.WEBM_VIDEO_ONLY)
    found: list[tuple[str, str, float]] = []
    transcoding: list[MediaTranscodingStateChanged] = []
    ended = asyncio.Event()
    await zbar.on(CodeFound, lambda e: found.append((e.code_type, e.value, time.monotonic())))
    await zbar.on(MediaTranscodingStateChanged, transcoding.append)
    await player.on(EndOfStream, lambda _e: ended.set())
    await player.connect(zbar)
    await zbar.connect(recorder)
    await recorder.record()
    await player.play()
    await asyncio.wait_for(ended.wait(), timeout=len(clip.texts) * clip.seconds_each + 5)
    await asyncio.sleep(0.3)
    await recorder.stop_and_wait()
    assert not await zbar.is_media_transcoding(MediaType.VIDEO)
    await pipeline.release()

    check_reports(found, clip)
    assert transcoding == []
    recorded, original = vp8_frame_digests(recording), vp8_frame_digests(clip.path)
    assert len(recorded) >= len(original) * 0.8, (len(recorded), len(original))
    assert is_subsequence(recorded, original)

