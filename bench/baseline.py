"""The load generator without a server: what its own send and receive paths add.

``.venv/bin/python bench/baseline.py [--pairs 1,4,8,16] [--window 10] [--settle 3]``

N pairs of the generator's sessions (``loadgen.peer``), each a sender (``sendonly``, the
clip, as in every scenario) connected straight to a receiver (``recvonly``, frames
matched by hash), in one process, inside a network namespace with only ``lo``. A
frame's delay here is what the generator's webrtcbins take to send and to receive it
(payloading, SRTP, the receive jitterbuffer's hand-off, depayloading) plus loopback
UDP: the part of the loopback scenario's delay that is not the server's. Each pair's
clip is due on its own phase of the frame interval (no lockstep bursts, as
``--gen-processes`` gives the loopback scenario).

Columns: N, generator CPU % of a core, video and audio frame delay p50/p99 (ms), the
receivers' lowest fps, the worst loss (% of the frames sent in the window).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(1, str(BENCH.parent / "src"))

from compare import netns_available, run_in_netns  # noqa: E402
from loadgen.clip import FPS, load_clip  # noqa: E402
from loadgen.figures import summarise  # noqa: E402
from loadgen.peer import Session  # noqa: E402
from loadgen.source import Source  # noqa: E402

GRACE = 0.5  # seconds after the window for its last frames to arrive


async def forward_candidates(sender: Session, receiver: Session) -> None:
    while True:
        mline, candidate = await sender.candidates.get()
        receiver.add_candidate(mline, candidate)


async def measure(pairs: int, window: float, settle: float) -> dict[str, Any]:
    clip = load_clip()
    loop = asyncio.get_running_loop()
    sources = [Source(clip, phase=index / pairs / FPS) for index in range(pairs)]
    receivers: list[Session] = []
    everyone: list[Session] = []
    tasks: list[asyncio.Task[None]] = []
    try:
        for index, source in enumerate(sources):
            sender = Session(index, source.sent_times, loop, clip.video_caps,
                             clip.audio_caps, role="sendonly")
            receiver = Session(index, source.sent_times, loop, clip.video_caps,
                               clip.audio_caps, role="recvonly")
            for session in (sender, receiver):
                session.create()
                everyone.append(session)
            receivers.append(receiver)
            source.sessions.append(sender)
            source.start()
            tasks += [loop.create_task(forward_candidates(sender, receiver)),
                      loop.create_task(forward_candidates(receiver, sender))]
            await sender.accept(await receiver.answer_to(await sender.offer()))
        deadline = time.monotonic() + 20 + pairs
        while time.monotonic() < deadline and any(r.first_video is None for r in receivers):
            await asyncio.sleep(0.05)
        missing = sum(1 for r in receivers if r.first_video is None)
        await asyncio.sleep(settle)
        before = await asyncio.gather(*(r.stats() for r in receivers))
        cpu_before, start = time.process_time(), time.monotonic()
        await asyncio.sleep(window)
        cpu_after, end = time.process_time(), time.monotonic()
        after = await asyncio.gather(*(r.stats() for r in receivers))
        await asyncio.sleep(GRACE)
        sent = [(s.sent_between(start, end, "video"), s.sent_between(start, end, "audio"))
                for s in sources]
        figures = summarise(receivers, sent, start, end, before, after)
        return {"n": pairs, "missing": missing,
                "gen_cpu": 100 * (cpu_after - cpu_before) / (end - start), **figures}
    finally:
        for task in tasks:
            task.cancel()
        for source in sources:
            await source.stop()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for session in everyone:
            session.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pairs", default="1,4,8,16")
    parser.add_argument("--window", type=float, default=10.0)
    parser.add_argument("--settle", type=float, default=3.0)
    parser.add_argument("--no-netns", action="store_true",
                        help="stay in this namespace (everything is bound to 127.0.0.1)")
    parser.add_argument("--in-netns", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not args.in_netns and not args.no_netns and netns_available():
        return run_in_netns(sys.argv[1:], __file__)
    print(f"baseline: N sender → receiver pairs of the generator, no server; window "
          f"{args.window:g} s; {'namespace ' + args.in_netns if args.in_netns else 'here'}")
    print(f"{'N':>3} {'gen %':>6} {'video p50/p99':>13} {'audio p50/p99':>13} "
          f"{'fps':>5} {'loss %':>6}")
    for pairs in (int(n) for n in args.pairs.split(",")):
        row = asyncio.run(measure(pairs, args.window, args.settle))
        video = f"{row['video_p50']:.1f}/{row['video_p99']:.1f}"
        audio = f"{row['audio_p50']:.1f}/{row['audio_p99']:.1f}"
        missing = f"  ({row['missing']} without video)" if row["missing"] else ""
        print(f"{pairs:>3} {row['gen_cpu']:>6.1f} {video:>13} {audio:>13} "
              f"{row['fps_min']:>5.1f} {row['loss_max']:>6.2f}{missing}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
