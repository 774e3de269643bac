"""What the control plane needs from a media engine.

The control plane (asyncio, no ``gi``) owns ids, sessions, connections and
events. It talks to media only through these protocols. The GStreamer engine in
``kurento.engine.gst`` implements them; it is the only code that imports ``gi``.

Threading contract:
* Every method here is called on the asyncio loop thread and must not block it.
  Work that may block (GStreamer state changes, teardown) runs on the engine's
  own worker threads; the ``async`` methods await that work, guarded by a
  watchdog so a stuck GStreamer call can never hang the server.
* Every ``ElementListener`` callback is delivered on the asyncio loop thread
  (the engine hands GStreamer's streaming-thread callbacks over with
  ``loop.call_soon_threadsafe``).
"""

from __future__ import annotations

import dataclasses
import enum
from typing import Protocol, runtime_checkable


class MediaKind(enum.Enum):
    """Kurento's MediaType values, as the engine sees them."""

    AUDIO = "AUDIO"
    VIDEO = "VIDEO"
    DATA = "DATA"


class ElementListener(Protocol):
    """Receives an element's media-plane news on the asyncio loop."""

    def on_media_flow_in(self, kind: MediaKind, pad_name: str, flowing: bool) -> None:
        """Buffers started (``flowing``) or stopped (~2 s without) arriving at a sink pad."""

    def on_media_flow_out(self, kind: MediaKind, pad_name: str, flowing: bool) -> None:
        """Buffers started or stopped leaving a src pad."""

    def on_error(self, error_type: str, error_code: int, description: str) -> None:
        """An asynchronous GStreamer error (Kurento ``Error`` event fields)."""


class Link(Protocol):
    """One media link source→sink for one media kind, made by ``ElementEngine.link``."""

    async def unlink(self) -> None:
        """Remove the link; idempotent; never blocks the loop."""


class ElementEngine(Protocol):
    """An element's own part of the media graph."""

    def link(self, sink: ElementEngine, kind: MediaKind) -> Link:
        """Start sending this element's ``kind`` output to ``sink``.

        ``sink`` may be this very element (loopback) or part of a cycle: the
        engine guarantees no GStreamer-level cycle, so teardown cannot deadlock.
        The control plane guarantees a sink has at most one link per kind: it
        unlinks the previous source before linking a new one.
        """

    def gstreamer_dot(self, details: str) -> str:
        """Graphviz text for this element's part of the graph."""

    async def close(self) -> None:
        """Tear down (after the control plane has unlinked everything)."""


class PipelineEngine(Protocol):
    """One MediaPipeline: a clock domain and the elements in it."""

    def create_element(self, factory: str, listener: ElementListener) -> ElementEngine:
        """Create the media part of a remote element type, e.g. ``"PassThrough"``.

        Raises ``ValueError`` for an element type the engine cannot build.
        """

    def gstreamer_dot(self, details: str) -> str:
        """Graphviz text for the whole pipeline (one valid ``digraph``)."""

    def set_latency_stats(self, enabled: bool) -> None: ...

    async def close(self) -> None:
        """Tear down every element still in the pipeline; never blocks the loop."""


class MediaEngine(Protocol):
    """Factory of pipelines; one per server process."""

    def create_pipeline(self, name: str) -> PipelineEngine: ...

    async def shutdown(self) -> None: ...


# --- WebRtcEndpoint -------------------------------------------------------------------
#
# What the control plane's WebRtcEndpoint (kurento.objects.webrtc_endpoint) calls on
# its media part, and what it hears back. Same threading contract as above: methods
# are called on the loop and never block it (negotiation steps await webrtcbin's
# promises on the engine's worker threads, under the watchdog); every listener
# callback arrives on the loop.


class WebRtcError(Exception):
    """A WebRTC negotiation or ICE step the engine could not do; the message says why."""


class SdpSyntaxError(WebRtcError):
    """The text is not acceptable SDP (Kurento 40201 SDP_PARSE_ERROR)."""


class SdpMismatchError(WebRtcError):
    """Valid SDP that cannot be used: not WebRTC, no common codec (40205 / 40206)."""


@dataclasses.dataclass(frozen=True)
class WebRtcConfig:
    """Set once, before the first negotiation (libnice cannot unlearn addresses).

    ``ice_addresses``: the only local addresses ICE gathers on. The default keeps
    ICE on loopback (notes §2): a server for real peers must list its addresses.
    """

    ice_addresses: tuple[str, ...] = ("127.0.0.1",)
    recvonly: bool = False
    sendonly: bool = False
    ice_tcp: bool = False
    stun_server: str = ""  # "stun://host:port", empty for none
    turn_server: str = ""  # "turn://user:password@host:port", empty for none
    mtu: int = 1200
    certificate_key_type: str = "RSA"  # Kurento CertificateKeyType: "RSA" or "ECDSA"
    data_channels: bool = False  # useDataChannels: SCTP data channels negotiated


@dataclasses.dataclass(frozen=True)
class RtpStreamStats:
    """One RTP stream of a WebRTC session, from webrtcbin's ``get-stats``."""

    id: str
    kind: MediaKind
    inbound: bool  # True: received from the peer; False: sent to it
    ssrc: int
    packets: int
    bytes: int
    packets_lost: int = 0
    fraction_lost: float = 0.0
    jitter: float = 0.0  # seconds
    fir_count: int = 0
    pli_count: int = 0
    nack_count: int = 0
    round_trip_time: float = 0.0  # seconds
    remb: int = 0  # bps: the REMB we last sent for this (inbound video) stream


class WebRtcListener(ElementListener, Protocol):
    """The WebRtcEndpoint's news, on the loop (the element listener's, plus these)."""

    def on_ice_candidate(self, candidate: str, sdp_mid: str, sdp_mline_index: int) -> None:
        """A local candidate, reported only after ``gather_candidates`` (trickle ICE)."""

    def on_ice_gathering_done(self) -> None:
        """Every local candidate has been reported."""

    def on_ice_component_state(self, stream_id: int, component_id: int, state: str) -> None:
        """``state`` is a Kurento IceComponentState wire string (``"CONNECTED"``...)."""

    def on_candidate_pair_selected(
        self, stream_id: str, component_id: int, local: str, remote: str
    ) -> None:
        """ICE chose a pair; ``local``/``remote`` are SDP candidate strings."""

    def on_dtls_state(
        self, stream_id: str, component_id: str, connection_id: str, state: str
    ) -> None:
        """``state`` is a Kurento DtlsConnectionState wire string (``"CONNECTED"``...)."""

    def on_connection_state(self, connected: bool) -> None:
        """The peer connection (ICE + DTLS) became connected or stopped being so."""

    def on_media_state(self, connected: bool) -> None:
        """RTCP from the peer started arriving, or none came for ~5 s (KMS mediaState)."""

    def on_data_channel_opened(self, channel_id: int) -> None:
        """A data channel (ours or the peer's) is open."""

    def on_data_channel_closed(self, channel_id: int) -> None:
        """An open data channel was closed, by either side."""


@runtime_checkable
class SdpMedia(ElementEngine, Protocol):
    """What every SDP-negotiated endpoint's media does (WebRTC, plain RTP): one negotiation.

    Negotiation methods raise :class:`SdpSyntaxError`, :class:`SdpMismatchError`
    or :class:`WebRtcError`; the control plane enforces the call order (40208...).
    """

    async def process_offer(self, offer: str) -> str:
        """Answer the peer's offer with its payload types; returns the answer SDP."""

    async def generate_offer(self, audio: bool, video: bool) -> str:
        """Our offer; returns the offer SDP."""

    async def process_answer(self, answer: str) -> str:
        """Apply the peer's answer to our offer; returns the final local SDP."""

    async def request_keyframe(self) -> bool:
        """Ask whatever feeds our video input for a keyframe; False if nothing does."""

    async def stats(self) -> list[RtpStreamStats]:
        """Current RTP counters (empty before the session is connected)."""


@runtime_checkable
class WebRtcMedia(SdpMedia, Protocol):
    """The media part of a WebRtcEndpoint (one webrtcbin); one negotiation only."""

    def configure(self, config: WebRtcConfig) -> None:
        """Replace the configuration; takes effect at the next negotiation."""

    def gather_candidates(self) -> None:
        """Start reporting local candidates (those found so far, then the rest)."""

    def add_ice_candidate(self, candidate: str, sdp_mid: str, sdp_mline_index: int) -> None:
        """Add a peer candidate; ``""`` is end-of-candidates. ValueError if malformed."""


# --- WebRtcEndpoint data channels (engine: kurento.engine.gst.webrtc_data) ----------------


@dataclasses.dataclass(frozen=True)
class DataChannelStats:
    """One data channel's counters (Kurento RTCDataChannelStats)."""

    channel_id: int
    label: str
    protocol: str
    state: str  # "connecting", "open", "closing", "closed"
    messages_sent: int = 0
    bytes_sent: int = 0
    messages_received: int = 0
    bytes_received: int = 0


@runtime_checkable
class DataChannelMedia(Protocol):
    """A WebRtcMedia with data channels (``WebRtcConfig.data_channels``)."""

    async def create_data_channel(self, label: str, ordered: bool, max_packet_lifetime: int,
                                  max_retransmits: int, protocol: str) -> None:
        """Open a channel from our side (WebRtcError if webrtcbin refuses)."""

    async def close_data_channel(self, channel_id: int) -> None:
        """Close an open channel; KeyError when no open channel has that id."""

    def data_channel_stats(self) -> tuple[int, int, list[DataChannelStats]]:
        """(channels opened, channels closed, one entry per channel)."""


# --- Bitrate knobs and REMB (engine: kurento.engine.gst.webrtc_remb) ----------------------


@dataclasses.dataclass(frozen=True)
class BandwidthConfig:
    """Kurento's bitrate knobs (kbps, 0 = unset) and RembParams (reference §2.3, §2.5)."""

    max_video_recv: int = 0  # b=AS on video, and the REMB ceiling
    min_video_recv: int = 0  # the REMB floor (never below 30 kbps)
    max_audio_recv: int = 0  # b=AS on audio
    max_video_send: int = 500  # caps the endpoint's own transcoder (encoder_rate)
    min_video_send: int = 100
    packets_recv_interval_top: int = 100
    exponential_factor: float = 0.04
    lineal_factor_min: int = 0  # bps; 0 = KMS's built-in 50
    lineal_factor_grade: float = 30.0
    decrement_factor: float = 0.5
    threshold_factor: float = 0.8
    up_losses: int = 12  # fraction lost, in 1/256
    remb_on_connect: int = 300000  # bps


@runtime_checkable
class BandwidthControl(Protocol):
    """A WebRtcMedia that advertises b=AS and sends REMB to the remote sender."""

    def set_bandwidth(self, config: BandwidthConfig) -> None:
        """Replace the knobs; SDP uses them at the next negotiation, REMB at once."""


# --- Encoder bitrates (engine: kurento.engine.gst.encoder_rate) -----------------------------


@runtime_checkable
class EncoderBitrateControl(Protocol):
    """An element's media that may encode video (filters, transcoding endpoints, player,
    recorder): Kurento's ``encoderBitrate``, ``minEncoderBitrate``, ``maxEncoderBitrate``."""

    def set_encoder_bitrates(self, target: int, minimum: int, maximum: int) -> None:
        """In bps (``minimum``/``maximum`` 0: unbounded). Encoders made later start at
        ``target`` and live ones take it; REMB from WebRtcEndpoints the element feeds
        moves them within [minimum, maximum]."""
