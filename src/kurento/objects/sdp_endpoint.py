"""SessionEndpoint / SdpEndpoint / BaseRtpEndpoint behaviour (reference §2.2, §2.3).

One negotiation per endpoint, like KMS: ``generateOffer`` + ``processAnswer``, or
``processOffer``; anything else in the wrong order gets its 4020x error. The
media part is a :class:`~kurento.engine.contract.SdpMedia`; its refusals map
to Kurento codes here (``SdpSyntaxError`` → 40201; ``SdpMismatchError`` and other
engine failures → the step's own code, 40204/40205/40206).
"""

from __future__ import annotations

import asyncio
import enum
import logging
import time
from typing import Any

from kurento.engine.contract import (
    SdpMedia,
    SdpMismatchError,
    SdpSyntaxError,
    WebRtcError,
)
from kurento.objects.bandwidth import BandwidthMixin
from kurento.objects.element import MediaElement
from kurento.objects.rtp_stats import rtp_stream_stats
from kurento.protocol import errors as e

log = logging.getLogger(__name__)

# KMS's own defaults for the BaseRtpEndpoint/SdpEndpoint knobs (reference §2.3).
BANDWIDTH_DEFAULTS = {
    "maxAudioRecvBandwidth": 0,
    "maxVideoRecvBandwidth": 0,
    "minVideoRecvBandwidth": 0,
    "minVideoSendBandwidth": 100,
    "maxVideoSendBandwidth": 500,
    "mtu": 1200,
}
REMB_DEFAULTS = {
    "__type__": "RembParams",
    "packetsRecvIntervalTop": 100,
    "exponentialFactor": 0.04,
    "linealFactorMin": 0,
    "linealFactorGrade": 30.0,
    "decrementFactor": 0.5,
    "thresholdFactor": 0.8,
    "upLosses": 12,
    "rembOnConnect": 300000,
}


class Negotiation(enum.Enum):
    """Where the one offer/answer exchange stands."""

    NONE = "none"
    OFFER_GENERATED = "offer generated"
    DONE = "done"


class BaseRtpEndpoint(BandwidthMixin, MediaElement):
    """Abstract: what every SDP/RTP endpoint does with its negotiation and states."""

    TYPE = "BaseRtpEndpoint"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.props.update(BANDWIDTH_DEFAULTS)
        self.props["rembParams"] = dict(REMB_DEFAULTS)
        self.negotiation = Negotiation.NONE
        self.offered = False  # this endpoint made the offer (generateOffer)
        self.local_sdp: str | None = None
        self.remote_sdp: str | None = None
        self.media_state = "DISCONNECTED"
        self.connection_state = "DISCONNECTED"
        # One SDP step at a time: a concurrent second one then sees the new state.
        self._negotiating = asyncio.Lock()

    @property
    def sdp_media(self) -> SdpMedia:
        media = self.media
        if not isinstance(media, SdpMedia):
            raise e.NotImplementedKurento(f"{self.TYPE} has no SDP media engine here")
        return media

    # --- SdpEndpoint --------------------------------------------------------------

    async def generate_offer(self, options: dict[str, Any] | None = None) -> str:
        options = options or {}
        async with self._negotiating:
            if self.negotiation is not Negotiation.NONE:
                raise e.SdpAlreadyNegotiated("Endpoint already negotiated")
            self.before_negotiation()
            self.push_bandwidth()  # b=AS, REMB knobs
            try:
                offer = await self.sdp_media.generate_offer(
                    bool(options.get("offerToReceiveAudio", True)),
                    bool(options.get("offerToReceiveVideo", True)),
                )
            except WebRtcError as error:
                raise e.SdpGenerateOfferError(f"Error generating offer: {error}") from None
            self.local_sdp = offer
            self.negotiation = Negotiation.OFFER_GENERATED
            self.offered = True
            return offer

    async def process_offer(self, offer: str) -> str:
        if not offer.strip():
            raise e.SdpParseError("Empty offer not valid")
        async with self._negotiating:
            if self.negotiation is not Negotiation.NONE:
                raise e.SdpAlreadyNegotiated("Endpoint already negotiated")
            self.before_negotiation()
            self.push_bandwidth()  # b=AS, REMB knobs
            try:
                answer = await self.sdp_media.process_offer(offer)
            except SdpSyntaxError as error:
                raise e.SdpParseError(f"Error parsing SDP: {error}") from None
            except WebRtcError as error:
                raise e.SdpProcessOfferError(f"Error processing offer: {error}") from None
            self.remote_sdp, self.local_sdp = offer, answer
            self.negotiation = Negotiation.DONE
        self.emit("MediaSessionStarted")
        return answer

    async def process_answer(self, answer: str) -> str:
        async with self._negotiating:
            if self.negotiation is Negotiation.NONE or not self.offered:
                raise e.SdpNotOfferGenerated(
                    "Offer not generated. It is not possible to process an answer.")
            if self.negotiation is Negotiation.DONE:
                raise e.SdpAnswerAlreadyProcessed("Answer already processed")
            if not answer.strip():
                raise e.SdpParseError("Empty answer not valid")
            try:
                local = await self.sdp_media.process_answer(answer)
            except SdpSyntaxError as error:
                raise e.SdpParseError(f"Error parsing SDP: {error}") from None
            except (SdpMismatchError, WebRtcError) as error:
                raise e.SdpProcessAnswerError(f"Error processing answer: {error}") from None
            self.remote_sdp, self.local_sdp = answer, local
            self.negotiation = Negotiation.DONE
        self.emit("MediaSessionStarted")
        return local

    def get_local_session_descriptor(self) -> str:
        if self.local_sdp is None:
            raise e.SdpNoLocalSdp("No local SDP")
        return self.local_sdp

    def get_remote_session_descriptor(self) -> str:
        if self.remote_sdp is None:
            raise e.SdpNoRemoteSdp("No remote SDP")
        return self.remote_sdp

    def before_negotiation(self) -> None:
        """Hook: hand the engine its configuration before the first SDP step."""

    # --- BaseRtpEndpoint --------------------------------------------------------------

    def get_media_state(self) -> str:
        return self.media_state

    def get_connection_state(self) -> str:
        return self.connection_state

    async def request_keyframe(self) -> None:
        if not await self.sdp_media.request_keyframe():
            raise e.MediaObjectOperationNotSupported(
                "Keyframe request failed (must be requested from a subscriber element)"
            )

    # --- engine listener (loop) ---------------------------------------------------

    def on_connection_state(self, connected: bool) -> None:
        new = "CONNECTED" if connected else "DISCONNECTED"
        if new != self.connection_state:
            old, self.connection_state = self.connection_state, new
            self.emit("ConnectionStateChanged", oldState=old, newState=new)

    def on_media_state(self, connected: bool) -> None:
        new = "CONNECTED" if connected else "DISCONNECTED"
        if new != self.media_state:
            old, self.media_state = self.media_state, new
            self.emit("MediaStateChanged", oldState=old, newState=new)

    # The RTP counters come from the engine through a worker thread: this one awaits.
    async def get_stats(  # type: ignore[override]
        self, media_type: str | None = None
    ) -> dict[str, Any]:
        now = int(time.time() * 1000)
        stats: dict[str, Any] = {self.id: {
            "__type__": "EndpointStats", "id": self.id, "type": "endpoint",
            "timestampMillis": now, "inputLatency": [], "E2ELatency": [],
        }}
        if self.negotiation is Negotiation.DONE:
            try:
                streams = await self.sdp_media.stats()
            except WebRtcError as error:  # stats are best effort: the element's entry stays
                log.warning("%s: no RTP stats: %s", self.id, error)
                streams = []
            for stream in streams:
                if media_type in (None, stream.kind.value):
                    stats[stream.id] = rtp_stream_stats(stream, now)
        return stats
