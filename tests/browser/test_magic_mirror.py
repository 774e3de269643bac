"""The magic mirror demo in Chromium (loopback-only namespace), its camera fed from a clip
with a real face: the video that comes back has the demo's red hat right above the face
(and the camera's own video has no red there), and the recording shows the same."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

import cv2
import numpy as np
import pytest

from kurento.filters.face import FaceDetector
from tests.browser.conftest import (
    DemoStack,
    Pages,
    assert_receiving,
    guarded_pages,
    launch_chromium,
)
from tests.browser.netns import Netns
from tests.face_media import above, decoded_frames, face_clip
from tests.media_check import probe

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Playwright

pytestmark = [pytest.mark.browser, pytest.mark.timeout(150)]

# The <video>'s current frame as a PNG data URL (drawn at its own size).
GRAB = """(videoId) => {
  const v = document.getElementById(videoId);
  const canvas = document.createElement('canvas');
  canvas.width = v.videoWidth; canvas.height = v.videoHeight;
  canvas.getContext('2d').drawImage(v, 0, 0);
  return canvas.toDataURL('image/png');
}"""


@pytest.fixture(scope="module")
def face_browser(playwright: Playwright, netns: Netns,
                 tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    """Chromium whose fake camera plays the face clip (in a loop)."""
    camera = f"--use-file-for-fake-video-capture={face_clip().y4m}"
    browser = launch_chromium(playwright, netns, tmp_path_factory.mktemp("chromium-face"),
                              [camera])
    try:
        yield browser
    finally:
        browser.close()


@pytest.fixture
def face_pages(face_browser: Browser, demo_stack: DemoStack) -> Iterator[Pages]:
    yield from guarded_pages(face_browser)


def hat_red_fraction(region: np.ndarray) -> float:
    """Share of an RGB region in the hat's red (the photograph has none above the face)."""
    pixels = region.reshape(-1, 3).astype(np.int32)
    if not len(pixels):
        return 0.0
    red = (pixels[:, 0] > 150) & (pixels[:, 1] < 90) & (pixels[:, 2] < 90)
    return float(red.mean())


def grab(page: Page, video_id: str) -> np.ndarray:
    data_url: str = page.evaluate(GRAB, video_id)
    png = np.frombuffer(base64.b64decode(data_url.split(",", 1)[1]), np.uint8)
    return cv2.cvtColor(cv2.imdecode(png, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)


def hat_above_face(frames: list[np.ndarray], detector: FaceDetector) -> list[float]:
    """For each frame where one face is found: the red share of the hat's place."""
    shares = []
    for frame in frames:
        faces = detector.detect(frame)
        if len(faces) == 1:
            face = faces[0]
            shares.append(hat_red_fraction(frame[above(face.x, face.y, face.width,
                                                       face.height)]))
    return shares


def test_magic_mirror_puts_a_hat_on_the_face_and_records_it(
    webrtc: DemoStack, face_pages: Pages
) -> None:
    page = face_pages.open("/magic_mirror/")
    page.click("#start")
    assert_receiving(page, "videoOutput", face_pages)
    page.wait_for_function("window.demo.state === 'recording'", polling=100)
    detector = FaceDetector()
    returned, local = [], []
    for _ in range(8):
        page.wait_for_timeout(400)
        returned.append(grab(page, "videoOutput"))
        local.append(grab(page, "videoInput"))
    hatted = hat_above_face(returned, detector)
    bare = hat_above_face(local, detector)
    # The face is found under the hat in most returned frames, with the hat above it.
    assert len(hatted) >= 5 and sum(share > 0.6 for share in hatted) >= 5, hatted
    assert len(bare) >= 5 and max(bare) < 0.05, bare

    page.click("#stop")
    page.wait_for_function("window.demo.state === 'stopped'", polling=100)
    path = Path(unquote(urlsplit(page.evaluate("window.demo.recording")).path))
    info = probe(path)
    assert info.codecs() == {"video": "vp8", "audio": "opus"}, info
    recorded = decoded_frames(path)[::5]
    shares = hat_above_face(recorded, detector)
    assert len(shares) >= 4 and sum(share > 0.6 for share in shares) >= 0.7 * len(shares), shares
    webrtc.assert_released()
    path.unlink()

