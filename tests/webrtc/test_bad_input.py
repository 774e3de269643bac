"""(e) Bad SDP and wrong negotiation order: exact Kurento errors, and the server keeps serving."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from kurento.client import MediaPipeline, WebRtcEndpoint
from kurento.protocol.errors import SdpAlreadyNegotiated
from kurento.server.app import MediaServer
from tests.server.conftest import Rpc

from .peer import Peer

pytestmark = pytest.mark.gst

GOOD_HEAD = (
    "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n"
    "a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\n"
    "a=fingerprint:sha-256 " + ":".join(["AB"] * 32) + "\r\na=setup:actpass\r\n"
)
VP8 = "m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\na=rtcp-mux\r\na=sendrecv\r\na=rtpmap:96 VP8/90000\r\n"


@pytest.fixture
async def rpc(server: MediaServer) -> AsyncIterator[Rpc]:
    async with aiohttp.ClientSession() as http, http.ws_connect(server.url) as ws:
        yield Rpc(ws)


async def endpoint(rpc: Rpc, **params: Any) -> str:
    pipeline = await rpc.value("create", {"type": "MediaPipeline"})
    value: str = await rpc.value("create", {"type": "WebRtcEndpoint", "constructorParams": {
        "mediaPipeline": pipeline, **params}})
    return value


async def invoke_error(rpc: Rpc, obj: str, operation: str, **params: Any) -> tuple[int, str]:
    reply = await rpc.call("invoke", {"object": obj, "operation": operation,
                                      "operationParams": params})
    assert "error" in reply, reply
    return reply["error"]["code"], reply["error"]["message"]


BAD_OFFERS = [
    ("garbage", "hello world", 40201),
    ("no version", "o=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\n", 40201),
    ("no m-lines", GOOD_HEAD, 40201),
    ("absurd port", GOOD_HEAD + VP8.replace("m=video 9 ", "m=video 999999 "), 40201),
    ("absurd payload type", GOOD_HEAD + VP8.replace("SAVPF 96", "SAVPF 4000000000"), 40201),
    ("absurd ssrc", GOOD_HEAD + VP8 + "a=ssrc:99999999999 cname:x\r\n", 40201),
    ("absurd clock rate", GOOD_HEAD + VP8.replace("VP8/90000", "VP8/900000000000"), 40201),
    ("binary", GOOD_HEAD + "a=\x00\x01\x02\r\n" + VP8, 40201),
    ("10k lines", GOOD_HEAD + VP8 + "a=x-junk:1\r\n" * 10_000, 40201),
    ("not webrtc", GOOD_HEAD.replace("a=ice-ufrag:abcd\r\n", "") + VP8, 40205),
    ("no common codec", GOOD_HEAD + VP8.replace("VP8/90000", "VP9/90000"), 40205),
    ("only pcmu audio", GOOD_HEAD + "m=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\na=rtpmap:0 PCMU/8000\r\n", 40205),
]


@pytest.mark.parametrize(("offer", "code"), [(o, c) for _, o, c in BAD_OFFERS],
                         ids=[name for name, _, _ in BAD_OFFERS])
async def test_bad_offers_are_refused_cleanly(rpc: Rpc, offer: str, code: int) -> None:
    webrtc = await endpoint(rpc)
    got, message = await invoke_error(rpc, webrtc, "processOffer", offer=offer)
    assert got == code, message
    # Nothing was negotiated: the endpoint still takes a good offer afterwards.
    peer = Peer()
    try:
        good, _ = await peer.offer()
        answer = await rpc.value("invoke", {"object": webrtc, "operation": "processOffer",
                                            "operationParams": {"offer": good}})
        assert answer.startswith("v=0")
    finally:
        await peer.close()


async def test_empty_offer_and_answer(rpc: Rpc) -> None:
    webrtc = await endpoint(rpc)
    assert await invoke_error(rpc, webrtc, "processOffer", offer="") == (
        40201, "Empty offer not valid")
    await rpc.value("invoke", {"object": webrtc, "operation": "generateOffer"})
    assert await invoke_error(rpc, webrtc, "processAnswer", answer=" \r\n") == (
        40201, "Empty answer not valid")
    code, _ = await invoke_error(rpc, webrtc, "processAnswer", answer="v=0\r\nnonsense")
    assert code == 40201


async def test_negotiation_order(rpc: Rpc) -> None:
    webrtc = await endpoint(rpc)
    assert (await invoke_error(rpc, webrtc, "getLocalSessionDescriptor"))[0] == 40202
    assert (await invoke_error(rpc, webrtc, "getRemoteSessionDescriptor"))[0] == 40203
    assert (await invoke_error(rpc, webrtc, "processAnswer", answer="v=0"))[0] == 40209
    peer = Peer()
    try:
        offer, _ = await peer.offer()
        await rpc.value("invoke", {"object": webrtc, "operation": "processOffer",
                                   "operationParams": {"offer": offer}})
        assert (await invoke_error(rpc, webrtc, "processOffer", offer=offer))[0] == 40208
        assert (await invoke_error(rpc, webrtc, "generateOffer"))[0] == 40208
        assert (await invoke_error(rpc, webrtc, "processAnswer", answer=offer))[0] == 40209

        offerer = await endpoint(rpc)
        local = await rpc.value("invoke", {"object": offerer, "operation": "generateOffer"})
        assert await rpc.value("invoke", {"object": offerer,
                                          "operation": "getLocalSessionDescriptor"}) == local
        assert (await invoke_error(rpc, offerer, "getRemoteSessionDescriptor"))[0] == 40203
        assert (await invoke_error(rpc, offerer, "generateOffer"))[0] == 40208
        answerer = Peer()
        answer, _ = await answerer.answer(local)
        await answerer.close()
        await rpc.value("invoke", {"object": offerer, "operation": "processAnswer",
                                   "operationParams": {"answer": answer}})
        assert (await invoke_error(rpc, offerer, "processAnswer", answer=answer))[0] == 40210
    finally:
        await peer.close()


async def test_candidates_and_data_channels(rpc: Rpc) -> None:
    webrtc = await endpoint(rpc)
    good = "candidate:1 1 UDP 2015363327 127.0.0.1 45678 typ host"
    for text in ("", good):  # "" is end-of-candidates: accepted and ignored
        await rpc.ok("invoke", {"object": webrtc, "operation": "addIceCandidate",
                                "operationParams": {"candidate": {
                                    "__type__": "IceCandidate", "__module__": "kurento",
                                    "candidate": text, "sdpMid": "0", "sdpMLineIndex": 0}}})
    for bad in ("candidate:1 1 UDP", "hello", "candidate:1 1 UDP 1 127.0.0.1 99999 typ host"):
        assert await invoke_error(rpc, webrtc, "addIceCandidate", candidate={
            "__type__": "IceCandidate", "candidate": bad, "sdpMid": "0", "sdpMLineIndex": 0,
        }) == (40401, "Error adding candidate")
    assert (await invoke_error(rpc, webrtc, "createDataChannel"))[0] == 40111
    assert (await invoke_error(rpc, webrtc, "closeDataChannel", channelId=1))[0] == 40111
    assert (await invoke_error(rpc, webrtc, "requestKeyframe"))[0] == 40111
    # KMS binds optional constructor params positionally: the earlier ones must be sent.
    with_channels = await endpoint(rpc, recvonly=False, sendonly=False, useDataChannels=True)
    # Not negotiated yet (KMS: UNEXPECTED_ERROR, "Cannot create data channel").
    assert (await invoke_error(rpc, with_channels, "createDataChannel"))[0] == 40003


async def test_properties_have_kms_defaults(rpc: Rpc) -> None:
    webrtc = await endpoint(rpc, recvonly=True)

    async def get(name: str) -> Any:
        return await rpc.value("invoke", {"object": webrtc, "operation": f"get{name}"})

    assert await get("MaxVideoSendBandwidth") == 500
    assert await get("MinVideoSendBandwidth") == 100
    assert await get("Mtu") == 1200
    assert await get("MaxVideoRecvBandwidth") == 0
    assert await get("MediaState") == "DISCONNECTED"
    assert await get("ConnectionState") == "DISCONNECTED"
    assert (await get("RembParams"))["rembOnConnect"] == 300000
    await rpc.ok("invoke", {"object": webrtc, "operation": "setStunServerAddress",
                            "operationParams": {"stunServerAddress": "127.0.0.1"}})
    assert await get("StunServerAddress") == "127.0.0.1"
    assert await get("IceConnectionState") == []
    stats = await rpc.value("invoke", {"object": webrtc, "operation": "getStats"})
    assert [s["__type__"] for s in stats.values()] == ["EndpointStats"]
    assert (await rpc.ok("ping"))["value"] == "pong"


async def test_concurrent_offers_negotiate_once(pipeline: MediaPipeline) -> None:
    endpoint = await WebRtcEndpoint.create(pipeline)
    peers = [Peer(), Peer()]
    try:
        offers = [(await peer.offer())[0] for peer in peers]
        results = await asyncio.gather(*(endpoint.process_offer(o) for o in offers),
                                       return_exceptions=True)
        assert sum(isinstance(r, str) for r in results) == 1
        assert sum(isinstance(r, SdpAlreadyNegotiated) for r in results) == 1
    finally:
        for peer in peers:
            await peer.close()


async def test_unusable_answer(rpc: Rpc) -> None:
    webrtc = await endpoint(rpc)
    await rpc.value("invoke", {"object": webrtc, "operation": "generateOffer"})
    no_codec = GOOD_HEAD.replace("actpass", "active") + VP8.replace("VP8/90000", "VP9/90000")
    assert (await invoke_error(rpc, webrtc, "processAnswer", answer=no_codec))[0] == 40206
    assert (await invoke_error(rpc, webrtc, "processAnswer", answer="v=0\r\nx"))[0] == 40201
