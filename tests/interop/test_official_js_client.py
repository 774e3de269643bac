"""The official kurento-client 7.3.0 (npm) against the real server.

Each test starts a fresh server subprocess (``kurento_server`` in
tests/conftest.py) and runs one Node script from tests/interop/js against it.
A script prints one JSON line: ``{"ok": true, "script": ..., "results": {...}}``
or ``{"ok": false, "step": ..., "error": ...}``. The scripts check the client
side; the assertions here re-check the figures that matter for the protocol
(shared/reference/kurento-protocol.md §1, §2.3, §4).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.media_check import probe
from tests.media_files import CLIP_SECONDS, media_clips

if TYPE_CHECKING:
    from tests.conftest import ServerProcess

JS_DIR = Path(__file__).parent / "js"
NODE = shutil.which("node")
SCRIPT_TIMEOUT = 90.0  # the scripts time out by themselves well before this

ALL_MEDIA_TYPES = ["AUDIO", "DATA", "VIDEO"]
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
PIPELINE_ID = re.compile(rf"{UUID}_kurento\.MediaPipeline")


def _skip_reason() -> str:
    if NODE is None:
        return "node is not on PATH (scripts/setup.sh installs it)"
    if not (JS_DIR / "node_modules" / "kurento-client").is_dir():
        return "tests/interop/js/node_modules is missing (run scripts/setup.sh --test)"
    return ""


SKIP_REASON = _skip_reason()
pytestmark = [
    pytest.mark.interop,
    pytest.mark.skipif(bool(SKIP_REASON), reason=SKIP_REASON or "node and kurento-client present"),
]


def run_script(name: str, server: ServerProcess, *args: str) -> dict[str, Any]:
    """Runs ``node <name>.js URL ARGS...`` and returns its ``results`` object."""
    assert NODE is not None
    try:
        proc = subprocess.run(
            [NODE, f"{name}.js", server.url, *args],
            cwd=JS_DIR,
            capture_output=True,
            text=True,
            timeout=SCRIPT_TIMEOUT,
            stdin=subprocess.DEVNULL,
        )
        stdout, stderr, code = proc.stdout, proc.stderr, proc.returncode
    except subprocess.TimeoutExpired as exc:
        stdout = exc.stdout.decode(errors="replace") if isinstance(exc.stdout, bytes) else ""
        stderr = exc.stderr.decode(errors="replace") if isinstance(exc.stderr, bytes) else ""
        code = None

    lines = [line for line in stdout.splitlines() if line.strip()]
    report: dict[str, Any] = {}
    if lines:
        try:
            report = json.loads(lines[-1])
        except ValueError:
            report = {}
    context = (
        f"node {name}.js exited with {code}\n"
        f"--- stdout\n{stdout[-4000:]}\n--- stderr\n{stderr[-4000:]}\n"
        f"--- server log\n{server.log_tail()}"
    )
    assert code == 0 and report.get("ok") is True, context
    assert report.get("script") == name, context
    results: dict[str, Any] = report["results"]
    return results


def test_basic_objects_properties_tags_and_server_manager(kurento_server: ServerProcess) -> None:
    results = run_script("basic", kurento_server)

    pipeline = results["pipelineId"]
    assert PIPELINE_ID.fullmatch(pipeline)
    assert len(results["elementIds"]) == 2
    for element in results["elementIds"]:
        assert re.fullmatch(rf"{re.escape(pipeline)}/{UUID}_kurento\.PassThrough", element)
    # connect() without a media type links AUDIO, VIDEO and DATA (§2.3).
    assert results["sinkConnectionTypes"] == ALL_MEDIA_TYPES
    assert results["sourceConnectionTypes"] == ALL_MEDIA_TYPES
    assert results["describedTypes"] == ["MediaPipeline", "PassThrough"]
    assert results["name"] == "first-passthrough"
    assert results["tags"] == [["room", "blue"], ["user", "ann"]]
    assert results["childCount"] == 2
    info = results["info"]
    assert {"core", "elements", "filters"} <= set(info["modules"])
    assert info["type"] == "KMS"
    assert "transactions" in info["capabilities"]
    assert results["released"] is True


def test_events_element_connected_and_object_lifecycle(kurento_server: ServerProcess) -> None:
    results = run_script("events", kurento_server)

    assert results["elementConnected"] == ALL_MEDIA_TYPES
    assert results["elementDisconnected"] == "VIDEO"
    assert results["objectCreated"] == 3
    assert PIPELINE_ID.fullmatch(results["objectDestroyed"])


def test_explicit_transaction_with_newrefs(kurento_server: ServerProcess) -> None:
    results = run_script("transaction", kurento_server)

    # create pipeline, create x2, connect, setName: one reply per operation.
    assert results["operations"] == 5
    pipeline, *elements = results["ids"]
    assert PIPELINE_ID.fullmatch(pipeline)
    assert all(element.startswith(pipeline + "/") for element in elements)
    assert results["sinkConnectionTypes"] == ALL_MEDIA_TYPES


def test_reconnect_resumes_session_objects_and_subscriptions(
    kurento_server: ServerProcess,
) -> None:
    results = run_script("reconnect", kurento_server)

    assert results["sameSession"] is True
    assert results["nameAfterReconnect"] == "survivor"
    assert results["eventAfterReconnect"] is True
    assert results["released"] is True


def test_error_codes_reach_the_client(kurento_server: ServerProcess) -> None:
    results = run_script("errors", kurento_server)

    assert results["unknownType"]["code"] == 40108
    assert results["unknownType"]["type"] == "MEDIA_OBJECT_NOT_AVAILABLE"
    assert results["unknownOperation"]["code"] == 40008
    assert results["unknownOperation"]["type"] == "MALFORMED_TRANSACTION"
    assert results["missingTag"]["code"] == 40110
    for key in ("releasedObject", "releasedObjectMissingMethod"):
        assert results[key]["code"] == 40101
        assert results[key]["type"] == "MEDIA_OBJECT_NOT_FOUND"
        assert results[key]["class"] == "ReferenceError"


def test_player_to_recorder_with_its_events(kurento_server: ServerProcess, tmp_path: Path) -> None:
    recording = tmp_path / "from-js.webm"
    results = run_script("media", kurento_server, media_clips().webm.as_uri(),
                         recording.as_uri())

    assert results["videoInfo"]["isSeekable"] is True
    assert abs(results["videoInfo"]["duration"] - CLIP_SECONDS * 1000) <= 0.05 * CLIP_SECONDS * 1000
    assert results["playerStates"] == ["START", "STOP"]
    assert results["recorderState"] == "STOP"
    info = probe(recording)
    assert info.codecs() == {"video": "vp8", "audio": "opus"}
    assert info.duration is not None and info.duration >= 0.8 * CLIP_SECONDS
