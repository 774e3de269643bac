"""webrtc_sdp: strict checks before GStreamer, and the summary the engine uses."""

from __future__ import annotations

import pytest

from kurento.engine.contract import MediaKind, SdpMismatchError, SdpSyntaxError
from kurento.engine.gst import webrtc_sdp as sdp

HEAD = ("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0 1\r\n"
        "a=ice-ufrag:u\r\na=ice-pwd:p\r\na=fingerprint:sha-256 AB\r\n")
VIDEO = ("m=video 9 UDP/TLS/RTP/SAVPF 97 99 100\r\na=mid:0\r\na=sendonly\r\n"
         "a=rtpmap:97 H264/90000\r\na=fmtp:97 packetization-mode=0\r\n"
         "a=rtpmap:99 H264/90000\r\na=fmtp:99 packetization-mode=1;profile-level-id=42e01f\r\n"
         "a=rtpmap:100 VP8/90000\r\na=ssrc:123 cname:x\r\na=candidate:1 1 UDP 1 127.0.0.1 9 typ host\r\n")
AUDIO = "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:1\r\na=rtpmap:111 opus/48000/2\r\n"


def test_summary_picks_our_codecs_and_peer_facts() -> None:
    summary = sdp.parse(HEAD + VIDEO + AUDIO)
    sdp.check_usable(summary)
    video, audio = summary.sections
    assert summary.bundle
    assert video.kind is MediaKind.VIDEO and video.mid == "0" and video.direction == "sendonly"
    assert video.ssrcs == [123]
    chosen = video.chosen()
    assert chosen is not None and (chosen.name, chosen.payload) == ("VP8", 100)
    without_vp8 = sdp.parse(HEAD + VIDEO.replace("a=rtpmap:100 VP8/90000\r\n", ""))
    h264 = without_vp8.sections[0].chosen()
    assert h264 is not None and h264.payload == 99  # packetization-mode=1 only
    opus = audio.chosen()
    assert opus is not None and (opus.name, opus.payload, opus.clock_rate) == ("OPUS", 111, 48000)


@pytest.mark.parametrize("text", [
    "", "v=1\r\n", "hello", HEAD, HEAD + "m=video\r\n",
    HEAD + VIDEO.replace("9 UDP", "70000 UDP"),
    HEAD + VIDEO.replace("97 99 100", "97 99 1000"),
    HEAD + VIDEO.replace("a=ssrc:123", "a=ssrc:4294967296"),
    HEAD + VIDEO.replace("VP8/90000", "VP8/0"),
    HEAD + "a=rtpmap:x\r\n" + VIDEO + "a=rtpmap:x y\r\n",
    HEAD + "x" * 5000 + "\r\n" + VIDEO,
    HEAD.replace("o=- 1 1 IN IP4 127.0.0.1", "o=junk") + VIDEO,
    HEAD + VIDEO + "a=x\r\n" * 3000,
    HEAD + (VIDEO + AUDIO) * 9,
    HEAD + "\u00e9=1\r\n" + VIDEO,
])
def test_syntax_errors(text: str) -> None:
    with pytest.raises(SdpSyntaxError):
        sdp.parse(text)


@pytest.mark.parametrize("text", [
    HEAD.replace("a=fingerprint:sha-256 AB\r\n", "") + VIDEO,
    HEAD + VIDEO.replace("VP8", "VP9").replace("H264", "H265"),
    HEAD + VIDEO.replace("m=video 9", "m=video 0"),
    HEAD + "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=mid:0\r\n",
])
def test_valid_but_unusable(text: str) -> None:
    with pytest.raises(SdpMismatchError):
        sdp.check_usable(sdp.parse(text))


def test_candidates() -> None:
    assert sdp.strip_candidates(HEAD + VIDEO).count("a=candidate") == 0
    line = "candidate:842163049 1 udp 1677729535 127.0.0.1 46154 typ srflx raddr 0.0.0.0 rport 0"
    assert sdp.check_candidate("a=" + line) == line
    assert sdp.check_candidate("candidate:1 1 TCP 1 127.0.0.1 9 typ host tcptype active")
    for bad in ("", "candidate:", "candidate:1 1 UDP 1 127.0.0.1 0 typ host",
                "candidate:1 0 UDP 1 127.0.0.1 9 typ host", "candidate:1 1 UDP 1 h 9 typ bogus",
                "candidate:1 1 UDP 99999999999 127.0.0.1 9 typ host"):
        with pytest.raises(ValueError):
            sdp.check_candidate(bad)
