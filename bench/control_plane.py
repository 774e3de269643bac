"""Control-plane benchmark: figures for the Kurento Protocol path, no media.

Starts our server (real GStreamer engine) on a free loopback port in a child process,
then measures, with our Python client and with the official kurento-client (Node):

* the sequence create MediaPipeline + 2 PassThrough + connect + release, run one after
  another: sequences/s, p50/p99 latency;
* simple invokes (``getName``) with 32 in flight: invokes/s;
* the server's CPU time and RSS over the run.

Usage: .venv/bin/python bench/control_plane.py [--sequences 500] [--invokes 10000]
Goals (issue 2): sequence p99 < 20 ms, >= 2,000 simple invokes/s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from procstats import cpu_seconds, free_port, rss_mib

from kurento.client import KurentoClient, MediaPipeline, PassThrough

ROOT = Path(__file__).resolve().parents[1]


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(pct / 100 * len(ordered)))]


async def python_client(url: str, sequences: int, invokes: int) -> dict[str, float]:
    async with KurentoClient.connect(url) as client:
        latencies = []
        start = time.perf_counter()
        for _ in range(sequences):
            began = time.perf_counter()
            pipeline = await MediaPipeline.create(client)
            first = await PassThrough.create(pipeline)
            second = await PassThrough.create(pipeline)
            await first.connect(second)
            await pipeline.release()
            latencies.append((time.perf_counter() - began) * 1000)
        sequence_time = time.perf_counter() - start
        pipeline = await MediaPipeline.create(client)
        remaining = invokes

        async def worker() -> None:
            nonlocal remaining
            while remaining > 0:
                remaining -= 1
                await pipeline.get_name()

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(32)))
        invoke_time = time.perf_counter() - start
        await pipeline.release()
    return {
        "sequence_p50_ms": percentile(latencies, 50),
        "sequence_p99_ms": percentile(latencies, 99),
        "sequence_mean_ms": statistics.fmean(latencies),
        "sequences_per_s": sequences / sequence_time,
        "invokes_per_s": invokes / invoke_time,
    }


def thread_count(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/task"))


async def held_objects(url: str, pid: int, count: int) -> dict[str, float]:
    """RSS and threads per live pipeline of 2 connected PassThroughs, then after release."""
    async with KurentoClient.connect(url) as client:
        rss0, threads0 = rss_mib(pid), thread_count(pid)
        pipelines = []
        for _ in range(count):
            pipeline = await MediaPipeline.create(client)
            first = await PassThrough.create(pipeline)
            second = await PassThrough.create(pipeline)
            await first.connect(second)
            pipelines.append(pipeline)
        await asyncio.sleep(1)
        rss1, threads1 = rss_mib(pid), thread_count(pid)
        for pipeline in pipelines:
            await pipeline.release()
        await asyncio.sleep(1)
        return {
            "rss_per_pipeline_kib": (rss1 - rss0) * 1024 / count,
            "threads_per_pipeline": (threads1 - threads0) / count,
            "rss_before_mib": rss0,
            "rss_held_mib": rss1,
            "rss_after_release_mib": rss_mib(pid),
        }


def node_client(url: str, sequences: int, invokes: int) -> dict[str, float] | None:
    node = shutil.which("node")
    if node is None or not (ROOT / "tests/interop/js/node_modules/kurento-client").exists():
        return None
    output = subprocess.run(
        [node, str(ROOT / "bench/control_plane.js"), url, str(sequences), str(invokes)],
        check=True, capture_output=True, text=True, timeout=600,
    ).stdout
    data: dict[str, float] = json.loads(output.strip().splitlines()[-1])
    return data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sequences", type=int, default=500)
    parser.add_argument("--invokes", type=int, default=10000)
    parser.add_argument("--held", type=int, default=200,
                        help="pipelines kept alive at once for the memory figures")
    args = parser.parse_args()
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "kurento.server", "--port", str(port), "--log-level", "WARNING"],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert server.stdout is not None
        server.stdout.readline()  # "listening on ..."
        url = f"ws://127.0.0.1:{port}/kurento"
        rows = []
        for name, run in (
            ("python (kurento.client)",
             lambda: asyncio.run(python_client(url, args.sequences, args.invokes))),
            ("node (kurento-client 7.3.0)",
             lambda: node_client(url, args.sequences, args.invokes)),
        ):
            cpu_before, wall_before = cpu_seconds(server.pid), time.perf_counter()
            figures = run()
            if figures is None:
                print(f"{name}: skipped (node or tests/interop/js/node_modules missing)")
                continue
            cpu = cpu_seconds(server.pid) - cpu_before
            wall = time.perf_counter() - wall_before
            rows.append((name, figures, 100 * cpu / wall, rss_mib(server.pid)))
        header = (f"{'client':<28} {'seq p50 ms':>10} {'seq p99 ms':>10} {'seq/s':>7} "
                  f"{'invokes/s':>9} {'server CPU %':>12} {'server RSS MiB':>14}")
        print(f"{args.sequences} sequences (create pipeline + 2 PassThrough + connect + "
              f"release), {args.invokes} getName invokes with 32 in flight")
        print(header)
        for name, f, cpu_pct, rss in rows:
            print(f"{name:<28} {f['sequence_p50_ms']:>10.2f} {f['sequence_p99_ms']:>10.2f} "
                  f"{f['sequences_per_s']:>7.1f} {f['invokes_per_s']:>9.0f} {cpu_pct:>12.1f} "
                  f"{rss:>14.1f}")
        held = asyncio.run(held_objects(url, server.pid, args.held))
        print(f"{args.held} live pipelines (2 connected PassThrough each): "
              f"{held['rss_per_pipeline_kib']:.0f} KiB and "
              f"{held['threads_per_pipeline']:.1f} threads per pipeline; RSS "
              f"{held['rss_before_mib']:.1f} -> {held['rss_held_mib']:.1f} MiB, "
              f"{held['rss_after_release_mib']:.1f} MiB after release")
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
