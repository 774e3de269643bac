"""The goals check (bench/goals.py) over results files shaped as bench/compare.py writes
them: only rows that kept quality count, ratios pair rows of the same N."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

# appended, not put first: bench/ also holds modules named like common ones (webrtc.py)
sys.path.append(str(Path(__file__).resolve().parents[2] / "bench"))

from goals import report, verdicts


def row(server: str, n: int, cpu: float, **extra: Any) -> dict[str, Any]:
    return {"server": server, "n": n, "cpu": cpu, "rss": 100.0 + 2.0 * n, "gen_cpu": 2.0 * n,
            "video_p99": 5.0, "audio_p99": 4.0, "pkt_per_cpu_s": 1000.0 * n,
            "broken": False, **extra}


def write(folder: Path, scenario: str, rows: list[dict[str, Any]]) -> None:
    (folder / f"{scenario}.json").write_text(json.dumps({"date": f"{scenario} date",
                                                        "rows": rows}))


def by_goal(folder: Path) -> dict[str, tuple[bool | None, str]]:
    return {v.goal: (v.met, v.measured) for _, v in verdicts(folder, cores=2)}


def test_loopback_goals_from_paired_rows(tmp_path: Path) -> None:
    write(tmp_path, "loopback", [
        row("kurento", 1, 3.0), row("kurento", 2, 5.0), row("kurento", 4, 10.0),
        row("kurento", 8, 40.0, broken=True),  # where the ladder stopped: not counted
        row("janus", 1, 2.0), row("janus", 2, 5.0),  # no Janus row at N = 4
    ])
    goals = by_goal(tmp_path)
    assert goals["loopback: server CPU ours/Janus <= 1.0"] == (False, "N=1 1.50, N=2 1.00")
    met, measured = goals["loopback: RSS per session < 5 MB"]
    assert met and measured == "2.10 MB per session"  # 2 MiB
    # 10/4 per session at N = 4 against 5/2 at N = 2
    assert goals["loopback: cost linear in N"] == (True, "CPU per session at N=4 / at N=2: 1.00")


def test_delay_and_packets_goals(tmp_path: Path) -> None:
    write(tmp_path, "one-to-many", [
        row("kurento", 8, 5.0, pkt_per_cpu_s=42_000.0),
        row("kurento", 16, 10.0, video_p99=31.5, pkt_per_cpu_s=39_000.0),
        row("kurento", 32, 50.0, pkt_per_cpu_s=90_000.0, error="RuntimeError: boom",
            broken=True),
        row("janus", 8, 4.0, pkt_per_cpu_s=30_000.0),
    ])
    goals = by_goal(tmp_path)
    assert goals["one-to-many: >= 40,000 pkt/CPU-s"] == (
        True, "best 42,000 at N=8 (Janus best 30,000)")
    assert goals["one-to-many: delay p99 < 20 ms"] == (
        False, "worst 31.5 ms at N=16; over: N=16 31.5 ms")


def test_rows_with_the_cores_full_do_not_judge_growth(tmp_path: Path) -> None:
    write(tmp_path, "one-to-many", [
        row("kurento", 8, 8.0), row("kurento", 16, 16.0),
        row("kurento", 32, 60.0, gen_cpu=130.0),  # 190 % of two cores: full
    ])
    goals = by_goal(tmp_path)
    assert goals["one-to-many: cost linear in N"] == (
        True, "CPU per session at N=16 / at N=8: 1.00")


def test_super_linear_cost_is_not_met(tmp_path: Path) -> None:
    write(tmp_path, "loopback", [row("kurento", 4, 4.0), row("kurento", 8, 12.0)])
    assert by_goal(tmp_path)["loopback: cost linear in N"] == (
        False, "CPU per session at N=8 / at N=4: 1.50")


def test_missing_scenarios_are_said_so(tmp_path: Path) -> None:
    found = verdicts(tmp_path, cores=2)
    assert [(v.goal, v.met) for _, v in found] == [("loopback", None), ("one-to-many", None)]
    assert "not measured" in report(found)
