"""FaceOverlayFilter: a hat drawn above a real face, following it; through the real server."""

from __future__ import annotations

import asyncio
import threading
import time

import numpy as np
import pytest

from kurento.client import (
    FaceOverlayFilter,
    KurentoClient,
    MediaPipeline,
    MediaProfileSpecType,
    MediaType,
    PlayerEndpoint,
    RecorderEndpoint,
)
from kurento.filters.face import Face, FaceDetector, FaceOverlay, FacePlacement
from kurento.protocol.errors import KurentoError

from .. import face_media
from ..face_media import (
    HAT_PLACEMENT,
    decoded_frames,
    face_clip,
    face_frame,
    green_fraction,
    hat_rgba,
)

pytestmark = pytest.mark.gst

MS = 1_000_000
HAT = FacePlacement(*HAT_PLACEMENT)


def above(face: Face) -> tuple[slice, slice]:
    return face_media.above(face.x, face.y, face.width, face.height)


def test_detector_finds_the_face_wherever_it_sways() -> None:
    detector = FaceDetector()
    for index in range(0, 60, 5):
        faces = detector.detect(face_frame(index))
        assert len(faces) == 1, index
        assert 80 <= faces[0].width <= 140


def test_hat_drawn_above_the_face_and_nowhere_else() -> None:
    overlay = FaceOverlay(detect_interval_ns=0)
    frame = face_frame(0)
    untouched = frame.copy()
    overlay.process(frame, 0)
    assert np.array_equal(frame, untouched), "no image set: the video passes unchanged"
    overlay.set_image(hat_rgba(), HAT)
    overlay.process(frame, 1)
    [face] = overlay.faces()
    assert green_fraction(frame[above(face)]) > 0.95
    below = frame[face.y + face.height // 2:, :]
    assert green_fraction(below) < 0.001
    assert green_fraction(untouched) < 0.001
    overlay.unset_image()
    fresh = face_frame(0)
    overlay.process(fresh, 2)
    assert green_fraction(fresh) < 0.001


def test_overlay_follows_the_face_and_holds_through_a_missed_detection() -> None:
    overlay = FaceOverlay(detect_interval_ns=100 * MS, hold_ns=500 * MS)
    overlay.set_image(hat_rgba(), HAT)
    positions = []
    for index in range(0, 16):  # a quarter of the sway: 40 px to the right
        frame = face_frame(index)
        overlay.process(frame, index * 66 * MS)
        [face] = overlay.faces()
        positions.append(face.x)
        assert green_fraction(frame[above(face)]) > 0.9
    assert positions[-1] - positions[0] > 25
    # The face disappears: the hat stays for the hold time, then goes.
    blank = np.full_like(face_frame(0), 128)
    overlay.process(blank.copy(), 16 * 66 * MS + 200 * MS)
    assert overlay.faces()
    overlay.process(blank.copy(), 16 * 66 * MS + 900 * MS)
    assert not overlay.faces()


class GatedDetector(FaceDetector):
    """The real detector, held until the test opens its gate; notes the thread it ran on."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = threading.Event()
        self.threads: list[int] = []

    def detect(self, frame: np.ndarray) -> list[Face]:
        self.threads.append(threading.get_ident())
        self.gate.wait(10)
        return super().detect(frame)


def wait_for_faces(overlay: FaceOverlay) -> list[Face]:
    deadline = time.monotonic() + 10
    while not overlay.faces() and time.monotonic() < deadline:
        time.sleep(0.01)
    return overlay.faces()


def test_background_detection_never_holds_the_frame() -> None:
    """In the server the frame goes on while its detection runs elsewhere; the boxes
    found apply to the frames after."""
    detector = GatedDetector()
    overlay = FaceOverlay(detector=detector, detect_interval_ns=0, background=True)
    overlay.set_image(hat_rgba(), HAT)
    first = face_frame(0)
    untouched = first.copy()
    overlay.process(first, 0)  # returns with the detection still held at the gate
    assert not detector.gate.is_set()
    assert detector.threads and detector.threads[0] != threading.get_ident()
    assert np.array_equal(first, untouched), "no face known yet: nothing drawn"
    detector.gate.set()
    [face] = wait_for_faces(overlay)
    second = face_frame(1)
    overlay.process(second, 33 * MS)
    assert green_fraction(second[above(face)]) > 0.9


def test_background_overlay_follows_the_face_at_the_frame_rate() -> None:
    overlay = FaceOverlay(detect_interval_ns=100 * MS, background=True)
    overlay.set_image(hat_rgba(), HAT)
    hatted, positions = 0, []
    for index in range(0, 17):  # a quarter of the sway (40 px), paced like live video
        frame = face_frame(index)
        overlay.process(frame, index * 33 * MS)
        faces = overlay.faces()
        if faces and green_fraction(frame[above(faces[0])]) > 0.9:
            hatted += 1
            positions.append(faces[0].x)
        time.sleep(0.033)
    assert hatted >= 13, hatted  # all but the frames before the first result
    assert positions[-1] - positions[0] > 25


class FailingDetector(FaceDetector):
    def detect(self, frame: np.ndarray) -> list[Face]:
        raise RuntimeError("the detector broke")


def test_a_background_detection_that_fails_fails_the_filter() -> None:
    overlay = FaceOverlay(detector=FailingDetector(), detect_interval_ns=0, background=True)
    overlay.set_image(hat_rgba(), HAT)
    deadline, pts = time.monotonic() + 10, 0
    with pytest.raises(RuntimeError, match="the detector broke"):
        while time.monotonic() < deadline:  # raises on the first frame after it failed
            overlay.process(face_frame(0), pts)
            pts += 33 * MS
            time.sleep(0.01)


async def test_player_through_face_overlay_into_a_recording(
    client: KurentoClient, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Player (face clip) → FaceOverlayFilter (hat) → Recorder; the file shows the hat."""
    clip = face_clip()
    recording = tmp_path_factory.mktemp("face") / "hat.webm"
    pipeline = await MediaPipeline.create(client)
    player = await PlayerEndpoint.create(pipeline, clip.webm.as_uri())
    face_filter = await FaceOverlayFilter.create(pipeline)
    await face_filter.set_overlayed_image(clip.hat.as_uri(), *HAT_PLACEMENT)
    recorder = await RecorderEndpoint.create(pipeline, recording.as_uri(),
                                             media_profile=MediaProfileSpecType.WEBM_VIDEO_ONLY)
    await player.connect(face_filter)
    await face_filter.connect(recorder)
    await recorder.record()
    await player.play()
    await asyncio.sleep(3)
    await recorder.stop_and_wait()
    assert await face_filter.is_media_transcoding(MediaType.VIDEO)
    await pipeline.release()

    frames = decoded_frames(recording)
    assert len(frames) >= 20
    detector = FaceDetector()
    hatted = 0
    for frame in frames[5:]:
        faces = detector.detect(frame)
        if len(faces) == 1 and green_fraction(frame[above(faces[0])]) > 0.8:
            hatted += 1
    # Detection on the recorded frames sees the face below the hat in most frames.
    assert hatted >= (len(frames) - 5) * 0.7, (hatted, len(frames))
    assert green_fraction(frames[-1][frames[-1].shape[0] * 3 // 4:]) < 0.01


async def test_bad_images_are_refused(client: KurentoClient,
                                      tmp_path_factory: pytest.TempPathFactory) -> None:
    pipeline = await MediaPipeline.create(client)
    face_filter = await FaceOverlayFilter.create(pipeline)
    not_an_image = tmp_path_factory.mktemp("face") / "text.png"
    not_an_image.write_text("not a picture")
    for uri in ["file:///etc/hostname", not_an_image.as_uri(),
                not_an_image.with_name("missing.png").as_uri()]:
        with pytest.raises(KurentoError) as refused:
            await face_filter.set_overlayed_image(uri, *HAT_PLACEMENT)
        assert refused.value.code == 40600, uri
    await face_filter.unset_overlayed_image()  # nothing set: not an error
    await pipeline.release()

