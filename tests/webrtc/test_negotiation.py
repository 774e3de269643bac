"""(b) generateOffer + processAnswer with aiortc answering; (d) H.264 when offered alone."""

from __future__ import annotations

import pytest

from kurento.client import CertificateKeyType, MediaPipeline, OfferOptions, WebRtcEndpoint

from .peer import Peer, negotiate_as_answerer, negotiate_as_offerer

pytestmark = pytest.mark.gst


async def test_generate_offer_then_process_answer(
    pipeline: MediaPipeline, peers: list[Peer]
) -> None:
    # aiortc, as DTLS client, offers only ECDHE-ECDSA ciphers: the server needs ECDSA.
    endpoint = await WebRtcEndpoint.create(pipeline, certificate_key_type=CertificateKeyType.ECDSA)
    await endpoint.connect(endpoint)
    peer = Peer()
    peers.append(peer)
    answer = await negotiate_as_offerer(endpoint, peer)
    assert "VP8/90000" in answer

    assert await peer.wait_frames("video", 20, timeout=8) >= 20
    assert await peer.wait_frames("audio", 20, timeout=4) >= 20
    offer = await endpoint.get_local_session_descriptor()
    assert "a=candidate" not in offer
    assert "VP8/90000" in offer and "H264/90000" in offer and "OPUS/48000" in offer.upper()
    assert await endpoint.get_remote_session_descriptor() == answer


async def test_offer_options_drop_audio(pipeline: MediaPipeline) -> None:
    endpoint = await WebRtcEndpoint.create(pipeline)
    offer = await endpoint.generate_offer(OfferOptions(offer_to_receive_audio=False))
    assert "m=video" in offer and "m=audio" not in offer


async def test_h264_only_offer_is_answered_with_h264(
    pipeline: MediaPipeline, peers: list[Peer]
) -> None:
    endpoint = await WebRtcEndpoint.create(pipeline)
    await endpoint.connect(endpoint)
    peer = Peer()
    peer.prefer("video", "video/H264")
    peers.append(peer)
    await negotiate_as_answerer(endpoint, peer)
    answer = await endpoint.get_local_session_descriptor()
    assert "H264/90000" in answer and "VP8" not in answer
    assert await peer.wait_frames("video", 20, timeout=8) >= 20
