"""The official kurento-client (npm) creates our filters by name and hears their events."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from kurento.filters.face import FaceDetector
from tests.face_media import above, decoded_frames, face_clip, green_fraction
from tests.filters.qr_media import FIRST_TEXT, SECOND_TEXT, qr_clip
from tests.media_files import media_clips

if TYPE_CHECKING:
    from tests.conftest import ServerProcess

SCRIPT = Path(__file__).parent / "js" / "filters.js"
RECOGNITION_SCRIPT = Path(__file__).parent / "js" / "recognition.js"
MODULES = Path(__file__).parents[1] / "interop" / "js" / "node_modules" / "kurento-client"
NODE = shutil.which("node")

pytestmark = [
    pytest.mark.gst,
    pytest.mark.interop,
    pytest.mark.skipif(NODE is None or not MODULES.is_dir(),
                       reason="node or tests/interop/js/node_modules missing"),
]


def test_js_client_uses_python_and_gstreamer_filters(kurento_server: ServerProcess) -> None:
    assert NODE is not None
    proc = subprocess.run([NODE, str(SCRIPT), kurento_server.url,
                           media_clips().webm.resolve().as_uri()],
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    report = json.loads(lines[-1]) if lines else {}
    assert proc.returncode == 0 and report.get("ok"), (proc.stdout[-3000:], proc.stderr[-3000:])
    results = report["results"]
    assert "only one element" in results["badCommand"]
    assert results["transcoding"] == ["VIDEO", "TRANSCODING"]
    assert all(".SepiaFilter" in i or ".MotionDetectorFilter" in i for i in results["ids"])


def test_js_client_reads_codes_and_draws_a_hat_unmodified(kurento_server: ServerProcess,
                                                         tmp_path: Path) -> None:
    """ZBarFilter and FaceOverlayFilter are classes kurento-client already has: no register."""
    assert NODE is not None
    assert tmp_path.resolve().is_relative_to("/tmp"), "recording must be in a media root"
    clip, face = qr_clip(), face_clip()
    recording = tmp_path / "js-hat.webm"
    proc = subprocess.run([NODE, str(RECOGNITION_SCRIPT), kurento_server.url, clip.uri,
                           face.webm.resolve().as_uri(), face.hat.resolve().as_uri(),
                           recording.resolve().as_uri()],
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    report = json.loads(lines[-1]) if lines else {}
    assert proc.returncode == 0 and report.get("ok"), (
        proc.stdout[-3000:], proc.stderr[-3000:], kurento_server.log_tail())
    results = report["results"]

    # CodeFound as a JS application sees it: KMS's type name, the codes' texts, in order.
    codes = results["codes"]
    assert {code["codeType"] for code in codes} == {"QR-Code"}, codes
    values = [code["value"] for code in codes]
    assert values[0] == FIRST_TEXT and SECOND_TEXT in values, values
    assert results["codeSourcesOk"], codes

    # An image the server will not load (here: outside the media roots): Kurento's 40600,
    # as the JS error's code.
    assert results["badImage"]["code"] == 40600, results["badImage"]

    # The recording shows the hat above the face (as in test_face_overlay.py).
    frames = decoded_frames(recording)
    assert len(frames) >= 20, len(frames)
    detector = FaceDetector()
    hatted = 0
    for frame in frames[5:]:
        faces = detector.detect(frame)
        if len(faces) == 1:
            found = faces[0]
            box = above(found.x, found.y, found.width, found.height)
            if green_fraction(frame[box]) > 0.8:
                hatted += 1
    assert hatted >= (len(frames) - 5) * 0.7, (hatted, len(frames))
    assert green_fraction(frames[-1][frames[-1].shape[0] * 3 // 4:]) < 0.01
