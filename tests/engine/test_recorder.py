"""RecorderEndpoint's media part on the real engine: every file checked with ffprobe."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from kurento.engine.contract import MediaKind
from kurento.engine.gst import GstMediaEngine
from kurento.engine.gst._gst import Gst
from kurento.engine.gst.element import GstElement
from kurento.engine.gst.pipeline import GstPipelineEngine
from kurento.engine.gst.recorder import RecorderElement
from kurento.engine.gst.testing import NullListener, create_test_source
from kurento.engine.recording import PROFILES
from tests.media_check import (
    MediaInfo,
    decodes_after_seek,
    first_video_frame_is_keyframe,
    has_cues,
    probe,
)

from .helpers import Recorder, wait_until

pytestmark = pytest.mark.gst

AUDIO, VIDEO = MediaKind.AUDIO, MediaKind.VIDEO
RECORD_SECONDS = 1.5


class RecorderEvents(Recorder):
    """An ElementListener plus the recorder's own callbacks, with timestamps."""

    def __init__(self) -> None:
        super().__init__()
        self.recording: list[float] = []
        self.ends = 0
        self.transcoding: dict[MediaKind, bool] = {}

    def on_media_transcoding(self, kind: MediaKind, transcoding: bool, bin_name: str) -> None:
        self.transcoding[kind] = transcoding

    def on_recording(self) -> None:
        self.recording.append(time.monotonic())

    def on_end_of_stream(self) -> None:
        self.ends += 1


class EncodedSource(GstElement):
    """Live encoded output with the engine's conventions (as a WebRtcEndpoint sends it).

    Keyframes only every 10 s: a recording that starts with one proves that the
    recorder's keyframe request reached the encoder.
    """

    factory = "EncodedSource"
    video_codec = "vp8"
    requests_lost = 0

    def build(self) -> None:
        self.key_frame_requests = 0
        video = self.make("videotestsrc", is_live=True)
        raw = self.make("capsfilter", caps=Gst.Caps.from_string(
            "video/x-raw,format=I420,width=160,height=120,framerate=30/1"))
        if self.video_codec == "vp8":
            encoder = [self.make("vp8enc", deadline=1, keyframe_max_dist=300)]
        else:
            encoder = [
                self.make("x264enc", tune="zerolatency", speed_preset="ultrafast",
                          key_int_max=300),
                self.make("h264parse", config_interval=-1),
                self.make("capsfilter", caps=Gst.Caps.from_string(
                    "video/x-h264,stream-format=byte-stream,alignment=au")),
            ]
        chain = [video, raw, *encoder]
        for upstream, downstream in itertools.pairwise(chain):
            assert upstream.link(downstream)
        self.add_output(VIDEO, chain[-1].get_static_pad("src"))
        audio = self.make("audiotestsrc", is_live=True)
        opus = self.make("opusenc")
        assert audio.link(opus)
        self.add_output(AUDIO, opus.get_static_pad("src"))
        tee_sink = self.output_tee(VIDEO).get_static_pad("sink")
        self._probe = tee_sink.add_probe(Gst.PadProbeType.EVENT_UPSTREAM, self._upstream)
        self._probe_pad = tee_sink

    def teardown(self) -> None:
        self._probe_pad.remove_probe(self._probe)

    def _upstream(self, _pad: Any, info: Any) -> Any:
        if info.get_event().has_name("GstForceKeyUnit"):
            self.key_frame_requests += 1
            if self.key_frame_requests <= self.requests_lost:
                return Gst.PadProbeReturn.DROP  # as a PLI lost on the network
        return Gst.PadProbeReturn.OK


class ForgetfulSource(EncodedSource):
    """Its encoder never hears the first keyframe request."""

    factory = "ForgetfulSource"
    requests_lost = 1


class H264Source(EncodedSource):
    factory = "H264Source"
    video_codec = "h264"


@pytest.fixture
def media_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="recorder-") as directory:
        yield Path(directory)


def make_recorder(pipeline: GstPipelineEngine, path: Path, profile: str,
                  stop_on_eos: bool = False) -> tuple[RecorderElement, RecorderEvents]:
    events = RecorderEvents()
    recorder = pipeline.create_element("RecorderEndpoint", events)
    assert isinstance(recorder, RecorderElement)
    recorder.configure(str(path), PROFILES[profile], stop_on_eos)
    return recorder, events


@dataclass(frozen=True)
class Span:
    """How long a recording lasted: since media first reached the file (the least a
    file must hold), and since ``record()`` (the most it can hold)."""

    written: float
    requested: float

    @classmethod
    def until_now(cls, first_written: float, record_called: float) -> Span:
        now = time.monotonic()
        return cls(now - first_written, now - record_called)


async def record_for(recorder: RecorderElement, events: RecorderEvents, seconds: float,
                     stop: bool = True) -> Span:
    """Record ``seconds`` after media reaches the file."""
    record_called = time.monotonic()
    recorder.record()
    await wait_until(lambda: bool(events.recording), timeout=5.0)
    await asyncio.sleep(seconds)
    span = Span.until_now(events.recording[0], record_called)
    if stop:
        await recorder.stop()
    return span


def assert_good_file(path: Path, span: Span, codecs: dict[str, str]) -> MediaInfo:
    """What a user expects: codecs, duration, seekable, keyframe first, A/V together."""
    info = probe(path)
    assert info.codecs() == codecs, info
    assert info.duration is not None, "no duration: the file was not finalized"
    # Within 5 % (and one frame) of the time recorded.
    assert span.written * 0.95 - 0.04 <= info.duration <= span.requested * 1.05 + 0.04, (
        info.duration, span)
    assert info.start_skew() <= 0.1, info
    assert all(s.start < 0.2 for s in info.streams), info
    if "video" in codecs:
        assert first_video_frame_is_keyframe(path)
    if info.format_name.startswith("matroska"):
        assert has_cues(path), "no Cues: the file cannot be seeked"
    assert decodes_after_seek(path, span.written / 2)
    return info


def feed(source: GstElement, recorder: RecorderElement, kinds: tuple[MediaKind, ...]) -> list[Any]:
    return [source.link(recorder, kind) for kind in kinds]


@pytest.mark.parametrize(
    ("profile", "codecs"),
    [
        ("WEBM", {"audio": "opus", "video": "vp8"}),
        ("MP4", {"audio": "opus", "video": "h264"}),
        ("MKV_VIDEO_ONLY", {"video": "vp8"}),
    ],
)
async def test_raw_input_is_encoded_for_the_container(
    engine: GstMediaEngine, media_dir: Path, profile: str, codecs: dict[str, str]
) -> None:
    pipeline = engine.create_pipeline("raw")
    source = create_test_source(pipeline)
    path = media_dir / f"raw.{PROFILES[profile].container}"
    recorder, events = make_recorder(pipeline, path, profile)
    feed(source, recorder, (AUDIO, VIDEO))
    # Started long after the pipeline's base time: the file must still start at 0.
    await asyncio.sleep(0.5)
    recorded = await record_for(recorder, events, RECORD_SECONDS)
    await pipeline.close()
    assert_good_file(path, recorded, codecs)
    assert not events.errors
    assert set(events.transcoding.values()) == {True}, events.transcoding


@pytest.mark.parametrize(
    ("source_type", "profile", "codecs", "encoders"),
    [
        (EncodedSource, "WEBM", {"audio": "opus", "video": "vp8"}, ()),
        (H264Source, "MP4", {"audio": "opus", "video": "h264"}, ()),
        (H264Source, "MKV", {"audio": "opus", "video": "h264"}, ()),
        (H264Source, "WEBM", {"audio": "opus", "video": "vp8"}, ("avdec_h264", "vp8enc")),
        (EncodedSource, "MP4", {"audio": "opus", "video": "h264"}, ("vp8dec", "x264enc")),
    ],
)
async def test_encoded_input_is_copied_when_it_fits(
    engine: GstMediaEngine, media_dir: Path, source_type: type[EncodedSource], profile: str,
    codecs: dict[str, str], encoders: tuple[str, ...],
) -> None:
    pipeline = engine.create_pipeline("encoded")
    source = pipeline.create_element_of(source_type, NullListener())
    path = media_dir / f"encoded.{PROFILES[profile].container}"
    recorder, events = make_recorder(pipeline, path, profile)
    feed(source, recorder, (AUDIO, VIDEO))
    await asyncio.sleep(0.5)
    record_called = time.monotonic()
    recorder.record()
    await wait_until(lambda: bool(events.recording), timeout=5.0)
    dot = recorder.gstreamer_dot("SHOW_ALL")
    await asyncio.sleep(RECORD_SECONDS)
    recorded = Span.until_now(events.recording[0], record_called)
    await recorder.stop()
    await pipeline.close()
    used = {name for name in ("vp8enc", "x264enc", "opusenc", "vp8dec", "avdec_h264")
            if _has_factory(dot, name)}
    assert used == set(encoders)
    assert events.transcoding == {AUDIO: False, VIDEO: bool(encoders)}
    assert source.key_frame_requests >= 1
    assert_good_file(path, recorded, codecs)
    assert not events.errors


async def test_lost_keyframe_request_is_repeated(engine: GstMediaEngine, media_dir: Path) -> None:
    pipeline = engine.create_pipeline("forgetful")
    source = pipeline.create_element_of(ForgetfulSource, NullListener())
    path = media_dir / "forgetful.webm"
    recorder, events = make_recorder(pipeline, path, "WEBM_VIDEO_ONLY")
    feed(source, recorder, (VIDEO,))
    await asyncio.sleep(0.3)
    recorder.record()
    await wait_until(lambda: bool(events.recording), timeout=4.0)
    await asyncio.sleep(0.5)
    await pipeline.close()
    assert source.key_frame_requests >= 2
    assert first_video_frame_is_keyframe(path)
    info = probe(path)
    video = info.stream("video")
    assert video is not None and video.frames >= 10, info


def _has_factory(dot: str, factory: str) -> bool:
    type_names = {"vp8enc": "GstVP8Enc", "x264enc": "GstX264Enc", "opusenc": "GstOpusEnc",
                  "vp8dec": "GstVP8Dec", "avdec_h264": "avdec_h264"}
    return type_names[factory] in dot


async def test_pause_then_record_continues_without_gap(
    engine: GstMediaEngine, media_dir: Path
) -> None:
    pipeline = engine.create_pipeline("pause")
    source = create_test_source(pipeline)
    path = media_dir / "paused.webm"
    recorder, events = make_recorder(pipeline, path, "WEBM")
    feed(source, recorder, (AUDIO, VIDEO))
    first = await record_for(recorder, events, 1.2, stop=False)
    recorder.pause()
    await asyncio.sleep(1.0)
    record_again = time.monotonic()
    recorder.record()
    await wait_until(lambda: len(events.recording) == 2, timeout=5.0)
    # A pause and record in a row (no await between): it must end up recording.
    recorder.pause()
    recorder.record()
    await asyncio.sleep(1.2)
    second = Span.until_now(events.recording[1], record_again)
    await recorder.stop()
    await pipeline.close()
    # Without a gap: the file lasts what was recorded, not the wall time with the pause.
    recorded = Span(first.written + second.written, first.requested + second.requested)
    assert_good_file(path, recorded, {"audio": "opus", "video": "vp8"})


@pytest.mark.parametrize(
    ("profile", "codecs"),
    [("WEBM", {"audio": "opus", "video": "vp8"}), ("MP4", {"audio": "opus", "video": "h264"})],
)
async def test_pipeline_release_finalizes_the_file(
    engine: GstMediaEngine, media_dir: Path, profile: str, codecs: dict[str, str]
) -> None:
    pipeline = engine.create_pipeline("release")
    source = create_test_source(pipeline)
    path = media_dir / f"released.{PROFILES[profile].container}"
    recorder, events = make_recorder(pipeline, path, profile)
    feed(source, recorder, (AUDIO, VIDEO))
    recorded = await record_for(recorder, events, RECORD_SECONDS, stop=False)
    started = time.monotonic()
    await pipeline.close()  # no stop(): release alone must write duration and cues
    closing = time.monotonic() - started
    assert closing < 3.0
    assert_good_file(path, Span(recorded.written, recorded.requested + closing), codecs)


async def test_sender_leaving_midway_leaves_a_playable_file(
    engine: GstMediaEngine, media_dir: Path
) -> None:
    pipeline = engine.create_pipeline("leaving")
    source = create_test_source(pipeline)
    path = media_dir / "left.webm"
    recorder, events = make_recorder(pipeline, path, "WEBM")
    links = feed(source, recorder, (AUDIO, VIDEO))
    recorded = (await record_for(recorder, events, 1.5, stop=False)).written
    await asyncio.gather(*(link.unlink() for link in links))
    await source.close()
    await asyncio.sleep(1.0)
    await recorder.stop()
    await pipeline.close()
    info = probe(path)
    assert info.codecs() == {"audio": "opus", "video": "vp8"}
    assert info.duration is not None and abs(info.duration - recorded) < 0.3, info
    assert decodes_after_seek(path, 0.5)


async def test_record_without_input_then_stop_does_not_hang(
    engine: GstMediaEngine, media_dir: Path
) -> None:
    pipeline = engine.create_pipeline("idle")
    recorder, events = make_recorder(pipeline, media_dir / "nothing.webm", "WEBM")
    recorder.record()
    await asyncio.sleep(0.3)
    started = time.monotonic()
    await asyncio.wait_for(recorder.stop(), timeout=3.0)
    assert time.monotonic() - started < 1.0
    await pipeline.close()
    assert not events.errors and not events.recording


async def test_end_of_stream_stops_only_when_asked(engine: GstMediaEngine, media_dir: Path) -> None:
    pipeline = engine.create_pipeline("eos")
    source = create_test_source(pipeline)
    keep, keep_events = make_recorder(pipeline, media_dir / "keep.webm", "WEBM_VIDEO_ONLY")
    ends, end_events = make_recorder(pipeline, media_dir / "ends.webm", "WEBM_VIDEO_ONLY",
                                     stop_on_eos=True)
    for recorder, events in ((keep, keep_events), (ends, end_events)):
        source.link(recorder, VIDEO)
        recorder.record()
        await wait_until(lambda events=events: bool(events.recording))  # type: ignore[misc]
        # What an upstream player's end of stream looks like at the recorder's input.
        recorder.input_pad(VIDEO).send_event(Gst.Event.new_eos())
    await wait_until(lambda: end_events.ends == 1)
    await ends.stop()  # what the control plane does on on_end_of_stream
    await asyncio.sleep(0.5)
    assert keep_events.ends == 0
    await pipeline.close()
    # The recorder that ignored EOS kept writing what came after it.
    kept, ended = probe(media_dir / "keep.webm"), probe(media_dir / "ends.webm")
    assert kept.duration is not None and ended.duration is not None
    assert kept.duration > ended.duration + 0.4, (kept, ended)


async def test_unopenable_file_is_an_error_event(engine: GstMediaEngine, media_dir: Path) -> None:
    pipeline = engine.create_pipeline("unopenable")
    source = create_test_source(pipeline)
    recorder, events = make_recorder(pipeline, media_dir / "missing" / "x.webm", "WEBM")
    feed(source, recorder, (AUDIO, VIDEO))
    recorder.record()
    await wait_until(lambda: bool(events.errors))
    assert events.errors[0][0] == "RESOURCE_ERROR_OPEN", events.errors
    await asyncio.wait_for(recorder.stop(), timeout=3.0)
    await pipeline.close()
    assert len(events.errors) == 1, events.errors  # one failure, one Error event


class JpegSource(GstElement):
    """Video that no container profile of ours takes (MJPEG)."""

    factory = "JpegSource"

    def build(self) -> None:
        video = self.make("videotestsrc", is_live=True)
        jpeg = self.make("jpegenc")
        assert video.link(jpeg)
        self.add_output(VIDEO, jpeg.get_static_pad("src"))


async def test_media_that_fits_no_profile_is_an_error_event(
    engine: GstMediaEngine, media_dir: Path
) -> None:
    pipeline = engine.create_pipeline("jpeg")
    source = pipeline.create_element_of(JpegSource, NullListener())
    recorder, events = make_recorder(pipeline, media_dir / "jpeg.webm", "WEBM")
    feed(source, recorder, (VIDEO,))
    recorder.record()
    await wait_until(lambda: bool(events.errors))
    assert "image/jpeg" in events.errors[0][2], events.errors
    await asyncio.wait_for(recorder.stop(), timeout=2.0)
    await pipeline.close()
    assert not events.recording


@contextlib.contextmanager
def tiny_filesystem(size: str) -> Iterator[Path]:
    """A tmpfs of ``size`` (needs root): the disk that fills up."""
    with tempfile.TemporaryDirectory(prefix="full-") as directory:
        mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs",
                                  directory], capture_output=True, check=False)
        if mounted.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs: {mounted.stderr.decode().strip()}")
        try:
            yield Path(directory)
        finally:
            subprocess.run(["umount", directory], check=False)


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a tmpfs needs root")
async def test_full_disk_is_an_error_and_spares_other_recordings(
    engine: GstMediaEngine, media_dir: Path
) -> None:
    with tiny_filesystem("64k") as full:
        pipeline = engine.create_pipeline("full")
        source = create_test_source(pipeline)
        doomed, doomed_events = make_recorder(pipeline, full / "doomed.mkv", "MKV")
        healthy, healthy_events = make_recorder(pipeline, media_dir / "healthy.webm", "WEBM")
        feed(source, doomed, (AUDIO, VIDEO))
        feed(source, healthy, (AUDIO, VIDEO))
        record_called = time.monotonic()
        healthy.record()
        doomed.record()
        await wait_until(lambda: bool(doomed_events.errors), timeout=10.0)
        assert doomed_events.errors[0][0] in {"RESOURCE_ERROR_NO_SPACE_LEFT",
                                              "RESOURCE_ERROR_WRITE"}, doomed_events.errors
        await asyncio.wait_for(doomed.stop(), timeout=3.0)
        assert len(doomed_events.errors) == 1, doomed_events.errors
        recorded = Span.until_now(healthy_events.recording[0], record_called)
        await healthy.stop()
        await pipeline.close()
    assert_good_file(media_dir / "healthy.webm", recorded, {"audio": "opus", "video": "vp8"})
    assert not healthy_events.errors
