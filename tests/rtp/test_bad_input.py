"""Bad SDP, bad keys and wrong negotiation order: each a Kurento error, the server keeps going.

These need no media: the engine is real but no peer process runs.
"""

from __future__ import annotations

import re
import socket

import pytest

from kurento.client import SDES, CryptoSuite, MediaPipeline, RtpEndpoint
from kurento.protocol.errors import KurentoError

pytestmark = pytest.mark.gst

HEAD = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
VP8 = HEAD + "m=video 5004 RTP/AVP 96\r\na=rtpmap:96 VP8/90000\r\n"
KEY = "0123456789abcdefghijklmnopqrst"


async def code_of(call: object) -> int:
    with pytest.raises(KurentoError) as raised:
        await call  # type: ignore[misc]
    return raised.value.code


@pytest.mark.parametrize(("offer", "code"), [
    ("", 40201),  # empty
    ("hello", 40201),  # not SDP
    (HEAD + "m=video 99999 RTP/AVP 96\r\n", 40201),  # port out of range
    (HEAD + "m=video 5004 RTP/AVP 96\r\na=rtcp:0\r\n", 40201),  # bad a=rtcp
    (HEAD + "m=video 5004 RTP/AVP 96\r\na=rtpmap:96 VP9/90000\r\n", 40205),  # no common codec
    (HEAD + "m=video 5004 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n", 40205),  # mode 0 only
    (HEAD + "m=application 5004 UDP/DTLS/SCTP webrtc-datachannel\r\n", 40205),  # no media
    (HEAD.replace("IN IP4 127.0.0.1\r\nt", "IN IP4 127.0.0.1\r\nt")
     + "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 VP8/90000\r\n", 40205),  # WebRTC
    (VP8.replace("RTP/AVP", "RTP/SAVP"), 40205),  # SRTP offered to a plain endpoint
])
async def test_bad_offers(pipeline: MediaPipeline, offer: str, code: int) -> None:
    endpoint = await RtpEndpoint.create(pipeline)
    assert await code_of(endpoint.process_offer(offer)) == code
    # A failed offer leaves the endpoint usable for a good one.
    assert "m=video" in await endpoint.process_offer(VP8)


async def test_address_family_must_match(pipeline: MediaPipeline) -> None:
    ipv6 = await RtpEndpoint.create(pipeline, use_ipv6=True)
    assert await code_of(ipv6.process_offer(VP8)) == 40205  # an IPv4 peer
    assert "c=IN IP6 ::1" in await ipv6.process_offer(VP8.replace("IP4 127.0.0.1", "IP6 ::1"))


async def test_negotiation_order(pipeline: MediaPipeline) -> None:
    answerer = await RtpEndpoint.create(pipeline)
    assert await code_of(answerer.get_local_session_descriptor()) == 40202
    assert await code_of(answerer.get_remote_session_descriptor()) == 40203
    assert await code_of(answerer.process_answer(VP8)) == 40209
    await answerer.process_offer(VP8)
    assert await code_of(answerer.process_offer(VP8)) == 40208
    assert await code_of(answerer.generate_offer()) == 40208
    assert await answerer.get_remote_session_descriptor() == VP8

    offerer = await RtpEndpoint.create(pipeline)
    offer = await offerer.generate_offer()
    assert await code_of(offerer.process_answer("garbage")) == 40201
    assert await code_of(offerer.process_answer(
        HEAD + "m=video 5004 RTP/AVP 100\r\na=rtpmap:100 VP9/90000\r\n")) == 40206
    answer = HEAD + "m=audio 0 RTP/AVP 111\r\n" + VP8[len(HEAD):]
    await offerer.process_answer(answer)
    assert await code_of(offerer.process_answer(answer)) == 40210
    final = await offerer.get_local_session_descriptor()
    assert final.splitlines()[1] == offer.splitlines()[1]  # same session (o= line)
    assert "m=audio 0 RTP/AVPF" in final  # the peer rejected audio
    video = offer[offer.index("m=video"):].split("\r\n")[0]
    assert video.replace(" 96 102", " 96") in final  # same port, the answer's codec


@pytest.mark.parametrize("crypto", [
    SDES(key="short", crypto=CryptoSuite.AES_128_CM_HMAC_SHA1_80),
    SDES(key=KEY, crypto=CryptoSuite.AES_256_CM_HMAC_SHA1_80),  # 256 needs 46 bytes
    SDES(key_base64="not base64!", crypto=CryptoSuite.AES_128_CM_HMAC_SHA1_32),
])
async def test_bad_keys(pipeline: MediaPipeline, crypto: SDES) -> None:
    assert await code_of(RtpEndpoint.create(pipeline, crypto=crypto)) == 40107


async def test_keys_and_address(pipeline: MediaPipeline) -> None:
    base64_key = "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdA=="  # 46 bytes
    secure = await RtpEndpoint.create(pipeline, crypto=SDES(
        key_base64=base64_key, crypto=CryptoSuite.AES_256_CM_HMAC_SHA1_32))
    offer = await secure.generate_offer()
    assert "RTP/SAVPF" in offer
    assert f"a=crypto:1 AES_256_CM_HMAC_SHA1_32 inline:{base64_key}" in offer
    random_key = await RtpEndpoint.create(pipeline, crypto=SDES(
        crypto=CryptoSuite.AES_128_CM_HMAC_SHA1_80))
    assert "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" in await random_key.generate_offer()
    ipv6 = await RtpEndpoint.create(pipeline, use_ipv6=True)
    assert "c=IN IP6 ::1" in await ipv6.generate_offer()


async def test_release_frees_the_ports(pipeline: MediaPipeline) -> None:
    endpoint = await RtpEndpoint.create(pipeline)
    offer = await endpoint.generate_offer()
    ports = [int(port) for port in re.findall(r"^m=\w+ (\d+) ", offer, re.MULTILINE)]
    assert len(ports) == 2
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken, pytest.raises(OSError):
        taken.bind(("127.0.0.1", ports[0]))  # we listen there (RTCP on the next port)
    await endpoint.release()
    for port in ports:
        for rtcp in (0, 1):
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
                sock.bind(("127.0.0.1", port + rtcp))
