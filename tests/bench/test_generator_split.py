"""The benchmark generator spread over processes (bench/loadgen/split.py): how the
coordinator shares sessions out and merges what its parts measured. The parts
themselves run only under bench/compare.py (they need a server and Janus)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# appended, not put first: bench/ also holds modules named like common ones (webrtc.py)
sys.path.append(str(Path(__file__).resolve().parents[2] / "bench"))

from loadgen.split import merge, shares

COUNTERS = {"packets_received": 0, "packets_sent": 0, "packets_lost": 0, "pli": 0, "fir": 0,
            "nack": 0, "remote_lost": 0, "remote_reports": 0}
START, END = 100.0, 101.0


def counters(received: int = 0) -> dict[str, int]:
    return {**COUNTERS, "packets_received": received}


def test_sessions_are_shared_out_evenly_in_order() -> None:
    assert shares(10, 4) == [3, 3, 2, 2]
    assert shares(4, 4) == [1, 1, 1, 1]
    assert sum(shares(33, 4)) == 33


def presenter_part() -> dict[str, object]:
    """The part that pushes the clip: frame 1 (video) at 100.0 and again a lap later at
    110.0, frame 2 (video) at 100.5, frame 3 (audio) at 100.25; one viewer of its own
    that got frames 1 and 3."""
    return {
        "pushes": [[100.0, "video", 1], [100.25, "audio", 3], [100.5, "video", 2],
                   [110.0, "video", 1]],
        "peers": [{"index": 0, "keys": None, "unmatched": 0, "dropped_candidates": 0,
                   "arrivals": [["video", 100.0, 100.004], ["audio", 100.25, 100.252]]}],
        "before": [counters(10)], "after": [counters(40)],
        "threads": {"rtpjitterbuffer": 3.0, "python": 0.2},
    }


def viewer_part(keys: list[list[object]]) -> dict[str, object]:
    """A part without the presenter: its viewer kept (kind, frame hash, arrival)."""
    return {"pushes": None,
            "peers": [{"index": 1, "keys": keys, "unmatched": 0, "dropped_candidates": 0,
                       "arrivals": []}],
            "before": [counters(5)], "after": [counters(25)],
            "threads": {"rtpjitterbuffer": 2.0}}


def test_a_remote_viewer_frame_is_matched_to_its_latest_push_before_it_arrived() -> None:
    figures = merge([presenter_part(), viewer_part([
        ["video", 1, 100.010],  # frame 1 of this lap: 10 ms
        ["video", 2, 100.506],  # 6 ms
        ["audio", 3, 100.254],  # 4 ms
        ["video", 1, 110.003],  # frame 1 of the next lap (after the window): not counted
        ["video", 99, 100.7],  # never pushed
    ])], START, END)
    assert figures["frames"] == 2 + 3  # the first viewer's two, the second's three
    assert figures["video_p99"] == pytest.approx(10.0, abs=1e-6)
    assert figures["audio_p99"] == pytest.approx(4.0, abs=1e-6)
    assert figures["unmatched"] == 1
    # two video and one audio frame were sent in the window: the first viewer lost one
    assert figures["loss_max"] == pytest.approx(100 / 3)
    assert figures["loss_mean"] == pytest.approx(100 / 6)
    assert figures["packets_received"] == 30 + 20
    assert figures["threads"] == {"rtpjitterbuffer": 5.0}  # summed; under 0.5 left out
    assert figures["processes"] == 2


def test_a_viewer_that_got_nothing_counts_as_silent() -> None:
    figures = merge([presenter_part(), viewer_part([])], START, END)
    assert figures["without_video"] == 1
    assert figures["without_audio"] == 1
    assert figures["silent_detail"] == [{"session": 1}]


def test_merging_needs_a_part_that_pushed() -> None:
    with pytest.raises(RuntimeError, match="pushed"):
        merge([viewer_part([])], START, END)
