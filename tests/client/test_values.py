"""Values ↔ wire, without a server: exact round trips on fixtures (reference §1.5, §1.6)."""

from __future__ import annotations

import pytest

from kurento.client import (
    ElementConnected,
    ElementConnectionData,
    EndpointStats,
    Error,
    Fraction,
    IceCandidate,
    IceCandidateFound,
    KurentoClient,
    MediaElement,
    MediaLatencyStat,
    MediaObject,
    MediaPipeline,
    MediaProfileSpecType,
    MediaType,
    PassThrough,
    ProtocolViolation,
    RembParams,
    ServerManager,
    Stats,
    StatsType,
    Tag,
    VideoCaps,
    VideoCodec,
)
from kurento.client.values import NO_FILL, build_params, decode, encode

P = "6c9f4a5e-1b2d-4f0a-9e3b-8f1d2c3b4a5d_kurento.MediaPipeline"
A = P + "/0f5e7a31-9c4b-4d8e-a2f1-3b6c7d8e9f01_kurento.PassThrough"
B = P + "/1f5e7a31-9c4b-4d8e-a2f1-3b6c7d8e9f02_kurento.PassThrough"


@pytest.fixture
def kc() -> KurentoClient:
    """A client that is never connected: only its type table and proxy factory are used."""
    return KurentoClient("ws://127.0.0.1:1/kurento")


def test_struct_to_wire_matches_the_reference_frame() -> None:
    caps = VideoCaps(codec=VideoCodec.VP8, framerate=Fraction(numerator=30, denominator=1))
    assert encode({"caps": caps}) == {"caps": {
        "__module__": "kurento", "__type__": "VideoCaps", "codec": "VP8",
        "framerate": {"__module__": "kurento", "__type__": "Fraction",
                      "denominator": 1, "numerator": 30}}}


def test_unset_optional_fields_are_omitted_and_defaults_sent() -> None:
    wire = RembParams(up_losses=20).to_wire()
    assert "linealFactorMin" not in wire
    assert wire["upLosses"] == 20 and wire["rembOnConnect"] == 300000


def test_proxies_travel_as_ids(kc: KurentoClient) -> None:
    a = PassThrough(kc, A)
    assert encode([a, (a,)]) == [A, [A]]
    assert encode(MediaType.VIDEO) == "VIDEO"


def test_optional_params_are_filled_positionally_like_kms_binds_them() -> None:
    # KMS ignores an optional param unless every optional one before it is present.
    params = [("mediaPipeline", P, NO_FILL), ("uri", "file:///x", NO_FILL),
              ("mediaProfile", None, "WEBM"), ("stopOnEndOfStream", True, False)]
    assert build_params(params) == {"mediaPipeline": P, "uri": "file:///x",
                                    "mediaProfile": "WEBM", "stopOnEndOfStream": True}
    # Trailing omitted params are not sent at all.
    assert build_params(params[:3]) == {"mediaPipeline": P, "uri": "file:///x"}
    assert build_params([("x", None, NO_FILL), ("y", 1, NO_FILL)]) == {"y": 1}
    assert build_params([("mediaProfile", MediaProfileSpecType.MP4, "WEBM")]) == {
        "mediaProfile": "MP4"}


def test_struct_round_trip_with_proxies_and_enums(kc: KurentoClient) -> None:
    data = ElementConnectionData(source=PassThrough(kc, A), sink=PassThrough(kc, B),
                                 type=MediaType.AUDIO, source_description="default",
                                 sink_description="default")
    wire = data.to_wire()
    assert wire["source"] == A and wire["type"] == "AUDIO"
    back = decode(wire, "ElementConnectionData", kc)
    assert back == data
    assert type(back.source) is PassThrough


def test_stats_map_decodes_registered_subtypes(kc: KurentoClient) -> None:
    wire = {A: {"E2ELatency": [], "__module__": "kurento", "__type__": "EndpointStats",
                "id": A, "inputLatency": [{"__module__": "kurento",
                                          "__type__": "MediaLatencyStat", "avg": 1534000.0,
                                          "name": "s", "type": "VIDEO"}],
                "timestampMillis": 1764612345678, "type": "endpoint"}}
    stats = decode(wire, "Stats<>", kc)
    entry = stats[A]
    assert isinstance(entry, EndpointStats) and isinstance(entry, Stats)
    assert entry.type is StatsType.ENDPOINT and entry.e2e_latency == ()
    assert entry.input_latency == (MediaLatencyStat(name="s", type=MediaType.VIDEO,
                                                    avg=1534000.0),)


def test_remote_class_values_are_typed_from_the_id(kc: KurentoClient) -> None:
    assert type(decode(A, "MediaElement", kc)) is PassThrough
    assert type(decode(P, "MediaObject", kc)) is MediaPipeline
    assert type(decode("manager_ServerManager", "MediaObject", kc)) is ServerManager
    # A suffix that is unknown, or not of the declared class, gives the declared class.
    assert type(decode(P + "/x_chroma.ChromaFilter", "MediaElement", kc)) is MediaElement
    assert type(decode(P, "MediaElement", kc)) is MediaElement
    assert type(decode("opaque", "MediaObject", kc)) is MediaObject


def test_bad_values_from_the_server_are_protocol_violations(kc: KurentoClient) -> None:
    with pytest.raises(ProtocolViolation):
        decode("SIDEWAYS", "MediaType", kc)
    with pytest.raises(ProtocolViolation):
        decode("x", "Tag[]", kc)
    with pytest.raises(ProtocolViolation):
        decode({"key": "k"}, "Tag", kc)  # missing required field
    with pytest.raises(ProtocolViolation):
        decode("yes", "boolean", kc)


def test_event_from_the_reference_transcript(kc: KurentoClient) -> None:
    data = {"candidate": {"__module__": "kurento", "__type__": "IceCandidate",
                          "candidate": "candidate:1 1 UDP 2015363327 198.51.100.7 40000 typ host",
                          "sdpMLineIndex": 0, "sdpMid": "0"},
            "source": A, "tags": [], "timestampMillis": "1764612345678",
            "type": "IceCandidateFound"}
    event = IceCandidateFound.from_wire(data, kc)
    assert event.candidate == IceCandidate(
        candidate="candidate:1 1 UDP 2015363327 198.51.100.7 40000 typ host",
        sdp_mid="0", sdp_m_line_index=0)
    assert event.source == PassThrough(kc, A)
    assert event.timestamp_millis == "1764612345678" and event.tags == ()
    assert event.type == "IceCandidateFound"


def test_error_event_keeps_its_error_kind_in_type(kc: KurentoClient) -> None:
    data = {"description": "boom", "errorCode": 6, "source": A,
            "tags": [{"__module__": "kurento", "__type__": "Tag", "key": "k", "value": "v"}],
            "timestampMillis": "1646657831138", "type": "RESOURCE_ERROR_OPEN"}
    event = Error.from_wire(data, kc)
    assert (event.type, event.error_code, event.tags) == (
        "RESOURCE_ERROR_OPEN", 6, (Tag(key="k", value="v"),))


def test_events_and_structs_are_frozen_and_hashable(kc: KurentoClient) -> None:
    event = ElementConnected(source=PassThrough(kc, A), timestamp_millis="1", tags=(),
                             type="ElementConnected", sink=PassThrough(kc, B),
                             media_type=MediaType.VIDEO, source_media_description="default",
                             sink_media_description="default")
    assert hash(event) == hash(event)
    with pytest.raises(AttributeError):
        event.media_type = MediaType.AUDIO  # type: ignore[misc]


def test_proxies_compare_and_hash_by_id(kc: KurentoClient) -> None:
    assert PassThrough(kc, A) == MediaElement(kc, A)
    assert len({PassThrough(kc, A), MediaObject(kc, A), PassThrough(kc, B)}) == 2
    assert PassThrough(kc, A) != A
