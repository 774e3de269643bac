"""The official kurento-client (npm) creates our filters by name and hears their events."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.media_files import media_clips

if TYPE_CHECKING:
    from tests.conftest import ServerProcess

SCRIPT = Path(__file__).parent / "js" / "filters.js"
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
