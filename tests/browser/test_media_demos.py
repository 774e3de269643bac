"""The recorder and player demos end to end in Chromium (loopback-only namespace):
the camera is recorded to a WebM file that a decoder accepts, played back to the page,
and a clip is played with seek and end of stream."""

from __future__ import annotations

import time
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from tests.browser.conftest import DemoStack, Pages, assert_receiving
from tests.media_check import decodes_after_seek, first_video_frame_is_keyframe, has_cues, probe

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]


def test_recorder_records_the_camera_and_plays_it_back(webrtc: DemoStack, pages: Pages) -> None:
    page = pages.open("/recorder/")
    page.click("#start")
    assert_receiving(page, "videoOutput", pages)
    page.wait_for_function("window.demo.state === 'recording'", polling=100)
    started = time.monotonic()
    page.wait_for_timeout(4000)
    page.click("#stop")
    elapsed = time.monotonic() - started
    page.wait_for_function("window.demo.state === 'recorded'", polling=100)

    path = Path(unquote(urlsplit(page.evaluate("window.demo.recording")).path))
    info = probe(path)
    assert info.codecs() == {"video": "vp8", "audio": "opus"}, info
    assert info.duration is not None, "the WebM file states its duration"
    # The file holds what was sent from the Recording event until the app's stop reached
    # the server (after the page's click: a signalling hop more), with a written
    # duration: Kurento's own WebM recordings famously have none.
    assert 0.95 * elapsed <= info.duration <= elapsed + 1.0, (info.duration, elapsed)
    assert info.start_skew() < 0.1, info
    assert has_cues(path) and first_video_frame_is_keyframe(path)
    assert decodes_after_seek(path, info.duration / 2)

    page.click("#play")
    assert_receiving(page, "videoOutput", pages)
    page.wait_for_function("window.demo.state === 'played'", polling=200,
                           timeout=(info.duration + 15) * 1000)
    webrtc.assert_released()
    path.unlink()


def test_player_plays_the_sample_with_seek_until_the_end(webrtc: DemoStack, pages: Pages) -> None:
    page = pages.open("/player/")
    page.click("#start")
    assert_receiving(page, "videoOutput", pages)
    page.wait_for_function("window.demo.videoInfo !== undefined", polling=100)
    info = page.evaluate("window.demo.videoInfo")
    assert info["isSeekable"] is True
    assert abs(info["videoDuration"] - 10_000) <= 500, info

    page.click("#getPosition")
    page.wait_for_function("window.demo.position > 0", polling=100)
    page.fill("#seekPosition", "8000")
    page.click("#seek")
    page.evaluate("window.demo.position = undefined")
    page.click("#getPosition")
    page.wait_for_function("window.demo.position !== undefined", polling=100)
    assert page.evaluate("window.demo.position") >= 8000
    # Two seconds were left after the seek: the end comes well before the clip's 10 s.
    page.wait_for_function("window.demo.state === 'ended'", polling=100, timeout=8000)
    webrtc.assert_released()


def test_player_refuses_a_file_outside_the_media_roots(webrtc: DemoStack, pages: Pages) -> None:
    page = pages.open("/player/")
    page.fill("#videourl", "file:///etc/passwd")
    page.click("#start")
    page.wait_for_function("window.demo.errors.length > 0", polling=100)
    assert "outside the media roots" in page.evaluate("window.demo.errors[0]")
    page.wait_for_function("window.demo.state === 'idle'", polling=100)
    webrtc.assert_released()
