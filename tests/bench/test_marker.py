"""The frame number drawn into the benchmark's marked clip (bench/loadgen/marker.py): it
must read back after a real VP8 encode and decode at the clip's bitrate, and after the
default filter's horizontal flip, which is how the filtered scenario measures its video
delay."""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import pytest

# appended, not put first: bench/ also holds modules named like common ones (webrtc.py)
sys.path.append(str(Path(__file__).resolve().parents[2] / "bench"))

from loadgen import marker
from loadgen.clip import FPS, HEIGHT, VIDEO_BITRATE, WIDTH, _zone_plate_frames
from loadgen.gst import Gst

FRAMES = 45  # past the first keyframe interval (30): delta frames after a keyframe too


def through_vp8(frames: list[bytes], between: str = "") -> list[bytes]:
    """RGB pictures through vp8enc (the clip's settings) → vp8dec → ``between``; the
    bottom ``marker.STRIP`` rows of each decoded picture, GRAY8."""
    pipeline = Gst.parse_launch(
        f"appsrc name=src format=time caps=video/x-raw,format=RGB,width={WIDTH},"
        f"height={HEIGHT},framerate={FPS}/1 ! videoconvert ! "
        f"vp8enc target-bitrate={VIDEO_BITRATE} end-usage=cbr keyframe-max-dist={FPS} "
        f"deadline=1 cpu-used=4 ! vp8dec ! {between + ' ! ' if between else ''}"
        "videoconvert ! video/x-raw,format=GRAY8 ! appsink name=sink sync=false")
    source, sink = pipeline.get_by_name("src"), pipeline.get_by_name("sink")
    pipeline.set_state(Gst.State.PLAYING)
    try:
        for index, frame in enumerate(frames):
            buffer = Gst.Buffer.new_wrapped(frame)
            buffer.pts = index * Gst.SECOND // FPS
            buffer.duration = Gst.SECOND // FPS
            source.emit("push-buffer", buffer)
        source.emit("end-of-stream")
        strips = []
        while (sample := sink.emit("pull-sample")) is not None:
            buffer = sample.get_buffer()
            # GRAY8 rows of 640 bytes: 4-aligned, no padding
            strips.append(buffer.extract_dup((HEIGHT - marker.STRIP) * WIDTH,
                                             marker.STRIP * WIDTH))
        return strips
    finally:
        pipeline.set_state(Gst.State.NULL)


def marked_zone_plate(count: int) -> list[bytes]:
    frames = []
    for index, frame in enumerate(itertools.islice(_zone_plate_frames(), count)):
        picture = bytearray(frame)
        marker.draw_rgb(picture, WIDTH, HEIGHT, index)
        frames.append(bytes(picture))
    return frames


def test_every_frame_number_reads_back_after_vp8() -> None:
    strips = through_vp8(marked_zone_plate(FRAMES))
    assert [marker.read_gray(strip, WIDTH) for strip in strips] == list(range(FRAMES))


def test_frame_numbers_survive_a_horizontal_flip() -> None:
    strips = through_vp8(marked_zone_plate(FRAMES), "videoflip method=horizontal-flip")
    assert [marker.read_gray(strip, WIDTH) for strip in strips] == list(range(FRAMES))


def test_a_picture_without_the_strip_reads_as_nothing() -> None:
    gray = bytes([128]) * (3 * WIDTH * HEIGHT)
    assert all(marker.read_gray(strip, WIDTH) is None for strip in through_vp8([gray] * 3))


def strip_of(bands: list[bool]) -> bytes:
    """A clean GRAY8 strip with these bands (True: white)."""
    rows = [bytes([255 if value else 0]) * marker.BAND * WIDTH for value in bands]
    return b"".join(rows)


def test_a_smudged_band_fails_the_parity_check() -> None:
    bands = marker.band_values(0b1010101010)
    assert marker.read_gray(strip_of(bands), WIDTH) == 0b1010101010
    bands[5] = not bands[5]  # one data band inverted, as a drawing over it would
    assert marker.read_gray(strip_of(bands), WIDTH) is None


def test_indexes_beyond_the_bits_are_refused() -> None:
    with pytest.raises(ValueError):
        marker.band_values(1 << marker.BITS)


def test_a_session_matches_each_decoded_picture_to_the_push_of_its_frame() -> None:
    """The reading session's side (loadgen.peer): a decoded picture's PTS gives its
    arrival, its marker the frame, the frame its last push; a picture that never
    arrived (or whose marker does not read) is counted, not matched."""
    from loadgen.peer import Session

    frames = marked_zone_plate(4)
    keys = [hash(("frame", index)) for index in range(4)]
    pushed = {keys[index]: 100.0 + index for index in range(4)}
    session = Session(0, pushed, None, "", "", marker_keys=keys)  # no loop: no signalling
    pts = [index * Gst.SECOND // FPS for index in range(4)]
    for index in range(3):  # the fourth picture never went through the depayloader
        session._arrived[pts[index]] = 100.0 + index + 0.005 * (index + 1)
    pipeline = Gst.parse_launch(
        f"appsrc name=src format=time caps=video/x-raw,format=RGB,width={WIDTH},"
        f"height={HEIGHT},framerate={FPS}/1 ! videoconvert ! video/x-raw,format=I420 ! "
        "appsink name=sink sync=false emit-signals=true")
    pipeline.get_by_name("sink").connect("new-sample", session._on_decoded)
    source = pipeline.get_by_name("src")
    pipeline.set_state(Gst.State.PLAYING)
    try:
        for frame, stamp in zip(frames, pts, strict=True):
            buffer = Gst.Buffer.new_wrapped(frame)
            buffer.pts = stamp
            source.emit("push-buffer", buffer)
        source.emit("end-of-stream")
        message = pipeline.get_bus().timed_pop_filtered(
            10 * Gst.SECOND, Gst.MessageType.EOS | Gst.MessageType.ERROR)
        assert message is not None and message.type == Gst.MessageType.EOS
    finally:
        pipeline.set_state(Gst.State.NULL)
    assert [(a.sent, round(a.received - a.sent, 3)) for a in session.marked] == [
        (100.0, 0.005), (101.0, 0.01), (102.0, 0.015)]
    assert session.unreadable == 1
