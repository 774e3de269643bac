"""Issue 6's goals, checked against the latest results of ``bench/compare.py``.

``.venv/bin/python bench/goals.py [--results DIR]`` reads the JSON files the scenarios
wrote (``bench/loadgen/results/`` by default) and prints, for each goal, what the rows
measured and whether that meets it; ``compare.py --scenario all`` ends with it. Only
rows that kept quality count (a broken row says where the ladder stopped, not what the
server does), and the ratios to Janus are taken at the same N of the same run.

Goals (on the project's 2-core machine):

* loopback: server CPU per session <= Janus's (ratio <= 1.0 at every N);
* loopback: RSS per session < 5 MB (the slope of RSS against N);
* one-to-many: >= 40,000 forwarded packets per server CPU-second;
* passthrough (loopback, one-to-many): added delay p99 < 20 ms (video and audio);
* cost linear in N until the cores are full: CPU per session at the largest N whose
  server + generator left a tenth of the cores idle, against the same at about half that
  N (1.0 is linear; the goal allows 1.2 for the noise of this machine).
"""

from __future__ import annotations

import argparse
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "loadgen" / "results"
CPU_RATIO_GOAL = 1.0
RSS_GOAL_MB = 5.0
PACKETS_GOAL = 40_000
DELAY_GOAL_MS = 20.0
GROWTH_ALLOWED = 1.2
MIB = 1.048576  # MB per MiB


@dataclass(frozen=True)
class Verdict:
    goal: str
    measured: str
    met: bool | None  # None: not measured


def kept(rows: list[dict[str, Any]], server: str) -> list[dict[str, Any]]:
    """The server's rows that ran and kept quality, by N."""
    return sorted((r for r in rows if r["server"] == server and not r.get("broken")
                   and "error" not in r and not r.get("na")), key=lambda r: r["n"])


def cpu_ratios(rows: list[dict[str, Any]]) -> dict[int, float]:
    """ours/Janus server CPU at each N both kept."""
    janus = {r["n"]: r["cpu"] for r in kept(rows, "janus")}
    return {r["n"]: r["cpu"] / janus[r["n"]] for r in kept(rows, "kurento")
            if janus.get(r["n"])}


def rss_slope(rows: list[dict[str, Any]]) -> float | None:
    """MiB per session: least squares of RSS against N over our kept rows."""
    points = [(r["n"], r["rss"]) for r in kept(rows, "kurento")]
    if len(points) < 2:
        return None
    mean_n = sum(n for n, _ in points) / len(points)
    mean_rss = sum(rss for _, rss in points) / len(points)
    spread = sum((n - mean_n) ** 2 for n, _ in points)
    return float(sum((n - mean_n) * (rss - mean_rss) for n, rss in points) / spread)


def worst_p99(row: dict[str, Any]) -> float:
    return float(max(row.get("video_p99", 0.0), row.get("audio_p99", 0.0)))


def cost_growth(rows: list[dict[str, Any]], cores: int) -> tuple[int, int, float] | None:
    """(N, about N/2, CPU per session at N / the same at N/2) over our kept rows whose
    server and generator together left a tenth of the cores idle."""
    unloaded = [r for r in kept(rows, "kurento")
                if r["cpu"] + r.get("gen_cpu", 0.0) < 90 * cores and r["n"] >= 2]
    if len(unloaded) < 2:
        return None
    top = unloaded[-1]
    half = min(unloaded[:-1], key=lambda r: abs(r["n"] - top["n"] / 2))
    return top["n"], half["n"], (top["cpu"] / top["n"]) / (half["cpu"] / half["n"])


def loopback_verdicts(rows: list[dict[str, Any]]) -> list[Verdict]:
    ratios = cpu_ratios(rows)
    slope = rss_slope(rows)
    return [
        Verdict("loopback: server CPU ours/Janus <= 1.0",
                ", ".join(f"N={n} {ratio:.2f}" for n, ratio in ratios.items()) or "no pair",
                (max(ratios.values()) <= CPU_RATIO_GOAL) if ratios else None),
        Verdict("loopback: RSS per session < 5 MB",
                "no rows" if slope is None else f"{slope * MIB:.2f} MB per session",
                None if slope is None else slope * MIB < RSS_GOAL_MB),
    ]


def packets_verdict(rows: list[dict[str, Any]]) -> Verdict:
    ours = kept(rows, "kurento")
    if not ours:
        return Verdict("one-to-many: >= 40,000 pkt/CPU-s", "no rows", None)
    best = max(ours, key=lambda r: r["pkt_per_cpu_s"])
    janus = kept(rows, "janus")
    beside = (f" (Janus best {max(r['pkt_per_cpu_s'] for r in janus):,.0f})" if janus
              else "")
    return Verdict("one-to-many: >= 40,000 pkt/CPU-s",
                   f"best {best['pkt_per_cpu_s']:,.0f} at N={best['n']}{beside}",
                   best["pkt_per_cpu_s"] >= PACKETS_GOAL)


def delay_verdict(scenario: str, rows: list[dict[str, Any]]) -> Verdict:
    ours = kept(rows, "kurento")
    over = [f"N={r['n']} {worst_p99(r):.1f} ms" for r in ours if worst_p99(r) >= DELAY_GOAL_MS]
    worst = max(ours, key=worst_p99, default=None)
    measured = ("no rows" if worst is None else
                f"worst {worst_p99(worst):.1f} ms at N={worst['n']}" +
                (f"; over: {', '.join(over)}" if over else ""))
    return Verdict(f"{scenario}: delay p99 < 20 ms", measured,
                   None if worst is None else not over)


def growth_verdict(scenario: str, rows: list[dict[str, Any]], cores: int) -> Verdict:
    growth = cost_growth(rows, cores)
    if growth is None:
        return Verdict(f"{scenario}: cost linear in N", "too few rows", None)
    top, half, ratio = growth
    return Verdict(f"{scenario}: cost linear in N",
                   f"CPU per session at N={top} / at N={half}: {ratio:.2f}",
                   ratio <= GROWTH_ALLOWED)


def scenario_verdicts(scenario: str, rows: list[dict[str, Any]], cores: int) -> list[Verdict]:
    """The goals of one passthrough scenario."""
    first = loopback_verdicts(rows) if scenario == "loopback" else [packets_verdict(rows)]
    return [*first, delay_verdict(scenario, rows), growth_verdict(scenario, rows, cores)]


def verdicts(results: Path, cores: int) -> list[tuple[str, Verdict]]:
    """(the run's date, verdict) for every goal, from the scenarios' JSON files."""
    found: list[tuple[str, Verdict]] = []
    for scenario in ("loopback", "one-to-many"):
        path = results / f"{scenario}.json"
        if not path.exists():
            found.append(("-", Verdict(scenario, "not measured", None)))
            continue
        data = json.loads(path.read_text())
        found += [(data["date"], verdict)
                  for verdict in scenario_verdicts(scenario, data["rows"], cores)]
    return found


def report(found: list[tuple[str, Verdict]]) -> str:
    marks = {True: "met", False: "NOT MET", None: "n/a"}
    width = max(len(v.goal) for _, v in found)
    return "\n".join(f"{v.goal:<{width}}  {marks[v.met]:<7}  {v.measured}  [{date}]"
                     for date, v in found)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--cores", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    print(report(verdicts(args.results, args.cores)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
