"""RecorderEndpoint over the Kurento Protocol: an aiortc peer's media recorded to files.

peer (VP8 or H.264, Opus) → WebRtcEndpoint → RecorderEndpoint, driven by the Python
client as an application server would; every file is checked with ffprobe.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kurento.client import (
    Error,
    KurentoError,
    MediaFlowInStateChanged,
    MediaPipeline,
    MediaProfileSpecType,
    Paused,
    RecorderEndpoint,
    Recording,
    Stopped,
    UriEndpointStateChanged,
    WebRtcEndpoint,
)
from tests.media_check import decodes_after_seek, first_video_frame_is_keyframe, has_cues, probe

from .peer import Peer, negotiate_as_answerer

pytestmark = pytest.mark.gst

RECORD_SECONDS = 2.5


@pytest.fixture
def media_dir() -> Iterator[Path]:
    # Under /tmp: one of the server's default media roots.
    with tempfile.TemporaryDirectory(prefix="recording-", dir="/tmp") as directory:
        yield Path(directory)


class Seen:
    """Event names in arrival order, with the time the first of each came."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self.first: dict[str, float] = {}

    def add(self, name: str) -> None:
        self.names.append(name)
        self.first.setdefault(name, time.monotonic())

    async def wait(self, name: str, timeout: float = 8.0) -> float:
        deadline = time.monotonic() + timeout
        while name not in self.first:
            assert time.monotonic() < deadline, f"no {name} event; got {self.names}"
            await asyncio.sleep(0.05)
        return self.first[name]


async def watch(recorder: RecorderEndpoint) -> Seen:
    seen = Seen()
    await recorder.on(Recording, lambda _e: seen.add("Recording"))
    await recorder.on(Paused, lambda _e: seen.add("Paused"))
    await recorder.on(Stopped, lambda _e: seen.add("Stopped"))
    await recorder.on(UriEndpointStateChanged,
                      lambda e: seen.add(f"State:{getattr(e.state, 'value', e.state)}"))
    await recorder.on(MediaFlowInStateChanged,
                      lambda e: seen.add(f"Flow:{getattr(e.state, 'value', e.state)}"))
    return seen


async def sending_peer(pipeline: MediaPipeline, peers: list[Peer],
                       video_mime: str | None = None) -> WebRtcEndpoint:
    endpoint = await WebRtcEndpoint.create(pipeline)
    peer = Peer()
    peers.append(peer)
    if video_mime is not None:
        peer.prefer("video", video_mime)
    await negotiate_as_answerer(endpoint, peer)
    return endpoint


@pytest.mark.parametrize(
    ("profile", "video_mime", "codecs"),
    [
        (MediaProfileSpecType.WEBM, None, {"video": "vp8", "audio": "opus"}),
        (MediaProfileSpecType.MP4, "video/H264", {"video": "h264", "audio": "opus"}),
    ],
)
async def test_webrtc_session_is_recorded_as_sent(
    pipeline: MediaPipeline, peers: list[Peer], media_dir: Path,
    profile: MediaProfileSpecType, video_mime: str | None, codecs: dict[str, str],
) -> None:
    path = media_dir / f"session.{profile.value.lower()}"
    recorder = await RecorderEndpoint.create(pipeline, f"file://{path}", media_profile=profile)
    seen = await watch(recorder)
    endpoint = await sending_peer(pipeline, peers, video_mime)
    await endpoint.connect(recorder)
    # As applications do: record() at once, before any media has arrived.
    await recorder.record()
    began = await seen.wait("Recording")
    await asyncio.sleep(RECORD_SECONDS)
    ended = time.monotonic()
    await recorder.stop_and_wait()
    assert "Stopped" in seen.names  # stopAndWait returns after the file is final
    names = [name for name in seen.names if not name.startswith("Flow:")]
    assert names == ["State:START", "Recording", "State:STOP", "Stopped"], seen.names

    info = probe(path)
    recorded = ended - began
    print(f"{profile.value}: recorded {recorded:.3f} s, file {info}")
    assert info.codecs() == codecs, info
    # At least since Recording (first write); at most since media reached the recorder
    # (what came before the video keyframe and the muxer's header is kept).
    since_media = ended - seen.first["Flow:FLOWING"]
    assert info.duration is not None
    assert recorded * 0.95 - 0.04 <= info.duration <= since_media * 1.05 + 0.04, (
        info.duration, recorded, since_media)
    assert info.start_skew() <= 0.1, info
    assert first_video_frame_is_keyframe(path)
    assert decodes_after_seek(path, recorded / 2)
    if profile is MediaProfileSpecType.WEBM:
        assert has_cues(path)
    # Passthrough: the recorder's own graph holds no encoder.
    dot = await recorder.get_gstreamer_dot()
    assert "GstVP8Enc" not in dot and "GstX264Enc" not in dot and "GstOpusEnc" not in dot


async def test_recording_mid_session_asks_the_sender_for_a_keyframe(
    pipeline: MediaPipeline, peers: list[Peer], media_dir: Path
) -> None:
    endpoint = await sending_peer(pipeline, peers)
    sender = next(s for s in peers[0].senders if s.kind == "video")
    original = sender._send_keyframe
    requests: list[float] = []

    def counted() -> None:  # aiortc calls this on each PLI/FIR it receives
        requests.append(time.monotonic())
        original()

    sender._send_keyframe = counted  # type: ignore[method-assign]
    path = media_dir / "mid.webm"
    recorder = await RecorderEndpoint.create(pipeline, f"file://{path}")
    seen = await watch(recorder)
    await endpoint.connect(recorder)  # (a new connection may ask for a keyframe itself)
    await asyncio.sleep(1.5)  # well into the session: the last keyframe is long past
    asked = time.monotonic()
    await recorder.record()
    await seen.wait("Recording")
    await asyncio.sleep(1.0)
    await recorder.stop_and_wait()
    assert any(t >= asked for t in requests), "no PLI/FIR reached the sender"
    info = probe(path)
    assert info.codecs() == {"video": "vp8", "audio": "opus"}, info
    assert first_video_frame_is_keyframe(path)
    assert info.start_skew() <= 0.1, info


async def test_pause_and_pipeline_release_finalize(
    pipeline: MediaPipeline, peers: list[Peer], media_dir: Path
) -> None:
    path = media_dir / "paused.webm"
    recorder = await RecorderEndpoint.create(pipeline, f"file://{path}")
    seen = await watch(recorder)
    endpoint = await sending_peer(pipeline, peers)
    await endpoint.connect(recorder)
    await recorder.record()
    began = await seen.wait("Recording")
    await asyncio.sleep(1.5)
    await recorder.pause()
    paused = time.monotonic()
    await seen.wait("Paused")
    await asyncio.sleep(1.0)
    resumed = time.monotonic()
    await recorder.record()
    await asyncio.sleep(1.5)
    await pipeline.release()  # the file is finalized without stop()
    ended = time.monotonic()
    recorded = (paused - began) + (ended - resumed)
    most = (paused - seen.first["Flow:FLOWING"]) + (ended - resumed)
    info = probe(path)
    print(f"paused: recorded {recorded:.3f} s, file {info}")
    assert info.codecs() == {"video": "vp8", "audio": "opus"}
    assert info.duration is not None
    # No gap for the pause (a keyframe wait after resume may cost a little).
    assert recorded - 0.5 <= info.duration <= most * 1.05 + 0.04, (info.duration, recorded, most)
    assert has_cues(path)
    names = [name for name in seen.names if not name.startswith("Flow:")]
    assert names[:4] == ["State:START", "Recording", "State:PAUSE", "Paused"], seen.names


async def test_sender_disappearing_leaves_a_playable_file(
    pipeline: MediaPipeline, peers: list[Peer], media_dir: Path
) -> None:
    path = media_dir / "vanished.webm"
    recorder = await RecorderEndpoint.create(pipeline, f"file://{path}")
    seen = await watch(recorder)
    endpoint = await sending_peer(pipeline, peers)
    await endpoint.connect(recorder)
    await recorder.record()
    began = await seen.wait("Recording")
    await asyncio.sleep(1.5)
    await peers[0].close()
    gone = time.monotonic()
    await asyncio.sleep(1.5)
    await recorder.stop_and_wait()
    info = probe(path)
    assert info.codecs() == {"video": "vp8", "audio": "opus"}
    assert info.duration is not None and abs(info.duration - (gone - began)) < 0.4, info
    assert decodes_after_seek(path, 0.5)


async def test_stop_without_media_still_stops(pipeline: MediaPipeline, media_dir: Path) -> None:
    recorder = await RecorderEndpoint.create(pipeline, f"file://{media_dir}/none.webm")
    seen = await watch(recorder)
    await recorder.record()
    await asyncio.wait_for(recorder.stop_and_wait(), timeout=5)
    await seen.wait("Stopped", timeout=2)
    assert "Recording" not in seen.names


@pytest.mark.parametrize(
    ("uri", "profile", "code"),
    [
        ("file:///tmp/x.flv", MediaProfileSpecType.FLV, 40107),
        ("file:///tmp/x.jpg", MediaProfileSpecType.JPEG_VIDEO_ONLY, 40107),
        ("file:///tmp/x", MediaProfileSpecType.KURENTO_SPLIT_RECORDER, 40107),
        ("http://127.0.0.1:9/upload.webm", MediaProfileSpecType.WEBM, 40600),
        ("file:///etc/x.webm", MediaProfileSpecType.WEBM, 40600),
    ],
)
async def test_what_cannot_be_recorded_is_refused_at_create(
    pipeline: MediaPipeline, uri: str, profile: MediaProfileSpecType, code: int
) -> None:
    with pytest.raises(KurentoError) as refused:
        await RecorderEndpoint.create(pipeline, uri, media_profile=profile)
    assert refused.value.code == code, refused.value


@contextlib.contextmanager
def read_only_directory() -> Iterator[Path]:
    """A directory under /tmp that exists but cannot be written, even by root."""
    with tempfile.TemporaryDirectory(prefix="readonly-", dir="/tmp") as directory:
        mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs",
                                  directory], capture_output=True, check=False)
        if mounted.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs: {mounted.stderr.decode().strip()}")
        try:
            yield Path(directory)
        finally:
            subprocess.run(["umount", directory], check=False)


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a tmpfs needs root")
async def test_unwritable_file_is_an_error_event_and_the_server_goes_on(
    pipeline: MediaPipeline, peers: list[Peer], media_dir: Path
) -> None:
    with read_only_directory() as directory:
        recorder = await RecorderEndpoint.create(pipeline, f"file://{directory}/out.webm")
        errors: list[Error] = []
        await recorder.on(Error, errors.append)
        endpoint = await sending_peer(pipeline, peers)
        await endpoint.connect(recorder)
        await recorder.record()
        deadline = time.monotonic() + 8
        while not errors and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert errors and errors[0].type == "RESOURCE_ERROR_OPEN", errors
        await asyncio.wait_for(recorder.stop_and_wait(), timeout=5)
    # The same session and pipeline still record fine.
    path = media_dir / "after.webm"
    second = await RecorderEndpoint.create(pipeline, f"file://{path}")
    seen = await watch(second)
    await endpoint.connect(second)
    await second.record()
    await seen.wait("Recording")
    await asyncio.sleep(1.0)
    await second.stop_and_wait()
    info = probe(path)
    assert info.codecs() == {"video": "vp8", "audio": "opus"} and info.duration, info
