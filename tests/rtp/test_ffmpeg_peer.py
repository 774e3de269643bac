"""ffmpeg as both RTP peers: it sends H.264 + Opus to one RtpEndpoint (processOffer), and
records what a second one sends it (generateOffer + processAnswer) from an SDP file."""

from __future__ import annotations

import re
import signal

import pytest

from kurento.client import MediaPipeline, MediaState, MediaStateChanged, RtpEndpoint

from .conftest import Peers, answer_port, count_frames, free_port_pair, probe_codec, wait_for

pytestmark = pytest.mark.gst

HEAD = "v=0\r\no=- 7 7 IN IP4 127.0.0.1\r\ns=ffmpeg\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"


def sender_offer(audio_port: int, video_port: int) -> str:
    """What the ffmpeg sender sends, as an offer (its own receive ports stay unused)."""
    return (HEAD + f"m=audio {audio_port} RTP/AVP 97\r\na=rtpmap:97 opus/48000/2\r\n"
            "a=sendonly\r\n"
            f"m=video {video_port} RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n"
            "a=fmtp:96 packetization-mode=1;profile-level-id=42e01f\r\na=sendonly\r\n")


def receiver_answer(offer: str, audio_port: int, video_port: int) -> str:
    """The recording ffmpeg's answer to our offer: Opus, and H.264 at the offered types."""
    opus = re.search(r"a=rtpmap:(\d+) opus/48000/2", offer)
    h264 = re.search(r"a=rtpmap:(\d+) H264/90000", offer)
    assert opus and h264, offer
    return (HEAD + f"m=audio {audio_port} RTP/AVP {opus[1]}\r\n"
            f"a=rtpmap:{opus[1]} opus/48000/2\r\na=recvonly\r\n"
            f"m=video {video_port} RTP/AVP {h264[1]}\r\na=rtpmap:{h264[1]} H264/90000\r\n"
            f"a=fmtp:{h264[1]} packetization-mode=1;profile-level-id=42e01f\r\na=recvonly\r\n")


def ffmpeg_sender(audio_port: int, video_port: int) -> list[str]:
    return [
        "ffmpeg", "-hide_banner", "-loglevel", "error", "-re",
        "-f", "lavfi", "-i", "testsrc=size=320x240:rate=30",
        "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
        "-map", "1:a", "-c:a", "libopus", "-b:a", "32k", "-payload_type", "97",
        "-f", "rtp", f"rtp://127.0.0.1:{audio_port}",
        "-map", "0:v", "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency",
        "-pix_fmt", "yuv420p", "-profile:v", "baseline", "-g", "15", "-payload_type", "96",
        "-bsf:v", "dump_extra=freq=keyframe",  # SPS/PPS in-band too, for our recorder
        "-f", "rtp", f"rtp://127.0.0.1:{video_port}",
    ]


async def test_ffmpeg_sends_and_records(pipeline: MediaPipeline, peers: Peers) -> None:
    incoming = await RtpEndpoint.create(pipeline)
    outgoing = await RtpEndpoint.create(pipeline)
    await incoming.connect(outgoing)
    media_states: list[MediaStateChanged] = []
    await incoming.on(MediaStateChanged, media_states.append)

    offer = await outgoing.generate_offer()
    assert "a=rtpmap:96 VP8/90000" in offer and "RTP/AVPF" in offer
    audio, video = free_port_pair(), free_port_pair()
    answer = receiver_answer(offer, audio, video)
    sdp_file = peers.directory / "answer.sdp"
    sdp_file.write_text(answer)
    recording = peers.directory / "recorded.mkv"
    recorder = peers.start("recorder", [
        "ffmpeg", "-hide_banner", "-loglevel", "error", "-protocol_whitelist",
        "file,udp,rtp", "-i", str(sdp_file), "-map", "0", "-c", "copy", str(recording)])
    await outgoing.process_answer(answer)

    ours = await incoming.process_offer(sender_offer(*[free_port_pair() for _ in "av"]))
    assert "a=recvonly" in ours
    peers.start("sender", ffmpeg_sender(answer_port(ours, "audio"), answer_port(ours, "video")))

    # ffmpeg's RTCP sender reports make the receiving endpoint's media state CONNECTED.
    assert await wait_for(lambda: bool(media_states), timeout=10), peers.log("sender")
    assert await incoming.get_media_state() == MediaState.CONNECTED
    assert await wait_for(lambda: recording.exists() and recording.stat().st_size > 50_000,
                          timeout=10), peers.log("recorder")
    peers.stop(recorder, signal.SIGTERM)  # ffmpeg finishes the file on SIGTERM

    assert probe_codec(recording, "v:0") == "h264"
    assert probe_codec(recording, "a:0") == "opus"
    assert count_frames(recording, "v:0") >= 30, peers.log("recorder")
    assert count_frames(recording, "a:0") >= 50
