"""What the control plane's RtpEndpoint needs from the media engine (plain RTP / SDES-SRTP).

Same threading contract as :mod:`kurento.engine.contract`: methods are called on
the asyncio loop and never block it (socket binding and GStreamer work run on
the engine's worker threads, under the watchdog); listener callbacks arrive on
the loop. Negotiation methods raise the contract's
:class:`~kurento.engine.contract.SdpSyntaxError` (40201),
:class:`~kurento.engine.contract.SdpMismatchError` or
:class:`~kurento.engine.contract.WebRtcError` (the step's own 4020x code).
"""

from __future__ import annotations

import dataclasses
from typing import Protocol, runtime_checkable

from .contract import ElementListener, SdpMedia

# Kurento CryptoSuite -> (master key bytes, master salt bytes)
SRTP_KEY_SIZES = {
    "AES_128_CM_HMAC_SHA1_32": (16, 14),
    "AES_128_CM_HMAC_SHA1_80": (16, 14),
    "AES_256_CM_HMAC_SHA1_32": (32, 14),
    "AES_256_CM_HMAC_SHA1_80": (32, 14),
}


@dataclasses.dataclass(frozen=True)
class SdesKey:
    """Our SRTP keying (RFC 4568 SDES): what we encrypt with and announce in ``a=crypto``."""

    suite: str  # a Kurento CryptoSuite wire string, e.g. "AES_128_CM_HMAC_SHA1_80"
    key: bytes  # master key followed by master salt (30 or 46 bytes)


@dataclasses.dataclass(frozen=True)
class RtpConfig:
    """Set before the negotiation: where we listen, and SRTP or not.

    ``address`` is the one local address both bound to and announced in the SDP
    (loopback by default, so a server never listens elsewhere unless told).
    """

    address: str = "127.0.0.1"
    crypto: SdesKey | None = None
    mtu: int = 1200


class RtpListener(ElementListener, Protocol):
    """The RtpEndpoint's news, on the loop (the element listener's, plus these)."""

    def on_connection_state(self, connected: bool) -> None:
        """CONNECTED once negotiated (plain RTP has no transport handshake, as in KMS)."""

    def on_media_state(self, connected: bool) -> None:
        """RTCP from the peer started arriving, or none came for ~5 s (KMS mediaState)."""


@runtime_checkable
class RtpMedia(SdpMedia, Protocol):
    """The media part of an RtpEndpoint: one rtpbin with UDP transports; one negotiation.

    The negotiation methods are :class:`SdpMedia`'s: an offer or answer carries the
    address and ports we already listen on; VP8/H.264 video and Opus audio.
    """

    def configure(self, config: RtpConfig) -> None:
        """Replace the configuration; takes effect at the next negotiation."""
