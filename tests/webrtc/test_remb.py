"""REMB from the WebRtcEndpoint to the sender (kurento.engine.gst.webrtc_remb).

Unit tests of the estimator (loss sequences → estimates), the packet and the SDP
lines; then aiortc as the sender: its RTCRtpSender hands received REMB to its VP8
encoder's ``target_bitrate`` (clamped by aiortc to 250 kbps to 1.5 Mbps).
"""

from __future__ import annotations

import asyncio
import itertools
import time
from typing import Any

import pytest
from aiortc.rtp import RtcpPsfbPacket, unpack_remb_fci

from kurento.client import MediaPipeline, RTCInboundRTPStreamStats, WebRtcEndpoint
from kurento.engine.contract import BandwidthConfig
from kurento.engine.gst.webrtc_remb import (
    REMB_MIN,
    RembEstimator,
    RembSender,
    decorate,
    fraction_lost,
    offers_remb,
    parse_remb,
    remb_packet,
)
from kurento.objects.bandwidth import bandwidth_config

from .peer import Peer, negotiate_as_answerer

NO_LOSS, SOME_LOSS, HEAVY_LOSS = 0, 5, 64  # fraction lost in 1/256 (upLosses is 12)


def run(estimator: RembEstimator, steps: list[tuple[int, int, int]]) -> list[int | None]:
    return [estimator.update(lost, packets, bitrate) for lost, packets, bitrate in steps]


# -- the estimator ------------------------------------------------------------------------


def test_starts_at_remb_on_connect_and_holds_for_a_slow_sender() -> None:
    estimator = RembEstimator()
    # 100 kbps received: growth is capped at twice that, so 300 kbps holds.
    assert run(estimator, [(NO_LOSS, 50, 100_000)] * 5) == [300_000] * 5


def test_grows_exponentially_below_the_threshold() -> None:
    estimator = RembEstimator()
    values = run(estimator, [(NO_LOSS, 100, 290_000)] * 3)
    assert values == [312_000, 324_480, 337_459]  # x 1.04 each interval


def test_growth_is_capped_at_twice_the_received_bitrate() -> None:
    estimator = RembEstimator(BandwidthConfig(remb_on_connect=100_000))
    values = run(estimator, [(NO_LOSS, 100, 60_000)] * 20)
    assert max(v for v in values if v is not None) == 120_000


def test_heavy_loss_halves_and_then_grows_linearly_above_the_threshold() -> None:
    estimator = RembEstimator()
    run(estimator, [(NO_LOSS, 100, 300_000)] * 2)  # 312000, then 324480
    # 64/256 lost over 200 packets: the smoothed record is 64 ≥ 12 → x 0.5.
    [after_loss] = run(estimator, [(HEAVY_LOSS, 200, 300_000)])
    assert after_loss == 324_480 // 2
    # thresholdFactor of the bitrate that got through (KMS: of the estimate).
    assert estimator.threshold == int(300_000 * 0.8)
    assert estimator.lineal_factor == int((300_000 - estimator.threshold) / 30)
    # What arrives in the next DECREASE_HOLD (2 s: 4 intervals of 0.5 s) was sent
    # before the sender heard of it: the estimate holds, whatever the losses.
    held = run(estimator, [(HEAVY_LOSS, 200, 300_000)] + [(NO_LOSS, 100, 400_000)] * 2)
    assert held == [324_480 // 2] * 3
    # Clean again: exponential up to the threshold, then linear steps.
    values = [v for v in run(estimator, [(NO_LOSS, 100, 400_000)] * 30) if v is not None]
    assert all(b > a for a, b in itertools.pairwise(values))
    above = [v for v in values if v > estimator.threshold]
    steps = {b - a for a, b in itertools.pairwise(above[1:])}
    assert steps == {estimator.lineal_factor}


def test_queuing_without_loss_lowers_once_then_stops_growth() -> None:
    estimator = RembEstimator()
    run(estimator, [(NO_LOSS, 100, 400_000)] * 2)
    # A starting stream jitters whatever the path: no cut in the first 5 s.
    assert estimator.update(NO_LOSS, 100, 400_000, jitter=0.015) == 449_945
    run(estimator, [(NO_LOSS, 100, 400_000)] * 8)
    grown = estimator.remb
    # 15 ms of jitter: a queue on the path → 0.85 of the bitrate received, then hold.
    assert estimator.update(NO_LOSS, 100, 400_000, jitter=0.015) == 340_000
    assert [estimator.update(NO_LOSS, 100, 400_000, jitter=0.015) for _ in range(3)] \
        == [340_000] * 3
    # Still queuing (or a loaded sender): no growth, and no second cut ...
    assert [estimator.update(NO_LOSS, 100, 300_000, jitter=0.012) for _ in range(4)] \
        == [340_000] * 4
    # ... until the jitter fell back once: growth (linear above the threshold, as
    # after losses), and the next queue cuts again. The estimate had run to 1.5 times
    # what arrived: the threshold is 0.8 of what arrived, not of that estimate.
    assert grown > 600_000
    assert estimator.threshold == 320_000
    assert estimator.lineal_factor == (400_000 - 320_000) // 30
    assert estimator.update(NO_LOSS, 100, 300_000, jitter=0.002) == 340_000 + 2_666
    assert estimator.update(NO_LOSS, 100, 300_000, jitter=0.020) == 255_000
    assert grown > 400_000


def test_after_trouble_exponential_growth_stops_at_what_got_through() -> None:
    # A sender using 250 kbps of a 300 kbps start: the estimate runs to twice that.
    estimator = RembEstimator()
    run(estimator, [(NO_LOSS, 100, 250_000)] * 30)
    assert estimator.remb == 500_000
    # The path narrows: 200 kbps gets through, with losses → halved.
    [cut] = run(estimator, [(HEAVY_LOSS, 200, 200_000)])
    assert cut == 250_000
    # KMS would grow back exponentially to 0.8 of 500 kbps: here to 0.8 of what got
    # through (smoothed over 8 intervals), and linearly above.
    got_through = (250_000 * 7 + 200_000) // 8
    assert estimator.threshold == int(got_through * 0.8)
    assert estimator.lineal_factor == (got_through - estimator.threshold) // 30
    run(estimator, [(NO_LOSS, 100, 150_000)] * 4)  # the hold (DECREASE_HOLD)
    values = run(estimator, [(NO_LOSS, 100, 240_000)] * 10)
    steps = {b - a for a, b in itertools.pairwise(v for v in values if v is not None)}
    assert steps == {estimator.lineal_factor}


def test_jitter_of_a_sender_far_under_the_estimate_is_not_a_queue() -> None:
    estimator = RembEstimator()
    run(estimator, [(NO_LOSS, 100, 300_000)] * 12)  # past the warm-up
    # Its rate falls to 60 kbps (a tenth of the estimate): its own pacing jitters.
    run(estimator, [(NO_LOSS, 8, 60_000)] * 20)
    high = estimator.remb
    assert high == 600_000  # (twice the best received)
    assert [estimator.update(NO_LOSS, 8, 60_000, jitter=0.012) for _ in range(4)] \
        == [high] * 4
    # Back near the estimate, the same jitter is a queue.
    run(estimator, [(NO_LOSS, 100, 300_000)] * 12)
    lowered = estimator.update(NO_LOSS, 100, 300_000, jitter=0.012)
    assert lowered is not None and lowered < high


def test_small_losses_hold_the_estimate() -> None:
    estimator = RembEstimator()
    run(estimator, [(NO_LOSS, 100, 400_000)] * 2)
    assert estimator.remb == 432_640
    values = run(estimator, [(SOME_LOSS, 100, 400_000)] * 5)
    assert values == [400_000] * 5  # at most the best bitrate received
    assert estimator.threshold == 320_000  # thresholdFactor of the estimate


def test_loss_never_goes_below_the_floor() -> None:
    estimator = RembEstimator(BandwidthConfig(min_video_recv=50))
    values = run(estimator, [(HEAVY_LOSS, 200, 40_000)] * 10)
    assert values[-1] == 50_000
    plain = RembEstimator()
    assert run(plain, [(255, 200, 1_000)] * 20)[-1] == REMB_MIN  # 30 kbps at least


def test_ceiling_and_live_reconfiguration() -> None:
    estimator = RembEstimator(BandwidthConfig(max_video_recv=200))
    assert run(estimator, [(NO_LOSS, 100, 500_000)]) == [200_000]
    estimator.configure(BandwidthConfig(max_video_recv=0))
    grown = run(estimator, [(NO_LOSS, 100, 500_000)] * 3)
    assert grown == [520_000, 540_800, 562_432]  # from the best bitrate received, x 1.04
    estimator.configure(BandwidthConfig(max_video_recv=100))
    assert estimator.value() == 100_000


def test_custom_remb_params() -> None:
    config = BandwidthConfig(remb_on_connect=500_000, decrement_factor=0.25, up_losses=100)
    estimator = RembEstimator(config)
    assert run(estimator, [(HEAVY_LOSS, 100, 500_000)]) == [500_000]  # under 100/256: hold
    assert run(estimator, [(200, 1000, 500_000)]) == [125_000]
    assert run(RembEstimator(), [(NO_LOSS, 0, 0)]) == [None]  # nothing received


def test_fraction_lost() -> None:
    assert fraction_lost(100, 100) == 0
    assert fraction_lost(100, 75) == 64  # a quarter, in 1/256
    assert fraction_lost(74, 43) == 107
    assert fraction_lost(10, 0) == 255  # never 256
    assert fraction_lost(0, 0) == 0
    assert fraction_lost(50, 60) == 0  # duplicates: more than expected


class FakeStats:
    def __init__(self, **values: Any) -> None:
        self.values = {"is-sender": True, **values}

    def get_value(self, name: str) -> Any:
        return self.values.get(name)


class FakeObject:
    def __init__(self, **properties: Any) -> None:
        self.properties = properties

    def get_property(self, name: str) -> Any:
        return self.properties[name]


def test_sender_counts_losses_itself() -> None:
    """rtpsession's "sent-rb-fractionlost" reads 0 under heavy loss when the bundled
    session has several internal sources (seen with Chromium behind a tbf shaper):
    the sender works the fraction out from the packets received and lost."""
    sender = RembSender(lambda: [0xABC])

    def interval(now: float, received: int, lost: int, octets: int) -> int | None:
        stats = FakeStats(**{"packets-received": received, "packets-lost": lost,
                             "octets-received": octets, "sent-rb-fractionlost": 0})
        session = FakeObject(sources=[FakeObject(ssrc=0xABC, stats=stats),
                                      FakeObject(ssrc=0xDEF, stats=FakeStats())],
                             **{"internal-ssrc": 1})
        packet = sender._next_packet(session, now)
        if packet is None:
            return None
        parsed = parse_remb(packet)
        assert parsed is not None and parsed[1] == [0xABC]
        return parsed[0]

    assert interval(0.0, 0, 0, 0) is None  # nothing received yet
    assert interval(1.0, 100, 0, 50_000) == 416_000  # 400 kbps, no loss: x 1.04
    assert RembSender(lambda: [0xABC])._update(  # the first look: rembOnConnect
        0xABC, FakeStats(**{"packets-received": 10, "packets-lost": 0,
                            "octets-received": 9_000}), 5.0) == 300_000
    assert interval(2.0, 200, 0, 100_000) == 432_640
    # 43 received, 31 lost: 107/256 → x decrementFactor (0.5) of the estimate.
    assert interval(3.0, 243, 31, 121_500) == 432_640 // 2
    assert sender.sent[0xABC] == 432_640 // 2


def test_packet_round_trip() -> None:
    packet = remb_packet(0x11223344, 312_000, [0xDEADBEEF])
    assert len(packet) == 24 and packet[0] == 0x8F and packet[1] == 206
    assert packet[12:16] == b"REMB"
    assert parse_remb(packet) == (312_000, [0xDEADBEEF])
    assert unpack_remb_fci(packet[12:]) == (312_000, [0xDEADBEEF])  # aiortc agrees
    big = parse_remb(remb_packet(1, 5_000_000, [1, 2]))
    assert big is not None and abs(big[0] - 5_000_000) < 5_000_000 / 2**17


OFFER = "\r\n".join([
    "v=0", "o=- 1 1 IN IP4 0.0.0.0", "s=-", "t=0 0",
    "m=audio 9 UDP/TLS/RTP/SAVPF 111", "c=IN IP4 0.0.0.0", "a=rtpmap:111 opus/48000/2",
    "m=video 9 UDP/TLS/RTP/SAVPF 96 97", "c=IN IP4 0.0.0.0", "a=rtpmap:96 VP8/90000",
    "a=rtcp-fb:96 nack", "a=rtcp-fb:96 goog-remb", "a=rtpmap:97 rtx/90000", ""])


def test_sdp_lines() -> None:
    assert offers_remb(OFFER)
    assert not offers_remb(OFFER.replace("a=rtcp-fb:96 goog-remb\r\n", ""))
    plain = OFFER.replace("a=rtcp-fb:96 goog-remb\r\n", "")
    text = decorate(plain, remb=True, video_kbps=400, audio_kbps=0)
    assert "a=rtcp-fb:96 goog-remb" in text and "a=rtcp-fb:97 goog-remb" not in text
    video = text[text.index("m=video"):]
    assert video.index("c=IN") < video.index("b=AS:400") < video.index("a=rtpmap")
    assert text.count("b=AS") == 1
    assert decorate(OFFER, remb=True, video_kbps=0, audio_kbps=0).count("goog-remb") == 1
    both = decorate(plain, remb=False, video_kbps=400, audio_kbps=64)
    assert "goog-remb" not in both and "b=AS:64" in both[:both.index("m=video")]


def test_bandwidth_config_from_properties() -> None:
    config = bandwidth_config({"maxVideoRecvBandwidth": 200, "minVideoRecvBandwidth": 40,
                               "rembParams": {"upLosses": 20, "decrementFactor": 0.7,
                                              "__type__": "RembParams"}})
    assert (config.max_video_recv, config.min_video_recv, config.up_losses,
            config.decrement_factor, config.remb_on_connect) == (200, 40, 20, 0.7, 300_000)


# -- with aiortc as the sender ---------------------------------------------------------------


class RembWatch:
    """REMB packets reaching an aiortc sender, with the time each arrived."""

    def __init__(self, peer: Peer) -> None:
        self.sender = next(s for s in peer.senders if s.kind == "video")
        self.seen: list[tuple[float, int, list[int]]] = []
        original = self.sender._handle_rtcp_packet

        async def handle(packet: Any) -> None:
            if isinstance(packet, RtcpPsfbPacket) and packet.fmt == 15:
                bitrate, ssrcs = unpack_remb_fci(packet.fci)
                self.seen.append((time.monotonic(), bitrate, ssrcs))
            await original(packet)

        self.sender._handle_rtcp_packet = handle  # type: ignore[method-assign]

    def target(self) -> int | None:
        encoder = getattr(self.sender, "_RTCRtpSender__encoder", None)
        return getattr(encoder, "target_bitrate", None)

    async def wait(self, condition: Any, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while not condition() and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        return bool(condition())


async def negotiate_watched_peer(endpoint: WebRtcEndpoint,
                                 peers: list[Peer]) -> tuple[Peer, RembWatch]:
    """An aiortc peer (video and audio both ways) negotiated with ``endpoint``, and what
    REMB reaches its video sender."""
    peer = Peer()
    peers.append(peer)
    watch = RembWatch(peer)
    await negotiate_as_answerer(endpoint, peer)
    return peer, watch


@pytest.mark.gst
async def test_aiortc_sender_follows_our_remb(pipeline: MediaPipeline, peers: list[Peer]) -> None:
    endpoint = await WebRtcEndpoint.create(pipeline)
    await endpoint.connect(endpoint)
    _peer, watch = await negotiate_watched_peer(endpoint, peers)
    answer = await endpoint.get_local_session_descriptor()
    assert "goog-remb" in answer and "b=AS" not in answer

    # rembOnConnect: 300 kbps, down from aiortc's own 500 kbps start.
    assert await watch.wait(lambda: len(watch.seen) >= 3, timeout=8), watch.seen
    _, bitrate, ssrcs = watch.seen[0]
    assert bitrate == 300_000 and ssrcs == [watch.sender._ssrc]
    # 300 kbps while nothing is lost (losses on a loaded machine may lower it).
    assert await watch.wait(lambda: (watch.target() or 10**9) <= 300_000, timeout=3), \
        watch.target()
    gaps = [b[0] - a[0] for a, b in itertools.pairwise(watch.seen)]
    assert min(gaps) >= 0.19  # once per RTCP interval, not per packet

    await endpoint.set_max_video_recv_bandwidth(200)
    changed = time.monotonic()
    assert await watch.wait(lambda: watch.seen[-1][1] <= 200_000, timeout=4), watch.seen[-3:]
    later = len(watch.seen)
    assert await watch.wait(lambda: len(watch.seen) >= later + 2, timeout=4)
    assert all(bitrate <= 200_000 for _, bitrate, _ in watch.seen[later:])
    # aiortc never encodes under 250 kbps: its target goes to its floor.
    assert await watch.wait(lambda: watch.target() == 250_000, timeout=2), watch.target()
    first_low = next(when for when, bitrate, _ in watch.seen if bitrate <= 200_000)
    gaps = [b[0] - a[0] for a, b in itertools.pairwise(watch.seen)]
    print(f"first REMB <= 200 kbps {first_low - changed:.2f} s after the change; "
          f"{len(watch.seen)} REMB packets, mean gap {sum(gaps) / len(gaps):.2f} s")
    assert await endpoint.get_max_video_recv_bandwidth() == 200
    # getStats: the inbound video stream's ``remb`` is what we last sent.
    stats = await endpoint.get_stats("VIDEO")
    inbound = [s for s in stats.values() if isinstance(s, RTCInboundRTPStreamStats)]
    assert len(inbound) == 1 and 30_000 <= inbound[0].remb <= 200_000, inbound


@pytest.mark.gst
async def test_b_as_and_floor_before_negotiation(
    pipeline: MediaPipeline, peers: list[Peer]
) -> None:
    endpoint = await WebRtcEndpoint.create(pipeline)
    await endpoint.connect(endpoint)
    await endpoint.set_max_video_recv_bandwidth(800)
    await endpoint.set_max_audio_recv_bandwidth(48)
    await endpoint.set_min_video_recv_bandwidth(20)  # under KMS's 30 kbps floor: kept as is
    _peer, watch = await negotiate_watched_peer(endpoint, peers)
    answer = await endpoint.get_local_session_descriptor()
    video = answer[answer.index("m=video"):]
    audio = answer[answer.index("m=audio"):]
    assert "b=AS:800" in video and "b=AS:48" in audio.split("m=video")[0]
    assert "goog-remb" in video
    assert await watch.wait(lambda: len(watch.seen) >= 2, timeout=8)
    assert watch.seen[0][1] == 300_000  # rembOnConnect, under the 800 kbps ceiling
    assert await endpoint.get_min_video_recv_bandwidth() == 20
