"""What single GStreamer elements of a forwarding path cost per buffer, in isolation.

Answers "is element X worth removing from each viewer's send path?" before anyone
spends a day on it. Two tables, CPU time of this process (utime + stime) divided by
the buffers that went through, best of ``--repeat`` runs:

* passthrough elements (``identity``, ``valve``, ``errorignore``, ``clocksync``,
  ``tee``, ``funnel``, ``rtpfunnel``, and webrtcbin's ``rtpredenc``/``rtpulpfecenc``
  without a payload type, as each viewer of webrtcbin 1.22 has them): ``fakesrc !
  ELEMENT x 8 ! fakesink`` against ``fakesrc ! fakesink``, ns per buffer per element;
* depayloading and payloading again (what each WebRtcEndpoint does to media it
  passes on) against ``rtpmux`` (what rewriting SSRC and sequence numbers without
  payloading again would cost): real VP8 RTP (640x480, ~410 kbit/s of noise: frames of
  1 to 2 packets, keyframes more) and Opus RTP, pushed from memory through ``appsrc``,
  µs per packet over ``appsrc ! identity``.

Nothing here touches the network, and the buffers are hot in the cache: in a server
fanning one stream out to many viewers each element costs several times more (its
state is cold for every packet), so these are floors, good for comparing elements.

Usage: .venv/bin/python bench/element_cost.py [--buffers 300000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import resource
from collections.abc import Callable
from typing import Any

import gi

gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402

PASSTHROUGH = ["identity", "valve", "errorignore", "clocksync", "tee", "funnel",
               "rtpfunnel", "rtpredenc", "rtpulpfecenc", "queue"]
RTP_CAPS = "application/x-rtp,media=video,clock-rate=90000,encoding-name=VP8,payload=96"
CHAIN_LENGTH = 8


def cpu_seconds(run: Callable[[], None]) -> float:
    before = resource.getrusage(resource.RUSAGE_SELF)
    run()
    after = resource.getrusage(resource.RUSAGE_SELF)
    return (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


def run_to_eos(pipeline: Any, feed: Callable[[], None] | None = None) -> None:
    pipeline.set_state(Gst.State.PLAYING)
    if feed is not None:
        feed()
    message = pipeline.get_bus().timed_pop_filtered(
        Gst.CLOCK_TIME_NONE, Gst.MessageType.EOS | Gst.MessageType.ERROR)
    pipeline.set_state(Gst.State.NULL)
    if message.type == Gst.MessageType.ERROR:
        raise RuntimeError(message.parse_error()[0].message)


def chain_seconds(chain: str, buffers: int, repeat: int) -> float:
    """Best CPU seconds of ``buffers`` fake RTP buffers through ``chain``."""

    def run() -> None:
        run_to_eos(Gst.parse_launch(
            f"fakesrc num-buffers={buffers} sizetype=fixed sizemax=1100 filltype=zero"
            f" ! {RTP_CAPS} {chain} ! fakesink sync=false"))

    return min(cpu_seconds(run) for _ in range(repeat))


def capture_rtp(description: str, count: int) -> tuple[list[Any], Any]:
    """The first ``count`` RTP packets ``description`` makes, and their caps."""
    pipeline = Gst.parse_launch(f"{description} ! appsink name=out sync=false")
    sink = pipeline.get_by_name("out")
    pipeline.set_state(Gst.State.PLAYING)
    packets: list[Any] = []
    caps = None
    while len(packets) < count:
        sample = sink.emit("pull-sample")
        if sample is None:
            break
        packets.append(sample.get_buffer().copy_deep())
        caps = sample.get_caps()
    pipeline.set_state(Gst.State.NULL)
    return packets, caps


def per_packet_us(packets: list[Any], caps: Any, chain: str, rounds: int,
                  repeat: int) -> float:
    def run() -> None:
        pipeline = Gst.parse_launch(
            f"appsrc name=in format=time max-bytes=0 ! {chain} ! fakesink sync=false")
        source = pipeline.get_by_name("in")
        source.set_property("caps", caps)

        def feed() -> None:
            pts = 0
            for _ in range(rounds):
                for packet in packets:
                    buffer = packet.copy()
                    buffer.pts = pts
                    pts += Gst.MSECOND
                    source.emit("push-buffer", buffer)
            source.emit("end-of-stream")

        run_to_eos(pipeline, feed)

    return min(cpu_seconds(run) for _ in range(repeat)) / (rounds * len(packets)) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--buffers", type=int, default=300_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    Gst.init(None)

    print(f"passthrough elements: ns per buffer per element ({args.buffers} buffers of "
          f"1100 bytes, a chain of {CHAIN_LENGTH}, best of {args.repeat})")
    bare = chain_seconds("", args.buffers, args.repeat)
    for element in PASSTHROUGH:
        chained = chain_seconds(f"! {element} " * CHAIN_LENGTH, args.buffers, args.repeat)
        print(f"  {element:14s} {(chained - bare) / args.buffers / CHAIN_LENGTH * 1e9:6.0f}")
    print(f"  (fakesrc ! fakesink alone: {bare / args.buffers * 1e9:.0f} ns per buffer)")

    video, video_caps = capture_rtp(
        "videotestsrc pattern=snow num-buffers=600 ! video/x-raw,width=640,height=480,"
        "framerate=30/1 ! vp8enc deadline=1 target-bitrate=410000 keyframe-max-dist=30"
        " ! rtpvp8pay pt=96 mtu=1200", 1200)
    audio, audio_caps = capture_rtp("audiotestsrc num-buffers=500 ! opusenc ! "
                                    "rtpopuspay pt=111", 500)
    print(f"\nper RTP packet, µs over appsrc ! identity (VP8: {len(video)} packets, Opus: "
          f"{len(audio)}, each pushed 30 times)")
    for name, packets, caps, depay, pay in (
            ("VP8", video, video_caps, "rtpvp8depay", "rtpvp8pay pt=96 mtu=1200 "
             "picture-id-mode=2"),
            ("Opus", audio, audio_caps, "rtpopusdepay", "rtpopuspay pt=111")):
        base = per_packet_us(packets, caps, "identity", 30, args.repeat)
        repay = per_packet_us(packets, caps, f"{depay} ! {pay}", 30, args.repeat)
        rewrite = per_packet_us(packets, caps, "rtpmux ssrc=1234", 30, args.repeat)
        print(f"  {name:5s} depayload + payload again {repay - base:+.2f}, rtpmux (SSRC and "
              f"sequence rewritten) {rewrite - base:+.2f}   (appsrc ! identity: {base:.2f})")


if __name__ == "__main__":
    main()
