"""The player's media part on the real engine: codecs out, pacing, pause, seek, EOS, errors."""

from __future__ import annotations

import asyncio
import gc
import os
import time
import weakref
from typing import Any

import pytest

from kurento.engine.contract import MediaKind
from kurento.engine.gst import GstMediaEngine
from kurento.engine.gst._gst import Gst
from kurento.engine.gst.element import GstElement
from kurento.engine.gst.pipeline import GstPipelineEngine
from kurento.engine.gst.player import PlayerElement
from kurento.engine.playing import PlayerConfig, SeekError
from tests.media_files import CLIP_SECONDS, Clips, media_clips

from .helpers import Recorder, wait_until

pytestmark = pytest.mark.gst

AUDIO, VIDEO = MediaKind.AUDIO, MediaKind.VIDEO


class PlayerEvents(Recorder):
    def __init__(self) -> None:
        super().__init__()
        self.ends = 0
        self.transcoding: list[tuple[MediaKind, bool]] = []

    def on_end_of_stream(self) -> None:
        self.ends += 1

    def on_transcoding(self, kind: MediaKind, transcoding: bool) -> None:
        self.transcoding.append((kind, transcoding))


class ProbeSink(GstElement):
    """fakesink inputs that keep their last sample: caps and running times, no Python per buffer."""

    factory = "ProbeSink"

    def build(self) -> None:
        self.sinks: dict[MediaKind, Any] = {}
        for kind in (AUDIO, VIDEO):
            sink = self.make("fakesink", sync=False, async_=False, enable_last_sample=True)
            self.sinks[kind] = sink
            self.add_input(kind, sink.get_static_pad("sink"))

    def buffers(self, kind: MediaKind) -> int:
        return int(self.sinks[kind].get_property("stats").get_value("rendered"))

    def caps(self, kind: MediaKind) -> str:
        caps = self.sinks[kind].get_static_pad("sink").get_current_caps()
        return caps.to_string() if caps is not None else ""

    def last_running_time(self, kind: MediaKind) -> int | None:
        sample = self.sinks[kind].get_property("last-sample")
        if sample is None:
            return None
        running = sample.get_segment().to_running_time(Gst.Format.TIME, sample.get_buffer().pts)
        return None if running == Gst.CLOCK_TIME_NONE else int(running)


@pytest.fixture(scope="module")
def clips() -> Clips:
    return media_clips()


def start_player(pipeline: GstPipelineEngine, uri: str,
                 events: PlayerEvents) -> tuple[PlayerElement, ProbeSink]:
    player = pipeline.create_element("PlayerEndpoint", events)
    assert isinstance(player, PlayerElement)
    player.configure(PlayerConfig(uri=uri))
    sink = pipeline.create_element_of(ProbeSink, Recorder())
    for kind in (AUDIO, VIDEO):
        player.link(sink, kind)
    return player, sink


def now_running(pipeline: GstPipelineEngine) -> int:
    return int(pipeline.runtime.clock.get_time()) - pipeline.runtime.base_time


async def test_webm_passes_through_at_real_time_and_ends(
    engine: GstMediaEngine, clips: Clips
) -> None:
    pipeline = engine.create_pipeline("webm")
    events = PlayerEvents()
    player, sink = start_player(pipeline, clips.uri(clips.webm), events)
    await asyncio.sleep(0.3)  # the pipeline's running time is well past 0 by now
    began = time.monotonic()
    await player.play()
    await wait_until(lambda: sink.buffers(VIDEO) >= 5)
    assert sink.caps(VIDEO).startswith("video/x-vp8")
    assert sink.caps(AUDIO).startswith("audio/x-opus")
    assert events.transcoding == []  # VP8 and Opus pass through
    # Running times are in the shared domain: close to the pipeline's own clock.
    shown = sink.last_running_time(VIDEO)
    assert shown is not None and abs(shown - now_running(pipeline)) < 300 * Gst.MSECOND
    await asyncio.sleep(0.5)
    elapsed = time.monotonic() - began
    # Real-time pacing: about 30 frames a second, not the whole file at once.
    assert sink.buffers(VIDEO) <= (elapsed + 0.3) * 30
    assert 400 <= player.position() <= elapsed * 1000 + 100
    info = await player.media_info()
    assert info.seekable
    assert abs(info.duration - CLIP_SECONDS * 1000) <= CLIP_SECONDS * 50
    await wait_until(lambda: events.ends == 1, timeout=CLIP_SECONDS + 2)
    assert time.monotonic() - began >= CLIP_SECONDS - 0.2
    assert sink.buffers(VIDEO) >= CLIP_SECONDS * 30 - 2
    assert not events.errors
    await pipeline.close()


async def test_mp4_h264_passes_and_aac_becomes_opus(engine: GstMediaEngine, clips: Clips) -> None:
    pipeline = engine.create_pipeline("mp4")
    events = PlayerEvents()
    player, sink = start_player(pipeline, clips.uri(clips.mp4), events)
    await player.play()
    await wait_until(lambda: sink.buffers(VIDEO) >= 5 and sink.buffers(AUDIO) >= 5)
    video = sink.caps(VIDEO)
    assert video.startswith("video/x-h264")
    assert "stream-format=(string)byte-stream" in video and "alignment=(string)au" in video
    assert sink.caps(AUDIO).startswith("audio/x-opus")
    assert events.transcoding == [(AUDIO, True)]
    await player.stop()
    await wait_until(lambda: events.transcoding == [(AUDIO, True), (AUDIO, False)])
    await pipeline.close()


async def test_mkv_is_transcoded_to_vp8_and_opus(engine: GstMediaEngine, clips: Clips) -> None:
    pipeline = engine.create_pipeline("mkv")
    events = PlayerEvents()
    player, sink = start_player(pipeline, clips.uri(clips.mkv), events)
    await player.play()
    await wait_until(lambda: sink.buffers(VIDEO) >= 5 and sink.buffers(AUDIO) >= 5)
    assert sink.caps(VIDEO).startswith("video/x-vp8")
    assert sink.caps(AUDIO).startswith("audio/x-opus")
    assert sorted(k.value for k, on in events.transcoding if on) == ["AUDIO", "VIDEO"]
    await pipeline.close()


async def test_pause_seek_and_resume_keep_running_time_increasing(
    engine: GstMediaEngine, clips: Clips
) -> None:
    pipeline = engine.create_pipeline("pause")
    events = PlayerEvents()
    player, sink = start_player(pipeline, clips.uri(clips.webm), events)
    await player.play()
    await wait_until(lambda: sink.buffers(VIDEO) >= 10)
    await player.pause()
    await asyncio.sleep(0.2)  # what was in flight has arrived
    held, position = sink.buffers(VIDEO), player.position()
    before = sink.last_running_time(VIDEO)
    await asyncio.sleep(0.5)
    assert sink.buffers(VIDEO) == held
    assert player.position() == position

    await player.play()
    await wait_until(lambda: sink.buffers(VIDEO) >= held + 5)
    after = sink.last_running_time(VIDEO)
    assert before is not None and after is not None
    # The paused half second is not replayed as a burst: time moved on with the clock.
    assert after - before >= 400 * Gst.MSECOND
    assert abs(after - now_running(pipeline)) < 300 * Gst.MSECOND

    await player.seek(1500)
    await asyncio.sleep(0.2)
    assert 1400 <= player.position() <= 1800
    latest = sink.last_running_time(VIDEO)
    assert latest is not None and latest >= after
    await wait_until(lambda: events.ends == 1, timeout=2)
    assert player.position() == 0  # stopped at the end
    with pytest.raises(SeekError):
        await player.seek(500)
    assert not events.errors
    await pipeline.close()


async def test_stop_then_play_starts_again(engine: GstMediaEngine, clips: Clips) -> None:
    pipeline = engine.create_pipeline("replay")
    events = PlayerEvents()
    player, sink = start_player(pipeline, clips.uri(clips.webm), events)
    await player.play()
    await wait_until(lambda: player.position() >= 500)
    await player.stop()
    assert player.position() == 0
    stopped = sink.buffers(VIDEO)
    await player.play()
    await wait_until(lambda: sink.buffers(VIDEO) >= stopped + 10)
    assert player.position() < 1000
    assert not events.errors
    await pipeline.close()


async def test_corrupt_file_and_closed_port_report_errors(
    engine: GstMediaEngine, clips: Clips
) -> None:
    pipeline = engine.create_pipeline("errors")
    corrupt_events, http_events = PlayerEvents(), PlayerEvents()
    corrupt, _ = start_player(pipeline, clips.uri(clips.corrupt), corrupt_events)
    unreachable, _ = start_player(pipeline, "http://127.0.0.1:9/none.webm", http_events)
    await asyncio.gather(corrupt.play(), unreachable.play())
    await wait_until(lambda: bool(corrupt_events.errors and http_events.errors))
    assert "Could not determine type of stream" in corrupt_events.errors[0][2]
    # souphttpsrc (libsoup 3) reports a refused connection as a failed stream.
    assert http_events.errors[0][0].startswith(("STREAM_ERROR", "RESOURCE_ERROR"))
    # The source was dropped: the player is stopped, and can be asked again.
    assert corrupt.position() == 0 and (await corrupt.media_info()).duration == 0
    reported = len(corrupt_events.errors)
    await corrupt.play()
    await wait_until(lambda: len(corrupt_events.errors) > reported)
    await pipeline.close()


async def test_closing_a_paused_player_does_not_hang(engine: GstMediaEngine, clips: Clips) -> None:
    pipeline = engine.create_pipeline("close-paused")
    events = PlayerEvents()
    player, sink = start_player(pipeline, clips.uri(clips.webm), events)
    await player.play()
    await wait_until(lambda: sink.buffers(VIDEO) >= 5)
    await player.pause()
    began = time.monotonic()
    await asyncio.wait_for(pipeline.close(), timeout=4)
    assert time.monotonic() - began < 2


async def test_play_stop_cycles_leave_nothing_behind(engine: GstMediaEngine, clips: Clips) -> None:
    pipeline = engine.create_pipeline("cycles")
    events = PlayerEvents()
    player, sink = start_player(pipeline, clips.uri(clips.mp4), events)
    await player.play()
    await wait_until(lambda: sink.buffers(VIDEO) > 0)
    await player.stop()
    gc.collect()
    fds = len(os.listdir("/proc/self/fd"))
    for _ in range(5):
        seen = sink.buffers(VIDEO)
        await player.play()
        await wait_until(lambda: sink.buffers(VIDEO) > seen)  # noqa: B023
        await player.stop()
    gc.collect()
    assert len(os.listdir("/proc/self/fd")) <= fds + 2
    gone = weakref.ref(player)
    del player
    await pipeline.close()
    # Loop callbacks already queued (flow checks) may hold it for a moment.
    await wait_until(lambda: gc.collect() >= 0 and gone() is None, timeout=2.0)
    assert not events.errors
